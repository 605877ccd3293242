/* \summary: the POP3 parsers over tables of rows: status lines
 * (pop3_status_parse), multi-line CAPA bodies with their terminating "."
 * and byte-stuffing (pop3_multi_feed), and what CAPA says (pop3_caps_parse):
 * Dovecot's replies with and without disable_plaintext_auth, and lines no
 * server may send. Lines carry explicit lengths, so NUL bytes are rows too.
 * specification: RFC 1939 section 3, RFC 2449 sections 5 and 6, RFC 2595
 * section 4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3.h"
#include "util/err.h"

#define LN(x) x, sizeof(x) - 1
#define BAD   -MX_E_BAD_REPLY
#define LONG  -MX_E_LINE_TOO_LONG

struct status_row {
	const char *name;
	const char *line;
	size_t len;
	int rc;
	const char *text; /* from text_off, when rc >= 0 */
};

static const struct status_row status_rows[] = {
	{ "dovecot greeting", LN("+OK Dovecot (Debian) ready."), 1, "Dovecot (Debian) ready." },
	{ "bare +OK", LN("+OK"), 1, "" },
	{ "+OK and space", LN("+OK "), 1, "" },
	{ "lower case +ok", LN("+ok fine"), 1, "fine" },
	{ "-ERR", LN("-ERR [SYS/TEMP] try later"), 0, "[SYS/TEMP] try later" },
	{ "bare -ERR", LN("-ERR"), 0, "" },
	{ "STLS reply", LN("+OK Begin TLS negotiation now."), 1, "Begin TLS negotiation now." },
	/* failures */
	{ "empty", LN(""), BAD, NULL },
	{ "+O", LN("+O"), BAD, NULL },
	{ "+OKAY", LN("+OKAY"), BAD, NULL },
	{ "-ERROR", LN("-ERROR x"), BAD, NULL },
	{ "SMTP banner", LN("220 mx.example ESMTP"), BAD, NULL },
	{ "IMAP greeting", LN("* OK IMAP4rev1 ready"), BAD, NULL },
	{ "leading space", LN(" +OK"), BAD, NULL },
	{ "tab after +OK", LN("+OK\tx"), BAD, NULL },
	{ "NUL inside", "+OK a\0b", 7, BAD, NULL },
	{ "NUL after +OK", "+OK\0", 4, BAD, NULL },
	{ "garbage", LN("\x16\x03\x01\x02\x00"), BAD, NULL },
};

static void test_status_rows(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof status_rows / sizeof status_rows[0]; i++) {
		const struct status_row *r = &status_rows[i];
		size_t off = 9999;
		int rc = pop3_status_parse(r->line, r->len, &off);
		if (rc != r->rc) {
			print_error("row '%s': rc %d, expected %d\n", r->name, rc, r->rc);
			bad++;
			continue;
		}
		if (rc >= 0 && (off > r->len || strlen(r->text) != r->len - off ||
				memcmp(r->line + off, r->text, r->len - off) != 0)) {
			print_error("row '%s': text at %zu, expected \"%s\"\n", r->name, off, r->text);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_status_long_line(void **state)
{
	(void)state;
	char *l = malloc(POP3_MAX_LINE + 2);
	assert_non_null(l);
	memcpy(l, "+OK ", 4);
	memset(l + 4, 'x', POP3_MAX_LINE - 2);
	assert_int_equal(pop3_status_parse(l, POP3_MAX_LINE, NULL), 1);
	assert_int_equal(pop3_status_parse(l, POP3_MAX_LINE + 1, NULL), LONG);
	free(l);
}

#define MAX_LINES 12
struct multi_row {
	const char *name;
	const char *lines[MAX_LINES]; /* NULL-terminated */
	int rc;			      /* of the last line fed */
	const char *joined;	      /* the body joined with "|" when rc == 0 */
	/* pop3_caps_parse on a complete body */
	bool stls, user, auth;
	const char *mechs; /* joined with " " */
};

static const struct multi_row multi_rows[] = {
	{ "dovecot, plaintext allowed",
	  { "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "USER", "SASL PLAIN", ".",
	    NULL },
	  0,
	  "CAPA|TOP|UIDL|RESP-CODES|PIPELINING|AUTH-RESP-CODE|STLS|USER|SASL PLAIN",
	  true,
	  true,
	  true,
	  "PLAIN" },
	{ "dovecot, disable_plaintext_auth",
	  { "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "SASL", ".", NULL },
	  0,
	  "CAPA|TOP|UIDL|RESP-CODES|PIPELINING|AUTH-RESP-CODE|STLS|SASL",
	  true,
	  false,
	  true,
	  "" },
	{ "lower case, several mechanisms",
	  { "stls", "user", "sasl plain login  cram-md5", ".", NULL },
	  0,
	  "stls|user|sasl plain login  cram-md5",
	  true,
	  true,
	  true,
	  "PLAIN LOGIN CRAM-MD5" },
	{ "empty list", { ".", NULL }, 0, "", false, false, false, "" },
	{ "byte-stuffed", { "..hidden", ".", NULL }, 0, ".hidden", false, false, false, "" },
	{ "STLS with a parameter is still STLS",
	  { "STLS now", "IMPLEMENTATION x", ".", NULL },
	  0,
	  "STLS now|IMPLEMENTATION x",
	  true,
	  false,
	  false,
	  "" },
	{ "STLSX is not STLS", { "STLSX", "USERS", ".", NULL }, 0, "STLSX|USERS", false, false, false, "" },
	/* failures */
	{ "unterminated CAPA", { "STLS", "USER", NULL }, 1, NULL, false, false, false, NULL },
	{ "NUL in a line", { "ST\x01LS", "US\0ER", NULL }, BAD, NULL, false, false, false, NULL },
	{ "a line after the end", { "STLS", ".", "USER", NULL }, BAD, NULL, false, false, false, NULL },
};

static void test_multi_rows(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof multi_rows / sizeof multi_rows[0]; i++) {
		const struct multi_row *r = &multi_rows[i];
		struct pop3_multi m = { 0 };
		int rc = 1;
		for (size_t k = 0; r->lines[k]; k++) {
			/* the NUL row: its second line is "US\0ER", 5 bytes */
			size_t len = strcmp(r->name, "NUL in a line") == 0 && k == 1 ? 5 : strlen(r->lines[k]);
			rc = pop3_multi_feed(&m, r->lines[k], len);
			if (rc < 0)
				break;
		}
		if (rc != r->rc) {
			print_error("row '%s': rc %d, expected %d\n", r->name, rc, r->rc);
			bad++;
		} else if (rc == 0) {
			char *j = strvec_join(&m.lines, "|");
			if (strcmp(j, r->joined) != 0) {
				print_error("row '%s': body \"%s\", expected \"%s\"\n", r->name, j, r->joined);
				bad++;
			}
			free(j);
			struct smtp_caps c;
			memset(&c, 0, sizeof c);
			pop3_caps_parse("Capability list follows", &m.lines, &c);
			char *mechs = strvec_join(&c.auth_mechs, " ");
			if (!c.valid || c.starttls != r->stls || c.pop3_user != r->user || c.auth != r->auth ||
			    strcmp(mechs, r->mechs) != 0 || c.lines.n != m.lines.n || c.logindisabled) {
				print_error("row '%s': caps stls=%d user=%d auth=%d mechs \"%s\"\n", r->name,
					    c.starttls, c.pop3_user, c.auth, mechs);
				bad++;
			}
			free(mechs);
			smtp_caps_clear(&c);
		}
		pop3_multi_clear(&m);
	}
	assert_int_equal(bad, 0);
}

static void test_multi_limits(void **state)
{
	(void)state;
	struct pop3_multi m = { 0 };
	for (int i = 0; i < POP3_MAX_CAPA_LINES; i++)
		assert_int_equal(pop3_multi_feed(&m, "X-CAP", 5), 1);
	assert_int_equal(pop3_multi_feed(&m, "X-CAP", 5), -MX_E_REPLY_TOO_LONG);
	/* the end still ends it: a server that stopped in time is fine */
	assert_int_equal(pop3_multi_feed(&m, ".", 1), 0);
	pop3_multi_clear(&m);

	char *l = malloc(POP3_MAX_LINE + 1);
	assert_non_null(l);
	memset(l, 'A', POP3_MAX_LINE + 1);
	assert_int_equal(pop3_multi_feed(&m, l, POP3_MAX_LINE), 1);
	assert_int_equal(pop3_multi_feed(&m, l, POP3_MAX_LINE + 1), LONG);
	free(l);
	/* control bytes are kept printable in the model */
	assert_int_equal(pop3_multi_feed(&m, "A\x1b[2J", 5), 1);
	assert_null(strchr(m.lines.v[m.lines.n - 1], '\x1b'));
	pop3_multi_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_rows),
		cmocka_unit_test(test_status_long_line),
		cmocka_unit_test(test_multi_rows),
		cmocka_unit_test(test_multi_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
