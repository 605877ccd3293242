/* \summary: the IMAP parsers over tables of rows: tagged, untagged and
 * continuation responses with response codes (imap_response_parse), and
 * what a CAPABILITY list says (imap_caps_add): Dovecot's lists with and
 * without disable_plaintext_auth, and lines no server may send (missing or
 * invalid tags, literals, NUL bytes, overlong lines).
 * specification: RFC 3501 sections 6.1.1, 6.2.3, 7.1 and 9; RFC 9051. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap.h"
#include "util/err.h"

#define LN(x) x, sizeof(x) - 1
#define BAD   -MX_E_BAD_REPLY
#define U     IMAP_UNTAGGED
#define T     IMAP_TAGGED
#define C     IMAP_CONTINUATION

struct resp_row {
	const char *name;
	const char *line;
	size_t len;
	int rc;
	enum imap_kind kind;
	const char *tag;
	enum imap_cond cond;
	const char *code; /* NULL: none */
	const char *text;
};

static const struct resp_row rows[] = {
	{ "dovecot greeting",
	  LN("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] "
	     "Dovecot (Debian) ready."),
	  0, U, "", IMAP_COND_OK,
	  "CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED",
	  "Dovecot (Debian) ready." },
	{ "plain greeting", LN("* OK ready"), 0, U, "", IMAP_COND_OK, NULL, "ready" },
	{ "PREAUTH", LN("* PREAUTH [ALERT] hi"), 0, U, "", IMAP_COND_PREAUTH, "ALERT", "hi" },
	{ "BYE", LN("* BYE Too many connections"), 0, U, "", IMAP_COND_BYE, NULL, "Too many connections" },
	{ "capability data", LN("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN"), 0, U, "", IMAP_COND_NONE, NULL,
	  "CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN" },
	{ "numeric data", LN("* 3 EXISTS"), 0, U, "", IMAP_COND_NONE, NULL, "3 EXISTS" },
	{ "tagged OK", LN("a1 OK Pre-login capabilities listed, post-login capabilities have more."), 0, T, "a1",
	  IMAP_COND_OK, NULL, "Pre-login capabilities listed, post-login capabilities have more." },
	{ "tagged OK lower case", LN("a2 ok Begin TLS negotiation now."), 0, T, "a2", IMAP_COND_OK, NULL,
	  "Begin TLS negotiation now." },
	{ "tagged NO with code", LN("a2 NO [UNAVAILABLE] TLS off"), 0, T, "a2", IMAP_COND_NO, "UNAVAILABLE",
	  "TLS off" },
	{ "tagged BAD", LN("A0001 BAD Unknown command"), 0, T, "A0001", IMAP_COND_BAD, NULL, "Unknown command" },
	{ "tagged OK without text", LN("a3 OK"), 0, T, "a3", IMAP_COND_OK, NULL, "" },
	{ "tag with ]", LN("x]1 OK fine"), 0, T, "x]1", IMAP_COND_OK, NULL, "fine" },
	{ "continuation", LN("+ go ahead"), 0, C, "", IMAP_COND_NONE, NULL, "go ahead" },
	{ "bare continuation", LN("+"), 0, C, "", IMAP_COND_NONE, NULL, "" },
	{ "empty code", LN("* OK [] x"), 0, U, "", IMAP_COND_OK, "", "x" },
	/* failures */
	{ "empty", LN(""), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "missing tag", LN(" OK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tag only", LN("a1"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tag and space", LN("a1 "), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tagged without condition", LN("a1 CAPABILITY IMAP4rev1"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tagged BYE", LN("a1 BYE x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tagged PREAUTH", LN("a1 PREAUTH x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tag with *", LN("a*1 OK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tag with +", LN("a+1 OK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tag with (", LN("a(1 OK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tag with quote", LN("\"a\" OK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tag too long", LN("a12345678901234567890123456789012 OK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "star without space", LN("*OK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "star alone", LN("*"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "star space", LN("* "), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "unclosed code", LN("* OK [CAPABILITY IMAP4rev1 x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "literal in greeting", LN("* OK {5}"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "non-sync literal", LN("* CAPABILITY {12+}"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "NUL", "* OK a\0b", 8, BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "SMTP banner", LN("220 mx.example ESMTP"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "POP3 greeting", LN("+OK Dovecot ready."), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "TLS bytes", LN("\x16\x03\x01\x02\x00\x01"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
	{ "tab after tag", LN("a1\tOK x"), BAD, U, "", IMAP_COND_NONE, NULL, NULL },
};

static void test_response_rows(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct resp_row *w = &rows[i];
		struct imap_response r;
		int rc = imap_response_parse(w->line, w->len, &r);
		if (rc != w->rc) {
			print_error("row '%s': rc %d, expected %d\n", w->name, rc, w->rc);
			bad++;
		} else if (rc == 0) {
			bool code_ok = w->code ? (r.code && strcmp(r.code, w->code) == 0) : r.code == NULL;
			if (r.kind != w->kind || strcmp(r.tag, w->tag) != 0 || r.cond != w->cond || !code_ok ||
			    !r.text || strcmp(r.text, w->text) != 0) {
				print_error("row '%s': kind %d tag '%s' cond %s code '%s' text '%s'\n", w->name, r.kind,
					    r.tag, imap_cond_name(r.cond), r.code ? r.code : "(none)",
					    r.text ? r.text : "(null)");
				bad++;
			}
		} else if (r.code || r.text) {
			print_error("row '%s': output left on failure\n", w->name);
			bad++;
		}
		imap_response_clear(&r);
	}
	assert_int_equal(bad, 0);
}

static void test_response_long_line(void **state)
{
	(void)state;
	char *l = malloc(IMAP_MAX_LINE + 1);
	assert_non_null(l);
	memcpy(l, "* OK ", 5);
	memset(l + 5, 'x', IMAP_MAX_LINE - 4);
	struct imap_response r;
	assert_int_equal(imap_response_parse(l, IMAP_MAX_LINE, &r), 0);
	imap_response_clear(&r);
	assert_int_equal(imap_response_parse(l, IMAP_MAX_LINE + 1, &r), -MX_E_LINE_TOO_LONG);
	assert_null(r.text);
	free(l);
	/* control bytes in the text reach the model printable */
	assert_int_equal(imap_response_parse(LN("* OK \x1b[2J"), &r), 0);
	assert_null(strchr(r.text, '\x1b'));
	imap_response_clear(&r);
}

struct caps_row {
	const char *name;
	const char *atoms;
	bool starttls, logindisabled, auth;
	const char *mechs;
	size_t n_lines;
};

static const struct caps_row caps_rows[] = {
	{ "dovecot, disable_plaintext_auth = yes",
	  "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED", true, true, false, "",
	  9 },
	{ "dovecot, disable_plaintext_auth = no",
	  "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN", true, false, true, "PLAIN",
	  9 },
	{ "inside TLS", "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=login", false, false,
	  true, "PLAIN LOGIN", 9 },
	{ "lower case", "imap4rev1 starttls logindisabled", true, true, false, "", 3 },
	{ "repeated atoms count once", "STARTTLS STARTTLS AUTH=PLAIN auth=plain", true, false, true, "PLAIN", 2 },
	{ "AUTH= alone is no mechanism", "AUTH= STARTTLSX LOGINDISABLEDX", false, false, false, "", 3 },
	{ "spaces", "  STARTTLS   ", true, false, false, "", 1 },
	{ "empty", "", false, false, false, "", 0 },
};

static void test_caps_rows(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof caps_rows / sizeof caps_rows[0]; i++) {
		const struct caps_row *w = &caps_rows[i];
		struct smtp_caps c;
		memset(&c, 0, sizeof c);
		imap_caps_add(w->atoms, &c);
		char *m = strvec_join(&c.auth_mechs, " ");
		if (!c.valid || c.starttls != w->starttls || c.logindisabled != w->logindisabled || c.auth != w->auth ||
		    strcmp(m, w->mechs) != 0 || c.lines.n != w->n_lines || c.pop3_user) {
			print_error("row '%s': starttls %d logindisabled %d auth %d mechs '%s' lines %zu\n", w->name,
				    c.starttls, c.logindisabled, c.auth, m, c.lines.n);
			bad++;
		}
		free(m);
		smtp_caps_clear(&c);
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response_rows),
		cmocka_unit_test(test_response_long_line),
		cmocka_unit_test(test_caps_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
