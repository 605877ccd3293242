/* \summary: smtp_reply_feed, smtp_enh_parse and smtp_reply_to_info over
 * tables of rows: replies as servers send them (the Exchange 2007 and
 * Postfix EHLO replies of the source documents among them) and replies no
 * server may send. Lines carry explicit lengths, so NUL bytes are rows too.
 * specification: RFC 5321 section 4.2 (reply lines, multi-line replies),
 * RFC 3463 and RFC 2034 (enhanced status codes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp.h"
#include "util/err.h"

struct line {
	const char *s;
	size_t len;
};
#define LN(x)                    \
	{                        \
		x, sizeof(x) - 1 \
	}
#define MAX_ROW_LINES 16

struct reply_row {
	const char *name;
	struct line lines[MAX_ROW_LINES]; /* up to the first { NULL, 0 } */
	int rc;				  /* of the last line fed */
	size_t fed;			  /* lines fed until rc != 1 */
	/* when rc >= 0 */
	int code;
	const char *enh;
	const char *text; /* lines joined with "\n", as smtp_reply_to_info gives it */
};

#define BAD -MX_E_BAD_REPLY

static const struct reply_row rows[] = {
	/* single lines */
	{ "single line", { LN("250 ok") }, 0, 1, 250, "", "ok" },
	{ "banner",
	  { LN("220 mx.example.com ESMTP Postfix (Debian/GNU)") },
	  0,
	  1,
	  220,
	  "",
	  "mx.example.com ESMTP Postfix (Debian/GNU)" },
	{ "250 alone", { LN("250") }, 0, 1, 250, "", "" },
	{ "250 and space", { LN("250 ") }, 0, 1, 250, "", "" },
	{ "text keeps spaces", { LN("250  two  spaces ") }, 0, 1, 250, "", " two  spaces " },
	{ "554", { LN("554 no SMTP service here") }, 0, 1, 554, "", "no SMTP service here" },
	{ "421",
	  { LN("421 4.3.2 Service not available, closing transmission channel") },
	  0,
	  1,
	  421,
	  "4.3.2",
	  "Service not available, closing transmission channel" },
	{ "highest code 559", { LN("559 x") }, 0, 1, 559, "", "x" },
	{ "lowest code 200", { LN("200 x") }, 0, 1, 200, "", "x" },
	{ "high bytes in text", { LN("250 caf\xc3\xa9 \xff") }, 0, 1, 250, "", "caf\xc3\xa9 \xff" },
	{ "control bytes in text", { LN("250 a\tb\x1b") }, 0, 1, 250, "", "a\tb\x1b" },

	/* multi-line */
	{ "multi-line", { LN("250-a"), LN("250 b") }, 0, 2, 250, "", "a\nb" },
	{ "multi-line, three", { LN("250-a"), LN("250-b"), LN("250 c") }, 0, 3, 250, "", "a\nb\nc" },
	{ "multi-line, empty first", { LN("250-"), LN("250 b") }, 0, 2, 250, "", "\nb" },
	{ "multi-line, bare last", { LN("250-a"), LN("250") }, 0, 2, 250, "", "a\n" },
	{ "multi-line, unfinished", { LN("250-a"), LN("250-b") }, 1, 2, 250, "", "a\nb" },
	{ "continuation alone", { LN("250-") }, 1, 1, 250, "", "" },
	{ "multi-line 220 banner",
	  { LN("220-mx.example.com ESMTP"), LN("220-no UCE"), LN("220 ready") },
	  0,
	  3,
	  220,
	  "",
	  "mx.example.com ESMTP\nno UCE\nready" },
	{ "multi-line 554",
	  { LN("554-5.7.1 go away"), LN("554 5.7.1 really") },
	  0,
	  2,
	  554,
	  "5.7.1",
	  "go away\nreally" },

	/* enhanced status codes: stripped and kept when the class matches */
	{ "enh", { LN("250 2.1.0 ok") }, 0, 1, 250, "2.1.0", "ok" },
	{ "enh 5.7.1", { LN("550 5.7.1 Relaying denied") }, 0, 1, 550, "5.7.1", "Relaying denied" },
	{ "enh 4.7.0",
	  { LN("454 4.7.0 TLS not available due to local problem") },
	  0,
	  1,
	  454,
	  "4.7.0",
	  "TLS not available due to local problem" },
	{ "enh 220 STARTTLS", { LN("220 2.0.0 Ready to start TLS") }, 0, 1, 220, "2.0.0", "Ready to start TLS" },
	{ "enh alone", { LN("250 2.1.0") }, 0, 1, 250, "2.1.0", "" },
	{ "enh three digits", { LN("250 2.999.999 x") }, 0, 1, 250, "2.999.999", "x" },
	{ "enh leading zeros", { LN("250 2.01.001 x") }, 0, 1, 250, "2.01.001", "x" },
	{ "enh, two spaces", { LN("250 2.1.0  x") }, 0, 1, 250, "2.1.0", " x" },
	{ "enh class mismatch", { LN("550 2.1.0 x") }, 0, 1, 550, "", "2.1.0 x" },
	{ "enh class mismatch 4/5", { LN("550 4.7.1 x") }, 0, 1, 550, "", "4.7.1 x" },
	{ "enh glued to text", { LN("250 2.1.0x") }, 0, 1, 250, "", "2.1.0x" },
	{ "enh subject of 4 digits", { LN("250 2.1000.0 x") }, 0, 1, 250, "", "2.1000.0 x" },
	{ "enh detail of 4 digits", { LN("250 2.1.1000 x") }, 0, 1, 250, "", "2.1.1000 x" },
	{ "enh missing detail", { LN("250 2.1 x") }, 0, 1, 250, "", "2.1 x" },
	{ "enh empty detail", { LN("250 2.1. x") }, 0, 1, 250, "", "2.1. x" },
	{ "enh empty subject", { LN("250 2..0 x") }, 0, 1, 250, "", "2..0 x" },
	{ "enh letters", { LN("250 2.a.0 x") }, 0, 1, 250, "", "2.a.0 x" },
	{ "enh class of two digits", { LN("250 22.1.0 x") }, 0, 1, 250, "", "22.1.0 x" },
	{ "enh tab after", { LN("250 2.1.0\tx") }, 0, 1, 250, "", "2.1.0\tx" },
	{ "enh class 3 (not a class)", { LN("354 3.0.0 go ahead") }, 0, 1, 354, "", "3.0.0 go ahead" },
	{ "enh in multi-line", { LN("250-2.0.0 first"), LN("250 2.1.5 second") }, 0, 2, 250, "2.0.0", "first\nsecond" },
	{ "enh only on second line", { LN("250-hello"), LN("250 2.0.0 ok") }, 0, 2, 250, "", "hello\nok" },
	{ "enh, version-like text", { LN("250 2.0.0.1 x") }, 0, 1, 250, "", "2.0.0.1 x" },

	/* the source documents' EHLO replies (Exchange 2007 send and receive logs) */
	{ "exchange send log EHLO",
	  { LN("250-edgedns3 Hello woodgrove.com [192.168.0.2], pleased to meet you"), LN("250-ENHANCEDSTATUSCODES"),
	    LN("250-PIPELINING"), LN("250-EXPN"), LN("250-VERB"), LN("250-8BITMIME"), LN("250-SIZE"), LN("250-DSN"),
	    LN("250-ETRN"), LN("250-STARTTLS"), LN("250-DELIVERBY"), LN("250 HELP") },
	  0,
	  12,
	  250,
	  "",
	  "edgedns3 Hello woodgrove.com [192.168.0.2], pleased to meet you\nENHANCEDSTATUSCODES\nPIPELINING\nEXPN\n"
	  "VERB\n8BITMIME\nSIZE\nDSN\nETRN\nSTARTTLS\nDELIVERBY\nHELP" },
	{ "exchange receive log EHLO",
	  { LN("250-edgea36.dns.contoso.com Hello [192.168.0.1]"), LN("250-SIZE 15728640"), LN("250-PIPELINING"),
	    LN("250-DSN"), LN("250-ENHANCEDSTATUSCODES"), LN("250-STARTTLS"), LN("250-AUTH"), LN("250-8BITMIME"),
	    LN("250-BINARYMIME"), LN("250 CHUNKING") },
	  0,
	  10,
	  250,
	  "",
	  "edgea36.dns.contoso.com Hello [192.168.0.1]\nSIZE 15728640\nPIPELINING\nDSN\nENHANCEDSTATUSCODES\n"
	  "STARTTLS\nAUTH\n8BITMIME\nBINARYMIME\nCHUNKING" },
	{ "exchange receive log EHLO after TLS",
	  { LN("250-edgea36.dns.contoso.com Hello [192.168.0.1]"), LN("250-SIZE 15728640"), LN("250-PIPELINING"),
	    LN("250-DSN"), LN("250-ENHANCEDSTATUSCODES"), LN("250-AUTH"), LN("250-8BITMIME"), LN("250-BINARYMIME"),
	    LN("250 CHUNKING") },
	  0,
	  9,
	  250,
	  "",
	  "edgea36.dns.contoso.com Hello [192.168.0.1]\nSIZE 15728640\nPIPELINING\nDSN\nENHANCEDSTATUSCODES\n"
	  "AUTH\n8BITMIME\nBINARYMIME\nCHUNKING" },
	{ "exchange 220 after STARTTLS",
	  { LN("220 2.0.0 SMTP server ready") },
	  0,
	  1,
	  220,
	  "2.0.0",
	  "SMTP server ready" },
	{ "exchange MAIL reply",
	  { LN("250 2.1.0 <user@example.com>... Sender ok") },
	  0,
	  1,
	  250,
	  "2.1.0",
	  "<user@example.com>... Sender ok" },
	{ "exchange queued",
	  { LN("250 2.6.0 <200608281121.k7SBHYi0004586@edgedns3> Queued mail for delivery") },
	  0,
	  1,
	  250,
	  "2.6.0",
	  "<200608281121.k7SBHYi0004586@edgedns3> Queued mail for delivery" },
	{ "exchange 354",
	  { LN("354 Start mail input; end with <CRLF>.<CRLF>") },
	  0,
	  1,
	  354,
	  "",
	  "Start mail input; end with <CRLF>.<CRLF>" },
	{ "exchange 221",
	  { LN("221 2.0.0 edgedns3 closing connection") },
	  0,
	  1,
	  221,
	  "2.0.0",
	  "edgedns3 closing connection" },
	{ "hosted filter EHLO (Postfix)",
	  { LN("250-mail77-red.bigfish.com"), LN("250-PIPELINING"), LN("250-SIZE 150000000"), LN("250-ETRN"),
	    LN("250-STARTTLS"), LN("250 8BITMIME") },
	  0,
	  6,
	  250,
	  "",
	  "mail77-red.bigfish.com\nPIPELINING\nSIZE 150000000\nETRN\nSTARTTLS\n8BITMIME" },

	/* not reply lines */
	{ "empty line", { LN("") }, BAD, 1, 0, NULL, NULL },
	{ "one digit", { LN("2") }, BAD, 1, 0, NULL, NULL },
	{ "two digits", { LN("25") }, BAD, 1, 0, NULL, NULL },
	{ "250x", { LN("250x") }, BAD, 1, 0, NULL, NULL },
	{ "250x text", { LN("250x ok") }, BAD, 1, 0, NULL, NULL },
	{ "250 tab", { LN("250\tok") }, BAD, 1, 0, NULL, NULL },
	{ "250 underscore", { LN("250_ok") }, BAD, 1, 0, NULL, NULL },
	{ "2x0", { LN("2x0") }, BAD, 1, 0, NULL, NULL },
	{ "2x0 text", { LN("2x0 ok") }, BAD, 1, 0, NULL, NULL },
	{ "25x", { LN("25x ok") }, BAD, 1, 0, NULL, NULL },
	{ "x50", { LN("x50 ok") }, BAD, 1, 0, NULL, NULL },
	{ "199", { LN("199 x") }, BAD, 1, 0, NULL, NULL },
	{ "100", { LN("100 x") }, BAD, 1, 0, NULL, NULL },
	{ "099", { LN("099 x") }, BAD, 1, 0, NULL, NULL },
	{ "600", { LN("600 x") }, BAD, 1, 0, NULL, NULL },
	{ "999", { LN("999 x") }, BAD, 1, 0, NULL, NULL },
	{ "260 (second digit 6)", { LN("260 x") }, BAD, 1, 0, NULL, NULL },
	{ "290 (second digit 9)", { LN("290 x") }, BAD, 1, 0, NULL, NULL },
	{ "leading space", { LN(" 250 x") }, BAD, 1, 0, NULL, NULL },
	{ "four digits", { LN("2500 x") }, BAD, 1, 0, NULL, NULL },
	{ "text only", { LN("hello") }, BAD, 1, 0, NULL, NULL },
	{ "HTTP answer", { LN("HTTP/1.1 400 Bad Request") }, BAD, 1, 0, NULL, NULL },
	{ "TLS bytes", { LN("\x16\x03\x01\x02\x00\x01") }, BAD, 1, 0, NULL, NULL },
	{ "high byte code",
	  { LN("\xb2"
	       "50 x") },
	  BAD,
	  1,
	  0,
	  NULL,
	  NULL },
	{ "CR in place of separator", { LN("250\rok") }, BAD, 1, 0, NULL, NULL },
	/* embedded NUL: the length says where the line ends */
	{ "NUL in text", { LN("250 a\0b") }, BAD, 1, 0, NULL, NULL },
	{ "NUL at end", { LN("250 ok\0") }, BAD, 1, 0, NULL, NULL },
	{ "NUL in code", { LN("25\0 x") }, BAD, 1, 0, NULL, NULL },
	{ "NUL as separator", { LN("250\0x") }, BAD, 1, 0, NULL, NULL },
	{ "NUL only", { LN("\0") }, BAD, 1, 0, NULL, NULL },
	{ "NUL on second line", { LN("250-a"), LN("250 \0") }, BAD, 2, 0, NULL, NULL },
	/* a multi-line reply keeps its code */
	{ "code changes", { LN("250-a"), LN("251 b") }, BAD, 2, 0, NULL, NULL },
	{ "code changes to 550", { LN("250-a"), LN("550 b") }, BAD, 2, 0, NULL, NULL },
	{ "code changes late", { LN("250-a"), LN("250-b"), LN("250-c"), LN("220 d") }, BAD, 4, 0, NULL, NULL },
	{ "garbage on second line", { LN("250-a"), LN("hello") }, BAD, 2, 0, NULL, NULL },
	{ "empty second line", { LN("250-a"), LN("") }, BAD, 2, 0, NULL, NULL },
	{ "bad separator second line", { LN("250-a"), LN("250x") }, BAD, 2, 0, NULL, NULL },
	{ "truncated second line", { LN("250-a"), LN("25") }, BAD, 2, 0, NULL, NULL },
};

static size_t row_lines(const struct reply_row *row)
{
	size_t n = 0;
	while (n < MAX_ROW_LINES && row->lines[n].s)
		n++;
	return n;
}

static int check_row(const struct reply_row *row)
{
	int bad = 0;
#define CHECK(cond, ...)                                      \
	do {                                                  \
		if (!(cond)) {                                \
			print_error("row '%s': ", row->name); \
			print_error(__VA_ARGS__);             \
			print_error("\n");                    \
			bad++;                                \
		}                                             \
	} while (0)
	struct smtp_reply r;
	memset(&r, 0, sizeof r);
	size_t n = row_lines(row), fed = 0;
	int rc = 1;
	while (fed < n && rc == 1) {
		rc = smtp_reply_feed(&r, row->lines[fed].s, row->lines[fed].len);
		fed++;
	}
	CHECK(rc == row->rc, "rc %d (%s), expected %d (%s)", rc, mx_errname(rc), row->rc, mx_errname(row->rc));
	CHECK(fed == row->fed, "stopped after %zu lines, expected %zu", fed, row->fed);
	if (row->rc >= 0 && rc == row->rc) {
		CHECK(r.code == row->code, "code %d, expected %d", r.code, row->code);
		CHECK(strcmp(r.enh, row->enh) == 0, "enh '%s', expected '%s'", r.enh, row->enh);
		CHECK(r.done == (row->rc == 0), "done %d", r.done);
		CHECK(r.text.n == fed, "%zu text lines, expected %zu", r.text.n, fed);
		struct reply_info info;
		memset(&info, 0, sizeof info);
		smtp_reply_to_info(&r, &info);
		CHECK(info.code == row->code, "info code %d", info.code);
		CHECK(strcmp(info.enh, row->enh) == 0, "info enh '%s'", info.enh);
		CHECK(info.text && strcmp(info.text, row->text) == 0, "info text \"%s\", expected \"%s\"",
		      info.text ? info.text : "(null)", row->text);
		/* a second copy into the same struct frees the first */
		smtp_reply_to_info(&r, &info);
		CHECK(info.text && strcmp(info.text, row->text) == 0, "second info text \"%s\"",
		      info.text ? info.text : "(null)");
		reply_info_clear(&info);
	}
#undef CHECK
	smtp_reply_clear(&r);
	return bad;
}

static void test_reply_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		failed += check_row(&rows[i]);
	assert_int_equal(failed, 0);
}

/* ---- smtp_enh_parse on its own ---- */

struct enh_row {
	const char *name;
	const char *text;
	int code;
	size_t outlen;
	size_t want; /* returned length, 0 = none */
	const char *out;
};

static const struct enh_row enh_rows[] = {
	{ "2.1.0 with text", "2.1.0 ok", 250, 16, 5, "2.1.0" },
	{ "2.1.0 alone", "2.1.0", 250, 16, 5, "2.1.0" },
	{ "5.7.1", "5.7.1 Relaying denied", 550, 16, 5, "5.7.1" },
	{ "4.7.0", "4.7.0", 454, 16, 5, "4.7.0" },
	{ "widest", "5.999.999 x", 554, 16, 9, "5.999.999" },
	{ "out exactly big enough", "2.1.0 ok", 250, 6, 5, "2.1.0" },
	{ "out one too small", "2.1.0 ok", 250, 5, 0, NULL },
	{ "out of 0", "2.1.0 ok", 250, 0, 0, NULL },
	{ "class mismatch", "2.1.0 x", 550, 16, 0, NULL },
	{ "class 5 for 4xx", "5.7.1 x", 451, 16, 0, NULL },
	{ "class 3", "3.0.0 x", 354, 16, 0, NULL },
	{ "class 1", "1.0.0 x", 150, 16, 0, NULL },
	{ "class 6", "6.0.0 x", 650, 16, 0, NULL },
	{ "code without class", "2.1.0 x", 2, 16, 0, NULL },
	{ "glued", "2.1.0x", 250, 16, 0, NULL },
	{ "subject of 4", "2.1000.0 x", 250, 16, 0, NULL },
	{ "detail of 4", "2.1.1000", 250, 16, 0, NULL },
	{ "missing detail", "2.1", 250, 16, 0, NULL },
	{ "empty detail", "2.1.", 250, 16, 0, NULL },
	{ "empty subject", "2..0", 250, 16, 0, NULL },
	{ "class only", "2", 250, 16, 0, NULL },
	{ "class and dot", "2.", 250, 16, 0, NULL },
	{ "empty", "", 250, 16, 0, NULL },
	{ "leading space", " 2.1.0", 250, 16, 0, NULL },
	{ "tab after", "2.1.0\t", 250, 16, 0, NULL },
	{ "four parts", "2.1.0.1", 250, 16, 0, NULL },
	{ "letters", "2.x.0", 250, 16, 0, NULL },
	{ "minus", "2.-1.0", 250, 16, 0, NULL },
	{ "high byte", "2.1.\xb0", 250, 16, 0, NULL },
};

static void test_enh_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof enh_rows / sizeof enh_rows[0]; i++) {
		const struct enh_row *row = &enh_rows[i];
		char out[16];
		memset(out, 'Z', sizeof out);
		size_t got = smtp_enh_parse(row->text, row->code, out, row->outlen);
		if (got != row->want) {
			print_error("enh row '%s': returned %zu, expected %zu\n", row->name, got, row->want);
			failed++;
			continue;
		}
		if (row->out && strcmp(out, row->out) != 0) {
			print_error("enh row '%s': out '%s', expected '%s'\n", row->name, out, row->out);
			failed++;
		}
		if (!row->out && row->outlen > 0 && out[0] != 'Z' && out[0] != '\0') {
			print_error("enh row '%s': out written on failure\n", row->name);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* ---- limits ---- */

static void test_reply_max_lines(void **state)
{
	(void)state;
	struct smtp_reply r;
	memset(&r, 0, sizeof r);
	/* SMTP_MAX_REPLY_LINES lines make a reply ... */
	for (size_t i = 0; i + 1 < SMTP_MAX_REPLY_LINES; i++)
		assert_int_equal(smtp_reply_feed(&r, "250-x", 5), 1);
	assert_int_equal(smtp_reply_feed(&r, "250 end", 7), 0);
	assert_int_equal(r.text.n, SMTP_MAX_REPLY_LINES);
	smtp_reply_clear(&r);
	assert_int_equal(r.code, 0);
	assert_int_equal(r.text.n, 0);

	/* ... one more is refused, whether it would end the reply or not. */
	for (size_t i = 0; i < SMTP_MAX_REPLY_LINES; i++)
		assert_int_equal(smtp_reply_feed(&r, "250-x", 5), 1);
	assert_int_equal(smtp_reply_feed(&r, "250 end", 7), -MX_E_REPLY_TOO_LONG);
	assert_int_equal(smtp_reply_feed(&r, "250-more", 8), -MX_E_REPLY_TOO_LONG);
	assert_int_equal(r.text.n, SMTP_MAX_REPLY_LINES);
	smtp_reply_clear(&r);

	/* A server that keeps sending continuation lines never gets past the limit. */
	int rc = 1;
	size_t fed = 0;
	while (rc == 1 && fed < 10 * SMTP_MAX_REPLY_LINES) {
		rc = smtp_reply_feed(&r, "250-PIPELINING", 14);
		fed++;
	}
	assert_int_equal(rc, -MX_E_REPLY_TOO_LONG);
	assert_int_equal(fed, SMTP_MAX_REPLY_LINES + 1);
	smtp_reply_clear(&r);
}

/* A long line is kept whole (the line limit is the connection's business). */
static void test_reply_long_line(void **state)
{
	(void)state;
	size_t n = 64 * 1024;
	char *line = malloc(n);
	assert_non_null(line);
	memcpy(line, "250 ", 4);
	memset(line + 4, 'a', n - 4);
	struct smtp_reply r;
	memset(&r, 0, sizeof r);
	assert_int_equal(smtp_reply_feed(&r, line, n), 0);
	assert_int_equal(strlen(r.text.v[0]), n - 4);
	smtp_reply_clear(&r);
	free(line);
}

/* The length, not a NUL, ends a line: bytes after len are never read. */
static void test_reply_length_bounds(void **state)
{
	(void)state;
	struct smtp_reply r;
	memset(&r, 0, sizeof r);
	assert_int_equal(smtp_reply_feed(&r, "250 okJUNK", 6), 0);
	assert_string_equal(r.text.v[0], "ok");
	smtp_reply_clear(&r);
	assert_int_equal(smtp_reply_feed(&r, "250-more", 3), 0);
	assert_string_equal(r.text.v[0], "");
	smtp_reply_clear(&r);
	/* A heap copy without terminator, so ASan sees an overread. */
	char *p = malloc(5);
	assert_non_null(p);
	memcpy(p, "250-a", 5);
	assert_int_equal(smtp_reply_feed(&r, p, 5), 1);
	memcpy(p, "250 2", 5);
	assert_int_equal(smtp_reply_feed(&r, p, 5), 0);
	assert_string_equal(r.text.v[1], "2");
	free(p);
	smtp_reply_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_rows),	    cmocka_unit_test(test_enh_rows),
		cmocka_unit_test(test_reply_max_lines),	    cmocka_unit_test(test_reply_long_line),
		cmocka_unit_test(test_reply_length_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
