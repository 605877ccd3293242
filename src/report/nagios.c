/* \summary: --format nagios: a check plugin's output for Nagios, Icinga,
 * Naemon, Sensu: one status line "MXPROBE <STATE> - <summary> | <perfdata>",
 * then one line per target (the long output), and the plugin exit status.
 *
 * specification: Monitoring Plugins Development Guidelines, "Plugin Output"
 * and "Performance data" ('label'=value[UOM];[warn];[crit];[min];[max]) and
 * "Plugin Return Codes" (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
#include "report/render.h"

#include <stdlib.h>
#include <string.h>

#include "report/domain.h"
#include "util/util.h"

enum nagios_state {
	NAGIOS_OK = 0,
	NAGIOS_WARNING = 1,
	NAGIOS_CRITICAL = 2,
	NAGIOS_UNKNOWN = 3,
};

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* A failed finding or a server that could not be reached is CRITICAL (as
 * check_smtp says of a refused connection); a warning is WARNING; a check
 * that could not be made (an error finding) is UNKNOWN when nothing worse
 * was seen. */
static enum nagios_state target_state(const struct target_result *t)
{
	if (t->status != TARGET_TESTED)
		return NAGIOS_CRITICAL;
	switch (target_verdict(t)) {
	case SEV_FAIL:
		return NAGIOS_CRITICAL;
	case SEV_WARN:
		return NAGIOS_WARNING;
	case SEV_ERROR:
		return NAGIOS_UNKNOWN;
	default:
		return NAGIOS_OK;
	}
}

static int rank(enum nagios_state s)
{
	/* CRITICAL > WARNING > UNKNOWN > OK */
	static const int r[] = { 0, 2, 3, 1 };
	return r[s];
}

static enum nagios_state worse(enum nagios_state a, enum nagios_state b)
{
	return rank(b) > rank(a) ? b : a;
}

static enum nagios_state domain_state(const struct domain_result *d)
{
	switch (d->verdict) {
	case VERDICT_FAIL:
		return NAGIOS_CRITICAL;
	case VERDICT_ERROR:
		return NAGIOS_UNKNOWN;
	default:
		break;
	}
	enum nagios_state s = NAGIOS_OK;
	for (size_t k = 0; k < d->checks.n; k++)
		if (d->checks.f[k].sev == SEV_WARN)
			s = worse(s, NAGIOS_WARNING);
	/* MTA-STS, TLS-RPT: a broken published policy is worth a look */
	for (size_t x = 0; x < DOMAIN_NPOLICY_CHECKS; x++) {
		const struct probe_result *pc = domain_policy_checks(d, x);
		for (size_t k = 0; pc && k < pc->n; k++)
			if (pc->f[k].sev == SEV_WARN || pc->f[k].sev == SEV_FAIL)
				s = worse(s, NAGIOS_WARNING);
	}
	return s;
}

int nagios_status(const struct report *r)
{
	enum nagios_state s = r->n || r->ndomains ? NAGIOS_OK : NAGIOS_UNKNOWN;
	for (size_t i = 0; i < r->n; i++)
		s = worse(s, target_state(r->t[i]));
	for (size_t i = 0; i < r->ndomains; i++)
		s = worse(s, domain_state(&r->domains[i]));
	return (int)s;
}

/* The first finding of the target's worst severity: what to name. */
static const struct finding *worst_finding(const struct target_result *t)
{
	enum severity w = target_verdict(t);
	for (size_t i = 0; i < t->nprobes; i++)
		for (size_t k = 0; k < t->probes[i].n; k++)
			if (t->probes[i].f[k].sev == w)
				return &t->probes[i].f[k];
	return NULL;
}

/* Text in the long output: one line, and no '|' (it would start
 * performance data). */
static void put_text(FILE *out, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++)
		fputc(*p == '|' ? '/' : (unsigned char)*p < ' ' ? ' ' : *p, out);
}

/* A perfdata label: quoted, without quotes or '=' inside (the guidelines
 * reserve them). */
static void put_label(FILE *out, const char *target, const char *what)
{
	fputc('\'', out);
	for (const char *p = target; *p; p++)
		fputc(*p == '\'' || *p == '=' || (unsigned char)*p < ' ' ? '_' : *p, out);
	fprintf(out, " %s'", what);
}

static void put_perfdata(FILE *out, const struct report *r, const struct render_opts *o)
{
	const char *sep = "";
	for (size_t i = 0; i < r->n; i++) {
		const struct target_result *t = r->t[i];
		const char *name = t->input ? t->input : t->host;
		if (t->facts.chain_len) {
			fputs(sep, out);
			put_label(out, name, "leaf_days");
			double days = (double)(t->facts.chain[0].not_after - o->at) / 86400.0;
			fprintf(out, "=%.1f;%d;0;;", days, o->warn_days);
			sep = " ";
		}
		if (t->facts.tls_ok) {
			fputs(sep, out);
			put_label(out, name, "handshake");
			fprintf(out, "=%.6fs;;;0;", (double)t->facts.tls.handshake_us / 1e6);
			sep = " ";
		}
		fputs(sep, out);
		put_label(out, name, "connections");
		fprintf(out, "=%u;;;0;", t->connections);
		sep = " ";
	}
}

int render_nagios(FILE *out, const struct report *r, const struct render_opts *o)
{
	enum nagios_state s = (enum nagios_state)nagios_status(r);
	size_t by[4] = { 0 };
	for (size_t i = 0; i < r->n; i++)
		by[target_state(r->t[i])]++;
	size_t dfail = 0;
	for (size_t i = 0; i < r->ndomains; i++)
		dfail += r->domains[i].verdict == VERDICT_FAIL;
	fprintf(out, "MXPROBE %s - %zu target%s: %zu critical, %zu warning, %zu unknown, %zu ok", state_names[s], r->n,
		r->n == 1 ? "" : "s", by[NAGIOS_CRITICAL], by[NAGIOS_WARNING], by[NAGIOS_UNKNOWN], by[NAGIOS_OK]);
	if (r->ndomains)
		fprintf(out, "; %zu domain%s, %zu failing", r->ndomains, r->ndomains == 1 ? "" : "s", dfail);
	if (r->n) {
		fputs(" | ", out);
		put_perfdata(out, r, o);
	}
	fputc('\n', out);
	/* Long output: one line per target, then per domain. */
	for (size_t i = 0; i < r->n; i++) {
		const struct target_result *t = r->t[i];
		const struct finding *f = worst_finding(t);
		put_text(out, t->input);
		fprintf(out, ": %s", state_names[target_state(t)]);
		if (t->status != TARGET_TESTED) {
			fprintf(out, " - could not be tested: %s failed", session_step_name(t->facts.failed_step));
			if (t->facts.fail_detail) {
				fputs(": ", out);
				put_text(out, t->facts.fail_detail);
			}
		} else if (f) {
			fprintf(out, " - %s: ", f->id);
			put_text(out, f->title);
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < r->ndomains; i++) {
		const struct domain_result *d = &r->domains[i];
		fprintf(out, "domain %s: %s - %s under policy %s\n", d->name, state_names[domain_state(d)],
			domain_verdict_id(d->verdict), domain_policy_name(r, d));
	}
	return ferror(out) ? -1 : 0;
}
