/* \summary: smtp_caps_parse over a table of EHLO replies: Exchange's (from
 * the source documents' protocol logs and as Exchange 2013+ answers),
 * Postfix's, and lines that bend the grammar. Each reply goes through
 * smtp_reply_feed first, as on the wire.
 * specification: RFC 5321 section 4.1.1.1 (ehlo-line), RFC 1870 (SIZE),
 * RFC 4954 (AUTH), RFC 3207 (STARTTLS), RFC 2920, 3030, 6531, 3461, 2034,
 * 8689, 1985. */
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
#include "report/model.h"
#include "util/err.h"

enum {
	C_STARTTLS = 1 << 0,
	C_PIPELINING = 1 << 1,
	C_8BITMIME = 1 << 2,
	C_CHUNKING = 1 << 3,
	C_BINARYMIME = 1 << 4,
	C_SMTPUTF8 = 1 << 5,
	C_DSN = 1 << 6,
	C_ENH = 1 << 7,
	C_REQUIRETLS = 1 << 8,
	C_AUTH = 1 << 9,
	C_SIZE = 1 << 10, /* size_present */
	C_ETRN = 1 << 11,
};

static const struct {
	unsigned bit;
	const char *name;
} cap_names[] = {
	{ C_STARTTLS, "STARTTLS" },
	{ C_PIPELINING, "PIPELINING" },
	{ C_8BITMIME, "8BITMIME" },
	{ C_CHUNKING, "CHUNKING" },
	{ C_BINARYMIME, "BINARYMIME" },
	{ C_SMTPUTF8, "SMTPUTF8" },
	{ C_DSN, "DSN" },
	{ C_ENH, "ENHANCEDSTATUSCODES" },
	{ C_REQUIRETLS, "REQUIRETLS" },
	{ C_AUTH, "AUTH" },
	{ C_SIZE, "SIZE" },
	{ C_ETRN, "ETRN" },
	{ 0, NULL },
};

#define MAX_ROW_LINES 20

struct caps_row {
	const char *name;
	const char *lines[MAX_ROW_LINES]; /* reply lines, up to the first NULL */
	bool valid;
	const char *greeting; /* NULL when not valid */
	unsigned flags;
	uint64_t size;
	const char *auth;    /* auth_mechs joined with " " */
	const char *unknown; /* unknown joined with "|" */
	size_t nlines;	     /* capability lines after the greeting */
};

static const struct caps_row rows[] = {
	/* The source documents' logs (Exchange 2007 edge, sending side). */
	{ "exchange send log",
	  { "250-edgedns3 Hello woodgrove.com [192.168.0.2], pleased to meet you", "250-ENHANCEDSTATUSCODES",
	    "250-PIPELINING", "250-EXPN", "250-VERB", "250-8BITMIME", "250-SIZE", "250-DSN", "250-ETRN", "250-STARTTLS",
	    "250-DELIVERBY", "250 HELP" },
	  true,
	  "edgedns3 Hello woodgrove.com [192.168.0.2], pleased to meet you",
	  C_ENH | C_PIPELINING | C_8BITMIME | C_SIZE | C_DSN | C_ETRN | C_STARTTLS,
	  0,
	  "",
	  "EXPN|VERB|DELIVERBY|HELP",
	  11 },
	{ "exchange send log, after TLS",
	  { "250-edgedns3 Hello woodgrove.com [192.168.0.2], pleased to meet you", "250-ENHANCEDSTATUSCODES",
	    "250-PIPELINING", "250-EXPN", "250-VERB", "250-8BITMIME", "250-SIZE", "250-DSN", "250-ETRN",
	    "250-DELIVERBY", "250 HELP" },
	  true,
	  "edgedns3 Hello woodgrove.com [192.168.0.2], pleased to meet you",
	  C_ENH | C_PIPELINING | C_8BITMIME | C_SIZE | C_DSN | C_ETRN,
	  0,
	  "",
	  "EXPN|VERB|DELIVERBY|HELP",
	  10 },
	/* Receiving side: AUTH without mechanisms. */
	{ "exchange receive log",
	  { "250-edgea36.dns.contoso.com Hello [192.168.0.1]", "250-SIZE 15728640", "250-PIPELINING", "250-DSN",
	    "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250-AUTH", "250-8BITMIME", "250-BINARYMIME", "250 CHUNKING" },
	  true,
	  "edgea36.dns.contoso.com Hello [192.168.0.1]",
	  C_SIZE | C_PIPELINING | C_DSN | C_ENH | C_STARTTLS | C_AUTH | C_8BITMIME | C_BINARYMIME | C_CHUNKING,
	  15728640,
	  "",
	  "",
	  9 },
	{ "exchange receive log, after TLS",
	  { "250-edgea36.dns.contoso.com Hello [192.168.0.1]", "250-SIZE 15728640", "250-PIPELINING", "250-DSN",
	    "250-ENHANCEDSTATUSCODES", "250-AUTH", "250-8BITMIME", "250-BINARYMIME", "250 CHUNKING" },
	  true,
	  "edgea36.dns.contoso.com Hello [192.168.0.1]",
	  C_SIZE | C_PIPELINING | C_DSN | C_ENH | C_AUTH | C_8BITMIME | C_BINARYMIME | C_CHUNKING,
	  15728640,
	  "",
	  "",
	  8 },
	/* Exchange 2013 and later, frontend receive connector. */
	{ "exchange 2016",
	  { "250-mx.contoso.com Hello [192.0.2.1]", "250-SIZE 37748736", "250-PIPELINING", "250-DSN",
	    "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250-X-ANONYMOUSTLS", "250-AUTH NTLM", "250-X-EXPS GSSAPI NTLM",
	    "250-8BITMIME", "250-BINARYMIME", "250-CHUNKING", "250-XEXCH50", "250-XRDST", "250 XSHADOW" },
	  true,
	  "mx.contoso.com Hello [192.0.2.1]",
	  C_SIZE | C_PIPELINING | C_DSN | C_ENH | C_STARTTLS | C_AUTH | C_8BITMIME | C_BINARYMIME | C_CHUNKING,
	  37748736,
	  "NTLM",
	  "X-ANONYMOUSTLS|X-EXPS GSSAPI NTLM|XEXCH50|XRDST|XSHADOW",
	  14 },
	/* Postfix with smtpd_sasl_auth_enable and broken_sasl_auth_clients. */
	{ "postfix",
	  { "250-mail.example.com", "250-PIPELINING", "250-SIZE 10240000", "250-VRFY", "250-ETRN", "250-STARTTLS",
	    "250-AUTH PLAIN LOGIN", "250-AUTH=PLAIN LOGIN", "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN",
	    "250-SMTPUTF8", "250 CHUNKING" },
	  true,
	  "mail.example.com",
	  C_PIPELINING | C_SIZE | C_ETRN | C_STARTTLS | C_AUTH | C_ENH | C_8BITMIME | C_DSN | C_SMTPUTF8 | C_CHUNKING,
	  10240000,
	  "PLAIN LOGIN",
	  "VRFY",
	  12 },
	{ "postfix, hosted filter (source document)",
	  { "250-mail77-red.bigfish.com", "250-PIPELINING", "250-SIZE 150000000", "250-ETRN", "250-STARTTLS",
	    "250 8BITMIME" },
	  true,
	  "mail77-red.bigfish.com",
	  C_PIPELINING | C_SIZE | C_ETRN | C_STARTTLS | C_8BITMIME,
	  150000000,
	  "",
	  "",
	  5 },
	{ "postfix 3.6 with REQUIRETLS-like list",
	  { "250-mx.example.org", "250-PIPELINING", "250-SIZE", "250-ETRN", "250-STARTTLS", "250-ENHANCEDSTATUSCODES",
	    "250-8BITMIME", "250-DSN", "250-SMTPUTF8", "250-CHUNKING", "250 REQUIRETLS" },
	  true,
	  "mx.example.org",
	  C_PIPELINING | C_SIZE | C_ETRN | C_STARTTLS | C_ENH | C_8BITMIME | C_DSN | C_SMTPUTF8 | C_CHUNKING |
		  C_REQUIRETLS,
	  0,
	  "",
	  "",
	  10 },
	{ "every known keyword",
	  { "250-h", "250-STARTTLS", "250-PIPELINING", "250-8BITMIME", "250-CHUNKING", "250-BINARYMIME", "250-SMTPUTF8",
	    "250-DSN", "250-ENHANCEDSTATUSCODES", "250-REQUIRETLS", "250-AUTH", "250-SIZE 1", "250 ETRN" },
	  true,
	  "h",
	  0xfff,
	  1,
	  "",
	  "",
	  12 },

	/* greeting only */
	{ "one-line 250", { "250 mx.example.com" }, true, "mx.example.com", 0, 0, "", "", 0 },
	{ "250 alone", { "250" }, true, "", 0, 0, "", "", 0 },
	{ "greeting is not a keyword",
	  { "250-STARTTLS", "250 PIPELINING" },
	  true,
	  "STARTTLS",
	  C_PIPELINING,
	  0,
	  "",
	  "",
	  1 },
	{ "enhanced code in greeting",
	  { "250-2.0.0 mx.example.com", "250 STARTTLS" },
	  true,
	  "mx.example.com",
	  C_STARTTLS,
	  0,
	  "",
	  "",
	  1 },

	/* not an EHLO success */
	{ "550", { "550 5.7.1 go away" }, false, NULL, 0, 0, "", "", 0 },
	{ "502 (EHLO unknown)", { "502 5.5.2 Error: command not recognized" }, false, NULL, 0, 0, "", "", 0 },
	{ "500", { "500 Syntax error, command unrecognized" }, false, NULL, 0, 0, "", "", 0 },
	{ "421", { "421 4.3.2 Service not available" }, false, NULL, 0, 0, "", "", 0 },
	{ "220", { "220 mx.example.com ESMTP" }, false, NULL, 0, 0, "", "", 0 },
	{ "251", { "251-mx.example.com", "251 STARTTLS" }, false, NULL, 0, 0, "", "", 0 },
	{ "multi-line 554", { "554-mx.example.com", "554-STARTTLS", "554 PIPELINING" }, false, NULL, 0, 0, "", "", 0 },

	/* SIZE (RFC 1870: "SIZE" [SP size-param], size-param ::= [1*DIGIT]) */
	{ "SIZE alone", { "250-h", "250 SIZE" }, true, "h", C_SIZE, 0, "", "", 1 },
	{ "SIZE 0", { "250-h", "250 SIZE 0" }, true, "h", C_SIZE, 0, "", "", 1 },
	{ "SIZE number", { "250-h", "250 SIZE 52428800" }, true, "h", C_SIZE, 52428800, "", "", 1 },
	{ "SIZE max", { "250-h", "250 SIZE 18446744073709551615" }, true, "h", C_SIZE, UINT64_MAX, "", "", 1 },
	{ "SIZE over 32 bits", { "250-h", "250 SIZE 5000000000" }, true, "h", C_SIZE, 5000000000u, "", "", 1 },
	{ "SIZE abc", { "250-h", "250 SIZE abc" }, true, "h", C_SIZE, 0, "", "", 1 },
	{ "SIZE 12abc", { "250-h", "250 SIZE 12abc" }, true, "h", C_SIZE, 0, "", "", 1 },
	{ "SIZE with trailing word", { "250-h", "250 SIZE 1000 extra" }, true, "h", C_SIZE, 1000, "", "", 1 },
	{ "SIZE=", { "250-h", "250 SIZE=1000" }, true, "h", C_SIZE, 1000, "", "", 1 },
	{ "size lower-case", { "250-h", "250 size 2048" }, true, "h", C_SIZE, 2048, "", "", 1 },
	{ "SIZE trailing space", { "250-h", "250 SIZE " }, true, "h", C_SIZE, 0, "", "", 1 },
	{ "SIZE -1", { "250-h", "250 SIZE -1" }, true, "h", C_SIZE, 0, "", "", 1 },
	{ "SIZE hex", { "250-h", "250 SIZE 0x10" }, true, "h", C_SIZE, 0, "", "", 1 },

	/* AUTH */
	{ "AUTH mechanisms",
	  { "250-h", "250 AUTH PLAIN LOGIN CRAM-MD5" },
	  true,
	  "h",
	  C_AUTH,
	  0,
	  "PLAIN LOGIN CRAM-MD5",
	  "",
	  1 },
	{ "AUTH lower-case",
	  { "250-h", "250 auth login plain xoauth2" },
	  true,
	  "h",
	  C_AUTH,
	  0,
	  "LOGIN PLAIN XOAUTH2",
	  "",
	  1 },
	{ "AUTH duplicates", { "250-h", "250 AUTH PLAIN plain PLAIN Plain" }, true, "h", C_AUTH, 0, "PLAIN", "", 1 },
	{ "AUTH= old form", { "250-h", "250 AUTH=LOGIN PLAIN" }, true, "h", C_AUTH, 0, "LOGIN PLAIN", "", 1 },
	{ "AUTH= old form lower", { "250-h", "250 auth=login" }, true, "h", C_AUTH, 0, "LOGIN", "", 1 },
	{ "AUTH both forms",
	  { "250-h", "250-AUTH LOGIN PLAIN GSSAPI", "250 AUTH=LOGIN PLAIN" },
	  true,
	  "h",
	  C_AUTH,
	  0,
	  "LOGIN PLAIN GSSAPI",
	  "",
	  2 },
	{ "AUTH extra spaces", { "250-h", "250 AUTH  PLAIN   LOGIN " }, true, "h", C_AUTH, 0, "PLAIN LOGIN", "", 1 },
	{ "AUTH alone", { "250-h", "250 AUTH" }, true, "h", C_AUTH, 0, "", "", 1 },
	{ "AUTH trailing space", { "250-h", "250 AUTH " }, true, "h", C_AUTH, 0, "", "", 1 },
	{ "AUTH NTLM (Exchange)",
	  { "250-h", "250-AUTH NTLM", "250 AUTH GSSAPI NTLM" },
	  true,
	  "h",
	  C_AUTH,
	  0,
	  "NTLM GSSAPI",
	  "",
	  2 },

	/* case, spacing and unknown keywords */
	{ "lower-case keywords",
	  { "250-h", "250-starttls", "250-pipelining", "250-8bitmime", "250-chunking", "250-binarymime", "250-smtputf8",
	    "250-dsn", "250-enhancedstatuscodes", "250-requiretls", "250 etrn" },
	  true,
	  "h",
	  C_STARTTLS | C_PIPELINING | C_8BITMIME | C_CHUNKING | C_BINARYMIME | C_SMTPUTF8 | C_DSN | C_ENH |
		  C_REQUIRETLS | C_ETRN,
	  0,
	  "",
	  "",
	  10 },
	{ "mixed-case keyword", { "250-h", "250 StartTLS" }, true, "h", C_STARTTLS, 0, "", "", 1 },
	{ "keyword with trailing space", { "250-h", "250 STARTTLS " }, true, "h", C_STARTTLS, 0, "", "", 1 },
	{ "keyword with a parameter", { "250-h", "250 8BITMIME x" }, true, "h", C_8BITMIME, 0, "", "", 1 },
	{ "XEXCH50", { "250-h", "250 XEXCH50" }, true, "h", 0, 0, "", "XEXCH50", 1 },
	{ "X-EXPS GSSAPI NTLM is not AUTH",
	  { "250-h", "250 X-EXPS GSSAPI NTLM" },
	  true,
	  "h",
	  0,
	  0,
	  "",
	  "X-EXPS GSSAPI NTLM",
	  1 },
	{ "DELIVERBY",
	  { "250-h", "250-DELIVERBY", "250 DELIVERBY 240" },
	  true,
	  "h",
	  0,
	  0,
	  "",
	  "DELIVERBY|DELIVERBY 240",
	  2 },
	{ "unknown kept as sent",
	  { "250-h", "250-x-link2state", "250 Xclient NAME ADDR" },
	  true,
	  "h",
	  0,
	  0,
	  "",
	  "x-link2state|Xclient NAME ADDR",
	  2 },
	{ "look-alike keywords",
	  { "250-h", "250-STARTTLSX", "250-XSTARTTLS", "250-START TLS", "250 SIZEX 10" },
	  true,
	  "h",
	  0,
	  0,
	  "",
	  "STARTTLSX|XSTARTTLS|START TLS|SIZEX 10",
	  4 },
	{ "keyword glued with tab", { "250-h", "250 STARTTLS\tx" }, true, "h", 0, 0, "", "STARTTLS\tx", 1 },
	{ "empty capability line", { "250-h", "250-", "250 STARTTLS" }, true, "h", C_STARTTLS, 0, "", "", 2 },
	{ "leading space", { "250-h", "250  STARTTLS" }, true, "h", 0, 0, "", "", 1 },
	{ "keyword of 63",
	  { "250-h", "250 XAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	  true,
	  "h",
	  0,
	  0,
	  "",
	  "XAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	  1 },
	{ "keyword of 64",
	  { "250-h", "250 XAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	  true,
	  "h",
	  0,
	  0,
	  "",
	  "XAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	  1 },
	{ "long STARTTLS look-alike",
	  { "250-h", "250 STARTTLSAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x" },
	  true,
	  "h",
	  0,
	  0,
	  "",
	  "STARTTLSAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x",
	  1 },
	{ "high bytes", { "250-h", "250 STARTTLS\xc2\xa0" }, true, "h", 0, 0, "", "STARTTLS\xc2\xa0", 1 },
	{ "repeated keyword", { "250-h", "250-STARTTLS", "250 STARTTLS" }, true, "h", C_STARTTLS, 0, "", "", 2 },
};

static size_t row_lines(const struct caps_row *row)
{
	size_t n = 0;
	while (n < MAX_ROW_LINES && row->lines[n])
		n++;
	return n;
}

static unsigned caps_flags(const struct smtp_caps *c)
{
	unsigned f = 0;
	f |= c->starttls ? C_STARTTLS : 0u;
	f |= c->pipelining ? C_PIPELINING : 0u;
	f |= c->eightbitmime ? C_8BITMIME : 0u;
	f |= c->chunking ? C_CHUNKING : 0u;
	f |= c->binarymime ? C_BINARYMIME : 0u;
	f |= c->smtputf8 ? C_SMTPUTF8 : 0u;
	f |= c->dsn ? C_DSN : 0u;
	f |= c->enhancedstatuscodes ? C_ENH : 0u;
	f |= c->requiretls ? C_REQUIRETLS : 0u;
	f |= c->auth ? C_AUTH : 0u;
	f |= c->size_present ? C_SIZE : 0u;
	f |= c->etrn ? C_ETRN : 0u;
	return f;
}

static void flag_names(unsigned f, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; cap_names[i].name; i++) {
		if (!(f & cap_names[i].bit))
			continue;
		size_t l = strlen(out);
		snprintf(out + l, outlen - l, "%s%s", l ? " " : "", cap_names[i].name);
	}
}

static int check_row(const struct caps_row *row)
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
	size_t n = row_lines(row);
	int rc = 1;
	for (size_t i = 0; i < n && rc == 1; i++)
		rc = smtp_reply_feed(&r, row->lines[i], strlen(row->lines[i]));
	CHECK(rc == 0, "the reply itself did not parse: %s", mx_errname(rc));

	struct smtp_caps caps;
	memset(&caps, 0, sizeof caps);
	/* twice: a second parse into the same struct frees the first */
	smtp_caps_parse(&r, &caps);
	smtp_caps_parse(&r, &caps);
	CHECK(caps.valid == row->valid, "valid %d, expected %d", caps.valid, row->valid);
	if (row->greeting)
		CHECK(caps.greeting && strcmp(caps.greeting, row->greeting) == 0, "greeting '%s', expected '%s'",
		      caps.greeting ? caps.greeting : "(null)", row->greeting);
	else
		CHECK(caps.greeting == NULL, "greeting '%s' on an invalid reply", caps.greeting);
	unsigned f = caps_flags(&caps);
	if (f != row->flags) {
		char got[256], want[256];
		flag_names(f, got, sizeof got);
		flag_names(row->flags, want, sizeof want);
		CHECK(0, "flags [%s], expected [%s]", got, want);
	}
	CHECK(caps.size == row->size, "size %llu, expected %llu", (unsigned long long)caps.size,
	      (unsigned long long)row->size);
	char *auth = strvec_join(&caps.auth_mechs, " ");
	CHECK(strcmp(auth, row->auth) == 0, "auth mechs '%s', expected '%s'", auth, row->auth);
	free(auth);
	char *unknown = strvec_join(&caps.unknown, "|");
	CHECK(strcmp(unknown, row->unknown) == 0, "unknown '%s', expected '%s'", unknown, row->unknown);
	free(unknown);
	CHECK(caps.lines.n == row->nlines, "%zu capability lines, expected %zu", caps.lines.n, row->nlines);
	/* every line after the greeting is kept as sent */
	for (size_t i = 0; i < caps.lines.n && i + 1 < n; i++)
		CHECK(strcmp(caps.lines.v[i], row->lines[i + 1] + 4) == 0, "line %zu '%s'", i, caps.lines.v[i]);
	for (size_t i = 0; i < caps.auth_mechs.n; i++)
		for (const char *p = caps.auth_mechs.v[i]; *p; p++)
			CHECK(!(*p >= 'a' && *p <= 'z'), "mechanism '%s' not upper-case", caps.auth_mechs.v[i]);
#undef CHECK
	smtp_caps_clear(&caps);
	smtp_reply_clear(&r);
	return bad;
}

static void test_caps_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		failed += check_row(&rows[i]);
	assert_int_equal(failed, 0);
}

/* An empty reply (never fed) has no capabilities. */
static void test_caps_empty_reply(void **state)
{
	(void)state;
	struct smtp_reply r;
	struct smtp_caps caps;
	memset(&r, 0, sizeof r);
	memset(&caps, 0, sizeof caps);
	smtp_caps_parse(&r, &caps);
	assert_false(caps.valid);
	assert_null(caps.greeting);
	smtp_caps_clear(&caps);
	smtp_caps_clear(&caps);
}

/* A parse of a refused EHLO after a good one forgets the good one. */
static void test_caps_reparse_forgets(void **state)
{
	(void)state;
	struct smtp_reply r;
	struct smtp_caps caps;
	memset(&r, 0, sizeof r);
	memset(&caps, 0, sizeof caps);
	assert_int_equal(smtp_reply_feed(&r, "250-h", 5), 1);
	assert_int_equal(smtp_reply_feed(&r, "250-AUTH PLAIN", 14), 1);
	assert_int_equal(smtp_reply_feed(&r, "250 STARTTLS", 12), 0);
	smtp_caps_parse(&r, &caps);
	assert_true(caps.valid);
	assert_true(caps.starttls);
	assert_int_equal(caps.auth_mechs.n, 1);
	smtp_reply_clear(&r);
	assert_int_equal(smtp_reply_feed(&r, "554 5.7.1 no", 12), 0);
	smtp_caps_parse(&r, &caps);
	assert_false(caps.valid);
	assert_false(caps.starttls);
	assert_false(caps.auth);
	assert_int_equal(caps.auth_mechs.n, 0);
	assert_int_equal(caps.lines.n, 0);
	smtp_caps_clear(&caps);
	smtp_reply_clear(&r);
}

/* The longest reply the reader allows, every line an AUTH line. */
static void test_caps_many_auth_lines(void **state)
{
	(void)state;
	struct smtp_reply r;
	struct smtp_caps caps;
	memset(&r, 0, sizeof r);
	memset(&caps, 0, sizeof caps);
	assert_int_equal(smtp_reply_feed(&r, "250-h", 5), 1);
	for (int i = 1; i + 1 < SMTP_MAX_REPLY_LINES; i++) {
		char line[64];
		int len = snprintf(line, sizeof line, "250-AUTH M%d m%d", i % 50, i % 50);
		assert_int_equal(smtp_reply_feed(&r, line, (size_t)len), 1);
	}
	assert_int_equal(smtp_reply_feed(&r, "250 AUTH", 8), 0);
	smtp_caps_parse(&r, &caps);
	assert_true(caps.auth);
	assert_int_equal(caps.auth_mechs.n, 50);
	assert_int_equal(caps.lines.n, SMTP_MAX_REPLY_LINES - 1);
	smtp_caps_clear(&caps);
	smtp_reply_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_rows),
		cmocka_unit_test(test_caps_empty_reply),
		cmocka_unit_test(test_caps_reparse_forgets),
		cmocka_unit_test(test_caps_many_auth_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
