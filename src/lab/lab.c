/* \summary: the built-in demo lab: one scripted server per kind of trouble
 * on 127.0.0.1, each probed by the engine like a real target.
 *
 * specification: what each setup breaks is described in fakesrv.h
 * (RFC 5321, RFC 3207). */
#include "lab/lab.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "core/engine.h"
#include "lab/fakesrv.h"
#include "lab/labpki.h"
#include "net/target.h"
#include "util/util.h"

#define LAB_ADDR "127.0.0.1"
#define LAB_HOST "mail.lab.example"
#define LAB_DAY	 (24 * 60 * 60)

enum lab_cert {
	LAB_CERT_VALID,
	LAB_CERT_EXPIRED,
	LAB_CERT__COUNT
};

struct lab_setup {
	const char *name;
	enum fakesrv_behaviour behaviour;
	enum lab_cert cert;
	unsigned tarpit_byte_ms; /* 0 = fakesrv's default */
	int64_t step_timeout_us; /* lower the user's step timeout to this; 0 = keep */
	bool session_only;	 /* without --probes: the standard session alone, one key */
	const char *description;
};

/* The tarpit trickles its 40-byte banner at 60 ms a byte (about 2.4 s, just
 * over what counts as slow), so the demo stays quick; its story is the
 * greeting, so unless --probes says otherwise it gets the standard session
 * alone (each further connection of the default set would trickle too: 12 s
 * for five). The silent server is probed with a 2 s step and greeting
 * timeout instead of the user's. */
static const struct lab_setup setups[] = {
	{ "good", FAKESRV_GOOD, LAB_CERT_VALID, 0, 0, false,
	  "STARTTLS and a valid certificate for " LAB_HOST " from the lab CA" },
	{ "no-starttls", FAKESRV_NO_STARTTLS, LAB_CERT_VALID, 0, 0, false,
	  "EHLO does not offer STARTTLS, as behind a meddling firewall" },
	{ "expired-cert", FAKESRV_GOOD, LAB_CERT_EXPIRED, 0, 0, false,
	  "STARTTLS works, but the certificate expired 30 days ago" },
	{ "starttls-454", FAKESRV_STARTTLS_454, LAB_CERT_VALID, 0, 0, false,
	  "STARTTLS offered, then refused with 454 4.7.0" },
	{ "plaintext-after-starttls", FAKESRV_PLAINTEXT_AFTER_STARTTLS, LAB_CERT_VALID, 0, 0, false,
	  "a plaintext reply injected behind the STARTTLS 220" },
	{ "banner-421", FAKESRV_BANNER_421, LAB_CERT_VALID, 0, 0, false,
	  "greets with 421 4.3.2 (shutting down) and closes" },
	{ "tarpit", FAKESRV_TARPIT, LAB_CERT_VALID, 60, 0, true,
	  "the banner trickles in a byte every 60 ms, then all is well" },
	{ "silent", FAKESRV_SILENT, LAB_CERT_VALID, 0, 2 * 1000000LL, false,
	  "accepts the connection and never greets (2 s greeting timeout)" },
};

size_t lab_setup_count(void)
{
	return ARRAY_LEN(setups);
}

const char *lab_setup_name(size_t i)
{
	return i < ARRAY_LEN(setups) ? setups[i].name : NULL;
}

const char *lab_setup_description(size_t i)
{
	return i < ARRAY_LEN(setups) ? setups[i].description : NULL;
}

void lab_print_setups(FILE *out)
{
	for (size_t i = 0; i < ARRAY_LEN(setups); i++)
		fprintf(out, "  %-26s %s\n", setups[i].name, setups[i].description);
}

/* Marks the setups named in names (all for NULL); -1 for an unknown name. */
static int select_setups(const char *const *names, bool chosen[], char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_LEN(setups); i++)
		chosen[i] = names == NULL;
	for (size_t n = 0; names && names[n]; n++) {
		size_t i = 0;
		while (i < ARRAY_LEN(setups) && strcmp(setups[i].name, names[n]) != 0)
			i++;
		if (i == ARRAY_LEN(setups)) {
			snprintf(err, errlen, "unknown lab setup '%s'", names[n]);
			return -1;
		}
		chosen[i] = true;
	}
	return 0;
}

/* The two certificates the setups use, relative to the options' "now" so
 * that a pinned clock gives the same verdicts. */
static int issue_credentials(struct labpki *pki, int64_t now, gnutls_certificate_credentials_t cred[LAB_CERT__COUNT],
			     char *err, size_t errlen)
{
	/* The lab's targets are the address itself: it is in the certificate
	 * too, so only the setups meant to fail do. */
	static const char *const sans[] = { LAB_HOST, "IP:" LAB_ADDR, NULL };

	if (labpki_issue(pki, LAB_HOST, sans, now - LAB_DAY, now + 90 * (int64_t)LAB_DAY, &cred[LAB_CERT_VALID], err,
			 errlen) < 0)
		return -1;
	return labpki_issue(pki, LAB_HOST, sans, now - 400 * (int64_t)LAB_DAY, now - 30 * (int64_t)LAB_DAY,
			    &cred[LAB_CERT_EXPIRED], err, errlen);
}

static struct fakesrv *start_setup(const struct lab_setup *s, gnutls_certificate_credentials_t cred[LAB_CERT__COUNT],
				   char *err, size_t errlen)
{
	struct fakesrv_cfg cfg = {
		.addr = LAB_ADDR,
		.port = 0,
		.behaviour = s->behaviour,
		.hostname = LAB_HOST,
		.cred = cred[s->cert],
		.tarpit_byte_ms = s->tarpit_byte_ms,
	};
	return fakesrv_start(&cfg, err, errlen);
}

/* A started lab: its servers, its CA and, per started setup, the options
 * and target the engine probes it with. */
struct lab_session {
	struct fakesrv *srv[ARRAY_LEN(setups)];
	gnutls_certificate_credentials_t cred[LAB_CERT__COUNT];
	struct labpki *pki;
	char *ca_pem;
	size_t n;			 /* started setups */
	size_t setup[ARRAY_LEN(setups)]; /* index into setups[] */
	struct mx_options opt[ARRAY_LEN(setups)];
	struct target_spec spec[ARRAY_LEN(setups)];
};

/* The options a setup is probed with: the lab's own root is the only
 * trust anchor, so its good server validates and its failing setups fail
 * for their own reason. */
static void setup_target(struct lab_session *ls, size_t k, const struct mx_options *opt)
{
	const struct lab_setup *s = &setups[ls->setup[k]];
	struct mx_options *o = &ls->opt[k];
	*o = *opt;
	o->ca_file = NULL;
	o->ca_pem = ls->ca_pem;
	o->no_system_trust = true;
	if (s->step_timeout_us && (o->step_timeout_us <= 0 || s->step_timeout_us < o->step_timeout_us))
		o->step_timeout_us = s->step_timeout_us;
	/* The silent server never greets: the demo waits its short step
	 * timeout for the greeting too, not the real-world 60 s. */
	if (s->step_timeout_us && s->step_timeout_us < o->greeting_timeout_us)
		o->greeting_timeout_us = s->step_timeout_us;
	if (s->session_only && !o->probes) {
		o->probes = "-require-tls,-relay,-injection";
		o->one_key = true;
	}
	uint16_t port = fakesrv_port(ls->srv[ls->setup[k]]);
	ls->spec[k] = (struct target_spec){
		.input = xasprintf("lab:%s (%s:%u)", s->name, LAB_ADDR, (unsigned)port),
		.scheme = xstrdup("smtp"),
		.host = xstrdup(LAB_ADDR),
		.port = port,
		.implicit_tls = false,
		.family = AF_INET,
		.mx_pref = -1,
	};
}

struct lab_session *lab_start(const struct mx_options *opt, const char *const *names, char *err, size_t errlen)
{
	bool chosen[ARRAY_LEN(setups)];
	int64_t now = opt->now ? opt->now : (int64_t)time(NULL);

	if (select_setups(names, chosen, err, errlen) < 0)
		return NULL;
	struct lab_session *ls = xcalloc(1, sizeof *ls);
	ls->pki = labpki_new(err, errlen);
	if (!ls->pki || issue_credentials(ls->pki, now, ls->cred, err, errlen) < 0)
		goto fail;
	if (!(ls->ca_pem = labpki_ca_pem(ls->pki))) {
		snprintf(err, errlen, "cannot export the lab's CA certificate");
		goto fail;
	}
	/* All servers first: a setup that cannot start fails the lab before
	 * anything was probed. */
	for (size_t i = 0; i < ARRAY_LEN(setups); i++) {
		if (!chosen[i])
			continue;
		if (!(ls->srv[i] = start_setup(&setups[i], ls->cred, err, errlen)))
			goto fail;
		ls->setup[ls->n++] = i;
	}
	for (size_t k = 0; k < ls->n; k++)
		setup_target(ls, k, opt);
	return ls;
fail:
	lab_stop(ls);
	return NULL;
}

size_t lab_session_count(const struct lab_session *ls)
{
	return ls ? ls->n : 0;
}

const struct mx_options *lab_session_options(const struct lab_session *ls, size_t i)
{
	return i < ls->n ? &ls->opt[i] : NULL;
}

const struct target_spec *lab_session_target(const struct lab_session *ls, size_t i)
{
	return i < ls->n ? &ls->spec[i] : NULL;
}

void lab_stop(struct lab_session *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ARRAY_LEN(setups); i++)
		fakesrv_stop(ls->srv[i]);
	for (size_t k = 0; k < ls->n; k++)
		target_spec_clear(&ls->spec[k]);
	for (size_t i = 0; i < LAB_CERT__COUNT; i++)
		if (ls->cred[i])
			gnutls_certificate_free_credentials(ls->cred[i]);
	labpki_free(ls->pki);
	free(ls->ca_pem);
	free(ls);
}

int lab_run_only(const struct mx_options *opt, const char *const *names, struct report *rep, char *err, size_t errlen)
{
	struct lab_session *ls = lab_start(opt, names, err, errlen);
	if (!ls)
		return -1;
	for (size_t k = 0; k < ls->n; k++)
		engine_run_target(&ls->opt[k], &ls->spec[k], report_add_target(rep), NULL);
	lab_stop(ls);
	return 0;
}

int lab_run(const struct mx_options *opt, struct report *rep, char *err, size_t errlen)
{
	return lab_run_only(opt, NULL, rep, err, errlen);
}
