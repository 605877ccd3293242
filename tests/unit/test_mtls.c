/* \summary: table-driven rows for the mtls probe's decisions (tls/mtls.c)
 * and the issuer check of our client certificate (tls/identity.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls/identity.h"
#include "tls/mtls.h"
#include "util/err.h"

struct outcome_row {
	const char *what;
	bool tls_attempted, tls_ok;
	int tls_alert, late_alert;
	enum session_step failed_step;
	int fail_err;
	int r421_code; /* a 421 at EHLO after TLS */
	const char *r421_text;
	enum mtls_outcome want;
	bool want_demand;
	const char *want_reason; /* substring */
};

static const struct outcome_row outcome_rows[] = {
	{ "no TLS", false, false, -1, -1, STEP_EHLO, -MX_E_REJECTED, 0, NULL, MTLS_NO_TLS, false, "not started" },
	{ "all fine", true, true, -1, -1, STEP_NONE, 0, 0, NULL, MTLS_OK, false, "accepted" },
	{ "QUIT failed only", true, true, -1, -1, STEP_QUIT, -MX_E_CLOSED, 0, NULL, MTLS_OK, false, "accepted" },
	{ "TLS 1.2 alert 40", true, false, 40, -1, STEP_HANDSHAKE, -MX_E_TLS_ALERT, 0, NULL, MTLS_HANDSHAKE_ALERT, true,
	  "Handshake failed (40)" },
	{ "gnutls-serv decode_error", true, false, 50, -1, STEP_HANDSHAKE, -MX_E_TLS_ALERT, 0, NULL,
	  MTLS_HANDSHAKE_ALERT, false, "(50)" },
	{ "TLS 1.3 certificate_required", true, true, -1, 116, STEP_EHLO_TLS, -MX_E_TLS_ALERT, 0, NULL, MTLS_LATE_ALERT,
	  true, "(116) after the handshake" },
	{ "TLS 1.3 unknown_ca", true, true, -1, 48, STEP_EHLO_TLS, -MX_E_TLS_ALERT, 0, NULL, MTLS_LATE_ALERT, true,
	  "(48)" },
	{ "Postfix req_ccert", true, true, -1, -1, STEP_EHLO_TLS, -MX_E_SERVICE_UNAVAILABLE, 421,
	  "mail.example Error: No client certificate presented", MTLS_REFUSED, true,
	  "421 4.7.1 mail.example Error: No client certificate presented" },
	{ "421 for another reason", true, true, -1, -1, STEP_EHLO_TLS, -MX_E_SERVICE_UNAVAILABLE, 421,
	  "Too many connections", MTLS_REFUSED, false, "Too many" },
	{ "closed after TLS", true, true, -1, -1, STEP_EHLO_TLS, -MX_E_CLOSED, 0, NULL, MTLS_CLOSED, false, "closed" },
	{ "handshake cut off", true, false, -1, -1, STEP_HANDSHAKE, -MX_E_CLOSED, 0, NULL, MTLS_CLOSED, false,
	  "closed" },
	{ "handshake timeout", true, false, -1, -1, STEP_HANDSHAKE, -MX_E_TIMEOUT, 0, NULL, MTLS_OTHER, false,
	  "TLS handshake" },
};

static void test_outcome_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof outcome_rows / sizeof outcome_rows[0]; i++) {
		const struct outcome_row *r = &outcome_rows[i];
		struct session_facts f = { 0 };
		f.tls_attempted = r->tls_attempted;
		f.tls_ok = r->tls_ok;
		f.tls_alert = r->tls_alert;
		f.late_alert = r->late_alert;
		f.failed_step = r->failed_step;
		f.fail_err = r->fail_err;
		/* A demand during the handshake comes after a CertificateRequest. */
		f.tls.cert_requested = r->tls_alert >= 0 && r->want_demand;
		if (r->r421_code) {
			f.r421.code = r->r421_code;
			strcpy(f.r421.enh, "4.7.1");
			f.r421.text = xstrdup(r->r421_text);
			f.r421_step = STEP_EHLO_TLS;
		}
		if (r->failed_step != STEP_NONE)
			f.fail_detail = xstrdup("detail");
		print_message("row %zu: %s\n", i, r->what);
		assert_int_equal(mtls_outcome(&f), r->want);
		assert_int_equal(mtls_looks_like_demand(&f), r->want_demand);
		char *why = mtls_reason(&f);
		if (!strstr(why, r->want_reason))
			fail_msg("row %s: reason \"%s\" lacks \"%s\"", r->what, why, r->want_reason);
		free(why);
		session_facts_clear(&f);
	}
}

/* An alert before any CertificateRequest (the server aborts at once, or
 * finds nothing in common) is no client-certificate demand. */
static void test_alert_without_request(void **state)
{
	(void)state;
	static const int alerts[] = { 40, 42, 48, 116 };
	for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++) {
		struct session_facts f = { 0 };
		f.tls_attempted = true;
		f.tls_alert = alerts[i];
		f.late_alert = -1;
		f.failed_step = STEP_HANDSHAKE;
		f.fail_err = -MX_E_TLS_ALERT;
		assert_int_equal(mtls_outcome(&f), MTLS_HANDSHAKE_ALERT);
		assert_false(mtls_looks_like_demand(&f));
		f.tls.cert_requested = true;
		assert_true(mtls_looks_like_demand(&f));
		session_facts_clear(&f);
	}
}

static void test_demand_alerts(void **state)
{
	(void)state;
	static const int yes[] = { 40, 42, 46, 48, 49, 116 };
	static const int no[] = { 0, 10, 20, 43, 50, 70, 80, 112, -1, 255 };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(mtls_alert_is_cert_demand(yes[i]));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(mtls_alert_is_cert_demand(no[i]));
	assert_string_equal(mtls_outcome_name(MTLS_LATE_ALERT), "alert-after-handshake");
	assert_string_equal(mtls_outcome_name((enum mtls_outcome)99), "other-failure");
}

struct issuer_row {
	const char *ca_names[3];
	const char *issuers[3];
	bool listed;
};

static const struct issuer_row issuer_rows[] = {
	{ { NULL }, { "CN=A" }, true }, /* empty list: any CA */
	{ { "CN=Partner Root,O=Partner" }, { "CN=Partner Root,O=Partner" }, true },
	{ { "CN=Partner Root,O=Partner" }, { "cn=partner root, o=Partner" }, true }, /* case, spaces */
	{ { "CN=Partner Root,O=Partner" }, { "CN=Other Root,O=Other" }, false },
	{ { "CN=X", "CN=Partner Inter" }, { "CN=Partner Inter", "CN=Partner Root" }, true },
	{ { "CN=Partner Root" }, { "CN=Partner Root X" }, false }, /* no prefix match */
	{ { "CN=Partner Root" }, { NULL }, false },		   /* nothing of ours */
};

static void test_issuer_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof issuer_rows / sizeof issuer_rows[0]; i++) {
		struct strvec ca = { 0 }, iss = { 0 };
		for (size_t k = 0; k < 3 && issuer_rows[i].ca_names[k]; k++)
			strvec_push(&ca, issuer_rows[i].ca_names[k]);
		for (size_t k = 0; k < 3 && issuer_rows[i].issuers[k]; k++)
			strvec_push(&iss, issuer_rows[i].issuers[k]);
		print_message("issuer row %zu\n", i);
		assert_int_equal(tls_identity_issuer_listed(&ca, &iss), issuer_rows[i].listed);
		strvec_clear(&ca);
		strvec_clear(&iss);
	}
}

/* Files that are not what they claim give a one-line error, never a crash. */
static void test_load_errors(void **state)
{
	(void)state;
	struct tls_identity *id = (struct tls_identity *)1;
	char err[512];
	assert_int_equal(tls_identity_load_pkcs12("/nonexistent/x.p12", "pw", &id, err, sizeof err), -MX_E_USAGE);
	assert_null(id);
	assert_non_null(strstr(err, "No such file or directory"));
	/* a device is refused at once, not read until memory runs out */
	assert_int_equal(tls_identity_load_pem("/dev/zero", "CMakeLists.txt", &id, err, sizeof err), -MX_E_USAGE);
	assert_non_null(strstr(err, "/dev/zero: not a regular file (a character device)"));
	assert_int_equal(tls_identity_load_pkcs12("CMakeLists.txt", NULL, &id, err, sizeof err), -MX_E_USAGE);
	assert_non_null(strstr(err, "not a PKCS#12"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(tls_identity_load_pem("CMakeLists.txt", "CMakeLists.txt", &id, err, sizeof err), -MX_E_USAGE);
	assert_non_null(strstr(err, "no PEM certificate"));
	tls_identity_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome_rows),	      cmocka_unit_test(test_demand_alerts),
		cmocka_unit_test(test_alert_without_request), cmocka_unit_test(test_issuer_rows),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
