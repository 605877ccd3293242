/* \summary: the utilities over tables of rows: str_escape (untrusted bytes
 * made printable, cut with "..."), hex_upper, the bounded buffer's maximum
 * (curl's dynbuf "toobig"), string vectors and prefixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define FAIL_ROW(name, ...)                      \
	do {                                     \
		print_error("row '%s': ", name); \
		print_error(__VA_ARGS__);        \
		print_error("\n");               \
		failed++;                        \
	} while (0)

/* ---- str_escape ---- */

struct escape_row {
	const char *name;
	const char *in;
	size_t len;
	size_t max_out;
	const char *want;
};
#define ESC(name, in, max, want)                    \
	{                                           \
		name, in, sizeof(in) - 1, max, want \
	}

static const struct escape_row escape_rows[] = {
	ESC("empty", "", 10, ""),
	ESC("plain", "250 ok", 100, "250 ok"),
	ESC("CRLF", "250 ok\r\n", 100, "250 ok\\r\\n"),
	ESC("tab", "a\tb", 100, "a\\tb"),
	ESC("backslash", "a\\b", 100, "a\\\\b"),
	ESC("NUL", "a\0b", 100, "a\\x00b"),
	ESC("control bytes", "\x01\x1b\x1f", 100, "\\x01\\x1B\\x1F"),
	ESC("DEL", "\x7f", 100, "\\x7F"),
	ESC("invalid UTF-8 around valid", "\x80\xc3\xa9\xff", 100, "\\x80\xc3\xa9\\xFF"),
	/* the one escaping rule (issue 8): C1, bidi, separators, invalid UTF-8 */
	ESC("C1 CSI as UTF-8",
	    "a\xc2\x9b"
	    "31m",
	    100, "a\\u009B31m"),
	ESC("C1 first and last", "\xc2\x80\xc2\x9f", 100, "\\u0080\\u009F"),
	ESC("NBSP is text", "\xc2\xa0", 100, "\xc2\xa0"),
	ESC("RLO", "x\xe2\x80\xaey", 100, "x\\u202Ey"),
	ESC("LRE", "\xe2\x80\xaa", 100, "\\u202A"),
	ESC("LRI and PDI", "\xe2\x81\xa6\xe2\x81\xa9", 100, "\\u2066\\u2069"),
	ESC("line separator", "\xe2\x80\xa8", 100, "\\u2028"),
	ESC("RLM", "\xe2\x80\x8f", 100, "\\u200F"),
	ESC("overlong NUL", "\xc0\x80", 100, "\\xC0\\x80"),
	ESC("surrogate", "\xed\xa0\x80", 100, "\\xED\\xA0\\x80"),
	ESC("above U+10FFFF", "\xf4\x90\x80\x80", 100, "\\xF4\\x90\\x80\\x80"),
	ESC("4-byte emoji", "\xf0\x9f\x98\x80", 100, "\xf0\x9f\x98\x80"),
	ESC("truncated sequence", "\xe2\x80", 100, "\\xE2\\x80"),
	ESC("lone continuation", "\xbf", 100, "\\xBF"),
	ESC("TLS record", "\x16\x03\x01", 100, "\\x16\\x03\\x01"),
	ESC("space and tilde kept", " ~", 100, " ~"),
	ESC("quotes kept", "\"'", 100, "\"'"),
	/* truncation: the output is cut at max_out characters, then "..." */
	ESC("fits exactly", "abc", 3, "abc"),
	ESC("one too many", "abcd", 3, "abc..."),
	ESC("cut long", "abcdefghij", 4, "abcd..."),
	ESC("max 0", "abc", 0, "..."),
	ESC("max 0, empty", "", 0, ""),
	ESC("escape not split", "ab\r\n", 3, "ab..."),
	ESC("escape fits", "ab\r", 4, "ab\\r"),
	ESC("hex escape not split", "a\x01", 4, "a..."),
	ESC("hex escape fits", "a\x01", 5, "a\\x01"),
	ESC("CRLF cut", "\r\n", 3, "\\r..."),
	ESC("only escapes cut", "\x00\x00\x00", 8, "\\x00\\x00..."),
};

static void test_str_escape_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < ARRAY_LEN(escape_rows); i++) {
		const struct escape_row *row = &escape_rows[i];
		char *got = str_escape(row->in, row->len, row->max_out);
		if (!got) {
			FAIL_ROW(row->name, "NULL");
			continue;
		}
		if (strcmp(got, row->want) != 0)
			FAIL_ROW(row->name, "\"%s\", expected \"%s\"", got, row->want);
		if (strlen(got) > row->max_out + 3)
			FAIL_ROW(row->name, "%zu characters, more than max_out + 3", strlen(got));
		if (!str_is_safe(got, strlen(got), false))
			FAIL_ROW(row->name, "\"%s\" breaks the escaping rule", got);
		free(got);
	}
	assert_int_equal(failed, 0);
}

/* Every byte value, and a large input cut short. */
static void test_str_escape_all_bytes(void **state)
{
	(void)state;
	unsigned char all[256];
	for (size_t i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	char *s = str_escape(all, sizeof all, 100000);
	/* in this order no two high bytes make a valid sequence: all ASCII */
	for (const char *p = s; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	/* 95 printable bytes, one of them '\\' (2), 3 short escapes (2), 158 hex (4) */
	assert_int_equal(strlen(s), 94 + 2 + 3 * 2 + 158 * 4);
	free(s);

	size_t n = 1u << 20;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	s = str_escape(big, n, 300);
	assert_int_equal(strlen(s), 300 + 3);
	assert_memory_equal(s + 300, "...", 3);
	free(s);
	free(big);

	s = str_escape(NULL, 0, 10);
	assert_string_equal(s, "");
	free(s);
}

/* str_sanitize: the same rule, backslashes kept, idempotent; LF on request. */
static void test_str_sanitize(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
		bool keep_nl;
	} rows[] = {
		{ "plain \\x41 kept", "plain \\x41 kept", false },
		{ "a\nb", "a\\nb", false },
		{ "a\nb", "a\nb", true },
		{ "\x1b[2J\x07", "\\x1B[2J\\x07", false },
		{ "\xc2\x9b\xe2\x80\xae", "\\u009B\\u202E", false },
		{ "caf\xc3\xa9 \xe9", "caf\xc3\xa9 \\xE9", false },
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char *got = str_sanitize(rows[i].in, rows[i].keep_nl);
		assert_string_equal(got, rows[i].want);
		assert_true(str_is_safe(got, strlen(got), rows[i].keep_nl));
		char *again = str_sanitize(got, rows[i].keep_nl);
		assert_string_equal(again, got);
		free(again);
		free(got);
	}
	assert_false(str_is_safe("a\nb", 3, false));
	assert_true(str_is_safe("a\nb", 3, true));
	assert_false(str_is_safe("\xe2\x81\xa9", 3, true));
	assert_false(str_is_safe("\x7f", 1, true));
}

/* file_read_local: what a file option accepts, and what it refuses at once. */
static void test_file_read_local(void **state)
{
	(void)state;
	char dir[] = "/tmp/mxprobe-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], err[160];
	char *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof path, "%s/ok", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("line one\nline two\n", f);
	fclose(f);
	assert_int_equal(file_read_local(path, 100, &data, &len, err, sizeof err), 0);
	assert_int_equal(len, 18);
	assert_string_equal(data, "line one\nline two\n");
	free(data);
	/* over the cap: refused, the cap in the message */
	assert_int_equal(file_read_local(path, 10, &data, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "limit of 10 bytes"));
	assert_null(data);

	snprintf(path, sizeof path, "%s/empty", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(file_read_local(path, 100, &data, &len, err, sizeof err), -1);
	assert_string_equal(err, "empty");

	assert_int_equal(file_read_local(dir, 100, &data, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "a directory"));
	assert_int_equal(file_read_local("/dev/zero", 100, &data, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "a character device"));
	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* no writer: must not block */
	assert_int_equal(file_read_local(path, 100, &data, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "a FIFO"));
	assert_int_equal(file_read_local("/nonexistent/x", 100, &data, &len, err, sizeof err), -1);

	unlink(path);
	snprintf(path, sizeof path, "%s/ok", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/empty", dir);
	unlink(path);
	rmdir(dir);
}

/* ---- hex_upper ---- */

struct hex_row {
	const char *name;
	const char *in;
	size_t len;
	char sep;
	const char *want;
};
#define HEX(name, in, sep, want)                    \
	{                                           \
		name, in, sizeof(in) - 1, sep, want \
	}

static const struct hex_row hex_rows[] = {
	HEX("empty", "", 0, ""),
	HEX("empty with sep", "", ':', ""),
	HEX("one byte", "\x0a", 0, "0A"),
	HEX("one byte with sep", "\x0a", ':', "0A"),
	HEX("zero and ff", "\x00\xff", 0, "00FF"),
	HEX("colon", "\xde\xad\xbe\xef", ':', "DE:AD:BE:EF"),
	HEX("space", "\x01\x23\x45", ' ', "01 23 45"),
	HEX("serial", "\xca\x2e\xdf\x24\x87\xc6\xf0\x9b\x4e\x41\x3f\xd3\x81\x2a\x7f\x89", 0,
	    "CA2EDF2487C6F09B4E413FD3812A7F89"),
};

static void test_hex_upper_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < ARRAY_LEN(hex_rows); i++) {
		const struct hex_row *row = &hex_rows[i];
		char *got = hex_upper((const unsigned char *)row->in, row->len, row->sep);
		if (strcmp(got, row->want) != 0)
			FAIL_ROW(row->name, "\"%s\", expected \"%s\"", got, row->want);
		free(got);
	}
	assert_int_equal(failed, 0);
}

/* ---- buf ---- */

struct buf_row {
	const char *name;
	size_t max;
	const char *appends[6]; /* up to NULL */
	int rcs[6];
	const char *want;
};

static const struct buf_row buf_rows[] = {
	{ "within max", 10, { "abc", "def" }, { 0, 0 }, "abcdef" },
	{ "exactly max", 6, { "abc", "def" }, { 0, 0 }, "abcdef" },
	{ "one over max", 5, { "abc", "def" }, { 0, -1 }, "abc" },
	{ "refused, then fits", 5, { "abc", "def", "de" }, { 0, -1, 0 }, "abcde" },
	{ "full, empty append", 3, { "abc", "" }, { 0, 0 }, "abc" },
	{ "full, one more", 3, { "abc", "x" }, { 0, -1 }, "abc" },
	{ "max 0", 0, { "x" }, { -1 }, NULL },
	{ "max 0, empty", 0, { "" }, { 0 }, "" },
	{ "first too big", 2, { "abc", "ab" }, { -1, 0 }, "ab" },
	{ "growth past initial capacity",
	  1000,
	  { "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	    "012345678901234567890123456789012345678901234567890123456789",
	    "0123456789012345678901234567890123456789" },
	  { 0, 0 },
	  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	  "012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789" },
};

static void test_buf_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < ARRAY_LEN(buf_rows); i++) {
		const struct buf_row *row = &buf_rows[i];
		struct buf b;
		buf_init(&b, row->max);
		for (size_t j = 0; j < ARRAY_LEN(row->appends) && row->appends[j]; j++) {
			size_t before = b.len;
			int rc = buf_append(&b, row->appends[j], strlen(row->appends[j]));
			if (rc != row->rcs[j])
				FAIL_ROW(row->name, "append %zu returned %d, expected %d", j, rc, row->rcs[j]);
			if (rc < 0 && b.len != before)
				FAIL_ROW(row->name, "refused append %zu changed the length", j);
			if (b.len > b.max)
				FAIL_ROW(row->name, "length %zu over max %zu", b.len, b.max);
		}
		if (row->want == NULL) {
			if (b.len != 0)
				FAIL_ROW(row->name, "length %zu, expected empty", b.len);
		} else if (!b.data || b.len != strlen(row->want) || strcmp(b.data, row->want) != 0) {
			FAIL_ROW(row->name, "\"%s\", expected \"%s\"", b.data ? b.data : "(null)", row->want);
		}
		buf_clear(&b);
		if (b.data || b.len || b.max != row->max)
			FAIL_ROW(row->name, "buf_clear did not reset (max kept)");
	}
	assert_int_equal(failed, 0);
}

/* A length that would wrap around is refused, not appended. */
static void test_buf_huge_append(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 16);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 2), -1);
	assert_int_equal(b.len, 3);
	buf_clear(&b);
}

static void test_buf_consume(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	buf_consume(&b, 5); /* nothing there yet */
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, "abcdefgh", 8), 0);
	assert_int_equal(buf_append(&b, "i", 1), -1);
	buf_consume(&b, 3);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "defgh");
	/* room again once consumed */
	assert_int_equal(buf_append(&b, "ijk", 3), 0);
	assert_string_equal(b.data, "defghijk");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_clear(&b);
}

/* ---- strvec ---- */

struct join_row {
	const char *name;
	const char *items[6]; /* up to NULL */
	const char *sep;
	const char *want;
};

static const struct join_row join_rows[] = {
	{ "empty", { NULL }, ", ", "" },
	{ "one", { "a" }, ", ", "a" },
	{ "two", { "a", "b" }, ", ", "a, b" },
	{ "three, newline", { "a", "b", "c" }, "\n", "a\nb\nc" },
	{ "empty separator", { "a", "b", "c" }, "", "abc" },
	{ "empty items", { "", "", "" }, "|", "||" },
	{ "one empty item", { "" }, "|", "" },
	{ "long separator", { "x", "y" }, " -- ", "x -- y" },
};

static void test_strvec_join_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < ARRAY_LEN(join_rows); i++) {
		const struct join_row *row = &join_rows[i];
		struct strvec sv = { NULL, 0, 0 };
		for (size_t j = 0; j < ARRAY_LEN(row->items) && row->items[j]; j++)
			strvec_push(&sv, row->items[j]);
		char *got = strvec_join(&sv, row->sep);
		if (strcmp(got, row->want) != 0)
			FAIL_ROW(row->name, "\"%s\", expected \"%s\"", got, row->want);
		free(got);
		strvec_clear(&sv);
		if (sv.v || sv.n || sv.cap)
			FAIL_ROW(row->name, "strvec_clear did not reset");
	}
	assert_int_equal(failed, 0);
}

static void test_strvec_grow_and_contains(void **state)
{
	(void)state;
	struct strvec sv = { NULL, 0, 0 };
	for (int i = 0; i < 1000; i++) {
		char tmp[16];
		snprintf(tmp, sizeof tmp, "Item%d", i);
		strvec_push(&sv, tmp);
	}
	assert_int_equal(sv.n, 1000);
	assert_string_equal(sv.v[999], "Item999");
	assert_true(strvec_contains_ci(&sv, "ITEM0"));
	assert_true(strvec_contains_ci(&sv, "item999"));
	assert_false(strvec_contains_ci(&sv, "item1000"));
	assert_false(strvec_contains_ci(&sv, "Item"));
	assert_false(strvec_contains_ci(&sv, ""));
	strvec_push_owned(&sv, xstrdup(""));
	assert_true(strvec_contains_ci(&sv, ""));
	strvec_clear(&sv);
	strvec_clear(&sv);
	assert_false(strvec_contains_ci(&sv, "x"));
}

/* ---- prefixes, strings ---- */

struct prefix_row {
	const char *s, *prefix;
	bool want;
};

static const struct prefix_row prefix_rows[] = {
	{ "STARTTLS", "start", true },
	{ "starttls", "STARTTLS", true },
	{ "STARTTLS", "STARTTLSX", false },
	{ "", "", true },
	{ "abc", "", true },
	{ "", "a", false },
	{ "AUTH=LOGIN", "auth=", true },
	{ "XAUTH", "AUTH", false },
};

static void test_prefix_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < ARRAY_LEN(prefix_rows); i++) {
		const struct prefix_row *row = &prefix_rows[i];
		if (str_has_prefix_ci(row->s, row->prefix) != row->want)
			FAIL_ROW(row->s, "prefix '%s': expected %d", row->prefix, row->want);
	}
	assert_int_equal(failed, 0);
}

static void test_xstr(void **state)
{
	(void)state;
	assert_null(xstrdup(NULL));
	char *s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	s = xstrndup("ab\0cd", 5);
	assert_memory_equal(s, "ab\0cd", 6);
	free(s);
	s = xasprintf("%s:%u", "mx", 25u);
	assert_string_equal(s, "mx:25");
	free(s);
	void *p = xmalloc(0);
	assert_non_null(p);
	free(p);
	p = xcalloc(0, 0);
	assert_non_null(p);
	free(p);
}

static void test_iso8601(void **state)
{
	(void)state;
	char out[32];
	fmt_iso8601_ms(1795341209123000LL, out, sizeof out);
	assert_string_equal(out, "2026-11-22T09:53:29.123Z");
	fmt_iso8601_ms(0, out, sizeof out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	fmt_iso8601(1798761600, out, sizeof out);
	assert_string_equal(out, "2027-01-01T00:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_escape_rows),	 cmocka_unit_test(test_str_escape_all_bytes),
		cmocka_unit_test(test_hex_upper_rows),	 cmocka_unit_test(test_buf_rows),
		cmocka_unit_test(test_buf_huge_append),	 cmocka_unit_test(test_buf_consume),
		cmocka_unit_test(test_strvec_join_rows), cmocka_unit_test(test_strvec_grow_and_contains),
		cmocka_unit_test(test_prefix_rows),	 cmocka_unit_test(test_xstr),
		cmocka_unit_test(test_iso8601),		 cmocka_unit_test(test_str_sanitize),
		cmocka_unit_test(test_file_read_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
