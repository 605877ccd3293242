/* \summary: DANE matching (pki/dane.h) over certificates made in memory by
 * the lab PKI: the TLSA RDATA reader with failure rows, which records an
 * SMTP client uses, and a table of records against a leaf + root chain:
 * DANE-EE with every selector and matching type (no name or validity
 * check), DANE-TA with the path and name checks, PKIX usages unusable,
 * wrong lengths, and the served data named when nothing matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/labpki.h"
#include "pki/certinfo.h"
#include "pki/dane.h"

#define DAY ((int64_t)86400)

static void pem_to_info(char *pem_text, struct cert_info *ci)
{
	gnutls_datum_t pem = { .data = (unsigned char *)pem_text, .size = (unsigned)strlen(pem_text) };
	gnutls_datum_t der = { NULL, 0 };
	assert_int_equal(gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der), 0);
	memset(ci, 0, sizeof *ci);
	assert_int_equal(cert_info_from_der(der.data, der.size, ci), 0);
	gnutls_free(der.data);
}

struct fixture {
	struct labpki *pki;
	int64_t now;
	struct cert_info chain[2];   /* a valid leaf for mx.dane.example, the root */
	struct cert_info expired[2]; /* an expired leaf, the root */
};

static void make_leaf(struct fixture *fx, int64_t nb, int64_t na, struct cert_info *ci)
{
	static const char *const sans[] = { "mx.dane.example", NULL };
	char *cert_pem = NULL, *key_pem = NULL, err[256];
	assert_int_equal(
		labpki_issue_pem(fx->pki, "mx.dane.example", sans, nb, na, &cert_pem, &key_pem, err, sizeof err), 0);
	pem_to_info(cert_pem, ci);
	free(cert_pem);
	free(key_pem);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[256];
	fx->pki = labpki_new(err, sizeof err);
	assert_non_null(fx->pki);
	fx->now = (int64_t)time(NULL);
	make_leaf(fx, fx->now - DAY, fx->now + 30 * DAY, &fx->chain[0]);
	make_leaf(fx, fx->now - 60 * DAY, fx->now - DAY, &fx->expired[0]);
	char *ca = labpki_ca_pem(fx->pki);
	pem_to_info(ca, &fx->chain[1]);
	pem_to_info(ca, &fx->expired[1]);
	free(ca);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	for (int i = 0; i < 2; i++) {
		cert_info_clear(&fx->chain[i]);
		cert_info_clear(&fx->expired[i]);
	}
	labpki_free(fx->pki);
	free(fx);
	return 0;
}

/* ---- the RDATA reader ----------------------------------------------- */

static void test_parse_rows(void **state)
{
	(void)state;
	struct tlsa_rr rr;
	static const unsigned char three[] = { 3, 1, 1 };
	assert_int_equal(dane_tlsa_parse(NULL, 0, &rr), -1);
	assert_int_equal(dane_tlsa_parse(three, 0, &rr), -1);
	assert_int_equal(dane_tlsa_parse(three, 3, &rr), -1); /* no association data */
	static const unsigned char one[] = { 3, 1, 1, 0xAB };
	assert_int_equal(dane_tlsa_parse(one, sizeof one, &rr), 0);
	assert_int_equal(rr.usage, 3);
	assert_int_equal(rr.selector, 1);
	assert_int_equal(rr.mtype, 1);
	assert_int_equal(rr.len, 1);
	assert_int_equal(rr.data[0], 0xAB);
	const char *why;
	assert_int_equal(dane_tlsa_usability(&rr, &why), DANE_BAD_LENGTH); /* SHA2-256 of 1 byte */
	assert_non_null(why);
	char *t = dane_tlsa_text(&rr);
	assert_string_equal(t, "3 1 1 AB");
	free(t);
	free(rr.data);
	/* too long */
	size_t big = DANE_MAX_DATA + 4;
	unsigned char *b = calloc(1, big);
	assert_int_equal(dane_tlsa_parse(b, big, &rr), -1);
	assert_int_equal(dane_tlsa_parse(b, big - 1, &rr), 0); /* exactly DANE_MAX_DATA of data */
	free(rr.data);
	free(b);
}

static void test_usability_rows(void **state)
{
	(void)state;
	static const struct {
		uint8_t u, s, m;
		size_t len;
		enum dane_usability want;
	} rows[] = {
		{ 3, 1, 1, 32, DANE_USABLE },	      { 3, 0, 1, 32, DANE_USABLE },
		{ 2, 1, 2, 64, DANE_USABLE },	      { 2, 0, 0, 500, DANE_USABLE },
		{ 0, 1, 1, 32, DANE_PKIX_USAGE },     { 1, 0, 1, 32, DANE_PKIX_USAGE },
		{ 4, 1, 1, 32, DANE_UNKNOWN_PARAMS }, { 3, 2, 1, 32, DANE_UNKNOWN_PARAMS },
		{ 3, 1, 3, 32, DANE_UNKNOWN_PARAMS }, { 3, 1, 1, 31, DANE_BAD_LENGTH },
		{ 3, 1, 2, 32, DANE_BAD_LENGTH },
	};
	unsigned char data[500] = { 0 };
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct tlsa_rr rr = { rows[i].u, rows[i].s, rows[i].m, data, rows[i].len };
		const char *why;
		enum dane_usability got = dane_tlsa_usability(&rr, &why);
		if (got != rows[i].want)
			fail_msg("row %zu (%u %u %u, %zu bytes): %d, want %d", i, rows[i].u, rows[i].s, rows[i].m,
				 rows[i].len, got, rows[i].want);
		if (got != DANE_USABLE && !why)
			fail_msg("row %zu: no reason", i);
	}
}

/* ---- association data, checked against the library's own key id ------ */

static void test_spki_sha256_is_the_key_id(void **state)
{
	struct fixture *fx = *state;
	unsigned char *d;
	size_t n;
	assert_int_equal(dane_cert_assoc(&fx->chain[0], 1, 1, &d, &n), 0);
	assert_int_equal(n, 32);
	gnutls_x509_crt_t crt;
	gnutls_datum_t der = { fx->chain[0].der, (unsigned)fx->chain[0].der_len };
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER), 0);
	unsigned char id[64];
	size_t idlen = sizeof id;
	assert_int_equal(gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, id, &idlen), 0);
	gnutls_x509_crt_deinit(crt);
	assert_int_equal(idlen, 32);
	assert_memory_equal(d, id, 32);
	free(d);
	/* selector 0, matching type 1: the SHA2-256 thumbprint certinfo has */
	assert_int_equal(dane_cert_assoc(&fx->chain[0], 0, 1, &d, &n), 0);
	char hex[65];
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", d[i]);
	assert_string_equal(hex, fx->chain[0].sha256_hex);
	free(d);
	char *text = dane_record_text(&fx->chain[0], 3, 0, 1);
	assert_non_null(text);
	assert_int_equal(strncmp(text, "3 0 1 ", 6), 0);
	assert_string_equal(text + 6, fx->chain[0].sha256_hex);
	free(text);
}

/* ---- records against chains ------------------------------------------ */

struct match_row {
	const char *what;
	uint8_t u, s, m;
	int from;	 /* the certificate the data is made from (0 leaf, 1 root), -1: junk */
	bool expired;	 /* against the chain with the expired leaf */
	const char *ref; /* the reference identifier for DANE-TA */
	bool want;
	size_t want_cert;
	const char *why_has; /* the reason must contain this when it does not match */
};

static const struct match_row match_rows[] = {
	{ "3 1 1 leaf", 3, 1, 1, 0, false, "other.example", true, 0, NULL },
	{ "3 0 1 leaf", 3, 0, 1, 0, false, NULL, true, 0, NULL },
	{ "3 1 2 leaf", 3, 1, 2, 0, false, NULL, true, 0, NULL },
	{ "3 1 0 leaf", 3, 1, 0, 0, false, NULL, true, 0, NULL },
	{ "3 0 0 leaf", 3, 0, 0, 0, false, NULL, true, 0, NULL },
	{ "3 1 1 expired leaf: no validity check for DANE-EE", 3, 1, 1, 0, true, NULL, true, 0, NULL },
	{ "3 1 1 junk", 3, 1, 1, -1, false, NULL, false, 0, "cert[0] has " },
	{ "3 1 1 of the root: EE is the leaf only", 3, 1, 1, 1, false, NULL, false, 0, "no match" },
	{ "2 1 1 root, name matches", 2, 1, 1, 1, false, "mx.dane.example", true, 1, NULL },
	{ "2 0 1 root, name matches", 2, 0, 1, 1, false, "mx.dane.example", true, 1, NULL },
	{ "2 1 1 root, wrong name", 2, 1, 1, 1, false, "other.example", false, 0, "names neither" },
	{ "2 1 1 root, expired leaf", 2, 1, 1, 1, true, "mx.dane.example", false, 0, "expired" },
	{ "2 1 1 junk", 2, 1, 1, -1, false, "mx.dane.example", false, 0, "cert[1] has " },
	{ "0 1 1 root: PKIX-TA unusable", 0, 1, 1, 1, false, "mx.dane.example", false, 0, "no usable" },
	{ "1 1 1 leaf: PKIX-EE unusable", 1, 1, 1, 0, false, "mx.dane.example", false, 0, "no usable" },
};

static void test_match_rows(void **state)
{
	struct fixture *fx = *state;
	for (size_t i = 0; i < sizeof match_rows / sizeof match_rows[0]; i++) {
		const struct match_row *row = &match_rows[i];
		const struct cert_info *chain = row->expired ? fx->expired : fx->chain;
		struct tlsa_rr rr = { row->u, row->s, row->m, NULL, 0 };
		unsigned char junk[32];
		memset(junk, 0x5A, sizeof junk);
		if (row->from >= 0) {
			assert_int_equal(dane_cert_assoc(&chain[row->from], row->s, row->m, &rr.data, &rr.len), 0);
		} else {
			rr.data = malloc(sizeof junk);
			memcpy(rr.data, junk, sizeof junk);
			rr.len = sizeof junk;
		}
		const char *names[2] = { row->ref, NULL };
		struct dane_match m;
		dane_match_chain(&rr, 1, chain, 2, names, 2, fx->now, &m);
		if (m.matched != row->want)
			fail_msg("%s: matched %d, want %d (%s)", row->what, m.matched, row->want, m.why ? m.why : "");
		if (m.matched && m.cert != row->want_cert)
			fail_msg("%s: matched cert[%zu], want cert[%zu]", row->what, m.cert, row->want_cert);
		if (!m.matched && (!m.why || !strstr(m.why, row->why_has)))
			fail_msg("%s: reason '%s' lacks '%s'", row->what, m.why ? m.why : "(null)", row->why_has);
		dane_match_clear(&m);
		free(rr.data);
	}
}

/* A set: one junk record and one good one match; the good one is named. */
static void test_set_names_the_record(void **state)
{
	struct fixture *fx = *state;
	struct tlsa_rr rr[2] = { { 3, 1, 1, NULL, 32 }, { 2, 1, 1, NULL, 0 } };
	rr[0].data = calloc(1, 32);
	assert_int_equal(dane_cert_assoc(&fx->chain[1], 1, 1, &rr[1].data, &rr[1].len), 0);
	const char *names[2] = { "_unused.example", "mx.dane.example" }; /* the MX host name counts too */
	struct dane_match m;
	dane_match_chain(rr, 2, fx->chain, 2, names, 2, fx->now, &m);
	assert_true(m.matched);
	assert_int_equal(m.record, 1);
	assert_int_equal(m.nusable, 2);
	dane_match_clear(&m);
	/* no chain at all: nothing matches, and it says so */
	dane_match_chain(rr, 2, fx->chain, 0, names, 2, fx->now, &m);
	assert_false(m.matched);
	assert_non_null(m.why);
	dane_match_clear(&m);
	free(rr[0].data);
	free(rr[1].data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_usability_rows),
		cmocka_unit_test_setup_teardown(test_spki_sha256_is_the_key_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_names_the_record, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
