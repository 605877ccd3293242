/* \summary: table-driven rows for the auth probe's judgement of SASL
 * mechanisms offered before TLS (probes/auth.c, issue 9 kind 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/probe.h"

static const struct {
	const char *mech;
	enum auth_exposure want;
} rows[] = {
	{ "PLAIN", AUTH_EXPOSES_PASSWORD },
	{ "plain", AUTH_EXPOSES_PASSWORD },
	{ "LOGIN", AUTH_EXPOSES_PASSWORD },
	{ "XOAUTH2", AUTH_EXPOSES_PASSWORD },
	{ "OAUTHBEARER", AUTH_EXPOSES_PASSWORD },
	{ "X-SOMETHING-NEW", AUTH_EXPOSES_PASSWORD }, /* unknown: assume the worst */
	{ "", AUTH_EXPOSES_PASSWORD },
	{ "CRAM-MD5", AUTH_CHALLENGE_RESPONSE },
	{ "DIGEST-MD5", AUTH_CHALLENGE_RESPONSE },
	{ "NTLM", AUTH_CHALLENGE_RESPONSE },
	{ "SCRAM-SHA-1", AUTH_CHALLENGE_RESPONSE },
	{ "SCRAM-SHA-256-PLUS", AUTH_CHALLENGE_RESPONSE },
	{ "GSSAPI", AUTH_NO_SECRET },
	{ "GS2-KRB5", AUTH_NO_SECRET },
	{ "EXTERNAL", AUTH_NO_SECRET },
	{ "ANONYMOUS", AUTH_NO_SECRET },
	{ "SCRAM", AUTH_EXPOSES_PASSWORD }, /* not a SCRAM-* name */
};

static void test_exposure_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		print_message("row %zu: %s\n", i, rows[i].mech);
		assert_int_equal(auth_mech_exposure(rows[i].mech), rows[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposure_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
