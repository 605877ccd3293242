/* \summary: the stripping probe's keyword rows: which EHLO keywords are a
 * STARTTLS a middlebox got at (Cisco ESMTP inspection's XXXXXXXA, a run of
 * X's as long as STARTTLS, one letter off) and which are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

/* probes/stripping.c */
bool stripping_keyword_is_mangled(const char *kw);

static const struct {
	const char *kw;
	bool mangled;
} rows[] = {
	{ "XXXXXXXA", true }, /* Cisco ASA/PIX */
	{ "XXXXXXXX", true },
	{ "xxxxxxxa", true },
	{ "STARTTLX", true },
	{ "STARTTL", true },
	{ "XSTARTTLS", true },
	{ "STARTTLS", false }, /* the real thing */
	{ "starttls", false },
	{ "XXXXA", false }, /* too short for STARTTLS */
	{ "XXXXXXXXXXXX", false },
	{ "PIPELINING", false },
	{ "8BITMIME", false },
	{ "SMTPUTF8", false },
	{ "CHUNKING", false },
	{ "AUTH", false },
	{ "", false },
	{ "STARTTLSSTARTTLSSTARTTLS", false },
};

static void test_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		if (stripping_keyword_is_mangled(rows[i].kw) != rows[i].mangled) {
			print_error("row '%s': expected %s\n", rows[i].kw, rows[i].mangled ? "mangled" : "not mangled");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_rows) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
