/* \summary: unit rows for mxprobe listen's pure parts: lines cut from a
 * byte stream under a limit (CRLF, bare LF, NUL, too long), SMTP commands
 * and their paths (RFC 5321 4.1.1, 4.1.2), the DATA reader
 * (dot-unstuffing, the end mark, headers kept under a bound, the size
 * limit), and the domain-secure receive verdict (Exchange
 * TLSReceiveDomainSecureList) with every reason for a refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "listen/cmdread.h"
#include "listen/verdict.h"

static void test_line_take(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4096);
	char *line;
	size_t len;
	bool bare;
	assert_int_equal(buf_append(&b, "EHLO a.example\r\nNOOP\nQU", 23), 0);
	assert_int_equal(lsn_line_take(&b, 512, &line, &len, &bare), 1);
	assert_string_equal(line, "EHLO a.example");
	assert_int_equal(len, 14);
	assert_false(bare);
	free(line);
	assert_int_equal(lsn_line_take(&b, 512, &line, &len, &bare), 1);
	assert_string_equal(line, "NOOP");
	assert_true(bare); /* RFC 5321 2.3.8: CRLF wanted */
	free(line);
	assert_int_equal(lsn_line_take(&b, 512, &line, &len, &bare), 0); /* "QU": not yet */
	assert_int_equal(buf_append(&b, "IT\r\n", 4), 0);
	assert_int_equal(lsn_line_take(&b, 512, &line, &len, &bare), 1);
	assert_string_equal(line, "QUIT");
	free(line);
	/* a NUL is a byte of the line, not its end */
	assert_int_equal(buf_append(&b, "A\0B\r\n", 5), 0);
	assert_int_equal(lsn_line_take(&b, 512, &line, &len, &bare), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(line, "A\0B", 3);
	free(line);
	/* max bytes without a line end: too long, nothing consumed */
	char big[600];
	memset(big, 'x', sizeof big);
	assert_int_equal(buf_append(&b, big, sizeof big), 0);
	assert_int_equal(lsn_line_take(&b, 512, &line, &len, &bare), -1);
	assert_int_equal(b.len, sizeof big);
	/* a line end just past the limit is still too long */
	buf_consume(&b, b.len);
	memset(big, 'y', 512);
	big[512] = '\n';
	assert_int_equal(buf_append(&b, big, 513), 0);
	assert_int_equal(lsn_line_take(&b, 512, &line, &len, &bare), -1);
	buf_clear(&b);
}

struct cmd_row {
	const char *line;
	enum lsn_verb verb;
	bool ok;
	const char *path; /* NULL: none */
};

static const struct cmd_row cmd_rows[] = {
	{ "EHLO relay.partner.example", LSN_EHLO, true, NULL },
	{ "ehlo [192.0.2.1]", LSN_EHLO, true, NULL },
	{ "HELO", LSN_HELO, false, NULL },
	{ "EHLO two words", LSN_EHLO, false, NULL },
	{ "STARTTLS", LSN_STARTTLS, true, NULL },
	{ "STARTTLS now", LSN_STARTTLS, false, NULL },
	{ "MAIL FROM:<alice@partner.example> SIZE=100", LSN_MAIL, true, "alice@partner.example" },
	{ "mail from: <alice@partner.example>", LSN_MAIL, true, "alice@partner.example" },
	{ "MAIL FROM:<>", LSN_MAIL, true, "" },
	{ "MAIL FROM:alice@partner.example", LSN_MAIL, false, NULL },
	{ "MAIL FROM:<alice@partner.example", LSN_MAIL, false, NULL },
	{ "MAIL TO:<alice@partner.example>", LSN_MAIL, false, NULL },
	{ "RCPT TO:<bob@us.example>", LSN_RCPT, true, "bob@us.example" },
	{ "RCPT TO:<>", LSN_RCPT, false, "" },
	{ "DATA", LSN_DATA, true, NULL },
	{ "DATA x", LSN_DATA, false, NULL },
	{ "RSET", LSN_RSET, true, NULL },
	{ "QUIT", LSN_QUIT, true, NULL },
	{ "NOOP anything", LSN_NOOP, true, NULL },
	{ "BDAT 10 LAST", LSN_BDAT, true, NULL },
	{ "AUTH PLAIN AAAA", LSN_AUTH, true, NULL },
	{ "", LSN_EMPTY, false, NULL },
	{ "GET / HTTP/1.0", LSN_UNKNOWN, true, NULL },
	{ "EHLOX a", LSN_UNKNOWN, true, NULL },
	{ "EHLO a\x01"
	  "b",
	  LSN_EHLO, false, NULL },
};

static void test_cmd_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cmd_rows / sizeof cmd_rows[0]; i++) {
		const struct cmd_row *r = &cmd_rows[i];
		struct lsn_cmd c;
		lsn_cmd_parse(r->line, strlen(r->line), &c);
		if (c.verb != r->verb || c.syntax_ok != r->ok)
			fail_msg("row %zu '%s': verb %d ok %d", i, r->line, c.verb, c.syntax_ok);
		if (r->path) {
			assert_non_null(c.path);
			assert_string_equal(c.path, r->path);
		} else if (r->verb == LSN_MAIL || r->verb == LSN_RCPT) {
			assert_null(c.path);
		}
		assert_non_null(c.arg);
		lsn_cmd_clear(&c);
	}
	/* control bytes: flagged, and escaped in what is kept */
	struct lsn_cmd c;
	lsn_cmd_parse("MAIL FROM:<\x1b[31m@x>", 19, &c);
	assert_true(c.has_nul);
	assert_false(c.syntax_ok);
	assert_null(strchr(c.arg, 0x1b));
	lsn_cmd_clear(&c);
	/* a path over 256 octets (RFC 5321 4.5.3.1.3) */
	char longp[400] = "MAIL FROM:<";
	memset(longp + 11, 'a', 300);
	strcpy(longp + 311, "@b>");
	lsn_cmd_parse(longp, strlen(longp), &c);
	assert_false(c.syntax_ok);
	lsn_cmd_clear(&c);
	assert_string_equal(lsn_verb_name(LSN_STARTTLS), "STARTTLS");
}

static void test_path_domain(void **state)
{
	(void)state;
	char *d = lsn_path_domain("Alice@Partner.EXAMPLE");
	assert_string_equal(d, "partner.example");
	free(d);
	assert_null(lsn_path_domain(""));
	assert_null(lsn_path_domain("postmaster"));
	assert_null(lsn_path_domain("a@"));
	assert_null(lsn_path_domain(NULL));
}

static void feed(struct lsn_msg *m, const char *const *lines, int *end_at)
{
	*end_at = -1;
	for (int i = 0; lines[i]; i++)
		if (lsn_msg_line(m, lines[i], strlen(lines[i]), false)) {
			*end_at = i;
			return;
		}
}

static void test_msg(void **state)
{
	(void)state;
	struct lsn_msg m;
	lsn_msg_init(&m, 1024, 64);
	const char *const lines[] = { "Subject: hi", "From: a@b.example", "", "..leading dot", ".", "after", NULL };
	int end;
	feed(&m, lines, &end);
	assert_int_equal(end, 4);
	assert_string_equal(m.headers.data, "Subject: hi\r\nFrom: a@b.example\r\n");
	assert_false(m.in_headers);
	assert_false(m.too_big);
	/* 11+2 + 17+2 + 0+2 + 12+2 (one dot removed) */
	assert_int_equal(m.size, 48);
	lsn_msg_clear(&m);

	/* headers over the bound: cut, the rest still counted */
	lsn_msg_init(&m, 100, 16);
	const char *const big[] = { "X-Long: 0123456789abcdef",
				    "Y: 1",
				    "",
				    "body line that is long enough to pass",
				    "body line that is long enough to pass",
				    "body line that is long enough to pass",
				    ".",
				    NULL };
	feed(&m, big, &end);
	assert_int_equal(end, 6);
	assert_true(m.headers_cut);
	assert_true(m.headers.len <= 16);
	assert_true(m.too_big);
	lsn_msg_clear(&m);
}

static const char *const good_names[] = { "relay.partner.example" };

static struct lsn_verdict_in good_in(void)
{
	return (struct lsn_verdict_in){
		.partner = "partner.example",
		.tls = true,
		.cert_presented = true,
		.chain_trusted = true,
		.eku_client_ok = true,
		.revocation_checked = true,
		.names = good_names,
		.nnames = 1,
		.sender_domain = "partner.example",
	};
}

static void test_verdict(void **state)
{
	(void)state;
	struct lsn_verdict v;
	struct lsn_verdict_in in = good_in();
	lsn_verdict_judge(&in, &v);
	assert_true(v.pass);
	assert_string_equal(v.matched, "relay.partner.example");
	assert_null(v.reason);
	assert_false(v.sender_other);
	lsn_verdict_clear(&v);

	in = good_in();
	in.tls = false;
	lsn_verdict_judge(&in, &v);
	assert_false(v.pass);
	assert_non_null(strstr(v.reason, "did not use TLS"));
	lsn_verdict_clear(&v);

	in = good_in();
	in.cert_presented = false;
	lsn_verdict_judge(&in, &v);
	assert_false(v.pass);
	assert_non_null(strstr(v.reason, "no certificate"));
	lsn_verdict_clear(&v);

	in = good_in();
	in.chain_trusted = false;
	in.chain_why = "The certificate issuer is unknown.";
	lsn_verdict_judge(&in, &v);
	assert_false(v.pass);
	assert_non_null(strstr(v.reason, "does not validate"));
	assert_non_null(strstr(v.reason, "issuer is unknown"));
	lsn_verdict_clear(&v);

	in = good_in();
	in.chain_trusted = false;
	in.chain_expired = true;
	lsn_verdict_judge(&in, &v);
	assert_non_null(strstr(v.reason, "expired"));
	lsn_verdict_clear(&v);

	in = good_in();
	in.revoked = true;
	lsn_verdict_judge(&in, &v);
	assert_false(v.pass);
	assert_non_null(strstr(v.reason, "revoked"));
	lsn_verdict_clear(&v);

	in = good_in();
	in.eku_client_ok = false;
	lsn_verdict_judge(&in, &v);
	assert_false(v.pass);
	assert_non_null(strstr(v.reason, "clientAuth"));
	lsn_verdict_clear(&v);

	static const char *const other[] = { "relay.elsewhere.example", "partner.example.evil.example" };
	in = good_in();
	in.names = other;
	in.nnames = 2;
	lsn_verdict_judge(&in, &v);
	assert_false(v.pass);
	assert_null(v.matched);
	assert_non_null(strstr(v.reason, "covers partner.example"));
	lsn_verdict_clear(&v);

	/* passes, with a note: revocation could not be checked */
	in = good_in();
	in.revocation_checked = false;
	lsn_verdict_judge(&in, &v);
	assert_true(v.pass);
	assert_non_null(strstr(v.reason, "revocation was not checked"));
	lsn_verdict_clear(&v);

	/* passes, with a note: the sender is not the partner's domain */
	in = good_in();
	in.sender_domain = "other.example";
	lsn_verdict_judge(&in, &v);
	assert_true(v.pass);
	assert_true(v.sender_other);
	assert_non_null(strstr(v.reason, "other.example"));
	lsn_verdict_clear(&v);
}

static void test_name_covers(void **state)
{
	(void)state;
	assert_true(lsn_name_covers("partner.example", "partner.example"));
	assert_true(lsn_name_covers("PARTNER.example.", "partner.example"));
	assert_true(lsn_name_covers("relay.partner.example", "partner.example"));
	assert_true(lsn_name_covers("a.b.partner.example", "partner.example"));
	assert_false(lsn_name_covers("xpartner.example", "partner.example"));
	assert_false(lsn_name_covers("partner.example.evil.example", "partner.example"));
	assert_false(lsn_name_covers("example", "partner.example"));
	assert_false(lsn_name_covers("*.example", "partner.example"));
	assert_false(lsn_name_covers("", "partner.example"));
	assert_false(lsn_name_covers(NULL, "partner.example"));
	/* a wildcard covers one label */
	assert_true(lsn_name_covers("*.example.com", "partner.example.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_take), cmocka_unit_test(test_cmd_parse), cmocka_unit_test(test_path_domain),
		cmocka_unit_test(test_msg),	  cmocka_unit_test(test_verdict),   cmocka_unit_test(test_name_covers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
