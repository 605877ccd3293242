/* \summary: target_parse over a table of rows (curl's unit1397 style): what
 * users type (names, literals, URLs) and what they must not get away with.
 * specification: RFC 3986 section 3.2.2 (IPv6 literals), RFC 1123 section
 * 2.1 (host names), RFC 6409 (587), RFC 8314 (465, implicit TLS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/target.h"
#include "util/util.h"

#define L16   "abcdefghijklmnop"
#define L63   L16 L16 L16 "abcdefghijklmno"
#define L64   L16 L16 L16 L16
#define L61   L16 L16 L16 "abcdefghijklm"
#define L62   L61 "n"
#define A256  L64 L64 L64 L64
#define A2048 A256 A256 A256 A256 A256 A256 A256 A256

struct target_row {
	const char *name;
	const char *in;
	bool ok;
	/* expected on success */
	const char *scheme;
	const char *host;
	uint16_t port;
	bool implicit_tls;
	int family;
	const char *dialect; /* NULL: smtp */
};

#define OK(n, in, sc, h, p, tls, fam)                 \
	{                                             \
		n, in, true, sc, h, p, tls, fam, NULL \
	}
#define OKD(n, in, sc, h, p, tls, fam, d)          \
	{                                          \
		n, in, true, sc, h, p, tls, fam, d \
	}
#define BAD(n, in)                                          \
	{                                                   \
		n, in, false, NULL, NULL, 0, false, 0, NULL \
	}

static const struct target_row rows[] = {
	/* host names */
	OK("name", "mail.example.com", "smtp", "mail.example.com", 25, false, 0),
	OK("single label", "localhost", "smtp", "localhost", 25, false, 0),
	OK("name:port", "mail.example.com:2525", "smtp", "mail.example.com", 2525, false, 0),
	OK("port 1", "mx.example:1", "smtp", "mx.example", 1, false, 0),
	OK("port 65535", "mx.example:65535", "smtp", "mx.example", 65535, false, 0),
	OK("port with leading zeros", "mx.example:00025", "smtp", "mx.example", 25, false, 0),
	OK("trailing dot", "mail.example.com.", "smtp", "mail.example.com.", 25, false, 0),
	OK("hyphen inside", "mx-1.ex-ample.com", "smtp", "mx-1.ex-ample.com", 25, false, 0),
	OK("underscore", "mail_internal.corp", "smtp", "mail_internal.corp", 25, false, 0),
	OK("digit label", "1mail.example", "smtp", "1mail.example", 25, false, 0),
	OK("label of 63", L63 ".example", "smtp", L63 ".example", 25, false, 0),
	OK("name of 253", L63 "." L63 "." L63 "." L61, "smtp", L63 "." L63 "." L63 "." L61, 25, false, 0),
	OK("name of 253 + root dot", L63 "." L63 "." L63 "." L61 ".", "smtp", L63 "." L63 "." L63 "." L61 ".", 25,
	   false, 0),
	OK("upper-case host", "MAIL.Example.COM", "smtp", "mail.example.com", 25, false, 0),
	/* well-known ports without a scheme say what is meant */
	OK("465 means smtps", "mail.example.com:465", "smtps", "mail.example.com", 465, true, 0),
	OK("587 means submission", "mail.example.com:587", "submission", "mail.example.com", 587, false, 0),
	OK("25 stays smtp", "mail.example.com:25", "smtp", "mail.example.com", 25, false, 0),
	/* IPv4 */
	OK("ipv4", "192.0.2.1", "smtp", "192.0.2.1", 25, false, AF_INET),
	OK("ipv4:port", "192.0.2.1:2525", "smtp", "192.0.2.1", 2525, false, AF_INET),
	OK("ipv4:465", "192.0.2.1:465", "smtps", "192.0.2.1", 465, true, AF_INET),
	OK("ipv4 loopback", "127.0.0.1:25", "smtp", "127.0.0.1", 25, false, AF_INET),
	/* IPv6 */
	OK("[v6]", "[::1]", "smtp", "::1", 25, false, AF_INET6),
	OK("[v6]:port", "[2001:db8::1]:2525", "smtp", "2001:db8::1", 2525, false, AF_INET6),
	OK("[v6]:587", "[2001:db8::1]:587", "submission", "2001:db8::1", 587, false, AF_INET6),
	OK("[v6] upper-case", "[2001:DB8::A]:25", "smtp", "2001:db8::a", 25, false, AF_INET6),
	OK("[v4-mapped v6]", "[::ffff:192.0.2.1]:25", "smtp", "::ffff:192.0.2.1", 25, false, AF_INET6),
	OK("bare v6", "2001:db8::25", "smtp", "2001:db8::25", 25, false, AF_INET6),
	OK("bare v6 loopback", "::1", "smtp", "::1", 25, false, AF_INET6),
	OK("bare v6 full", "2001:0db8:0000:0000:0000:0000:0000:0001", "smtp", "2001:0db8:0000:0000:0000:0000:0000:0001",
	   25, false, AF_INET6),
	/* URLs */
	OK("smtp://", "smtp://mail.example.com", "smtp", "mail.example.com", 25, false, 0),
	OK("submission://", "submission://mail.example.com", "submission", "mail.example.com", 587, false, 0),
	OK("smtps://", "smtps://mail.example.com", "smtps", "mail.example.com", 465, true, 0),
	OK("smtp:// with port", "smtp://mail.example.com:2525", "smtp", "mail.example.com", 2525, false, 0),
	OK("smtps:// other port", "smtps://mail.example.com:10465", "smtps", "mail.example.com", 10465, true, 0),
	OK("smtps:// port 25 keeps TLS", "smtps://mx.example:25", "smtps", "mx.example", 25, true, 0),
	OK("smtp:// port 465 stays smtp", "smtp://mx.example:465", "smtp", "mx.example", 465, false, 0),
	OK("submission:// port 25", "submission://mx.example:25", "submission", "mx.example", 25, false, 0),
	OK("trailing slash", "smtp://mail.example.com/", "smtp", "mail.example.com", 25, false, 0),
	OK("trailing slash after port", "smtps://mail.example.com:465/", "smtps", "mail.example.com", 465, true, 0),
	OK("upper-case scheme", "SMTPS://MAIL.EXAMPLE.COM", "smtps", "mail.example.com", 465, true, 0),
	OK("mixed-case scheme", "Submission://Mx.Example", "submission", "mx.example", 587, false, 0),
	OK("url [v6]", "smtp://[::1]", "smtp", "::1", 25, false, AF_INET6),
	OK("url [v6]:port/", "smtps://[2001:db8::1]:465/", "smtps", "2001:db8::1", 465, true, AF_INET6),
	OK("url ipv4", "submission://192.0.2.7", "submission", "192.0.2.7", 587, false, AF_INET),
	/* the other dialects: RFC 2033 (LMTP), RFC 2595 (STLS), RFC 3501, RFC 8314 */
	OKD("lmtp://", "lmtp://mail.example.com", "lmtp", "mail.example.com", 24, false, 0, "lmtp"),
	OKD("lmtp:// port", "lmtp://127.0.0.1:2424", "lmtp", "127.0.0.1", 2424, false, AF_INET, "lmtp"),
	OKD("pop3://", "pop3://mail.example.com", "pop3", "mail.example.com", 110, false, 0, "pop3"),
	OKD("pop3s://", "pop3s://mail.example.com", "pop3s", "mail.example.com", 995, true, 0, "pop3"),
	OKD("POP3S:// upper", "POP3S://[::1]:1995/", "pop3s", "::1", 1995, true, AF_INET6, "pop3"),
	OKD("imap://", "imap://mail.example.com", "imap", "mail.example.com", 143, false, 0, "imap"),
	OKD("imaps://", "imaps://mail.example.com", "imaps", "mail.example.com", 993, true, 0, "imap"),
	OKD("imap:// port 993 stays STARTTLS", "imap://mx.example:993", "imap", "mx.example", 993, false, 0, "imap"),
	OKD("imaps:// other port", "imaps://192.0.2.9:10993", "imaps", "192.0.2.9", 10993, true, AF_INET, "imap"),
	/* without a scheme a mailbox port still means SMTP: the scheme says the dialect */
	OK("110 without scheme stays smtp", "mx.example:110", "smtp", "mx.example", 110, false, 0),

	/* failures: empty and ports */
	BAD("NULL", NULL),
	BAD("empty", ""),
	BAD("empty port", "host:"),
	BAD("port 0", "host:0"),
	BAD("port 65536", "host:65536"),
	BAD("port 99999", "host:99999"),
	BAD("port 6 digits", "host:000025"),
	BAD("port abc", "host:abc"),
	BAD("port 25x", "host:25x"),
	BAD("port negative", "host:-1"),
	BAD("port plus", "host:+25"),
	BAD("port only", ":25"),
	BAD("ipv4 empty port", "192.0.2.1:"),
	/* IPv6 */
	BAD("unclosed [", "[::1"),
	BAD("junk after ]", "[::1]x"),
	BAD("empty port after ]", "[::1]:"),
	BAD("bad port after ]", "[::1]:0"),
	BAD("not hex in []", "[nothex]:25"),
	BAD("empty []", "[]"),
	BAD("ipv4 in []", "[192.0.2.1]:25"),
	BAD("zone id", "[fe80::1%eth0]:25"),
	BAD("v6 with port, no brackets", "1:2:3"),
	BAD("v6 with port, no brackets 2", "2001:db8::1:25x"),
	BAD("] alone", "]"),
	/* schemes and URL parts */
	BAD("ftp://", "ftp://x"),
	BAD("http://", "http://mail.example.com"),
	BAD("empty scheme", "://mail.example.com"),
	BAD("smtp:// alone", "smtp://"),
	BAD("smtp:/// alone", "smtp:///"),
	BAD("smtp:// with port only", "smtp://:25"),
	BAD("user@", "smtp://user@h"),
	BAD("user:pass@", "smtp://user:pass@h:25"),
	BAD("path", "smtp://h/path"),
	BAD("two slashes", "smtp://h//"),
	BAD("query", "smtp://h?x=1"),
	BAD("fragment", "smtp://h#x"),
	BAD("single slash", "smtp:/h"),
	BAD("scheme twice", "smtp://smtp://h"),
	BAD("pop://", "pop://h"),
	BAD("pop3 without s", "pop3:/h"),
	BAD("imap4://", "imap4://h"),
	BAD("lmtps://", "lmtps://h"),
	BAD("imaps:// alone", "imaps://"),
	BAD("pop3 user@", "pop3://user@h"),
	/* host names */
	BAD("empty label", "a..b"),
	BAD("leading dot", ".example.com"),
	BAD("only a dot", "."),
	BAD("leading hyphen", "-a.example"),
	BAD("trailing hyphen", "a-.example"),
	BAD("hyphen before root dot", "a-."),
	BAD("label of 64", L64 ".example"),
	BAD("label of 64 last", "example." L64),
	BAD("name of 255", L63 "." L63 "." L63 "." L63),
	/* RFC 1123 section 2.1: a name of 253 octets at most. */
	BAD("name of 254 without root dot", L63 "." L63 "." L63 "." L62),
	BAD("star", "*.example.com"),
	BAD("comma", "mail,example.com"),
	BAD("percent", "mail%2eexample.com"),
	/* internationalised names (IDNA2008 / UTS #46): the A-labels are the host */
	OK("U-labels", "m\xc3\xa4il.example", "smtp", "xn--mil-qla.example", 25, false, 0),
	OK("U-labels, port",
	   "mx.b\xc3\xbc"
	   "cher.example:2525",
	   "smtp", "mx.xn--bcher-kva.example", 2525, false, 0),
	OK("U-labels, scheme",
	   "smtps://mx.b\xc3\xbc"
	   "cher.example",
	   "smtps", "mx.xn--bcher-kva.example", 465, true, 0),
	OK("U-labels, upper case mapped",
	   "MX.B\xc3\x9c"
	   "CHER.EXAMPLE",
	   "smtp", "mx.xn--bcher-kva.example", 25, false, 0),
	OK("A-labels as given", "mx.xn--bcher-kva.example", "smtp", "mx.xn--bcher-kva.example", 25, false, 0),
	BAD("disallowed code point (snowman)", "mx.\xe2\x98\x83.example"),
	BAD("not UTF-8", "mail\xff"),
	BAD("not UTF-8, lone continuation", "m\x80il.example"),
	BAD("U-label with -- in positions 3-4", "b\xc3\xbc--x.example"),
	BAD("0x7f", "mail\x7f.example"),
	/* Bytes that are not UTF-8 where the message quotes a part of the
	 * input: the fuzz harness found the IPv6 one echoed raw. */
	BAD("not UTF-8 in an IPv6 literal", "submission://[::ffff:192.0.2\xa5"
					    "1]"),
	BAD("not UTF-8 in a bare IPv6 literal", "[\xff::1]:25"),
	BAD("not UTF-8 in the scheme", "sm\xfftp://mail.example"),
	BAD("not UTF-8 in the port", "mail.example:2\xa5"
				     "5"),
	/* whitespace and control characters */
	BAD("space", "mail example.com"),
	BAD("leading space", " mail.example.com"),
	BAD("trailing space", "mail.example.com "),
	BAD("tab", "mail\t.example.com"),
	BAD("CR", "mail.example.com\r"),
	BAD("LF", "mail.example.com\n"),
	BAD("LF inside", "mail\n.example.com"),
	BAD("ESC", "mail\x1b[2J.example"),
	BAD("BEL", "\x07"),
	/* RFC 1123 section 2.1: "the highest-level component label will be
	 * alphabetic", so a dotted number is not a name; getaddrinfo() would
	 * read "1.2.3" as the address 1.2.0.3 (inet_aton), and "127.1" or
	 * "0x7f.1" as 127.0.0.1, while they pass here as names (family 0). */
	BAD("dotted number, too few parts", "1.2.3"),
	BAD("dotted number, out of range", "256.1.1.1"),
	BAD("short IPv4 form", "127.1"), /* getaddrinfo: 127.0.0.1, SNI "127.1" */
	BAD("hex IPv4 form", "0x7f.1"),	 /* getaddrinfo: 127.0.0.1 */
	/* long */
	BAD("very long name", A2048),
	BAD("very long with port", A2048 ":25"),
	BAD("very long url", "smtp://" A2048 "/"),
};

/* A one-line message for a terminal: no control bytes at all (an echoed
 * ESC would reach the user's terminal). */
static bool all_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

static int check_row(const struct target_row *row)
{
	struct target_spec t;
	char err[256];
	int bad = 0;
	memset(err, 0, sizeof err);
	int rc = target_parse(row->in, &t, err, sizeof err);
#define CHECK(cond, ...)                                      \
	do {                                                  \
		if (!(cond)) {                                \
			print_error("row '%s': ", row->name); \
			print_error(__VA_ARGS__);             \
			print_error("\n");                    \
			bad++;                                \
		}                                             \
	} while (0)
	if (!row->ok) {
		CHECK(rc == -1, "expected failure, got rc=%d (host '%s', port %u)", rc, t.host ? t.host : "",
		      (unsigned)t.port);
		if (rc == -1) {
			CHECK(err[0] != '\0', "error message is empty");
			CHECK(strchr(err, '\n') == NULL, "error message is not one line: \"%s\"", err);
			CHECK(all_printable(err), "error message holds a control byte (echoes the input raw)");
			CHECK(str_is_safe(err, strlen(err), false),
			      "error message is not escaped (invalid UTF-8, C1, bidi): \"%s\"", err);
			CHECK(t.host == NULL && t.scheme == NULL && t.input == NULL, "output set on failure");
		}
		target_spec_clear(&t);
		return bad;
	}
	CHECK(rc == 0, "expected success, got rc=%d err \"%s\"", rc, err);
	if (rc == 0) {
		CHECK(t.input && strcmp(t.input, row->in) == 0, "input '%s'", t.input ? t.input : "(null)");
		CHECK(t.scheme && strcmp(t.scheme, row->scheme) == 0, "scheme '%s', expected '%s'",
		      t.scheme ? t.scheme : "(null)", row->scheme);
		CHECK(t.host && strcmp(t.host, row->host) == 0, "host '%s', expected '%s'", t.host ? t.host : "(null)",
		      row->host);
		CHECK(t.port == row->port, "port %u, expected %u", (unsigned)t.port, (unsigned)row->port);
		CHECK(t.implicit_tls == row->implicit_tls, "implicit_tls %d, expected %d", t.implicit_tls,
		      row->implicit_tls);
		CHECK(t.family == row->family, "family %d, expected %d", t.family, row->family);
		const char *want = row->dialect ? row->dialect : "smtp";
		CHECK(t.dialect && strcmp(t.dialect, want) == 0, "dialect '%s', expected '%s'",
		      t.dialect ? t.dialect : "(null)", want);
	}
#undef CHECK
	target_spec_clear(&t);
	return bad;
}

static void test_target_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		failed += check_row(&rows[i]);
	assert_int_equal(failed, 0);
}

/* A very long input built at run time, and a message that has to fit. */
static void test_target_long_and_small_err(void **state)
{
	(void)state;
	size_t n = 100000;
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, 'a', n);
	s[n] = '\0';
	struct target_spec t;
	char err[256] = "";
	assert_int_equal(target_parse(s, &t, err, sizeof err), -1);
	assert_true(err[0] != '\0');
	assert_true(strlen(err) < sizeof err);
	assert_null(strchr(err, '\n'));
	target_spec_clear(&t);

	/* An error buffer of one byte still gets a terminated string. */
	char tiny[1] = { 'x' };
	assert_int_equal(target_parse("host:0", &t, tiny, sizeof tiny), -1);
	assert_int_equal(tiny[0], '\0');
	target_spec_clear(&t);

	/* A message cut at the buffer's end is cut between characters: every
	 * cut of a non-ASCII target that does not parse (found by fuzz_target). */
	for (size_t len = 2; len < 120; len++) {
		char e2[120];
		assert_int_equal(target_parse("[\xc4\xb3\xc4\xb3\xc4\xb3\xc4\xb3::1]:25", &t, e2, len), -1);
		assert_true(str_is_safe(e2, strlen(e2), false));
		target_spec_clear(&t);
	}
	free(s);
}

/* target_spec_clear leaves a zeroed struct that can be cleared again. */
static void test_target_clear_twice(void **state)
{
	(void)state;
	struct target_spec t;
	char err[128];
	assert_int_equal(target_parse("smtps://mx.example", &t, err, sizeof err), 0);
	target_spec_clear(&t);
	assert_null(t.host);
	assert_null(t.scheme);
	assert_null(t.input);
	assert_int_equal(t.port, 0);
	target_spec_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_rows),
		cmocka_unit_test(test_target_long_and_small_err),
		cmocka_unit_test(test_target_clear_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
