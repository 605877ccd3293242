/* \summary: the TUI's plain-data docs (src/tui/doc.c): line breaking at
 * spaces and newlines without splitting a UTF-8 character, an overlong word
 * cut at the width, search forwards and backwards, case-insensitively. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tui/doc.h"

static char *line(const struct tui_doc *d, size_t i)
{
	return doc_line_text(&d->l[i]);
}

static void test_wrap(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int indent, width;
		size_t n;
		const char *first, *last;
	} rows[] = {
		{ "short", 0, 20, 1, "short", "short" },
		{ "one two three four five", 0, 10, 3, "one two", "five" },
		{ "one two three four", 0, 4, 2, "one two", "three four" }, /* at least 10 columns */
		{ "one two three four five", 2, 12, 3, "  one two", "  five" },
		{ "para one\nsecond", 0, 40, 2, "para one", "second" },
		{ "a\n\nb", 0, 40, 3, "a", "b" },
		{ "", 3, 40, 1, "   ", "   " },
		{ "abcdefghijklmnopqrstuvwxyz", 0, 10, 3, "abcdefghij", "uvwxyz" },
		/* twelve two-byte characters: ten fit in ten columns, not five */
		{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 0,
		  10, 2, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		  "\xc3\xa9\xc3\xa9" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct tui_doc d = { 0 };
		int width = rows[i].width;
		/* doc_wrap never goes below 10 columns of text */
		doc_wrap(&d, TC_NORMAL, 7, rows[i].indent, width, rows[i].text);
		if (d.n != rows[i].n)
			fail_msg("row %zu: %zu lines, want %zu", i, d.n, rows[i].n);
		char *f = line(&d, 0), *l = line(&d, d.n - 1);
		assert_string_equal(f, rows[i].first);
		assert_string_equal(l, rows[i].last);
		assert_int_equal(d.l[0].tag, 7);
		free(f);
		free(l);
		doc_clear(&d);
	}
}

static void test_find(void **state)
{
	(void)state;
	struct tui_doc d = { 0 };
	doc_line(&d, TC_NORMAL, -1, "<220 mail ESMTP");
	doc_line(&d, TC_NORMAL, -1, ">EHLO client");
	doc_span(&d, TC_DIM, " and a %s", "Span");
	doc_line(&d, TC_NORMAL, -1, "<250-STARTTLS");
	doc_line(&d, TC_NORMAL, -1, ">starttls");
	assert_int_equal(doc_find(&d, "starttls", 0, 1), 2);
	assert_int_equal(doc_find(&d, "starttls", 3, 1), 3);
	assert_int_equal(doc_find(&d, "starttls", 3, -1), 3);
	assert_int_equal(doc_find(&d, "starttls", 2, -1), 2);
	assert_int_equal(doc_find(&d, "STARTTLS", 1, -1), -1);
	assert_int_equal(doc_find(&d, "client and a span", 0, 1), 1); /* across spans */
	assert_int_equal(doc_find(&d, "", 0, 1), -1);
	assert_int_equal(doc_find(&d, "x", 99, 1), -1);
	doc_clear(&d);
	assert_int_equal(doc_find(&d, "x", 0, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
