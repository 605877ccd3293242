/* \summary: the wire checks' parsers and decisions over tables of rows:
 * TCP reassembly (in order, retransmitted, reordered, overlapping, past
 * the hold cap, across sequence-number wrap-around), TLS record headers
 * and names, and whole conversations fed as raw IPv4 frames to the
 * analyzer: SASL in clear (PLAIN, LOGIN with prompts, CRAM-MD5), POP3
 * USER/PASS and APOP, IMAP LOGIN and AUTHENTICATE, STARTTLS accepted or
 * refused, plaintext after STARTTLS from either side, non-mail traffic.
 * No row's secret may appear in any string the analyzer produced.
 * specification: RFC 9293 section 3.4, RFC 3207 section 4.2, RFC 4954,
 * RFC 1939, RFC 3501 section 6.2, RFC 8446 section 5.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/model.h"
#include "report/wire_model.h"
#include "wire/analyzer.h"
#include "wire/reasm.h"
#include "wire/tlsparse.h"

/* ---- reassembly ---------------------------------------------------- */

struct seg {
	uint32_t off; /* from the first data byte */
	const char *data;
};

struct reasm_row {
	const char *name;
	uint32_t isn;
	struct seg segs[8];
	size_t max_hold;
	const char *out; /* '#' marks each missing byte */
};

static const struct reasm_row reasm_rows[] = {
	{ "in order", 1000, { { 0, "EHLO " }, { 5, "x\r\n" } }, 4096, "EHLO x\r\n" },
	{ "retransmission", 1000, { { 0, "abc" }, { 0, "abc" }, { 3, "def" }, { 3, "def" } }, 4096, "abcdef" },
	{ "reordered", 1000, { { 3, "def" }, { 6, "ghi" }, { 0, "abc" } }, 4096, "abcdefghi" },
	{ "overlap keeps what was delivered", 1000, { { 0, "abcd" }, { 2, "XXef" } }, 4096, "abcdef" },
	{ "hole at the end: a gap, never guessed", 1000, { { 0, "ab" }, { 4, "ef" } }, 4096, "ab##ef" },
	{ "cap reached: the hole is skipped", 1000, { { 0, "a" }, { 3, "dd" }, { 6, "gg" } }, 3, "a##dd#gg" },
	{ "wraps around 2^32", 0xFFFFFFFEu, { { 0, "ab" }, { 4, "ef" }, { 2, "cd" } }, 4096, "abcdef" },
};

struct collect {
	char out[64];
	size_t n;
};

static void col_deliver(void *user, int dir, const uint8_t *p, size_t n)
{
	(void)dir;
	struct collect *c = user;
	assert_true(c->n + n < sizeof c->out);
	memcpy(c->out + c->n, p, n);
	c->n += n;
}

static void col_gap(void *user, int dir, uint64_t n)
{
	(void)dir;
	struct collect *c = user;
	assert_true(c->n + n < sizeof c->out);
	memset(c->out + c->n, '#', n);
	c->n += n;
}

static void test_reasm(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof reasm_rows / sizeof reasm_rows[0]; i++) {
		const struct reasm_row *r = &reasm_rows[i];
		struct collect c = { .n = 0 };
		struct reasm_sink sink = { col_deliver, col_gap, &c };
		struct reasm_dir d;
		memset(&d, 0, sizeof d);
		reasm_segment(&d, &sink, 0, r->isn, true, false, NULL, 0, r->max_hold);
		for (size_t k = 0; k < 8 && r->segs[k].data; k++)
			reasm_segment(&d, &sink, 0, r->isn + 1 + r->segs[k].off, false, false,
				      (const uint8_t *)r->segs[k].data, strlen(r->segs[k].data), r->max_hold);
		reasm_flush(&d, &sink, 0);
		c.out[c.n] = '\0';
		if (strcmp(c.out, r->out) != 0)
			fail_msg("%s: got \"%s\", expected \"%s\"", r->name, c.out, r->out);
		reasm_clear(&d);
	}
}

/* ---- TLS records and names ----------------------------------------- */

static void test_tls_records(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint8_t h[5];
		bool ok;
	} rows[] = {
		{ "handshake 1.0", { 22, 3, 1, 0, 200 }, true },
		{ "application data", { 23, 3, 3, 0x40, 0x11 }, true },
		{ "max length", { 23, 3, 3, 0x48, 0x00 }, true },
		{ "too long", { 23, 3, 3, 0x48, 0x01 }, false },
		{ "content type 25", { 25, 3, 3, 0, 1 }, false },
		{ "SMTP text", { '2', '5', '0', ' ', 'i' }, false },
		{ "version 2.0", { 22, 2, 0, 0, 1 }, false },
		{ "version 3.5", { 22, 3, 5, 0, 1 }, false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t len;
		if (tls_record_header_ok(rows[i].h, &len) != rows[i].ok)
			fail_msg("%s", rows[i].name);
	}
	char buf[8];
	assert_string_equal(tls_suite_name(0x1302, buf), "TLS_AES_256_GCM_SHA384");
	assert_string_equal(tls_suite_name(0xC02F, buf), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(tls_suite_name(0x7A7A, buf), "GREASE");
	assert_string_equal(tls_suite_name(0x1234, buf), "0x1234");
	assert_string_equal(tls_version_name(0x0304, buf), "TLS1.3");
	assert_string_equal(tls_group_name(29, buf), "X25519");
}

static void test_hello_truncated(void **state)
{
	(void)state;
	/* A ClientHello cut inside its cipher suites: what was read stays,
	 * the parse says malformed, nothing is read past the end. */
	uint8_t ch[2 + 32 + 1 + 2 + 4];
	memset(ch, 0, sizeof ch);
	ch[0] = 3;
	ch[1] = 3;
	ch[34] = 0;    /* empty session id */
	ch[35] = 0x00; /* suites: 8 bytes claimed, 4 present */
	ch[36] = 0x08;
	ch[37] = 0x13;
	ch[38] = 0x01;
	ch[39] = 0x13;
	ch[40] = 0x02;
	struct wire_session s;
	memset(&s, 0, sizeof s);
	uint16_t sel = 0, suite = 0;
	assert_int_equal(tls_hello_parse(ch, sizeof ch, true, &s.client_hello, &sel, &suite), -1);
	assert_int_equal(s.client_hello.suites.n, 0);
	wire_session_clear(&s);
}

/* ---- conversations ------------------------------------------------- */

struct chunk {
	int dir; /* 0 client, 1 server; -1 ends the list */
	const char *text;
};

struct conv_row {
	const char *name;
	uint16_t port;
	struct chunk c[16];
	const char *protocol; /* NULL: not mail */
	const char *tls_mode;
	const char *credentials; /* joined with "|" */
	const char *plaintext_dir;
	const char *finding; /* one id that must be there */
	const char *secret;  /* must appear nowhere */
};

#define TLS_HELLO_STUB "\x16\x03\x01\x00\x04\x01\x00\x00\x00"

static const struct conv_row conv_rows[] = {
	{ "SMTP AUTH LOGIN with prompts",
	  25,
	  { { 1, "220 mx ESMTP\r\n" },
	    { 0, "EHLO c\r\n" },
	    { 1, "250-mx\r\n250 AUTH LOGIN\r\n" },
	    { 0, "AUTH LOGIN\r\n" },
	    { 1, "334 VXNlcm5hbWU6\r\n" },
	    { 0, "Ym9i\r\n" }, /* bob */
	    { 1, "334 UGFzc3dvcmQ6\r\n" },
	    { 0, "czNjcjN0LXB3\r\n" }, /* s3cr3t-pw */
	    { 1, "535 5.7.8 no\r\n" },
	    { -1, NULL } },
	  "smtp",
	  "none",
	  "AUTH LOGIN (user bob)",
	  NULL,
	  "wire.credentials-in-clear",
	  "s3cr3t-pw" },
	{ "SMTP AUTH PLAIN after a 334",
	  587,
	  { { 1, "220 mx\r\n" },
	    { 0, "AUTH PLAIN\r\n" },
	    { 1, "334 \r\n" },
	    { 0, "AGFsaWNlAHMzY3JldA==\r\n" }, /* \0alice\0s3cret */
	    { 1, "235 ok\r\n" },
	    { -1, NULL } },
	  "smtp",
	  "none",
	  "AUTH PLAIN (user alice)",
	  NULL,
	  "wire.credentials-in-clear",
	  "s3cret" },
	{ "SMTP AUTH cancelled: nothing crossed",
	  25,
	  { { 1, "220 mx\r\n" },
	    { 0, "AUTH PLAIN\r\n" },
	    { 1, "334 \r\n" },
	    { 0, "*\r\n" },
	    { 1, "501 cancelled\r\n" },
	    { -1, NULL } },
	  "smtp",
	  "none",
	  "",
	  NULL,
	  "wire.cleartext-session",
	  NULL },
	{ "CRAM-MD5 is a digest",
	  25,
	  { { 1, "220 mx\r\n" },
	    { 0, "AUTH CRAM-MD5\r\n" },
	    { 1, "334 PDEyMzQ1QGV4YW1wbGU+\r\n" },
	    { 0, "Ym9iIDAxMjM0NTY3ODlhYmNkZWY=\r\n" }, /* bob 0123456789abcdef */
	    { 1, "235 ok\r\n" },
	    { -1, NULL } },
	  "smtp",
	  "none",
	  "AUTH CRAM-MD5 (user bob)",
	  NULL,
	  "wire.credentials-in-clear",
	  "0123456789abcdef" },
	{ "POP3 USER/PASS and APOP",
	  110,
	  { { 1, "+OK ready <1.2@x>\r\n" },
	    { 0, "USER carol\r\n" },
	    { 1, "+OK\r\n" },
	    { 0, "PASS pa55word\r\n" },
	    { 1, "-ERR no\r\n" },
	    { 0, "APOP carol c4c9334bac560ecc979e58001b3e22fb\r\n" },
	    { 1, "+OK in\r\n" },
	    { -1, NULL } },
	  "pop3",
	  "none",
	  "USER/PASS (user carol)|APOP (user carol)",
	  NULL,
	  "wire.credentials-in-clear",
	  "pa55word" },
	{ "IMAP LOGIN quoted and AUTHENTICATE PLAIN",
	  143,
	  { { 1, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n" },
	    { 0, "a1 LOGIN \"d ave\" \"pw-one\"\r\n" },
	    { 1, "a1 NO nope\r\n" },
	    { 0, "a2 AUTHENTICATE PLAIN\r\n" },
	    { 1, "+ \r\n" },
	    { 0, "AGVyaW4AcHctdHdv\r\n" }, /* \0erin\0pw-two */
	    { 1, "a2 OK in\r\n" },
	    { -1, NULL } },
	  "imap",
	  "none",
	  "LOGIN (user d ave)|AUTH PLAIN (user erin)",
	  NULL,
	  "wire.credentials-in-clear",
	  "pw-two" },
	{ "STARTTLS clean",
	  25,
	  { { 1, "220 mx\r\n" },
	    { 0, "STARTTLS\r\n" },
	    { 1, "220 go\r\n" },
	    { 0, TLS_HELLO_STUB },
	    { 1, "\x16\x03\x03\x00\x04\x0e\x00\x00\x00" },
	    { -1, NULL } },
	  "smtp",
	  "starttls",
	  "",
	  NULL,
	  NULL,
	  NULL },
	{ "server injects after the 220",
	  2525,
	  { { 1, "220 mx\r\n" }, { 0, "STARTTLS\r\n" }, { 1, "220 go\r\n250 injected\r\n" }, { -1, NULL } },
	  "smtp",
	  "starttls",
	  "",
	  "server",
	  "wire.plaintext-after-starttls",
	  NULL },
	{ "client pipelines AUTH behind STARTTLS: plaintext, redacted",
	  25,
	  { { 1, "220 mx\r\n" },
	    { 0, "STARTTLS\r\nAUTH PLAIN AGZyYW5rAGhpZGRlbi1wdw==\r\n" },
	    { 1, "220 go\r\n" },
	    { -1, NULL } },
	  "smtp",
	  "starttls",
	  "",
	  "client",
	  "wire.plaintext-after-starttls",
	  "AGZyYW5rAGhpZGRlbi1wdw==" },
	{ "STARTTLS refused: the held bytes are dialogue again",
	  110,
	  { { 1, "+OK hi\r\n" },
	    { 0, "STLS\r\nUSER gus\r\n" },
	    { 1, "-ERR not now\r\n" },
	    { 0, "PASS gus-pw\r\n" },
	    { 1, "+OK\r\n" },
	    { -1, NULL } },
	  "pop3",
	  "starttls-refused",
	  "USER/PASS (user gus)",
	  NULL,
	  "wire.cleartext-session",
	  "gus-pw" },
	{ "tarpit: the banner one byte at a time",
	  25,
	  { { 1, "2" },
	    { 1, "2" },
	    { 1, "0" },
	    { 1, " mx\r\n" },
	    { 0, "EHLO c\r\n" },
	    { 1, "250 mx\r\n" },
	    { -1, NULL } },
	  "smtp",
	  "none",
	  "",
	  NULL,
	  "wire.cleartext-session",
	  NULL },
	{ "capture began mid-connection: the client's bytes first",
	  25,
	  { { 0, "RCPT TO:<a@b>\r\n" }, { 1, "250 ok\r\n" }, { 0, "DATA\r\n" }, { 1, "354 go\r\n" }, { -1, NULL } },
	  "smtp",
	  "none",
	  "",
	  NULL,
	  "wire.sessions",
	  NULL },
	{ "HTTP is not mail",
	  80,
	  { { 0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n" }, { 1, "HTTP/1.1 200 OK\r\n\r\n" }, { -1, NULL } },
	  NULL,
	  NULL,
	  NULL,
	  NULL,
	  "wire.no-mail",
	  NULL },
};

static void frame(struct wire_analyzer *a, int64_t *ts, int dir, uint16_t port, uint32_t seq, uint8_t flags,
		  const char *p, size_t n)
{
	uint8_t f[40 + 256];
	assert_true(n <= 256);
	memset(f, 0, 40);
	size_t total = 40 + n;
	f[0] = 0x45;
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	f[9] = 6;
	uint8_t cl[4] = { 192, 0, 2, 1 }, sv[4] = { 192, 0, 2, 25 };
	memcpy(f + 12, dir ? sv : cl, 4);
	memcpy(f + 16, dir ? cl : sv, 4);
	uint16_t src = dir ? port : 40000, dst = dir ? 40000 : port;
	f[20] = (uint8_t)(src >> 8);
	f[21] = (uint8_t)src;
	f[22] = (uint8_t)(dst >> 8);
	f[23] = (uint8_t)dst;
	f[24] = (uint8_t)(seq >> 24);
	f[25] = (uint8_t)(seq >> 16);
	f[26] = (uint8_t)(seq >> 8);
	f[27] = (uint8_t)seq;
	f[32] = 0x50;
	f[33] = flags;
	if (n)
		memcpy(f + 40, p, n);
	*ts += 1000;
	wire_analyzer_packet(a, DLT_RAW, *ts, f, total);
}

static void no_secret(const char *where, const char *s, const char *secret)
{
	if (s && secret && strstr(s, secret))
		fail_msg("the secret reached %s: %s", where, s);
}

static void test_conversations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof conv_rows / sizeof conv_rows[0]; i++) {
		const struct conv_row *r = &conv_rows[i];
		struct wire_summary *w = wire_summary_new();
		struct probe_result pr;
		memset(&pr, 0, sizeof pr);
		struct wire_analyzer *a = wire_analyzer_new(w, &pr, SEV_WARN);
		int64_t ts = 1700000000000000LL;
		uint32_t seq[2] = { 100, 9000 };
		frame(a, &ts, 0, r->port, seq[0]++, 0x02, NULL, 0);
		frame(a, &ts, 1, r->port, seq[1]++, 0x12, NULL, 0);
		for (size_t k = 0; r->c[k].dir >= 0; k++) {
			/* the binary stubs hold NUL bytes: the TLS ones are 9 bytes */
			size_t n = r->c[k].text[0] == 0x16 ? 9 : strlen(r->c[k].text);
			frame(a, &ts, r->c[k].dir, r->port, seq[r->c[k].dir], 0x18, r->c[k].text, n);
			seq[r->c[k].dir] += (uint32_t)n;
		}
		frame(a, &ts, 0, r->port, seq[0], 0x11, NULL, 0);
		frame(a, &ts, 1, r->port, seq[1], 0x11, NULL, 0);
		wire_analyzer_finish(a);
		wire_analyzer_free(a);
		if (!r->protocol) {
			assert_int_equal(w->n, 0);
		} else {
			if (w->n != 1)
				fail_msg("%s: %zu sessions", r->name, w->n);
			const struct wire_session *s = &w->s[0];
			assert_string_equal(s->protocol, r->protocol);
			if (strcmp(s->tls_mode, r->tls_mode) != 0)
				fail_msg("%s: tls_mode %s", r->name, s->tls_mode);
			char *creds = strvec_join(&s->credentials, "|");
			if (strcmp(creds ? creds : "", r->credentials) != 0)
				fail_msg("%s: credentials \"%s\"", r->name, creds ? creds : "");
			free(creds);
			if (r->plaintext_dir) {
				assert_true(s->plaintext_after_starttls);
				assert_string_equal(s->plaintext_dir, r->plaintext_dir);
			} else {
				assert_false(s->plaintext_after_starttls);
			}
			no_secret("plaintext bytes", s->plaintext_bytes, r->secret);
			no_secret("last reply", s->last_reply, r->secret);
			for (size_t k = 0; k < s->credentials.n; k++)
				no_secret("credentials", s->credentials.v[k], r->secret);
		}
		bool found = !r->finding;
		for (size_t k = 0; k < pr.n; k++) {
			found |= r->finding && strcmp(pr.f[k].id, r->finding) == 0;
			no_secret("a finding's detail", pr.f[k].detail, r->secret);
			no_secret("a finding's title", pr.f[k].title, r->secret);
			for (size_t e = 0; e < pr.f[k].nev; e++)
				no_secret("a finding's evidence", pr.f[k].ev[e].value, r->secret);
		}
		if (!found)
			fail_msg("%s: no %s finding", r->name, r->finding);
		probe_result_clear(&pr);
		wire_summary_free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasm),
		cmocka_unit_test(test_tls_records),
		cmocka_unit_test(test_hello_truncated),
		cmocka_unit_test(test_conversations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
