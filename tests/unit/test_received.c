/* \summary: unit rows for mxprobe headers: Received fields as Postfix,
 * Exim, Exchange/Office 365, Sendmail and Gmail write them (example
 * domains and documentation addresses only), RFC 3848 keywords, dates,
 * weak suites, unfolding, Authentication-Results, hostile input, and the
 * findings under each policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/headers.h"
#include "mail/received.h"

struct row {
	const char *value;
	const char *from, *from_addr, *by, *with;
	enum hop_tls tls;
	const char *style, *version, *cipher, *bits, *verify;
	bool weak;
	int64_t when; /* INT64_MIN: unreadable */
};

#define T_2026_11_29_10 1795946400 /* 2026-11-29T10:00:00Z */

static const struct row rows[] = {
	/* Postfix 3.x */
	{ "from mail.example.org (mail.example.org [192.0.2.10])\r\n\t(using TLSv1.3 with cipher "
	  "TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) "
	  "server-digest SHA256)\r\n\t(No client certificate requested)\r\n\tby mx.example.com (Postfix) with ESMTPS "
	  "id 4N1abc2XyZz9sWl\r\n\tfor <bob@example.com>; Sun, 29 Nov 2026 10:00:00 +0000 (UTC)",
	  "mail.example.org [192.0.2.10]", "192.0.2.10", "mx.example.com", "ESMTPS", HOP_TLS_YES, "postfix", "TLSv1.3",
	  "TLS_AES_256_GCM_SHA384", "256/256", "No client certificate requested", false, T_2026_11_29_10 },
	/* Postfix 2.x, the FOPE guide's example: 3DES over TLS 1.0 */
	{ "from relay.example.net (relay.example.net [198.51.100.20]) (using TLSv1 with cipher EDH-RSA-DES-CBC3-SHA "
	  "(168/168 bits)) (Client did not present a certificate) by mx.example.com (Postfix) with ESMTP id 1234; "
	  "Sun, 29 Nov 2026 11:00:00 +0100",
	  "relay.example.net [198.51.100.20]", "198.51.100.20", "mx.example.com", "ESMTP", HOP_TLS_YES, "postfix",
	  "TLSv1", "EDH-RSA-DES-CBC3-SHA", "168/168", "Client did not present a certificate", true, T_2026_11_29_10 },
	/* Postfix with a verified client certificate */
	{ "from partner.example.org (partner.example.org [192.0.2.30]) (using TLSv1.2 with cipher "
	  "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) (Client CN \"partner.example.org\", Issuer \"Example CA\" "
	  "(verified OK)) by mx.example.com (Postfix) with ESMTPS id 4N1; Sun, 29 Nov 2026 10:00:00 GMT",
	  "partner.example.org [192.0.2.30]", "192.0.2.30", "mx.example.com", "ESMTPS", HOP_TLS_YES, "postfix",
	  "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256/256", "verified OK", false, T_2026_11_29_10 },
	/* Postfix in clear */
	{ "from mail.example.org (mail.example.org [192.0.2.10]) by mx.example.com (Postfix) with ESMTP id 4N1 for "
	  "<bob@example.com>; Sun, 29 Nov 2026 05:00:00 -0500 (EST)",
	  "mail.example.org [192.0.2.10]", "192.0.2.10", "mx.example.com", "ESMTP", HOP_TLS_NO, NULL, NULL, NULL, NULL,
	  NULL, false, T_2026_11_29_10 },
	/* Postfix pickup: no FROM clause */
	{ "by mail.example.org (Postfix, from userid 1000) id 4N1abb; Sun, 29 Nov 2026 10:00:00 +0000 (UTC)", NULL,
	  NULL, "mail.example.org", NULL, HOP_TLS_LOCAL, NULL, NULL, NULL, NULL, NULL, false, T_2026_11_29_10 },
	/* Exim 4.9x default received_header_text */
	{ "from mail.example.org ([192.0.2.10] helo=mail.example.org)\n\tby mx.example.com with esmtps  (TLS1.3) tls "
	  "TLS_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from <alice@example.org>)\n\tid 1pXyZa-000ABC-2b\n\tfor "
	  "bob@example.com; Sun, 29 Nov 2026 10:00:00 +0000",
	  "mail.example.org [192.0.2.10]", "192.0.2.10", "mx.example.com", "esmtps", HOP_TLS_YES, "exim", "TLS1.3",
	  "TLS_AES_256_GCM_SHA384", NULL, NULL, false, T_2026_11_29_10 },
	/* Exim 4.8x: (version:cipher:bits) */
	{ "from [192.0.2.11] (helo=client.example.org) by mx.example.com with esmtpsa "
	  "(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.89) (envelope-from <a@example.org>) id 1abc; "
	  "Sun, 29 Nov 2026 10:00:00 +0000",
	  "[192.0.2.11]", "192.0.2.11", "mx.example.com", "esmtpsa", HOP_TLS_YES, "exim", "TLS1.2",
	  "ECDHE_RSA_AES_256_GCM_SHA384", "256", NULL, false, T_2026_11_29_10 },
	/* Exim with the log line's X= and CV= in the header (custom configurations) */
	{ "from mail.example.org ([192.0.2.10]) by mx.example.com with esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 "
	  "CV=yes (Exim 4.96) id 1abc; Sun, 29 Nov 2026 10:00:00 +0000",
	  "mail.example.org [192.0.2.10]", "192.0.2.10", "mx.example.com", "esmtps", HOP_TLS_YES, "exim", "TLS1.3",
	  "TLS_AES_256_GCM_SHA384", "256", "CV=yes", false, T_2026_11_29_10 },
	/* Exim in clear */
	{ "from [127.0.0.1] (helo=localhost) by mx.example.com with esmtp (Exim 4.96) (envelope-from <a@example.org>) "
	  "id 1abc for b@example.com; Sun, 29 Nov 2026 10:00:00 +0000",
	  "[127.0.0.1]", "127.0.0.1", "mx.example.com", "esmtp", HOP_TLS_NO, NULL, NULL, NULL, NULL, NULL, false,
	  T_2026_11_29_10 },
	/* Exchange / Office 365 */
	{ "from mail.example.org (192.0.2.10) by EX01.example.com (10.0.0.5) with Microsoft SMTP Server\r\n "
	  "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.40; Sun, 29 Nov 2026 "
	  "10:00:00 +0000",
	  "mail.example.org [192.0.2.10]", "192.0.2.10", "EX01.example.com", "Microsoft", HOP_TLS_YES, "exchange",
	  "TLS1_2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", NULL, NULL, false, T_2026_11_29_10 },
	{ "from EX01.example.com (10.0.0.5) by EX02.example.com (10.0.0.6) with Microsoft SMTP Server id "
	  "15.2.1118.40 via Frontend Transport; Sun, 29 Nov 2026 10:00:00 +0000",
	  "EX01.example.com [10.0.0.5]", "10.0.0.5", "EX02.example.com", "Microsoft", HOP_TLS_NO, NULL, NULL, NULL,
	  NULL, NULL, false, T_2026_11_29_10 },
	{ "from mail.example.org (192.0.2.10) by EX01.example.com (10.0.0.5) with Microsoft SMTP Server (TLS) id "
	  "14.3.123.3; Sun, 29 Nov 2026 10:00:00 +0000",
	  "mail.example.org [192.0.2.10]", "192.0.2.10", "EX01.example.com", "Microsoft", HOP_TLS_YES, "exchange", NULL,
	  NULL, NULL, NULL, false, T_2026_11_29_10 },
	/* Sendmail */
	{ "from mail.example.org (mail.example.org [192.0.2.10])\n\tby mx.example.com (8.17.1/8.17.1) with ESMTPS id "
	  "4ATA0000012345\n\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=OK)\n\tfor "
	  "<bob@example.com>; Sun, 29 Nov 2026 10:00:00 +0000",
	  "mail.example.org [192.0.2.10]", "192.0.2.10", "mx.example.com", "ESMTPS", HOP_TLS_YES, "sendmail", "TLSv1.3",
	  "TLS_AES_256_GCM_SHA384", "256", "OK", false, T_2026_11_29_10 },
	/* Sendmail with RC4 */
	{ "from old.example.net (old.example.net [198.51.100.5]) by mx.example.com (8.14.4/8.14.4) with ESMTP id x "
	  "(version=TLSv1/SSLv3 cipher=RC4-SHA bits=128 verify=NO); Sun, 29 Nov 2026 10:00:00 +0000",
	  "old.example.net [198.51.100.5]", "198.51.100.5", "mx.example.com", "ESMTP", HOP_TLS_YES, "sendmail",
	  "TLSv1/SSLv3", "RC4-SHA", "128", "NO", true, T_2026_11_29_10 },
	/* Gmail */
	{ "from mail-sor-f41.example.com (mail-sor-f41.example.com. [192.0.2.41])\r\n        by mx.example.com "
	  "with SMTPS id a1sor1234.2026.11.29.02.00.00\r\n        for <bob@example.com>\r\n        "
	  "(version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128);\r\n        Sun, 29 Nov 2026 02:00:00 -0800 "
	  "(PST)",
	  "mail-sor-f41.example.com [192.0.2.41]", "192.0.2.41", "mx.example.com", "SMTPS", HOP_TLS_YES, "gmail",
	  "TLS1_3", "TLS_AES_128_GCM_SHA256", "128/128", NULL, false, T_2026_11_29_10 },
	/* RFC 3848 keywords alone; IPv6 literal */
	{ "from client.example.org (client.example.org [IPv6:2001:db8::25]) by mx.example.com with LMTPS id 7; "
	  "29 Nov 2026 10:00 +0000",
	  "client.example.org [2001:db8::25]", "2001:db8::25", "mx.example.com", "LMTPS", HOP_TLS_YES, NULL, NULL, NULL,
	  NULL, NULL, false, T_2026_11_29_10 },
	{ "from client.example.org ([192.0.2.12]) by mx.example.com with UTF8SMTPSA id 7; 29 Nov 26 10:00:00 UT",
	  "client.example.org [192.0.2.12]", "192.0.2.12", "mx.example.com", "UTF8SMTPSA", HOP_TLS_YES, NULL, NULL,
	  NULL, NULL, NULL, false, T_2026_11_29_10 },
	/* Dovecot LMTP */
	{ "from mx.example.com\n\tby imap.example.com with LMTP\n\tid 8Kx3AmZ7Q2cHAQAAb2Vyfw\n\t(envelope-from "
	  "<alice@example.org>)\n\tfor <bob@example.com>; Sun, 29 Nov 2026 10:00:00 +0000",
	  "mx.example.com", NULL, "imap.example.com", "LMTP", HOP_TLS_NO, NULL, NULL, NULL, NULL, NULL, false,
	  T_2026_11_29_10 },
	/* unknown protocol word: nothing claimed */
	{ "from a.example.org ([192.0.2.1]) by b.example.com with QMQP; Sun, 29 Nov 2026 10:00:00 +0000",
	  "a.example.org [192.0.2.1]", "192.0.2.1", "b.example.com", "QMQP", HOP_TLS_UNKNOWN, NULL, NULL, NULL, NULL,
	  NULL, false, T_2026_11_29_10 },
	/* failure rows: no date, a bad date, garbage, a keyword inside a comment only */
	{ "from a.example.org by b.example.com", "a.example.org", NULL, "b.example.com", NULL, HOP_TLS_UNKNOWN, NULL,
	  NULL, NULL, NULL, NULL, false, INT64_MIN },
	{ "from a.example.org by b.example.com with ESMTP; 31 Foo 2026 99:00:00 +0000", "a.example.org", NULL,
	  "b.example.com", "ESMTP", HOP_TLS_NO, NULL, NULL, NULL, NULL, NULL, false, INT64_MIN },
	{ "\x1b[31m\x01\xff;\xc0\x80", NULL, NULL, NULL, NULL, HOP_TLS_LOCAL, NULL, NULL, NULL, NULL, NULL, false,
	  INT64_MIN },
	{ "(from x with ESMTPS) by b.example.com; Sun, 29 Nov 2026 10:00:00 +0000", NULL, NULL, "b.example.com", NULL,
	  HOP_TLS_LOCAL, NULL, NULL, NULL, NULL, NULL, false, T_2026_11_29_10 },
	/* cut inside Postfix's clause: nothing claimed */
	{ "from a.example.org (using TLSv1.3 with cipher", "a.example.org", NULL, NULL, NULL, HOP_TLS_UNKNOWN, NULL,
	  NULL, NULL, NULL, NULL, false, INT64_MIN },
	{ "from a.example.org (using TLSv1.3 with cipher X", "a.example.org", NULL, NULL, NULL, HOP_TLS_YES, "postfix",
	  "TLSv1.3", "X", NULL, NULL, false, INT64_MIN },
};

static void check_str(size_t row, const char *what, const char *want, const char *got)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(want, got) != 0) {
		print_error("row %zu %s: want '%s', got '%s'\n", row, what, want ? want : "(null)",
			    got ? got : "(null)");
		fail();
	}
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		const struct row *r = &rows[i];
		struct mail_hop h = { 0 };
		mail_received_parse(r->value, strlen(r->value), &h);
		check_str(i, "from", r->from, h.from);
		check_str(i, "from_addr", r->from_addr, h.from_addr);
		check_str(i, "by", r->by, h.by);
		check_str(i, "with", r->with, h.with);
		check_str(i, "tls", hop_tls_id(r->tls), hop_tls_id(h.tls));
		check_str(i, "style", r->style, h.tls_style);
		check_str(i, "version", r->version, h.tls_version);
		check_str(i, "cipher", r->cipher, h.tls_cipher);
		check_str(i, "bits", r->bits, h.tls_bits);
		check_str(i, "verify", r->verify, h.tls_verify);
		if (r->weak != h.weak || r->when != h.when) {
			print_error("row %zu: weak %d/%d when %lld/%lld\n", i, r->weak, h.weak, (long long)r->when,
				    (long long)h.when);
			fail();
		}
		assert_true(h.raw && str_is_safe(h.raw, strlen(h.raw), false));
		mail_hop_clear(&h);
	}
}

static void test_weak(void **state)
{
	(void)state;
	const char *why = NULL;
	assert_true(mail_tls_is_weak("TLSv1.1", "ECDHE-RSA-AES128-SHA", "128", &why));
	assert_true(mail_tls_is_weak("TLS1_0", NULL, NULL, &why));
	assert_true(mail_tls_is_weak("SSLv3", NULL, NULL, &why));
	assert_true(mail_tls_is_weak("TLS1.2", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", NULL, &why));
	assert_true(mail_tls_is_weak("TLS1.2", "EXP-RC2-CBC-MD5", "40/128", &why));
	assert_true(mail_tls_is_weak("TLS1.2", "X", "56", &why));
	assert_false(mail_tls_is_weak("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "128/128", &why));
	assert_false(mail_tls_is_weak("TLS1_3", "TLS_CHACHA20_POLY1305_SHA256", "256", &why));
	assert_false(mail_tls_is_weak(NULL, NULL, NULL, &why));
}

static const char message[] =
	"From MAILER-DAEMON Sun Nov 29 10:00:05 2026\n"
	"Received: from mx.example.com\n"
	"\tby imap.example.com with LMTP id 8Kx3; Sun, 29 Nov 2026 10:00:05 +0000\n"
	"Received: from mail.example.org (mail.example.org [192.0.2.10])\n"
	"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n"
	"\tby mx.example.com (Postfix) with ESMTPS id 4N1; Sun, 29 Nov 2026 10:00:03 +0000\n"
	"Received: by mail.example.org (Postfix, from userid 1000) id 4N0; Sun, 29 Nov 2026 10:00:00 +0000\n"
	"ARC-Authentication-Results: i=1; mx.example.com;\n"
	"  dkim=pass header.d=example.org; x-tls=pass (TLSv1.3) smtp.remote-ip=192.0.2.10\n"
	"Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=example.org\n"
	"Message-ID: <1@example.org>\n"
	"Subject: a\n"
	"\n"
	"Received: from body.example by body.example; not a header\n";

static void test_message(void **state)
{
	(void)state;
	struct report rep;
	report_init(&rep);
	char err[64];
	assert_int_equal(mail_check(&rep, "m.eml", message, strlen(message), false, POLICY_ENCRYPT, err, sizeof err),
			 0);
	const struct message_result *m = &rep.messages[0];
	assert_int_equal(m->h.nhops, 3);
	assert_int_equal(m->h.received_total, 3);
	assert_int_equal(m->h.hops[0].tls, HOP_TLS_LOCAL);
	assert_int_equal(m->h.hops[1].tls, HOP_TLS_YES);
	assert_string_equal(m->h.hops[1].tls_version, "TLSv1.3");
	assert_int_equal(m->h.hops[2].tls, HOP_TLS_NO);
	assert_int_equal(m->h.hops[2].index, 3);
	assert_string_equal(m->h.message_id, "<1@example.org>");
	assert_int_equal(m->h.nauth, 2);
	assert_int_equal(m->h.auth[0].arc_instance, 1);
	assert_string_equal(m->h.auth[0].authserv_id, "mx.example.com");
	assert_int_equal(m->h.auth[0].tls_parts.n, 1);
	assert_string_equal(m->h.auth[0].tls_parts.v[0], "x-tls=pass smtp.remote-ip=192.0.2.10");
	assert_int_equal(m->h.auth[1].tls_parts.n, 0);
	/* encrypt: the LMTP hop in clear fails; exit 1 */
	size_t plain = 0, hops = 0, auth = 0;
	for (size_t i = 0; i < m->checks.n; i++) {
		const struct finding *f = &m->checks.f[i];
		hops += strcmp(f->id, "headers.hop") == 0;
		auth += strcmp(f->id, "headers.auth-results") == 0;
		if (strcmp(f->id, "headers.hop-plaintext") == 0) {
			plain++;
			assert_int_equal(f->sev, SEV_FAIL);
		}
		assert_string_not_equal(f->id, "headers.all-tls");
	}
	assert_int_equal(hops, 3);
	assert_int_equal(plain, 1);
	assert_int_equal(auth, 1);
	assert_int_equal(mail_exit_code(&rep, 0), 1);
	report_clear(&rep);

	/* may: a warning; none: information */
	enum policy pol[] = { POLICY_MAY, POLICY_NONE };
	enum severity want[] = { SEV_WARN, SEV_INFO };
	for (size_t p = 0; p < 2; p++) {
		report_init(&rep);
		assert_int_equal(mail_check(&rep, "m.eml", message, strlen(message), false, pol[p], err, sizeof err),
				 0);
		bool seen = false;
		for (size_t i = 0; i < rep.messages[0].checks.n; i++)
			if (strcmp(rep.messages[0].checks.f[i].id, "headers.hop-plaintext") == 0) {
				assert_int_equal(rep.messages[0].checks.f[i].sev, want[p]);
				seen = true;
			}
		assert_true(seen);
		assert_int_equal(mail_exit_code(&rep, 0), 0);
		report_clear(&rep);
	}
}

static void test_no_received(void **state)
{
	(void)state;
	struct report rep;
	report_init(&rep);
	char err[64];
	const char *m = "Subject: x\r\nFrom: a@example.org\r\n\r\nbody";
	assert_int_equal(mail_check(&rep, "x", m, strlen(m), false, POLICY_ENCRYPT, err, sizeof err), 0);
	assert_string_equal(rep.messages[0].checks.f[0].id, "headers.no-received");
	assert_int_equal(mail_exit_code(&rep, 0), 3);
	report_clear(&rep);
	/* not a message at all: refused */
	report_init(&rep);
	const char *g = "just some text\nwithout a colon\n";
	assert_int_equal(mail_check(&rep, "x", g, strlen(g), false, POLICY_ENCRYPT, err, sizeof err), -1);
	assert_int_equal(rep.nmessages, 0);
	report_clear(&rep);
}

static void test_bounds(void **state)
{
	(void)state;
	/* 150 Received fields: 100 kept, the message says so */
	struct buf b;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 150; i++) {
		char line[128];
		int n = snprintf(line, sizeof line, "Received: from h%d.example by h%d.example with ESMTPS; x\n", i,
				 i + 1);
		buf_append(&b, line, (size_t)n);
	}
	/* a field longer than its bound: folded 100,000 bytes */
	buf_append(&b, "X-Long: a", 9);
	for (int i = 0; i < 20000; i++)
		buf_append(&b, "\n aaaa", 6);
	buf_append(&b, "\n\n", 2);
	struct report rep;
	report_init(&rep);
	char err[64];
	assert_int_equal(mail_check(&rep, "x", b.data, b.len, false, POLICY_ENCRYPT, err, sizeof err), 0);
	const struct message_result *m = &rep.messages[0];
	assert_int_equal(m->h.nhops, MAIL_MAX_HOPS);
	assert_int_equal(m->h.received_total, 150);
	assert_true(m->h.truncated);
	bool trunc = false, all = false;
	for (size_t i = 0; i < m->checks.n; i++) {
		trunc = trunc || strcmp(m->checks.f[i].id, "headers.truncated") == 0;
		all = all || strcmp(m->checks.f[i].id, "headers.all-tls") == 0;
	}
	assert_true(trunc);
	assert_true(all);
	/* the newest kept hop is the top field */
	assert_string_equal(m->h.hops[MAIL_MAX_HOPS - 1].from, "h0.example");
	report_clear(&rep);
	buf_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),	    cmocka_unit_test(test_weak),   cmocka_unit_test(test_message),
		cmocka_unit_test(test_no_received), cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
