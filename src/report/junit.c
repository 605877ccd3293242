/* \summary: --format junit: JUnit XML as CI systems read it (Jenkins, GitLab,
 * the Ant junit task's format): <testsuites>, one <testsuite> per target and
 * per domain, one <testcase> per finding. A fail is a <failure>, an error
 * (the probe could not ask its question) an <error>, a warning a <failure>
 * only with --fail-on warn (else the testcase passes and says WARN in its
 * <system-out>). tests/schemas/junit.xsd is the schema the tests hold it to.
 *
 * specification: the Jenkins JUnit schema (junit-10.xsd) and Ant's
 * XMLJUnitResultFormatter; XML 1.0 section 2.2 (characters allowed). */
#include "report/render.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/domain.h"
#include "util/util.h"

/* The length of a well-formed UTF-8 sequence at p (RFC 3629 section 4),
 * 0 if there is none. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	if (p[0] >= 0xf5)
		n = 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
		return 0;
	if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* Writes s escaped for XML text and attributes; characters XML 1.0 does
 * not allow (C0 controls but tab and LF, bytes that are not UTF-8) become
 * '?'. */
static void put_xml(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p >= 0x80) {
			size_t n = utf8_len(p);
			if (n == 0) {
				fputc('?', out);
				continue;
			}
			fwrite(p, 1, n, out);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		case '\n':
		case '\t':
			fputc(*p, out);
			break;
		default:
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
			break;
		}
	}
}

/* Ant's timestamp: local-time-free ISO 8601 without a zone (UTC here). */
static void put_timestamp(FILE *out, int64_t wall_us)
{
	time_t t = (time_t)(wall_us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	fputs(buf, out);
}

static void put_finding_text(FILE *out, const struct finding *f)
{
	if (f->detail) {
		put_xml(out, f->detail);
		fputc('\n', out);
	}
	if (f->remedy) {
		fputs("Remedy: ", out);
		put_xml(out, f->remedy);
		fputc('\n', out);
	}
	if (f->rfc) {
		fputs("Reference: ", out);
		put_xml(out, f->rfc);
		fputc('\n', out);
	}
	for (size_t i = 0; i < f->nev; i++) {
		put_xml(out, f->ev[i].key);
		fputs(": ", out);
		put_xml(out, f->ev[i].value);
		fputc('\n', out);
	}
}

static bool is_failure(const struct finding *f, const struct render_opts *o)
{
	return f->sev == SEV_FAIL || (f->sev == SEV_WARN && o->fail_on_warn);
}

static void put_testcase(FILE *out, const char *classname, const struct finding *f, double secs,
			 const struct render_opts *o)
{
	fputs("    <testcase name=\"", out);
	put_xml(out, f->id);
	fputs(": ", out);
	put_xml(out, f->title);
	fputs("\" classname=\"", out);
	put_xml(out, classname);
	fprintf(out, "\" time=\"%.3f\">", secs);
	if (is_failure(f, o) || f->sev == SEV_ERROR) {
		const char *el = f->sev == SEV_ERROR ? "error" : "failure";
		fprintf(out, "\n      <%s message=\"", el);
		put_xml(out, f->title);
		fprintf(out, "\" type=\"%s\">", severity_name(f->sev));
		put_finding_text(out, f);
		fprintf(out, "</%s>\n    ", el);
	} else if (f->sev == SEV_WARN) {
		fputs("\n      <system-out>WARN: ", out);
		put_xml(out, f->title);
		fputc('\n', out);
		put_finding_text(out, f);
		fputs("</system-out>\n    ", out);
	}
	fputs("</testcase>\n", out);
}

struct tally {
	size_t tests, failures, errors;
};

static void tally_finding(struct tally *t, const struct finding *f, const struct render_opts *o)
{
	t->tests++;
	if (f->sev == SEV_ERROR)
		t->errors++;
	else if (is_failure(f, o))
		t->failures++;
}

/* A target that could not be tested at all is one more <error>. */
static bool untestable_case(const struct target_result *t)
{
	return t->status != TARGET_TESTED;
}

static struct tally tally_target(const struct target_result *t, const struct render_opts *o)
{
	struct tally y = { 0 };
	for (size_t i = 0; i < t->nprobes; i++)
		for (size_t k = 0; k < t->probes[i].n; k++)
			tally_finding(&y, &t->probes[i].f[k], o);
	if (untestable_case(t)) {
		y.tests++;
		y.errors++;
	}
	return y;
}

static struct tally tally_domain(const struct domain_result *d, const struct render_opts *o)
{
	struct tally y = { .tests = 1 };
	if (d->verdict == VERDICT_FAIL)
		y.failures++;
	else if (d->verdict == VERDICT_ERROR)
		y.errors++;
	for (size_t k = 0; k < d->checks.n; k++)
		tally_finding(&y, &d->checks.f[k], o);
	for (size_t x = 0; x < DOMAIN_NPOLICY_CHECKS; x++) {
		const struct probe_result *pc = domain_policy_checks(d, x);
		for (size_t k = 0; pc && k < pc->n; k++)
			tally_finding(&y, &pc->f[k], o);
	}
	return y;
}

static void put_property(FILE *out, const char *name, const char *value)
{
	fputs("      <property name=\"", out);
	put_xml(out, name);
	fputs("\" value=\"", out);
	put_xml(out, value);
	fputs("\"/>\n", out);
}

static void put_target(FILE *out, const struct target_result *t, size_t id, const struct render_opts *o)
{
	struct tally y = tally_target(t, o);
	fputs("  <testsuite name=\"", out);
	put_xml(out, t->input);
	fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\" timestamp=\"",
		y.tests, y.failures, y.errors, (double)t->duration_us / 1e6);
	put_timestamp(out, t->started_wall_us);
	fputs("\" hostname=\"", out);
	put_xml(out, t->host);
	fprintf(out, "\" id=\"%zu\" package=\"mxprobe\">\n    <properties>\n", id);
	put_property(out, "address", t->address ? t->address : "");
	put_property(out, "scheme", t->scheme);
	put_property(out, "status", t->status == TARGET_TESTED ? "tested" : "untestable");
	char n[32];
	snprintf(n, sizeof n, "%u", t->connections);
	put_property(out, "connections", n);
	if (t->domain)
		put_property(out, "domain", t->domain);
	fputs("    </properties>\n", out);
	if (untestable_case(t)) {
		fputs("    <testcase name=\"target: could not be tested\" classname=\"mxprobe.session\" time=\"0\">\n"
		      "      <error message=\"",
		      out);
		put_xml(out, session_step_name(t->facts.failed_step));
		fputs(" failed\" type=\"untestable\">", out);
		put_xml(out, t->facts.fail_detail ? t->facts.fail_detail : "");
		fputs("</error>\n    </testcase>\n", out);
	}
	for (size_t i = 0; i < t->nprobes; i++) {
		const struct probe_result *pr = &t->probes[i];
		char *cls = xasprintf("mxprobe.%s", pr->name);
		double secs = pr->n ? (double)pr->duration_us / 1e6 / (double)pr->n : 0;
		for (size_t k = 0; k < pr->n; k++)
			put_testcase(out, cls, &pr->f[k], secs, o);
		free(cls);
	}
	fputs("  </testsuite>\n", out);
}

static void put_domain(FILE *out, const struct report *r, const struct domain_result *d, size_t id,
		       const struct render_opts *o)
{
	struct tally y = tally_domain(d, o);
	fputs("  <testsuite name=\"domain:", out);
	put_xml(out, d->name);
	fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"0\" timestamp=\"", y.tests,
		y.failures, y.errors);
	put_timestamp(out, r->started_wall_us);
	fputs("\" hostname=\"", out);
	put_xml(out, d->name);
	fprintf(out, "\" id=\"%zu\" package=\"mxprobe\">\n    <properties>\n", id);
	put_property(out, "policy", domain_policy_name(r, d));
	put_property(out, "mx_kind", domain_mx_kind_id(d->kind));
	fputs("    </properties>\n    <testcase name=\"domain.verdict: ", out);
	put_xml(out, d->name);
	fputs(" under policy ", out);
	put_xml(out, domain_policy_name(r, d));
	fputs("\" classname=\"mxprobe.domain\" time=\"0\">", out);
	if (d->verdict == VERDICT_FAIL || d->verdict == VERDICT_ERROR) {
		const char *el = d->verdict == VERDICT_FAIL ? "failure" : "error";
		fprintf(out, "\n      <%s message=\"", el);
		put_xml(out, d->verdict == VERDICT_FAIL ? "the domain fails its policy"
							: (d->error ? d->error : "DNS could not tell"));
		fprintf(out, "\" type=\"%s\">", domain_verdict_id(d->verdict));
		for (size_t i = 0; i < d->nbroken; i++) {
			put_xml(out, d->broken[i].mx);
			fputs(d->broken[i].address ? " [" : "", out);
			put_xml(out, d->broken[i].address);
			fputs(d->broken[i].address ? "]" : "", out);
			fputs(": ", out);
			put_xml(out, d->broken[i].reason);
			fputc('\n', out);
		}
		fprintf(out, "</%s>\n    ", el);
	}
	fputs("</testcase>\n", out);
	for (size_t k = 0; k < d->checks.n; k++)
		put_testcase(out, "mxprobe.domain", &d->checks.f[k], 0, o);
	for (size_t x = 0; x < DOMAIN_NPOLICY_CHECKS; x++) {
		const struct probe_result *pc = domain_policy_checks(d, x);
		for (size_t k = 0; pc && k < pc->n; k++)
			put_testcase(out, x == 0 ? "mxprobe.mta-sts" : "mxprobe.tls-rpt", &pc->f[k], 0, o);
	}
	fputs("  </testsuite>\n", out);
}

int render_junit(FILE *out, const struct report *r, const struct render_opts *o)
{
	struct tally all = { 0 };
	for (size_t i = 0; i < r->n; i++) {
		struct tally y = tally_target(r->t[i], o);
		all.tests += y.tests;
		all.failures += y.failures;
		all.errors += y.errors;
	}
	for (size_t i = 0; i < r->ndomains; i++) {
		struct tally y = tally_domain(&r->domains[i], o);
		all.tests += y.tests;
		all.failures += y.failures;
		all.errors += y.errors;
	}
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"mxprobe\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n",
		all.tests, all.failures, all.errors, (double)r->duration_us / 1e6);
	for (size_t i = 0; i < r->n; i++)
		put_target(out, r->t[i], i, o);
	for (size_t i = 0; i < r->ndomains; i++)
		put_domain(out, r, &r->domains[i], r->n + i, o);
	fputs("</testsuites>\n", out);
	return ferror(out) ? -1 : 0;
}
