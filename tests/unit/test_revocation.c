/* \summary: the revocation decisions over tables of rows: outcome x
 * --revocation mode x policy -> severity, how sources combine, freshness
 * at the evaluation time, and the CRL entry reasonCode reader with its
 * failure rows (truncated, wrong tags, over-long lengths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pki/revocation.h"

/* ---- outcome x mode x policy -> severity --------------------------- */

struct sev_row {
	enum rev_outcome o;
	enum rev_why why;
	enum revocation_mode m;
	enum policy p;
	enum severity want;
};

static const struct sev_row sev_rows[] = {
	/* good passes whatever the mode and policy */
	{ REV_GOOD, REV_WHY_NONE, REVOCATION_SOFT, POLICY_NONE, SEV_PASS },
	{ REV_GOOD, REV_WHY_NONE, REVOCATION_SOFT, POLICY_DOMAIN_SECURE, SEV_PASS },
	{ REV_GOOD, REV_WHY_NONE, REVOCATION_HARD, POLICY_VERIFY, SEV_PASS },
	/* revoked: fail under verify and stricter, warn below, in both modes */
	{ REV_REVOKED, REV_WHY_NONE, REVOCATION_SOFT, POLICY_NONE, SEV_WARN },
	{ REV_REVOKED, REV_WHY_NONE, REVOCATION_SOFT, POLICY_MAY, SEV_WARN },
	{ REV_REVOKED, REV_WHY_NONE, REVOCATION_SOFT, POLICY_ENCRYPT, SEV_WARN },
	{ REV_REVOKED, REV_WHY_NONE, REVOCATION_SOFT, POLICY_VERIFY, SEV_FAIL },
	{ REV_REVOKED, REV_WHY_NONE, REVOCATION_SOFT, POLICY_SECURE, SEV_FAIL },
	{ REV_REVOKED, REV_WHY_NONE, REVOCATION_HARD, POLICY_ENCRYPT, SEV_WARN },
	{ REV_REVOKED, REV_WHY_STALE, REVOCATION_HARD, POLICY_DOMAIN_SECURE, SEV_FAIL },
	/* could not check: warn in soft, fail in hard, never pass */
	{ REV_UNCHECKED, REV_WHY_UNREACHABLE, REVOCATION_SOFT, POLICY_ENCRYPT, SEV_WARN },
	{ REV_UNCHECKED, REV_WHY_TIMEOUT, REVOCATION_SOFT, POLICY_VERIFY, SEV_WARN },
	{ REV_UNCHECKED, REV_WHY_BAD_SIGNATURE, REVOCATION_SOFT, POLICY_MAY, SEV_WARN },
	{ REV_UNCHECKED, REV_WHY_STALE, REVOCATION_SOFT, POLICY_SECURE, SEV_WARN },
	{ REV_UNCHECKED, REV_WHY_UNREACHABLE, REVOCATION_HARD, POLICY_ENCRYPT, SEV_FAIL },
	{ REV_UNCHECKED, REV_WHY_UNREACHABLE, REVOCATION_HARD, POLICY_NONE, SEV_FAIL },
	{ REV_UNCHECKED, REV_WHY_NONCE_MISMATCH, REVOCATION_HARD, POLICY_MAY, SEV_FAIL },
	/* nothing to ask at all: the CA's choice, info when soft */
	{ REV_UNCHECKED, REV_WHY_NO_SOURCES, REVOCATION_SOFT, POLICY_DOMAIN_SECURE, SEV_INFO },
	{ REV_UNCHECKED, REV_WHY_NO_SOURCES, REVOCATION_HARD, POLICY_ENCRYPT, SEV_FAIL },
	/* plain text is fine under none: soft stays info */
	{ REV_UNCHECKED, REV_WHY_TIMEOUT, REVOCATION_SOFT, POLICY_NONE, SEV_INFO },
	/* unknown is graded like could not check */
	{ REV_UNKNOWN, REV_WHY_NONE, REVOCATION_SOFT, POLICY_VERIFY, SEV_WARN },
	{ REV_UNKNOWN, REV_WHY_NONE, REVOCATION_HARD, POLICY_MAY, SEV_FAIL },
	/* off: whatever the outcome, at most info */
	{ REV_REVOKED, REV_WHY_NONE, REVOCATION_OFF, POLICY_SECURE, SEV_INFO },
	{ REV_UNCHECKED, REV_WHY_TIMEOUT, REVOCATION_OFF, POLICY_SECURE, SEV_INFO },
};

static void test_severity(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof sev_rows / sizeof sev_rows[0]; i++) {
		const struct sev_row *r = &sev_rows[i];
		enum severity got = rev_severity(r->o, r->why, r->m, r->p);
		if (got != r->want)
			fail_msg("row %zu: %s/%s/%s/%s: got %s, want %s", i, rev_outcome_name(r->o), rev_why_id(r->why),
				 revocation_mode_name(r->m), policy_name(r->p), severity_name(got),
				 severity_name(r->want));
	}
}

struct staple_row {
	enum revocation_mode m;
	enum policy p;
	enum severity want;
};

static const struct staple_row staple_rows[] = {
	{ REVOCATION_SOFT, POLICY_NONE, SEV_INFO },    { REVOCATION_SOFT, POLICY_MAY, SEV_WARN },
	{ REVOCATION_SOFT, POLICY_ENCRYPT, SEV_WARN }, { REVOCATION_SOFT, POLICY_VERIFY, SEV_FAIL },
	{ REVOCATION_HARD, POLICY_MAY, SEV_FAIL },     { REVOCATION_OFF, POLICY_SECURE, SEV_INFO },
};

static void test_staple_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof staple_rows / sizeof staple_rows[0]; i++) {
		enum severity got = rev_staple_invalid_severity(staple_rows[i].m, staple_rows[i].p);
		if (got != staple_rows[i].want)
			fail_msg("row %zu: got %s, want %s", i, severity_name(got), severity_name(staple_rows[i].want));
	}
}

/* ---- combining sources --------------------------------------------- */

#define G REV_GOOD
#define R REV_REVOKED
#define U REV_UNKNOWN
#define X REV_UNCHECKED

struct combine_row {
	enum rev_outcome src[4];
	size_t n;
	long want; /* index of the deciding source, -1: could not check */
};

static const struct combine_row combine_rows[] = {
	{ { X }, 0, -1 },	  { { X }, 1, -1 },   { { X, X, X }, 3, -1 }, /* all unreachable: never good */
	{ { G }, 1, 0 },	  { { X, G }, 2, 1 },			      /* one answer is enough */
	{ { G, R }, 2, 1 },						      /* revoked anywhere wins */
	{ { R, G, G }, 3, 0 },	  { { U, X }, 2, 0 }, { { U, G }, 2, 1 }, /* a CRL that says good beats an unknown */
	{ { X, U, R, G }, 4, 2 },
};

static void test_combine(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof combine_rows / sizeof combine_rows[0]; i++) {
		struct rev_source src[4];
		memset(src, 0, sizeof src);
		for (size_t k = 0; k < combine_rows[i].n; k++)
			src[k].outcome = combine_rows[i].src[k];
		long got = rev_combine(src, combine_rows[i].n);
		if (got != combine_rows[i].want)
			fail_msg("row %zu: got %ld, want %ld", i, got, combine_rows[i].want);
	}
}

/* ---- freshness ----------------------------------------------------- */

struct fresh_row {
	int64_t this_update, next_update, at;
	enum rev_why want;
};

#define T0 1800000000LL
static const struct fresh_row fresh_rows[] = {
	{ T0, T0 + 86400, T0 + 3600, REV_WHY_NONE },
	{ T0, T0 + 86400, T0 + 86400, REV_WHY_NONE },		       /* at nextUpdate: still fresh */
	{ T0, T0 + 86400, T0 + 86400 + REV_CLOCK_SKEW, REV_WHY_NONE }, /* within the skew */
	{ T0, T0 + 86400, T0 + 86400 + REV_CLOCK_SKEW + 1, REV_WHY_STALE },
	{ T0, T0 + 86400, T0 + 30 * 86400, REV_WHY_STALE }, /* --at a month later */
	{ T0, -1, T0 + 365 * 86400, REV_WHY_NONE },	    /* no nextUpdate given */
	{ T0, T0 + 86400, T0 - REV_CLOCK_SKEW, REV_WHY_NONE },
	{ T0, T0 + 86400, T0 - REV_CLOCK_SKEW - 1, REV_WHY_FUTURE }, /* issued after --at */
};

static void test_freshness(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof fresh_rows / sizeof fresh_rows[0]; i++) {
		const struct fresh_row *r = &fresh_rows[i];
		enum rev_why got = rev_freshness(r->this_update, r->next_update, r->at);
		if (got != r->want)
			fail_msg("row %zu: got %s, want %s", i, rev_why_id(got), rev_why_id(r->want));
	}
}

/* ---- the CRL entry reasonCode reader ------------------------------- */

struct der_out {
	unsigned char b[512];
	size_t n;
};

static void put(struct der_out *o, unsigned tag, const unsigned char *c, size_t n)
{
	/* short-form lengths, and 0x81 NN above 127 (the reader takes both) */
	assert_true(n < 256 && o->n + 3 + n <= sizeof o->b);
	o->b[o->n++] = (unsigned char)tag;
	if (n >= 128)
		o->b[o->n++] = 0x81;
	o->b[o->n++] = (unsigned char)n;
	if (n)
		memcpy(o->b + o->n, c, n);
	o->n += n;
}

static const unsigned char utc[] = "260101000000Z";

/* An entry: serial, revocationDate, and a reasonCode extension if reason >= 0. */
static void entry(struct der_out *list, const unsigned char *serial, size_t sn, int reason)
{
	struct der_out e = { .n = 0 }, exts = { .n = 0 }, ext = { .n = 0 };
	put(&e, 0x02, serial, sn);
	put(&e, 0x17, utc, 13);
	if (reason >= 0) {
		static const unsigned char oid[] = { 0x55, 0x1d, 0x15 };
		unsigned char enumerated[] = { 0x0a, 0x01, (unsigned char)reason };
		put(&ext, 0x06, oid, sizeof oid);
		put(&ext, 0x04, enumerated, sizeof enumerated);
		put(&exts, 0x30, ext.b, ext.n);
		put(&e, 0x30, exts.b, exts.n);
	}
	put(list, 0x30, e.b, e.n);
}

static size_t make_crl(unsigned char *out, size_t cap)
{
	static const unsigned char v2[] = { 0x01 }, s5[] = { 0x05 }, s80[] = { 0x00, 0x80 }, s1234[] = { 0x12, 0x34 };
	struct der_out tbs = { .n = 0 }, list = { .n = 0 }, crl = { .n = 0 }, top = { .n = 0 };
	put(&tbs, 0x02, v2, 1);
	put(&tbs, 0x30, NULL, 0); /* signature algorithm */
	put(&tbs, 0x30, NULL, 0); /* issuer */
	put(&tbs, 0x17, utc, 13);
	put(&tbs, 0x17, utc, 13);
	entry(&list, s5, 1, 1);	   /* keyCompromise */
	entry(&list, s80, 2, -1);  /* no reason */
	entry(&list, s1234, 2, 6); /* certificateHold */
	put(&tbs, 0x30, list.b, list.n);
	put(&crl, 0x30, tbs.b, tbs.n);
	put(&crl, 0x30, NULL, 0);
	static const unsigned char bits[] = { 0x00 };
	put(&crl, 0x03, bits, 1);
	put(&top, 0x30, crl.b, crl.n);
	assert_true(top.n <= cap);
	memcpy(out, top.b, top.n);
	return top.n;
}

static void test_crl_reason(void **state)
{
	(void)state;
	unsigned char crl[512];
	size_t n = make_crl(crl, sizeof crl);
	static const unsigned char s5[] = { 0x05 }, s05[] = { 0x00, 0x05 }, s80[] = { 0x00, 0x80 }, s80b[] = { 0x80 },
				   s1234[] = { 0x12, 0x34 }, s6[] = { 0x06 };
	struct {
		const unsigned char *serial;
		size_t sn;
		int want;
	} rows[] = {
		{ s5, 1, 1 },	{ s05, 2, 1 },					 /* leading zero octets do not matter */
		{ s80, 2, -1 }, { s80b, 1, -1 }, { s1234, 2, 6 }, { s6, 1, -2 }, /* not listed */
		{ s5, 0, -2 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int got = rev_crl_entry_reason(crl, n, rows[i].serial, rows[i].sn);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d, want %d", i, got, rows[i].want);
	}
	/* Failure rows: every truncation, a broken outer tag, an over-long length. */
	for (size_t cut = 0; cut < n; cut++)
		assert_true(rev_crl_entry_reason(crl, cut, s1234, 2) <= -1);
	unsigned char bad[512];
	memcpy(bad, crl, n);
	bad[0] = 0x31;
	assert_int_equal(rev_crl_entry_reason(bad, n, s5, 1), -2);
	memcpy(bad, crl, n);
	bad[1] = 0x85; /* five length octets: refused */
	assert_int_equal(rev_crl_entry_reason(bad, n, s5, 1), -2);
	memcpy(bad, crl, n);
	bad[1] = 0x7f; /* claims more than there is */
	assert_int_equal(rev_crl_entry_reason(bad, n, s5, 1), -2);
	assert_int_equal(rev_crl_entry_reason(NULL, 0, s5, 1), -2);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(rev_reason_name(1), "keyCompromise");
	assert_string_equal(rev_reason_name(6), "certificateHold");
	assert_string_equal(rev_reason_name(-1), "unspecified");
	assert_string_equal(rev_reason_name(99), "unspecified");
	assert_string_equal(rev_why_id(REV_WHY_UNREACHABLE), "unreachable");
	assert_string_equal(rev_outcome_name(REV_UNCHECKED), "unchecked");
	enum revocation_mode m;
	assert_int_equal(revocation_mode_parse("HARD", &m), 0);
	assert_int_equal(m, REVOCATION_HARD);
	assert_int_equal(revocation_mode_parse("sometimes", &m), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity),  cmocka_unit_test(test_staple_invalid), cmocka_unit_test(test_combine),
		cmocka_unit_test(test_freshness), cmocka_unit_test(test_crl_reason),	 cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
