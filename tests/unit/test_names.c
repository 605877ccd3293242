/* \summary: the RFC 6125 matcher over tables of rows (curl's unit1397, s2n's
 * wildcard hostname test): wildcards, partial labels, A-labels, trailing
 * dots, case, IP literals, CN only without a DNS SAN, the nearest miss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pki/names.h"

struct dns_row {
	const char *pattern;
	const char *host;
	bool want;
};

static const struct dns_row dns_rows[] = {
	{ "example.com", "example.com", true },
	{ "example.com", "EXAMPLE.COM", true },
	{ "EXAMPLE.com", "example.COM", true },
	{ "example.com", "example.com.", true },
	{ "example.com.", "example.com", true },
	{ "example.com.", "example.com.", true },
	{ "example.com", "example.com..", false },
	{ "example.com", "www.example.com", false },
	{ "www.example.com", "example.com", false },
	{ "*.example.com", "a.example.com", true },
	{ "*.example.com", "A.EXAMPLE.COM", true },
	{ "*.example.com.", "a.example.com", true },
	{ "*.example.com", "a.example.com.", true },
	{ "*.example.com", "example.com", false },
	{ "*.example.com", "a.b.example.com", false },
	{ "*.example.com", ".example.com", false },
	{ "*.example.com", "a.example.org", false },
	{ "*.example.com", "*.example.com", false }, /* a reference is never a pattern */
	{ "f*.example.com", "foo.example.com", false },
	{ "*o.example.com", "foo.example.com", false },
	{ "f*o.example.com", "foo.example.com", false },
	{ "a.*.example.com", "a.b.example.com", false },
	{ "*.*.example.com", "a.b.example.com", false },
	{ "**.example.com", "a.example.com", false },
	{ "*", "com", false },
	{ "*", "example", false },
	{ "*.com", "example.com", false },
	{ "*.", "example.", false },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example", true },
	{ "XN--BCHER-KVA.example", "xn--bcher-kva.EXAMPLE", true },
	{ "*.example.com", "xn--bcher-kva.example.com", true },
	{ "xn--*.example.com", "xn--bcher-kva.example.com", false },
	{ "*.xn--bcher-kva.example", "mail.xn--bcher-kva.example", true },
	{ "b\xc3\xbc"
	  "cher.example",
	  "b\xc3\xbc"
	  "cher.example",
	  false }, /* U-labels */
	{ "example.com", "", false },
	{ "", "example.com", false },
	{ "example..com", "example..com", false },
	{ "exa mple.com", "exa mple.com", false },
	{ "127.0.0.1", "127.0.0.1", false }, /* IP literals only match IP SANs */
	{ "*.0.0.1", "127.0.0.1", false },
	{ "mail.test.example", "mail.test.example", true },
};

static void test_dns_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof dns_rows / sizeof dns_rows[0]; i++) {
		const struct dns_row *r = &dns_rows[i];
		bool got = names_dns_match(r->pattern, r->host);
		if (got != r->want) {
			print_error("row %zu: '%s' vs '%s': got %d, want %d\n", i, r->pattern, r->host, got, r->want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Whole certificates: which identifier matched, through which field. */
struct cert_row {
	const char *name;
	const char *dns[4];
	const char *ip[3];
	const char *cn;
	const char *ref;
	bool matched;
	bool via_cn;
	const char *matched_by; /* or, without a match, the nearest miss */
};

static const struct cert_row cert_rows[] = {
	{ "SAN",
	  { "mail.example.com", "example.com" },
	  { NULL },
	  "other.example",
	  "example.com",
	  true,
	  false,
	  "example.com" },
	{ "CN ignored with a DNS SAN",
	  { "mail.example.com" },
	  { NULL },
	  "example.com",
	  "example.com",
	  false,
	  false,
	  "mail.example.com" },
	{ "CN only", { NULL }, { NULL }, "mail.example.com", "MAIL.example.com.", true, true, "mail.example.com" },
	{ "CN only, wrong",
	  { NULL },
	  { NULL },
	  "mail.example.com",
	  "mx.example.com",
	  false,
	  false,
	  "mail.example.com" },
	{ "CN wildcard", { NULL }, { NULL }, "*.example.com", "mx.example.com", true, true, "*.example.com" },
	{ "IP SAN v4",
	  { "mail.example.com" },
	  { "192.0.2.1", "127.0.0.1" },
	  NULL,
	  "127.0.0.1",
	  true,
	  false,
	  "127.0.0.1" },
	{ "IP SAN v6", { NULL }, { "2001:db8::1" }, NULL, "2001:DB8:0:0::1", true, false, "2001:db8::1" },
	{ "IP target, no IP SAN", { "127.0.0.1" }, { NULL }, "127.0.0.1", "127.0.0.1", false, false, "127.0.0.1" },
	{ "IP target, other IP", { NULL }, { "127.0.0.2" }, NULL, "127.0.0.1", false, false, "127.0.0.2" },
	{ "name target, IP SAN only", { NULL }, { "127.0.0.1" }, NULL, "mail.example.com", false, false, NULL },
	{ "nearest miss",
	  { "www.other.org", "mx1.example.com", "example.net" },
	  { NULL },
	  NULL,
	  "mx2.example.com",
	  false,
	  false,
	  "mx1.example.com" },
	{ "wildcard one label", { "*.example.com" }, { NULL }, NULL, "a.b.example.com", false, false, "*.example.com" },
};

static size_t count(const char *const *v, size_t max)
{
	size_t n = 0;
	while (n < max && v[n])
		n++;
	return n;
}

static void test_cert_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof cert_rows / sizeof cert_rows[0]; i++) {
		const struct cert_row *r = &cert_rows[i];
		struct names_presented p = {
			.dns = r->dns,
			.ndns = count(r->dns, 4),
			.ip = r->ip,
			.nip = count(r->ip, 3),
			.cn = r->cn,
		};
		struct names_result res;
		names_check(&p, r->ref, &res);
		const char *who = res.matched ? res.matched_by : res.nearest;
		bool who_ok = r->matched_by ? (who && strcmp(who, r->matched_by) == 0) : who == NULL;
		if (res.matched != r->matched || res.via_cn != r->via_cn || !who_ok) {
			print_error("row '%s': matched %d via_cn %d by/nearest '%s'\n", r->name, res.matched,
				    res.via_cn, who ? who : "(null)");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_ip_helpers(void **state)
{
	(void)state;
	assert_true(names_is_ip_literal("127.0.0.1"));
	assert_true(names_is_ip_literal("::1"));
	assert_false(names_is_ip_literal("[::1]"));
	assert_false(names_is_ip_literal("localhost"));
	assert_false(names_is_ip_literal("127.1"));
	assert_true(names_ip_equal("::1", "0:0::1"));
	assert_false(names_ip_equal("127.0.0.1", "::ffff:127.0.0.1"));
	assert_false(names_ip_equal("x", "x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_rows),
		cmocka_unit_test(test_cert_rows),
		cmocka_unit_test(test_ip_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
