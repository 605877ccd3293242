/* \summary: table-driven rows for MTA-STS and TLS-RPT: MX pattern matching
 * (the wildcard only as the whole leftmost label, case, trailing dots,
 * invalid patterns), the _mta-sts TXT record (version, id, extensions,
 * separators), the policy file (fields, line numbers of errors, CRLF/LF,
 * max_age bounds, repeated fields, control bytes), the _smtp._tls TXT
 * record (rua lists, schemes), and TXT RDATA (character-strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "policy/mta_sts.h"
#include "policy/tls_rpt.h"

/* ---- MX patterns (RFC 8461 section 4.1) -------------------------------- */

struct match_row {
	const char *pattern;
	const char *host;
	bool match;
};

static const struct match_row match_rows[] = {
	{ "mail.example.com", "mail.example.com", true },
	{ "mail.example.com", "MAIL.Example.COM", true },
	{ "mail.example.com.", "mail.example.com", true },
	{ "mail.example.com", "mail.example.com.", true },
	{ "mail.example.com", "mail2.example.com", false },
	{ "mail.example.com", "example.com", false },
	{ "*.example.com", "mx1.example.com", true },
	{ "*.example.com", "MX1.EXAMPLE.COM.", true },
	{ "*.example.com", "example.com", false },     /* one label more, not none */
	{ "*.example.com", "a.b.example.com", false }, /* exactly one label */
	{ "*.example.com", "mx1.example.org", false },
	{ "*.example.com", "mx1example.com", false },
	{ "*.example.com", ".example.com", false },
	{ "mail.*.example", "mail.x.example", false }, /* wildcard not leftmost: invalid */
	{ "*mail.example.com", "xmail.example.com", false },
	{ "**.example.com", "a.example.com", false },
	{ "*", "localhost", false },
	{ "*.", "a", false },
	{ "", "", false },
	{ "mail..example.com", "mail..example.com", false },
	{ "-mail.example.com", "-mail.example.com", false },
	{ "mail_1.example.com", "mail_1.example.com", false },
};

static void test_match(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof match_rows / sizeof *match_rows; i++) {
		const struct match_row *r = &match_rows[i];
		if (sts_mx_matches(r->pattern, r->host) != r->match)
			fail_msg("row %zu: pattern \"%s\" host \"%s\": expected %s", i, r->pattern, r->host,
				 r->match ? "match" : "no match");
	}
	assert_true(sts_pattern_ok("*.example.com"));
	assert_true(sts_pattern_ok("mx.example.com"));
	assert_false(sts_pattern_ok("mx.*.example.com"));
	assert_false(sts_pattern_ok("*.*.example.com"));
	assert_false(sts_pattern_ok("mx example.com"));
}

/* ---- the TXT record (RFC 8461 section 3.1) ---------------------------- */

struct txt_row {
	const char *txt;
	enum sts_txt_status st;
	const char *id;
	const char *err_has;
};

static const struct txt_row txt_rows[] = {
	{ "v=STSv1; id=20160831085700Z", STS_TXT_OK, "20160831085700Z", "" },
	{ "v=STSv1;id=abc", STS_TXT_OK, "abc", "" },
	{ "v=STSv1 ; id=abc ;", STS_TXT_OK, "abc", "" },
	{ "v=STSv1; id=abc; ext_1=value!", STS_TXT_OK, "abc", "" },
	{ "v=STSv1; ext=x; id=Z9", STS_TXT_OK, "Z9", "" },
	{ "v=STSv1; id=12345678901234567890123456789012", STS_TXT_OK, "12345678901234567890123456789012", "" },
	{ "v=STSv1; id=123456789012345678901234567890123", STS_TXT_SYNTAX, NULL, "1 to 32" },
	{ "v=STSv1; id=abc-def", STS_TXT_SYNTAX, NULL, "abc-def" },
	{ "v=STSv1; id=", STS_TXT_SYNTAX, NULL, "id must" },
	{ "v=STSv1;", STS_TXT_NO_ID, NULL, "no id" },
	{ "v=STSv1; ext=1", STS_TXT_NO_ID, NULL, "no id" },
	{ "v=STSv1; id", STS_TXT_SYNTAX, NULL, "not name=value" },
	{ "v=STSv1; id=a b", STS_TXT_SYNTAX, NULL, "separated" },
	{ "v=STSv1; _x=1; id=a", STS_TXT_SYNTAX, NULL, "_x=1" },
	{ "v=STSv1", STS_TXT_NOT_STS, NULL, "v=STSv1;" },
	{ "v=STSv2; id=a", STS_TXT_NOT_STS, NULL, "" },
	{ "id=a; v=STSv1", STS_TXT_NOT_STS, NULL, "" },
	{ "v=stsv1; id=a", STS_TXT_NOT_STS, NULL, "" },
	{ "", STS_TXT_NOT_STS, NULL, "" },
};

static void test_txt(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof txt_rows / sizeof *txt_rows; i++) {
		const struct txt_row *r = &txt_rows[i];
		char *id = NULL, err[300];
		enum sts_txt_status st = sts_txt_parse(r->txt, strlen(r->txt), &id, err, sizeof err);
		if (st != r->st)
			fail_msg("row %zu \"%s\": status %d, expected %d (%s)", i, r->txt, st, r->st, err);
		if ((r->id == NULL) != (id == NULL) || (r->id && strcmp(r->id, id) != 0))
			fail_msg("row %zu \"%s\": id \"%s\"", i, r->txt, id ? id : "(null)");
		if (!strstr(err, r->err_has))
			fail_msg("row %zu \"%s\": error \"%s\" lacks \"%s\"", i, r->txt, err, r->err_has);
		free(id);
	}
	/* a NUL inside the record is not a field character */
	char *id = NULL, err[300];
	assert_int_equal(sts_txt_parse("v=STSv1; id=a\0b", 15, &id, err, sizeof err), STS_TXT_SYNTAX);
	assert_null(id);
}

/* ---- the policy (RFC 8461 section 3.2) -------------------------------- */

static void test_policy_good(void **state)
{
	(void)state;
	static const char body[] = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
				   "mx: backupmx.example.com\r\nmax_age: 604800\r\n";
	struct sts_policy p;
	assert_int_equal(sts_policy_parse(body, sizeof body - 1, &p), 0);
	assert_true(p.valid && p.version_ok && p.crlf && !p.lf);
	assert_int_equal(p.mode, STS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.mx.n, 3);
	assert_string_equal(p.mx.v[1], "*.example.net");
	assert_int_equal(p.mx_line[1], 4);
	assert_int_equal(p.nprob, 0);
	assert_int_equal(sts_policy_match(&p, "mx.example.net"), 1);
	assert_int_equal(sts_policy_match(&p, "backupmx.example.com"), 2);
	assert_int_equal(sts_policy_match(&p, "a.mx.example.net"), -1);
	sts_policy_clear(&p);

	/* LF, no final newline, spaces after ":" and at the end, an
	 * extension, fields in any order, max_age 0 and the maximum */
	static const char *const ok[] = {
		"mode: testing\nversion: STSv1\nmax_age: 0\nmx: a.example",
		"version:STSv1\nmode:   none   \nmax_age: 31557600\nfoo_bar: anything goes here\n",
		"version: STSv1\nmode: none\nmax_age: 86400\n",
		"version: STSv1\r\nmode: enforce\nmx: a.example\r\nmax_age: 1\n",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		if (sts_policy_parse(ok[i], strlen(ok[i]), &p) != 0)
			fail_msg("ok row %zu: %s (line %u)", i, p.nprob ? p.prob[0].what : "?",
				 p.nprob ? p.prob[0].line : 0);
		sts_policy_clear(&p);
	}
	assert_int_equal(sts_policy_parse(ok[3], strlen(ok[3]), &p), 0);
	assert_true(p.crlf && p.lf);
	sts_policy_clear(&p);
}

struct policy_row {
	const char *body;
	unsigned line; /* of the first problem; 0: the policy as a whole */
	bool fatal;
	const char *what_has;
	const char *text; /* the quoted line, NULL for line 0 */
};

static const struct policy_row policy_rows[] = {
	{ "version: STSv1\nmode: enforcing\nmx: a.example\nmax_age: 1\n", 2, true, "mode must", "mode: enforcing" },
	{ "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", 2, true, "lower case", "mode: Enforce" },
	{ "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", 1, true, "STSv1", "version: STSv2" },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", 4, true, "31557600",
	  "max_age: 31557601" },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", 4, true, "max_age", "max_age: -1" },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", 4, true, "max_age", NULL },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n", 4, true, "max_age", NULL },
	{ "version: STSv1\nmode: enforce\nmx: a.*.example\nmx: b.example\nmax_age: 1\n", 3, false, "mx pattern",
	  "mx: a.*.example" },
	{ "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n", 3, false, "mx pattern", NULL },
	{ "version: STSv1\nmode: enforce\nmax_age: 1\n", 0, true, "no valid \"mx\"", NULL },
	{ "version: STSv1\nmx: a.example\nmax_age: 1\n", 0, true, "no \"mode\"", NULL },
	{ "mode: enforce\nmx: a.example\nmax_age: 1\n", 0, true, "no \"version", NULL },
	{ "version: STSv1\nmode: enforce\nmx: a.example\n", 0, true, "no \"max_age\"", NULL },
	{ "", 0, true, "empty", NULL },
	{ "version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n", 2, true, "key: value", "mode enforce" },
	{ "version: STSv1\nmode : enforce\nmx: a.example\nmax_age: 1\n", 2, true, "no space", "mode : enforce" },
	{ " version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", 1, true, "start of the line", NULL },
	{ "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n", 3, false, "second",
	  "mode: testing" },
	{ "version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 1\n", 2, false, "empty line", "" },
	{ "version: STSv1\nmode: enforce\x01\nmx: a.example\nmax_age: 1\n", 2, true, "control", "mode: enforce\\x01" },
	{ "version: STSv1\rmode: enforce\nmx: a.example\nmax_age: 1\n", 1, true, "control", NULL },
};

static void test_policy_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof policy_rows / sizeof *policy_rows; i++) {
		const struct policy_row *r = &policy_rows[i];
		struct sts_policy p;
		int rc = sts_policy_parse(r->body, strlen(r->body), &p);
		if (p.nprob == 0)
			fail_msg("row %zu: no problem found", i);
		const struct sts_problem *pr = &p.prob[0];
		if (pr->line != r->line || pr->fatal != r->fatal || !strstr(pr->what, r->what_has))
			fail_msg("row %zu: line %u fatal %d \"%s\"", i, pr->line, pr->fatal, pr->what);
		if (r->text && (!pr->text || strcmp(pr->text, r->text) != 0))
			fail_msg("row %zu: text \"%s\"", i, pr->text ? pr->text : "(null)");
		if ((rc == 0) != p.valid)
			fail_msg("row %zu: rc %d but valid %d", i, rc, p.valid);
		sts_policy_clear(&p);
	}
}

static void test_policy_long_line(void **state)
{
	(void)state;
	/* a 60 KiB line is quoted shortened, with its line number */
	size_t n = 60 * 1024;
	char *body = malloc(n + 64);
	assert_non_null(body);
	int off = snprintf(body, 64, "version: STSv1\nmx: ");
	memset(body + off, 'a', n);
	memcpy(body + off + n, "\n", 2);
	struct sts_policy p;
	assert_int_equal(sts_policy_parse(body, strlen(body), &p), -1);
	bool found = false;
	for (size_t i = 0; i < p.nprob; i++)
		if (p.prob[i].line == 2) {
			found = true;
			assert_true(strlen(p.prob[i].text) < 200);
		}
	assert_true(found);
	sts_policy_clear(&p);
	free(body);
}

/* ---- TLS-RPT (RFC 8460 section 3) ------------------------------------- */

struct rpt_row {
	const char *txt;
	enum tls_rpt_status st;
	size_t nrua;
	const char *first;
	const char *err_has;
};

static const struct rpt_row rpt_rows[] = {
	{ "v=TLSRPTv1; rua=mailto:reports@example.com", TLS_RPT_OK, 1, "mailto:reports@example.com", "" },
	{ "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt", TLS_RPT_OK, 1,
	  "https://reporting.example.com/v1/tlsrpt", "" },
	{ "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.com/x ;", TLS_RPT_OK, 2, "mailto:a@example.com",
	  "" },
	{ "v=TLSRPTv1 ; ext=1; rua=mailto:a@b", TLS_RPT_OK, 1, "mailto:a@b", "" },
	{ "v=TLSRPTv1; rua=ftp://r.example.com", TLS_RPT_BAD_URI, 0, NULL, "only mailto: and https:" },
	{ "v=TLSRPTv1; rua=http://r.example.com", TLS_RPT_BAD_URI, 0, NULL, "only mailto: and https:" },
	{ "v=TLSRPTv1; rua=mailto:nobody", TLS_RPT_BAD_URI, 0, NULL, "without a mail address" },
	{ "v=TLSRPTv1; rua=mailto:", TLS_RPT_BAD_URI, 0, NULL, "without a mail address" },
	{ "v=TLSRPTv1; rua=https://", TLS_RPT_BAD_URI, 0, NULL, "without a host" },
	{ "v=TLSRPTv1; rua=https:///path", TLS_RPT_BAD_URI, 0, NULL, "without a host" },
	{ "v=TLSRPTv1; rua=mailto:a@b,", TLS_RPT_SYNTAX, 1, "mailto:a@b", "empty report URI" },
	{ "v=TLSRPTv1; rua=mailto:a b@c", TLS_RPT_BAD_URI, 0, NULL, "space" },
	{ "v=TLSRPTv1;", TLS_RPT_NO_RUA, 0, NULL, "no rua" },
	{ "v=TLSRPTv1; ext=1", TLS_RPT_NO_RUA, 0, NULL, "no rua" },
	{ "v=TLSRPTv1; rua", TLS_RPT_SYNTAX, 0, NULL, "name=value" },
	{ "v=TLSRPTv1; ext=a=b; rua=mailto:a@b", TLS_RPT_SYNTAX, 0, NULL, "extension" },
	{ "v=TLSRPTv1", TLS_RPT_NOT_RPT, 0, NULL, "v=TLSRPTv1;" },
	{ "v=TLSRPTv2; rua=mailto:a@b", TLS_RPT_NOT_RPT, 0, NULL, "" },
	{ "rua=mailto:a@b; v=TLSRPTv1", TLS_RPT_NOT_RPT, 0, NULL, "" },
};

static void test_tls_rpt(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rpt_rows / sizeof *rpt_rows; i++) {
		const struct rpt_row *r = &rpt_rows[i];
		struct strvec rua = { 0 };
		char err[300];
		enum tls_rpt_status st = tls_rpt_parse(r->txt, strlen(r->txt), &rua, err, sizeof err);
		if (st != r->st || rua.n != r->nrua || !strstr(err, r->err_has))
			fail_msg("row %zu \"%s\": status %d, %zu rua, error \"%s\"", i, r->txt, st, rua.n, err);
		if (r->first && strcmp(rua.v[0], r->first) != 0)
			fail_msg("row %zu: first rua \"%s\"", i, rua.v[0]);
		strvec_clear(&rua);
	}
}

/* ---- TXT RDATA (RFC 1035 section 3.3.14) ------------------------------ */

static void test_txt_rdata(void **state)
{
	(void)state;
	char *t = dns_txt_rdata_text((const unsigned char *)"\x07v=STSv1\x07; id=42", 16);
	assert_non_null(t);
	assert_string_equal(t, "v=STSv1; id=42");
	free(t);
	t = dns_txt_rdata_text((const unsigned char *)"\x00", 1); /* one empty string */
	assert_non_null(t);
	assert_string_equal(t, "");
	free(t);
	t = dns_txt_rdata_text((const unsigned char *)"\x03"
						      "a\0b",
			       4);
	assert_non_null(t);
	assert_string_equal(t, "a\x7f"
			       "b");
	free(t);
	assert_null(dns_txt_rdata_text((const unsigned char *)"\x05"
							      "abc",
				       4)); /* runs past the end */
	assert_null(dns_txt_rdata_text((const unsigned char *)"", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_policy_good),
		cmocka_unit_test(test_policy_bad),
		cmocka_unit_test(test_policy_long_line),
		cmocka_unit_test(test_tls_rpt),
		cmocka_unit_test(test_txt_rdata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
