/* \summary: table-driven rows for --probes (probes/probes.c): the check
 * that runs before any connection, and which probes a list selects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/probe.h"

static const struct {
	const char *spec;
	bool ok;
	const char *err; /* substring of the message */
} check_rows[] = {
	{ "starttls", true, NULL },
	{ "starttls,chain,relay", true, NULL },
	{ "all", true, NULL },
	{ "ALL", true, NULL },
	{ "all,-relay", true, NULL },
	{ "+stripping", true, NULL },
	{ "-relay,-injection,-require-tls", true, NULL },
	{ "Relay", true, NULL },
	{ "", false, "empty list" },
	{ ",", false, "empty item" },
	{ "starttls,", false, "empty item" },
	{ "starttls,,chain", false, "empty item" },
	{ "+", false, "empty item" },
	{ "-", false, "empty item" },
	{ "nosuch", false, "unknown probe 'nosuch'" },
	{ "+nosuch", false, "unknown probe 'nosuch'" },
	{ "starttls,-nosuch", false, "unknown probe 'nosuch'" },
	{ "+all", false, "unknown probe 'all'" },
	{ "starttls ", false, "unknown probe" },
	/* plain names select only those: removing another one is a mistake */
	{ "starttls,-chain", false, "'-chain' removes a probe the list does not select" },
	{ "-chain,starttls", false, "'-chain' removes a probe the list does not select" },
	{ "starttls,chain,-chain", true, NULL },
	{ "starttls,+chain,-chain", true, NULL },
	{ "all,-chain,-chain", false, "'-chain' removes" },
};

static void test_check_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof check_rows / sizeof check_rows[0]; i++) {
		char err[160] = "";
		print_message("row %zu: '%s'\n", i, check_rows[i].spec);
		int rc = probe_spec_check(check_rows[i].spec, err, sizeof err);
		assert_int_equal(rc == 0, check_rows[i].ok);
		if (check_rows[i].err && !strstr(err, check_rows[i].err))
			fail_msg("row '%s': message \"%s\" lacks \"%s\"", check_rows[i].spec, err, check_rows[i].err);
	}
}

static const struct {
	const char *spec; /* NULL: no --probes */
	const char *name;
	bool in_default;
	bool selected, asked;
} select_rows[] = {
	{ NULL, "relay", true, true, false },
	{ NULL, "relay", false, false, false },
	{ "starttls", "starttls", true, true, true },
	{ "starttls", "relay", true, false, false },
	{ "all", "relay", false, true, true },
	{ "all,-relay", "relay", true, false, false },
	{ "all,-relay", "chain", true, true, true },
	{ "-relay", "relay", true, false, false },
	{ "-relay", "chain", true, true, false },
	{ "-relay", "stripping", true, true, false },
	{ "+stripping", "stripping", true, true, true },
	{ "+relay", "relay", false, true, true }, /* added where it is not in the default (LMTP) */
	{ "+stripping,-stripping", "stripping", true, false, false },
	{ "-stripping,+stripping", "stripping", true, true, true },
	{ "starttls,+relay", "relay", true, true, true },
	{ "starttls,+relay", "chain", true, false, false },
	{ "STARTTLS", "starttls", true, true, true },
};

static void test_select_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof select_rows / sizeof select_rows[0]; i++) {
		print_message("row %zu: '%s' %s\n", i, select_rows[i].spec ? select_rows[i].spec : "(none)",
			      select_rows[i].name);
		assert_int_equal(
			probe_spec_selects(select_rows[i].spec, select_rows[i].name, select_rows[i].in_default),
			select_rows[i].selected);
		assert_int_equal(probe_spec_asks(select_rows[i].spec, select_rows[i].name), select_rows[i].asked);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_rows),
		cmocka_unit_test(test_select_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
