/* \summary: a probe's own short SMTP conversation (proto/dialogue.h).
 * specification: RFC 5321, RFC 3207. */
#include "proto/dialogue.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

char *dialogue_reply_text(const struct smtp_reply *r)
{
	return xasprintf("%d%s%s%s%s", r->code, r->enh[0] ? " " : "", r->enh, r->text.n ? " " : "",
			 r->text.n ? r->text.v[0] : "");
}

static int fail(struct dialogue *d, enum session_step step, int err, char *detail_owned)
{
	if (d->failed_step == STEP_NONE) {
		d->failed_step = step;
		d->err = err;
		d->detail = detail_owned;
	} else {
		free(detail_owned);
	}
	return err;
}

static int fail_read(struct dialogue *d, enum session_step step, int rc, char *bad)
{
	char *det =
		rc == -MX_E_BAD_REPLY && bad ? xasprintf("not an SMTP reply: \"%s\"", bad) : xstrdup(mx_strerror(rc));
	free(bad);
	return fail(d, step, rc, det);
}

/* A reply that refuses us: kept, and the failure says it. */
static int fail_reply(struct dialogue *d, enum session_step step, const struct smtp_reply *r)
{
	smtp_reply_to_info(r, &d->refusal);
	return fail(d, step, r->code == 421 ? -MX_E_SERVICE_UNAVAILABLE : -MX_E_REJECTED, dialogue_reply_text(r));
}

int dialogue_command(struct dialogue *d, const char *line, const char *shown, struct smtp_reply *r)
{
	char *bad = NULL;
	smtp_reply_clear(r);
	memset(r, 0, sizeof *r);
	int rc = session_command(&d->s, line, shown, r, STEP_NONE, &bad);
	free(bad);
	return rc;
}

/* EHLO, or HELO when EHLO is refused (RFC 5321 section 3.2). */
static int do_ehlo(struct dialogue *d, const char *name, enum session_step step)
{
	struct smtp_reply r = { 0 };
	char *bad = NULL;
	char *line = xasprintf("EHLO %s", name);
	int rc = session_command(&d->s, line, NULL, &r, step, &bad);
	free(line);
	if (rc < 0)
		return fail_read(d, step, rc, bad);
	smtp_caps_clear(&d->caps);
	memset(&d->caps, 0, sizeof d->caps);
	if (r.code == 250) {
		smtp_caps_parse(&r, &d->caps);
		goto out;
	}
	if (r.code >= 500 && r.code <= 504) {
		smtp_reply_clear(&r);
		memset(&r, 0, sizeof r);
		line = xasprintf("HELO %s", name);
		rc = session_command(&d->s, line, NULL, &r, step, &bad);
		free(line);
		if (rc < 0)
			return fail_read(d, step, rc, bad);
		if (r.code == 250)
			goto out;
	}
	rc = fail_reply(d, step, &r);
out:
	free(bad);
	smtp_reply_clear(&r);
	return rc;
}

int dialogue_handshake(struct dialogue *d, const struct target_spec *spec)
{
	const struct mx_options *opt = d->s.opt;
	struct tls_opts to = { 0 };
	/* RFC 6066 section 3: no IP literals in SNI. */
	to.sni = opt->sni ? opt->sni : spec->mx_host ? spec->mx_host : (spec->family ? NULL : spec->host);
	int rc = tls_client_handshake(&d->s.c, &to, &d->f, session_step_deadline(&d->s));
	if (rc < 0)
		return fail(d, STEP_HANDSHAKE, rc,
			    xasprintf("%s", d->f.tls_error_text ? d->f.tls_error_text : mx_strerror(rc)));
	d->tls = true;
	return 0;
}

/* STARTTLS and its 220; the bytes behind the 220 are dropped (they are not
 * TLS; the starttls probe reports them). 0, or <0 with the failure
 * recorded. */
static int starttls_220(struct dialogue *d)
{
	struct smtp_reply r = { 0 };
	char *bad = NULL;
	int rc = session_command(&d->s, "STARTTLS", NULL, &r, STEP_STARTTLS, &bad);
	if (rc < 0)
		return fail_read(d, STEP_STARTTLS, rc, bad);
	free(bad);
	if (r.code != 220) {
		rc = fail_reply(d, STEP_STARTTLS, &r);
		smtp_reply_clear(&r);
		return rc;
	}
	smtp_reply_clear(&r);
	struct buf junk;
	buf_init(&junk, 64 * 1024);
	conn_drain_pending(&d->s.c, &junk);
	buf_clear(&junk);
	return 0;
}

int dialogue_starttls(struct dialogue *d, const struct target_spec *spec)
{
	int rc = starttls_220(d);
	if (rc < 0)
		return rc;
	rc = dialogue_handshake(d, spec);
	if (rc < 0)
		return rc;
	return do_ehlo(d, session_ehlo_name(&d->s), STEP_EHLO_TLS);
}

/* STARTTLS and its 220, then nothing: the caller speaks TLS itself. */
static int raw_starttls(struct dialogue *d)
{
	int rc = starttls_220(d);
	if (rc == 0)
		d->raw = true;
	return rc;
}

int dialogue_open(struct dialogue *d, const struct mx_options *opt, const struct target_spec *spec,
		  struct target_result *t, const char *label, const char *ehlo_name, enum dialogue_tls mode)
{
	memset(d, 0, sizeof *d);
	session_init(&d->s, opt, t);
	d->s.f = &d->f;
	d->f.tls_alert = -1;
	d->f.late_alert = -1;
	d->failed_step = STEP_NONE;
	if (label)
		transcript_addf(&t->tr, TR_EVENT, "Session: %s", label);

	struct addrinfo *ai = NULL;
	char *detail = NULL;
	int rc = session_resolve(&d->s, spec, &ai, &detail);
	if (rc < 0)
		return fail(d, STEP_DNS, rc, detail);
	free(detail);
	char addr[64];
	sockaddr_format(ai->ai_addr, addr, sizeof addr);
	rc = session_connect(&d->s, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0)
		return fail(d, STEP_CONNECT, rc, xasprintf("%s: %s", addr, mx_strerror(rc)));
	d->open = true;

	if (spec->implicit_tls && mode == DLG_RAW_TLS) {
		d->raw = true;
		return 0;
	}
	if (spec->implicit_tls && (rc = dialogue_handshake(d, spec)) < 0)
		return rc;
	struct smtp_reply r = { 0 };
	char *bad = NULL;
	rc = session_read_reply(&d->s, &r, STEP_BANNER, &bad);
	if (rc < 0)
		return fail_read(d, STEP_BANNER, rc, bad);
	free(bad);
	smtp_reply_to_info(&r, &d->banner);
	if (r.code != 220) {
		/* 554: "no SMTP service here" (RFC 5321 section 3.1); 421: go away. */
		rc = fail_reply(d, STEP_BANNER, &r);
		smtp_reply_clear(&r);
		return rc;
	}
	smtp_reply_clear(&r);
	if ((rc = do_ehlo(d, ehlo_name ? ehlo_name : session_ehlo_name(&d->s), STEP_EHLO)) < 0)
		return rc;
	if (mode == DLG_PLAIN || d->tls)
		return 0;
	if (!d->caps.starttls) {
		if (mode == DLG_TLS || mode == DLG_RAW_TLS)
			return fail(d, STEP_STARTTLS, -MX_E_REJECTED, xstrdup("STARTTLS is not offered"));
		return 0;
	}
	if (mode == DLG_RAW_TLS)
		return raw_starttls(d);
	return dialogue_starttls(d, spec);
}

void dialogue_close(struct dialogue *d, bool rset)
{
	if (d->open && !d->raw && d->s.c.fd >= 0 && !d->s.c.eof) {
		struct smtp_reply r = { 0 };
		/* RSET and QUIT get short waits: the result is already known. */
		if (!rset || dialogue_command(d, "RSET", NULL, &r) == 0)
			dialogue_command(d, "QUIT", NULL, &r);
		smtp_reply_clear(&r);
		if (d->tls)
			tls_bye(&d->s.c, mono_us() + 200000);
	}
	session_close(&d->s);
	session_facts_clear(&d->f);
	smtp_caps_clear(&d->caps);
	reply_info_clear(&d->banner);
	reply_info_clear(&d->refusal);
	free(d->detail);
	d->detail = NULL;
	d->open = false;
	d->raw = false;
}
