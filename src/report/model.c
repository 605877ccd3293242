/* \summary: the results model: construction and cleanup. */
#include "report/model.h"

#include "report/tls_enum.h"

#include "report/domain.h"
#include "report/wire_model.h"
#include "mail/headers.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const sev_names[] = { "pass", "info", "warn", "fail", "error" };

const char *severity_name(enum severity s)
{
	return (unsigned)s < ARRAY_LEN(sev_names) ? sev_names[s] : "error";
}

static const char *const step_names[] = {
#define STEP_NAME(n, s) s,
	SESSION_STEPS(STEP_NAME)
#undef STEP_NAME
};

static const char *const step_ids[] = { "none",	    "dns",	 "connect",  "banner", "ehlo",
					"starttls", "handshake", "ehlo-tls", "quit" };

const char *session_step_name(enum session_step s)
{
	return (unsigned)s < ARRAY_LEN(step_names) ? step_names[s] : "unknown";
}

const char *session_step_id(enum session_step s)
{
	return (unsigned)s < ARRAY_LEN(step_ids) ? step_ids[s] : "unknown";
}

/* ---- transcript ---- */

void transcript_init(struct transcript *tr)
{
	memset(tr, 0, sizeof *tr);
	tr->start_wall_us = wall_us();
	tr->start_mono_us = mono_us();
}

static void transcript_push(struct transcript *tr, enum tr_kind kind, char *owned)
{
	if (tr->n == tr->cap) {
		tr->cap = tr->cap ? tr->cap * 2 : 32;
		tr->e = xrealloc(tr->e, tr->cap * sizeof *tr->e);
	}
	tr->e[tr->n].t_us = mono_us() - tr->start_mono_us;
	tr->e[tr->n].kind = kind;
	tr->e[tr->n].text = owned;
	tr->n++;
}

void transcript_add(struct transcript *tr, enum tr_kind kind, const char *text)
{
	transcript_push(tr, kind, xstrdup(text));
}

void transcript_addf(struct transcript *tr, enum tr_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	transcript_push(tr, kind, xvasprintf(fmt, ap));
	va_end(ap);
}

void transcript_add_bytes(struct transcript *tr, enum tr_kind kind, const void *p, size_t n)
{
	transcript_push(tr, kind, str_escape(p, n, 4096));
}

void transcript_clear(struct transcript *tr)
{
	for (size_t i = 0; i < tr->n; i++)
		free(tr->e[i].text);
	free(tr->e);
	memset(tr, 0, sizeof *tr);
}

/* ---- artifacts ---- */

void cert_info_clear(struct cert_info *ci)
{
	if (!ci)
		return;
	free(ci->subject);
	free(ci->issuer);
	free(ci->serial_hex);
	free(ci->sha1_hex);
	free(ci->sha256_hex);
	strvec_clear(&ci->san_dns);
	strvec_clear(&ci->san_ip);
	strvec_clear(&ci->san_other);
	free(ci->key_type);
	free(ci->sig_alg);
	free(ci->der);
	memset(ci, 0, sizeof *ci);
}

void tls_params_clear(struct tls_params *tp)
{
	free(tp->protocol);
	free(tp->cipher_suite);
	free(tp->cipher);
	free(tp->mac);
	free(tp->kx);
	free(tp->group);
	free(tp->server_sig_alg);
	free(tp->sni);
	for (size_t i = 0; i < tp->n_staples; i++)
		free(tp->staples[i].der);
	free(tp->staples);
	strvec_clear(&tp->ccert_ca_names);
	strvec_clear(&tp->ccert_types);
	strvec_clear(&tp->ccert_sig_algs);
	memset(tp, 0, sizeof *tp);
}

void smtp_caps_clear(struct smtp_caps *c)
{
	free(c->greeting);
	strvec_clear(&c->auth_mechs);
	strvec_clear(&c->unknown);
	strvec_clear(&c->lines);
	memset(c, 0, sizeof *c);
}

void reply_info_clear(struct reply_info *r)
{
	free(r->text);
	memset(r, 0, sizeof *r);
}

static void chain_free(struct cert_info *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cert_info_clear(&c[i]);
	free(c);
}

void session_facts_clear(struct session_facts *f)
{
	free(f->remote);
	free(f->local);
	reply_info_clear(&f->banner);
	reply_info_clear(&f->ehlo);
	smtp_caps_clear(&f->caps_plain);
	reply_info_clear(&f->starttls_reply);
	free(f->after_starttls);
	free(f->banner_partial);
	tls_params_clear(&f->tls);
	free(f->tls_error);
	free(f->tls_error_text);
	free(f->tls_alert_name);
	chain_free(f->chain, f->chain_len);
	chain_free(f->client_chain, f->client_chain_len);
	reply_info_clear(&f->ehlo_tls);
	smtp_caps_clear(&f->caps_tls);
	reply_info_clear(&f->quit);
	free(f->fail_detail);
	reply_info_clear(&f->r421);
	memset(f, 0, sizeof *f);
	f->tls_alert = -1;
	f->late_alert = -1;
}

/* ---- findings ---- */

struct finding *probe_result_add(struct probe_result *pr, const char *id, enum severity sev, const char *title)
{
	if (pr->n == pr->cap) {
		pr->cap = pr->cap ? pr->cap * 2 : 8;
		pr->f = xrealloc(pr->f, pr->cap * sizeof *pr->f);
	}
	struct finding *f = &pr->f[pr->n++];
	memset(f, 0, sizeof *f);
	f->id = xstrdup(id);
	f->sev = sev;
	f->title = xstrdup(title);
	return f;
}

void finding_set_detail(struct finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(f->detail);
	f->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

void finding_set_remedy(struct finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(f->remedy);
	f->remedy = xvasprintf(fmt, ap);
	va_end(ap);
}

void finding_set_rfc(struct finding *f, const char *rfc)
{
	free(f->rfc);
	f->rfc = xstrdup(rfc);
}

void finding_add_ev(struct finding *f, const char *key, const char *fmt, ...)
{
	if (f->nev == f->capev) {
		f->capev = f->capev ? f->capev * 2 : 4;
		f->ev = xrealloc(f->ev, f->capev * sizeof *f->ev);
	}
	va_list ap;
	va_start(ap, fmt);
	f->ev[f->nev].key = xstrdup(key);
	f->ev[f->nev].value = xvasprintf(fmt, ap);
	va_end(ap);
	f->nev++;
}

static void finding_clear(struct finding *f)
{
	free(f->id);
	free(f->title);
	free(f->detail);
	free(f->remedy);
	free(f->rfc);
	for (size_t i = 0; i < f->nev; i++) {
		free(f->ev[i].key);
		free(f->ev[i].value);
	}
	free(f->ev);
}

enum severity probe_result_worst(const struct probe_result *pr)
{
	enum severity w = SEV_PASS;
	for (size_t i = 0; i < pr->n; i++)
		if (pr->f[i].sev > w)
			w = pr->f[i].sev;
	return w;
}

struct probe_result *target_add_probe(struct target_result *t, const char *name, const char *title)
{
	if (t->nprobes == t->capprobes) {
		t->capprobes = t->capprobes ? t->capprobes * 2 : 4;
		t->probes = xrealloc(t->probes, t->capprobes * sizeof *t->probes);
	}
	struct probe_result *pr = &t->probes[t->nprobes++];
	memset(pr, 0, sizeof *pr);
	pr->name = xstrdup(name);
	pr->title = xstrdup(title);
	pr->required = true; /* fail closed: the engine says which are not */
	return pr;
}

enum severity target_worst(const struct target_result *t)
{
	enum severity w = SEV_PASS;
	for (size_t i = 0; i < t->nprobes; i++) {
		enum severity s = probe_result_worst(&t->probes[i]);
		if (s > w)
			w = s;
	}
	return w;
}

enum severity target_verdict(const struct target_result *t)
{
	bool fail = false, error = t->status == TARGET_UNTESTABLE;
	enum severity rest = SEV_PASS;
	for (size_t i = 0; i < t->nprobes; i++)
		for (size_t k = 0; k < t->probes[i].n; k++) {
			enum severity s = t->probes[i].f[k].sev;
			fail |= s == SEV_FAIL;
			error |= s == SEV_ERROR && t->probes[i].required;
			if (s < SEV_FAIL && s > rest)
				rest = s;
		}
	return fail ? SEV_FAIL : error ? SEV_ERROR : rest;
}

void report_init(struct report *r)
{
	memset(r, 0, sizeof *r);
	r->started_wall_us = wall_us();
}

struct target_result *target_result_new(void)
{
	struct target_result *t = xcalloc(1, sizeof *t);
	t->facts.tls_alert = -1;
	t->facts.late_alert = -1;
	transcript_init(&t->tr);
	return t;
}

struct target_result *report_add_target(struct report *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4;
		r->t = xrealloc(r->t, r->cap * sizeof *r->t);
	}
	struct target_result *t = target_result_new();
	r->t[r->n++] = t;
	return t;
}

void probe_result_clear(struct probe_result *pr)
{
	for (size_t j = 0; j < pr->n; j++)
		finding_clear(&pr->f[j]);
	free(pr->f);
	free(pr->name);
	free(pr->title);
	memset(pr, 0, sizeof *pr);
}

void target_result_reset(struct target_result *t)
{
	int64_t deadline = t->deadline_us;
	bool clock = t->clock_started;
	struct target_result *copy = xmalloc(sizeof *copy);
	*copy = *t;
	target_result_free(copy);
	memset(t, 0, sizeof *t);
	t->deadline_us = deadline;
	t->clock_started = clock;
}

void target_result_free(struct target_result *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_more_sessions; i++)
		session_facts_clear(&t->more_sessions[i]);
	free(t->more_sessions);
	tls_enum_free(t->tls_enum);
	wire_summary_free(t->wire);
	free(t->domain);
	free(t->mx_host);
	free(t->input);
	free(t->scheme);
	free(t->host);
	free(t->address);
	transcript_clear(&t->tr);
	session_facts_clear(&t->facts);
	for (size_t i = 0; i < t->nprobes; i++) {
		struct probe_result *pr = &t->probes[i];
		for (size_t j = 0; j < pr->n; j++)
			finding_clear(&pr->f[j]);
		free(pr->f);
		free(pr->name);
		free(pr->title);
	}
	free(t->probes);
	free(t);
}

void report_clear(struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		target_result_free(r->t[i]);
	free(r->t);
	report_domains_clear(r);
	report_messages_clear(r);
	free(r->tool_version);
	free(r->policy);
	free(r->ehlo_name);
	memset(r, 0, sizeof *r);
}

void report_count(const struct report *r, size_t counts[5])
{
	memset(counts, 0, 5 * sizeof counts[0]);
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->t[i]->nprobes; j++)
			for (size_t k = 0; k < r->t[i]->probes[j].n; k++)
				counts[r->t[i]->probes[j].f[k].sev]++;
	/* Findings about a domain as a whole (domain.inconsistent) count too. */
	for (size_t d = 0; d < r->ndomains; d++)
		for (size_t k = 0; k < r->domains[d].checks.n; k++)
			counts[r->domains[d].checks.f[k].sev]++;
	/* ... and those about its MTA-STS and TLS-RPT */
	for (size_t d = 0; d < r->ndomains; d++)
		for (size_t x = 0; x < DOMAIN_NPOLICY_CHECKS; x++) {
			const struct probe_result *pc = domain_policy_checks(&r->domains[d], x);
			for (size_t k = 0; pc && k < pc->n; k++)
				counts[pc->f[k].sev]++;
		}
	for (size_t m = 0; m < r->nmessages; m++)
		for (size_t k = 0; k < r->messages[m].checks.n; k++)
			counts[r->messages[m].checks.f[k].sev]++;
}

bool report_has_warning(const struct report *r)
{
	size_t c[5];
	report_count(r, c);
	return c[SEV_WARN] > 0;
}
