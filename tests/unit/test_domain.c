/* \summary: table-driven rows for mail domains: MX RDATA parsing (with
 * failure rows: truncated, compressed, overlong, trailing bytes, bad
 * characters), MX order (ties keep the answer's order), the null-MX /
 * implicit-MX / NXDOMAIN decisions, --resolver and --domain arguments,
 * and the mail-fate table per policy level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "dns/dns.h"
#include "dns/mx.h"

/* ---- RDATA ------------------------------------------------------------ */

struct rdata_row {
	const char *bytes;
	size_t len;
	int rc;
	unsigned pref;
	const char *host;
	bool host_ok;
};

#define B(s) s, sizeof(s) - 1

static const struct rdata_row rdata_rows[] = {
	{ B("\x00\x0a\x03mx1\x07"
	    "example\x03"
	    "com\x00"),
	  0, 10, "mx1.example.com", true },
	{ B("\xff\xff\x01"
	    "a\x00"),
	  0, 65535, "a", true },
	{ B("\x00\x00\x00"), 0, 0, "", false }, /* null MX "0 ." */
	{ B("\x00\x05\x04mx_1\x00"), 0, 5, "mx_1", true },
	{ B("\x00\x05\x04m x\x01\x00"), 0, 5, "m\\032x\\001", false }, /* escaped, unusable */
	{ B("\x00\x05\x04-mx1\x00"), 0, 5, "-mx1", false },	       /* leading hyphen */
	{ B("\x00\x05\x04mx1-\x00"), 0, 5, "mx1-", false },
	{ B(""), -1, 0, NULL, false },
	{ B("\x00"), -1, 0, NULL, false },
	{ B("\x00\x05"), -1, 0, NULL, false }, /* no name at all */
	{ B("\x00\x05\x03"
	    "ab"),
	  -1, 0, NULL, false }, /* label past the end */
	{ B("\x00\x05\x02"
	    "ab"),
	  -1, 0, NULL, false },			       /* no root label */
	{ B("\x00\x05\xc0\x0c"), -1, 0, NULL, false }, /* compression pointer */
	{ B("\x00\x05\x40"
	    "a\x00"),
	  -1, 0, NULL, false }, /* reserved label type */
	{ B("\x00\x05\x01"
	    "a\x00\x00"),
	  -1, 0, NULL, false }, /* bytes after the name */
};

static void test_rdata(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rdata_rows / sizeof rdata_rows[0]; i++) {
		const struct rdata_row *r = &rdata_rows[i];
		struct mx_rr rr;
		int rc = mx_rdata_parse((const unsigned char *)r->bytes, r->len, &rr);
		if (rc != r->rc)
			fail_msg("row %zu: rc %d, want %d", i, rc, r->rc);
		if (rc < 0)
			continue;
		assert_int_equal(rr.pref, r->pref);
		assert_string_equal(rr.host, r->host);
		if (rr.host_ok != r->host_ok)
			fail_msg("row %zu: host_ok %d", i, rr.host_ok);
	}
}

/* MX RDATA with labels of the given lengths, all 'a'. */
static size_t build_name(unsigned char *buf, const int *lens, size_t n)
{
	size_t o = 0;
	buf[o++] = 0;
	buf[o++] = 1;
	for (size_t l = 0; l < n; l++) {
		buf[o++] = (unsigned char)lens[l];
		memset(buf + o, 'a', (size_t)lens[l]);
		o += (size_t)lens[l];
	}
	buf[o++] = 0;
	return o;
}

static void test_rdata_long_names(void **state)
{
	(void)state;
	/* RFC 1035 section 2.3.4: 255 octets on the wire. 63+63+63+61 with
	 * their length bytes and the root make 255 (253 characters); one more
	 * octet is too long. */
	unsigned char buf[300];
	struct mx_rr rr;
	static const int ok[] = { 63, 63, 63, 61 };
	static const int over[] = { 63, 63, 63, 62 };
	assert_int_equal(mx_rdata_parse(buf, build_name(buf, ok, 4), &rr), 0);
	assert_int_equal(strlen(rr.host), 253);
	assert_true(rr.host_ok);
	assert_int_equal(mx_rdata_parse(buf, build_name(buf, over, 4), &rr), -1);
	static const int label64[] = { 64 };
	assert_int_equal(mx_rdata_parse(buf, build_name(buf, label64, 1), &rr), -1);
}

/* ---- order and decisions ------------------------------------------------ */

static void test_sort_keeps_ties(void **state)
{
	(void)state;
	static const struct {
		unsigned pref;
		const char *host;
	} in[] = { { 20, "c" }, { 10, "a" }, { 20, "d" }, { 10, "b" }, { 5, "z" }, { 20, "e" } };
	static const char *const want[] = { "z", "a", "b", "c", "d", "e" };
	struct mx_rr v[6];
	memset(v, 0, sizeof v);
	for (size_t i = 0; i < 6; i++) {
		v[i].pref = (uint16_t)in[i].pref;
		snprintf(v[i].host, sizeof v[i].host, "%s", in[i].host);
		v[i].host_ok = true;
	}
	mx_sort(v, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(v[i].host, want[i]);
}

struct decide_row {
	enum mx_answer answer;
	const char *hosts; /* comma list; "." for the root, "!x" for an unusable name */
	enum mx_decision want;
};

static const struct decide_row decide_rows[] = {
	{ MXA_DATA, "mx1,mx2", MXD_USE_MX }, { MXA_DATA, ".", MXD_NULL_MX }, /* RFC 7505 */
	{ MXA_DATA, ".,mx1", MXD_USE_MX },				     /* misconfigured: the others are used */
	{ MXA_DATA, "!bad", MXD_ERROR },				     /* no usable host */
	{ MXA_DATA, "!bad,.", MXD_NULL_MX }, { MXA_DATA, "", MXD_IMPLICIT }, /* no records at all */
	{ MXA_NODATA, "", MXD_IMPLICIT },				     /* RFC 5321 section 5.1 */
	{ MXA_NXDOMAIN, "", MXD_NXDOMAIN },  { MXA_ERROR, "", MXD_ERROR },   /* SERVFAIL, timeout: never implicit */
};

static void test_decide(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof decide_rows / sizeof decide_rows[0]; i++) {
		struct mx_rr v[4];
		memset(v, 0, sizeof v);
		size_t n = 0;
		char list[64];
		snprintf(list, sizeof list, "%s", decide_rows[i].hosts);
		for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, ".") != 0) {
				snprintf(v[n].host, sizeof v[n].host, "%s", tok[0] == '!' ? tok + 1 : tok);
				v[n].host_ok = tok[0] != '!';
			}
			n++;
		}
		enum mx_decision d = mx_decide(decide_rows[i].answer, v, n);
		if (d != decide_rows[i].want)
			fail_msg("row %zu (%s): decision %d, want %d", i, decide_rows[i].hosts, d, decide_rows[i].want);
	}
}

/* ---- arguments -------------------------------------------------------------- */

static void test_resolver_arg(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "127.0.0.1", "127.0.0.1@53" },
		{ "127.0.0.53:5353", "127.0.0.53@5353" },
		{ "::1", "::1@53" },
		{ "[::1]:5353", "::1@5353" },
		{ "[2001:db8::1]", "2001:db8::1@53" },
		{ "", NULL },
		{ "localhost", NULL },
		{ "127.0.0.1:0", NULL },
		{ "127.0.0.1:65536", NULL },
		{ "127.0.0.1:", NULL },
		{ "127.0.0.1:5x", NULL },
		{ "[::1", NULL },
		{ "[::1]x", NULL },
		{ "1.2.3.4.5", NULL },
		{ "127.0.0.1:53:53", NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char out[96];
		int rc = dns_resolver_arg_parse(rows[i].in, out, sizeof out);
		if (!rows[i].out) {
			if (rc != -1)
				fail_msg("'%s' accepted as %s", rows[i].in, out);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s' refused", rows[i].in);
		assert_string_equal(out, rows[i].out);
	}
}

static void test_domain_arg(void **state)
{
	(void)state;
	assert_true(dns_domain_ok("example.com"));
	assert_true(dns_domain_ok("example.com."));
	assert_true(dns_domain_ok("a-b.example"));
	assert_false(dns_domain_ok(""));
	assert_false(dns_domain_ok("."));
	assert_false(dns_domain_ok("a..b"));
	assert_false(dns_domain_ok("exa mple.com"));
	assert_false(dns_domain_ok("user@example.com"));
	char big[300];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_false(dns_domain_ok(big));
}

/* ---- what will happen to the mail -------------------------------------------- */

#define T FATE_TLS
#define C FATE_CLEAR
#define D FATE_DEFER
#define U FATE_UNKNOWN

struct fate_row {
	const char *what;
	struct fate_input in;
	enum mail_fate want[DOMAIN_NPOLICIES]; /* none may dane encrypt verify secure domain-secure */
};

static const struct fate_row fate_rows[] = {
	{ "everything works", { true, true, true, 1, 1, 1, 1, DANE_IN_NONE }, { C, T, T, T, T, T, T } },
	{ "unreachable", { false, false, false, -1, -1, -1, 1, DANE_IN_NONE }, { D, D, D, D, D, D, D } },
	{ "no STARTTLS", { true, false, false, -1, -1, -1, 1, DANE_IN_NONE }, { C, C, C, D, D, D, D } },
	{ "handshake fails", { true, true, false, -1, -1, -1, 1, DANE_IN_NONE }, { C, C, C, D, D, D, D } },
	{ "untrusted chain", { true, true, true, 0, 1, 1, 1, DANE_IN_NONE }, { C, T, T, T, D, D, D } },
	{ "wrong name", { true, true, true, 1, 0, 1, 1, DANE_IN_NONE }, { C, T, T, T, T, D, D } },
	{ "client cert refused", { true, true, true, 1, 1, 0, 1, DANE_IN_NONE }, { C, T, T, T, T, T, D } },
	{ "no mtls probe", { true, true, true, 1, 1, -1, 1, DANE_IN_NONE }, { C, T, T, T, T, T, U } },
	{ "no chain probe", { true, true, true, -1, 1, 1, 1, DANE_IN_NONE }, { C, T, T, T, U, U, U } },
	{ "no names probe", { true, true, true, 1, -1, 1, 1, DANE_IN_NONE }, { C, T, T, T, T, U, U } },
	{ "bad chain beats unknown names", { true, true, true, 0, -1, -1, 1, DANE_IN_NONE }, { C, T, T, T, D, D, D } },
	{ "partner domain not in the certificate",
	  { true, true, true, 1, 1, 1, 0, DANE_IN_NONE },
	  { C, T, T, T, T, T, D } },
	{ "partner domain not checked", { true, true, true, 1, 1, 1, -1, DANE_IN_NONE }, { C, T, T, T, T, T, T } },
	/* DANE (RFC 7672 section 2.2): inputs, none may dane encrypt verify secure domain-secure */
	{ "dane match, PKIX broken", { true, true, true, 0, 0, -1, -1, DANE_IN_MATCH }, { C, T, T, T, D, D, D } },
	{ "dane mismatch", { true, true, true, 1, 1, 1, 1, DANE_IN_MISMATCH }, { C, T, D, T, T, T, T } },
	{ "dane records, no STARTTLS", { true, false, false, -1, -1, -1, 1, DANE_IN_MATCH }, { C, C, D, D, D, D, D } },
	{ "dane lookup bogus", { true, true, true, 1, 1, 1, 1, DANE_IN_FAILED }, { C, T, D, T, T, T, T } },
	{ "dane only unusable records",
	  { true, false, false, -1, -1, -1, 1, DANE_IN_UNUSABLE },
	  { C, C, D, D, D, D, D } },
	{ "dane only unusable records, TLS",
	  { true, true, true, 0, 0, -1, 1, DANE_IN_UNUSABLE },
	  { C, T, T, T, D, D, D } },
	{ "dane not compared", { true, true, true, 1, 1, 1, 1, DANE_IN_UNKNOWN }, { C, T, U, T, T, T, T } },
	{ "dane unreachable", { false, false, false, -1, -1, -1, 1, DANE_IN_MATCH }, { D, D, D, D, D, D, D } },
};

static void test_fate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof fate_rows / sizeof fate_rows[0]; i++)
		for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
			const char *why;
			enum mail_fate f = mail_fate_decide((enum policy)p, &fate_rows[i].in, &why);
			if (f != fate_rows[i].want[p])
				fail_msg("%s, policy %s: %s, want %s", fate_rows[i].what, policy_name((enum policy)p),
					 mail_fate_id(f), mail_fate_id(fate_rows[i].want[p]));
			if (f != FATE_TLS && !why)
				fail_msg("%s, policy %s: no reason", fate_rows[i].what, policy_name((enum policy)p));
		}
}

/* ---- the domain verdict over a report ------------------------------------------ */

static struct target_result *add_target(struct report *r, bool starttls, bool fail)
{
	struct target_result *t = report_add_target(r);
	t->status = TARGET_TESTED;
	t->facts.connected = true;
	t->facts.caps_plain.valid = true;
	t->facts.caps_plain.starttls = starttls;
	t->facts.tls_ok = starttls;
	struct probe_result *pr = target_add_probe(t, "starttls", "STARTTLS");
	probe_result_add(pr, starttls ? "starttls.offered" : "starttls.missing", fail ? SEV_FAIL : SEV_PASS, "x");
	return t;
}

static void test_verdict(void **state)
{
	(void)state;
	struct report r;
	report_init(&r);
	r.policy = strdup("encrypt");
	struct domain_result *d = report_add_domain(&r, "example.org");
	d->kind = DOMAIN_MX;
	struct mx_host *h1 = domain_add_mx(d, 10, "mx1.example.org");
	mx_host_add_address(h1, "192.0.2.1", 2, DNSSEC_INSECURE)->target = 0;
	struct mx_host *h2 = domain_add_mx(d, 20, "mx2.example.org");
	mx_host_add_address(h2, "192.0.2.2", 2, DNSSEC_INSECURE)->target = 1;
	domain_add_mx(d, 30, "mx3.example.org"); /* no address */
	add_target(&r, true, false);
	add_target(&r, false, true);
	struct mx_options opt;
	mx_options_defaults(&opt);
	domain_evaluate(&r, &opt);

	assert_int_equal(d->verdict, VERDICT_FAIL);
	assert_true(d->mx[0].addr[0].pass);
	assert_false(d->mx[1].addr[0].pass);
	assert_int_equal(d->nbroken, 2);
	assert_string_equal(d->broken[0].mx, "mx2.example.org");
	assert_string_equal(d->broken[0].address, "192.0.2.2");
	assert_string_equal(d->broken[0].reason, "starttls.missing");
	assert_string_equal(d->broken[1].mx, "mx3.example.org");
	assert_null(d->broken[1].address);
	assert_int_equal(d->mx[0].addr[0].fate[POLICY_ENCRYPT], FATE_TLS);
	assert_int_equal(d->mx[1].addr[0].fate[POLICY_MAY], FATE_CLEAR);
	assert_int_equal(d->mx[1].addr[0].fate[POLICY_ENCRYPT], FATE_DEFER);
	assert_int_equal(d->fate[POLICY_ENCRYPT], FATE_DEFER);
	assert_false(d->safe[POLICY_NONE]); /* mx3 has no address: nothing can be delivered there */
	/* STARTTLS offered on one, not on the other: domain.inconsistent */
	assert_int_equal(d->checks.n, 1);
	assert_string_equal(d->checks.f[0].id, "domain.inconsistent");
	assert_int_equal(d->checks.f[0].sev, SEV_WARN);
	assert_int_equal(d->checks.f[0].nev, 2);
	assert_string_equal(d->checks.f[0].ev[1].key, "mx2.example.org[192.0.2.2]");
	assert_string_equal(d->checks.f[0].ev[1].value, "not offered");
	assert_int_equal(domain_exit_code(&r, 0), 1);
	report_clear(&r);
}

static void test_verdict_kinds(void **state)
{
	(void)state;
	struct report r;
	report_init(&r);
	report_add_domain(&r, "null.example")->kind = DOMAIN_NULL_MX;
	struct mx_options opt;
	mx_options_defaults(&opt);
	domain_evaluate(&r, &opt);
	assert_int_equal(r.domains[0].verdict, VERDICT_NO_MAIL);
	assert_int_equal(domain_exit_code(&r, 0), 0);
	report_add_domain(&r, "nx.example")->kind = DOMAIN_NXDOMAIN;
	domain_evaluate(&r, &opt);
	assert_int_equal(r.domains[1].verdict, VERDICT_ERROR);
	assert_int_equal(domain_exit_code(&r, 0), 3);
	assert_int_equal(domain_exit_code(&r, 1), 1);
	report_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rdata),
		cmocka_unit_test(test_rdata_long_names),
		cmocka_unit_test(test_sort_keeps_ties),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_resolver_arg),
		cmocka_unit_test(test_domain_arg),
		cmocka_unit_test(test_fate),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_verdict_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
