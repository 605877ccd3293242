/* \summary: the hand-built ClientHello (hello_build) read back field by
 * field for every version, and hello_parse_server over a table of server
 * answers: TLS 1.2 and 1.3 ServerHellos, a HelloRetryRequest, the downgrade
 * sentinel, alerts, Certificate, ServerKeyExchange (ECDHE curve, DHE prime
 * with a well-known prime named), an SSLv2 SERVER-HELLO and ERROR, a
 * handshake split over records, and the failure rows: truncated (more to
 * come), not TLS, oversized record, bad lengths. Plus the suite table's
 * invariants and a flight captured from OpenSSL 3's s_server.
 * specification: RFC 8446 sections 4.1.2-4.1.4 and 4.2, RFC 5246 section
 * 7.4, RFC 8422 section 5.4, draft-hickman-netscape-ssl-00, RFC 7507. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/hello.h"

/* ---- reading our ClientHello back --------------------------------- */

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

struct ch {
	unsigned rec_version, client_version, n_suites, n_comp;
	const unsigned char *suites, *ext;
	size_t ext_len;
	bool has_ext;
};

static void read_ch(const struct buf *b, struct ch *c)
{
	const unsigned char *p = (const unsigned char *)b->data;
	memset(c, 0, sizeof *c);
	assert_true(b->len > 5 + 4 + 2 + 32 + 1);
	assert_int_equal(p[0], 22);
	c->rec_version = be16(p + 1);
	assert_int_equal(be16(p + 3), b->len - 5);
	assert_int_equal(p[5], 1);
	size_t hlen = (size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8];
	assert_int_equal(hlen, b->len - 9);
	const unsigned char *q = p + 9, *end = p + b->len;
	c->client_version = be16(q);
	q += 2 + 32;
	q += 1 + q[0]; /* session id */
	c->n_suites = be16(q) / 2;
	c->suites = q + 2;
	q += 2 + be16(q);
	c->n_comp = q[0];
	q += 1 + q[0];
	if (q < end) {
		c->has_ext = true;
		assert_int_equal(be16(q), (size_t)(end - q - 2));
		c->ext = q + 2;
		c->ext_len = (size_t)(end - q - 2);
	}
}

/* The body of extension `type`, or NULL. */
static const unsigned char *find_ext(const struct ch *c, unsigned type, size_t *len)
{
	for (size_t off = 0; off + 4 <= c->ext_len;) {
		unsigned t = be16(c->ext + off), l = be16(c->ext + off + 2);
		assert_true(off + 4 + l <= c->ext_len);
		if (t == type) {
			*len = l;
			return c->ext + off + 4;
		}
		off += 4 + l;
	}
	return NULL;
}

static bool offers_suite(const struct ch *c, unsigned code)
{
	for (unsigned i = 0; i < c->n_suites; i++)
		if (be16(c->suites + 2 * i) == code)
			return true;
	return false;
}

static void test_build_tls(void **state)
{
	(void)state;
	static const struct {
		enum hello_version v;
		unsigned rec, client;
		bool ext, sig_algs, versions;
	} rows[] = {
		{ HV_SSL3, 0x0300, 0x0300, false, false, false }, { HV_TLS10, 0x0301, 0x0301, true, false, false },
		{ HV_TLS11, 0x0301, 0x0302, true, false, false }, { HV_TLS12, 0x0301, 0x0303, true, true, false },
		{ HV_TLS13, 0x0301, 0x0303, true, true, true },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct hello_offer o;
		struct buf b;
		struct ch c;
		size_t len;
		buf_init(&b, 65536);
		hello_offer_init(&o, rows[i].v, "mx.example.test");
		hello_offer_add_suite(&o, rows[i].v == HV_TLS13 ? 0x1301 : 0x000A);
		hello_offer_add_suite(&o, rows[i].v == HV_TLS13 ? 0x1301 : 0x000A); /* once only */
		hello_offer_add_suite(&o, 0xC030);
		o.fallback_scsv = true;
		if (rows[i].v == HV_TLS13)
			assert_int_equal(hello_offer_x25519(&o), 0);
		assert_int_equal(hello_build(&o, &b), 0);
		read_ch(&b, &c);
		assert_int_equal(c.rec_version, rows[i].rec);
		assert_int_equal(c.client_version, rows[i].client);
		assert_int_equal(c.has_ext, rows[i].ext);
		assert_true(offers_suite(&c, 0xC030));
		assert_true(offers_suite(&c, HELLO_FALLBACK_SCSV));
		/* SSLv3: secure renegotiation by the SCSV (RFC 5746 section 3.3). */
		assert_int_equal(offers_suite(&c, HELLO_RENEG_SCSV), rows[i].v == HV_SSL3);
		assert_int_equal(c.n_suites, 3 + (rows[i].v == HV_SSL3));
		assert_int_equal(c.n_comp, 1);
		if (!rows[i].ext) {
			buf_clear(&b);
			continue;
		}
		const unsigned char *e = find_ext(&c, 0x0000, &len);
		assert_non_null(e);
		assert_int_equal(len, 2 + 1 + 2 + strlen("mx.example.test"));
		assert_memory_equal(e + 5, "mx.example.test", strlen("mx.example.test"));
		assert_non_null(find_ext(&c, 0x000a, &len)); /* supported_groups */
		assert_non_null(find_ext(&c, 0x0017, &len)); /* EMS */
		assert_non_null(find_ext(&c, 0x0016, &len)); /* ETM */
		assert_non_null(find_ext(&c, 0xff01, &len)); /* renegotiation_info */
		assert_non_null(find_ext(&c, 0x0023, &len)); /* session ticket */
		assert_non_null(find_ext(&c, 0x0005, &len)); /* status_request */
		assert_int_equal(find_ext(&c, 0x000d, &len) != NULL, rows[i].sig_algs);
		e = find_ext(&c, 0x002b, &len);
		assert_int_equal(e != NULL, rows[i].versions);
		if (e) {
			assert_int_equal(len, 3);
			assert_int_equal(be16(e + 1), 0x0304);
			e = find_ext(&c, 0x0033, &len);
			assert_non_null(e);
			assert_int_equal(len, 2 + 2 + 2 + 32);
			assert_int_equal(be16(e + 2), 0x001d);
			assert_int_equal(be16(e + 4), 32);
		}
		buf_clear(&b);
	}
}

static void test_build_options(void **state)
{
	(void)state;
	struct hello_offer o;
	struct buf b;
	struct ch c;
	size_t len;
	buf_init(&b, 65536);
	/* RFC 6066 section 3: no IP literal in SNI. */
	hello_offer_init(&o, HV_TLS12, "192.0.2.1");
	hello_offer_add_suite(&o, 0x002F);
	o.deflate = true;
	o.alpn = "smtp";
	assert_int_equal(hello_build(&o, &b), 0);
	read_ch(&b, &c);
	assert_null(find_ext(&c, 0x0000, &len));
	assert_int_equal(c.n_comp, 2);
	const unsigned char *e = find_ext(&c, 0x0010, &len);
	assert_non_null(e);
	assert_int_equal(len, 2 + 1 + 4);
	/* TLS 1.3 without a share: the key_share extension is there, empty. */
	hello_offer_init(&o, HV_TLS13, NULL);
	hello_offer_add_suite(&o, 0x1302);
	o.key_share = false;
	assert_int_equal(hello_build(&o, &b), 0);
	read_ch(&b, &c);
	e = find_ext(&c, 0x0033, &len);
	assert_non_null(e);
	assert_int_equal(len, 2);
	/* remove */
	hello_offer_init(&o, HV_TLS12, NULL);
	hello_offer_add_suite(&o, 1);
	hello_offer_add_suite(&o, 2);
	hello_offer_add_suite(&o, 3);
	hello_offer_remove_suite(&o, 2);
	hello_offer_remove_suite(&o, 9);
	assert_int_equal(o.n_suites, 2);
	assert_int_equal(o.suites[1], 3);
	/* every suite of the table still fits one record */
	hello_offer_init(&o, HV_TLS12, "mx.example.test");
	for (const struct tls_suite *s = tls_suite_table; s->iana; s++)
		if (!(s->flags & SUITE_SSL2))
			hello_offer_add_suite(&o, s->code);
	assert_int_equal(hello_build(&o, &b), 0);
	buf_clear(&b);
}

static void test_build_ssl2(void **state)
{
	(void)state;
	struct hello_offer o;
	struct buf b;
	buf_init(&b, 65536);
	hello_offer_init(&o, HV_SSL2, "mx.example.test");
	hello_offer_add_suite(&o, 0x0700C0);
	hello_offer_add_suite(&o, 0x010080);
	assert_int_equal(hello_build(&o, &b), 0);
	const unsigned char *p = (const unsigned char *)b.data;
	assert_int_equal(b.len, 2 + 9 + 6 + 16);
	assert_int_equal(p[0], 0x80);
	assert_int_equal(p[1], b.len - 2);
	assert_int_equal(p[2], 1);	       /* CLIENT-HELLO */
	assert_int_equal(be16(p + 3), 0x0002); /* SSL 2.0 */
	assert_int_equal(be16(p + 5), 6);
	assert_int_equal(be16(p + 7), 0);
	assert_int_equal(be16(p + 9), 16);
	assert_int_equal(p[11], 0x07);
	assert_int_equal(be16(p + 12), 0x00C0);
	buf_clear(&b);
}

/* ---- parsing the server's answer ---------------------------------- */

/* Test input is written as hex with spaces; R(...) wraps records by hand. */
static size_t unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		unsigned v;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		assert_true(n < max);
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

#define RANDOM	   "0000000000000000000000000000000000000000000000000000000000000000"
#define HRR_RANDOM "CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C"
#define DOWNGRD1   "000000000000000000000000000000000000000000000000444F574E47524401"

struct prow {
	const char *name;
	bool ssl2;
	const char *hex;
	enum hello_parse_rc rc;
	bool server_hello, hrr, alert, done, ske;
	unsigned version, suite, group, alert_desc, certs, dh_bits;
	bool ems, etm, reneg, downgrade12, compressed;
	size_t ssl2_kinds;
};

static const struct prow prows[] = {
	{ .name = "TLS 1.2 ServerHello, EMS, ETM, reneg, then ServerHelloDone",
	  .hex = "16 0303 0039 02 000035 0303 " RANDOM " 00 C030 00 000D 0017 0000 0016 0000 FF01 0001 00"
		 " 16 0303 0004 0E 000000",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .done = true,
	  .version = 0x0303,
	  .suite = 0xC030,
	  .ems = true,
	  .etm = true,
	  .reneg = true },
	{ .name = "TLS 1.2 ServerHello without ServerHelloDone yet",
	  .hex = "16 0303 002A 02 000026 0303 " RANDOM " 00 002F 01",
	  .rc = HP_MORE,
	  .server_hello = true,
	  .version = 0x0303,
	  .suite = 0x002F,
	  .compressed = true },
	{ .name = "TLS 1.3 ServerHello: supported_versions and key_share",
	  .hex = "16 0303 005A 02 000056 0303 " RANDOM " 20 " RANDOM " 1301 00 000E 002B 0002 0304 0033 0004 001D 0000",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .version = 0x0304,
	  .suite = 0x1301,
	  .group = 0x001d },
	{ .name = "HelloRetryRequest",
	  .hex = "16 0303 0058 02 000054 0303 " HRR_RANDOM " 20 " RANDOM " 1302 00 000C 002B 0002 0304 0033 0002 0017",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .hrr = true,
	  .version = 0x0304,
	  .suite = 0x1302,
	  .group = 0x0017 },
	{ .name = "downgrade sentinel of a TLS 1.3 server answering TLS 1.2",
	  .hex = "16 0303 002A 02 000026 0303 " DOWNGRD1 " 00 009E 00 16 0303 0004 0E 000000",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .done = true,
	  .version = 0x0303,
	  .suite = 0x009E,
	  .downgrade12 = true },
	{ .name = "fatal alert handshake_failure",
	  .hex = "15 0303 0002 02 28",
	  .rc = HP_DONE,
	  .alert = true,
	  .alert_desc = 40 },
	{ .name = "alert inappropriate_fallback",
	  .hex = "15 0301 0002 02 56",
	  .rc = HP_DONE,
	  .alert = true,
	  .alert_desc = 86 },
	{ .name = "ServerHello split over two records",
	  .hex = "16 0303 0010 02 000026 0303 00000000000000000000 16 0303 001A 00000000000000000000000000000000000000000000"
		 "00 0035 00 16 0303 0004 0E 000000",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .done = true,
	  .version = 0x0303,
	  .suite = 0x0035 },
	{ .name = "Certificate and ECDHE ServerKeyExchange (secp256r1)",
	  .hex = "16 0303 004D 02 000026 0303 " RANDOM " 00 C02F 00"
		 " 0B 00000C 000009 000006 308203010203"
		 " 0C 00000B 03 0017 04 AABBCCDD 0000 00"
		 " 0E 000000",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .done = true,
	  .ske = true,
	  .version = 0x0303,
	  .suite = 0xC02F,
	  .group = 0x0017,
	  .certs = 1 },
	{ .name = "DHE ServerKeyExchange: 9-bit prime with a leading zero byte",
	  .hex = "16 0303 003F 02 000026 0303 " RANDOM " 00 0033 00"
		 " 0C 00000D 0003 000101 0001 02 0001 05 0000"
		 " 0E 000000",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .done = true,
	  .ske = true,
	  .version = 0x0303,
	  .suite = 0x0033,
	  .dh_bits = 9 },
	{ .name = "SSLv2 SERVER-HELLO cut short",
	  .ssl2 = true,
	  .hex = "8030 04 00 01 0002 0003 0006 0010 AABBCC 0700C0 010080 00112233445566778899AABBCCDDEEFF",
	  .rc = HP_MORE },
	{ .name = "SSLv2 SERVER-HELLO",
	  .ssl2 = true,
	  .hex = "8015 04 00 01 0002 0003 0006 0001 AABBCC 0700C0 010080 00",
	  .rc = HP_DONE,
	  .server_hello = true,
	  .version = 0x0002,
	  .certs = 1,
	  .ssl2_kinds = 2 },
	{ .name = "SSLv2 ERROR", .ssl2 = true, .hex = "8003 00 0001", .rc = HP_DONE },
	{ .name = "TLS alert to an SSLv2 hello",
	  .ssl2 = true,
	  .hex = "15 0301 0002 02 46",
	  .rc = HP_DONE,
	  .alert = true,
	  .alert_desc = 70 },
	{ .name = "truncated record header", .hex = "16 03", .rc = HP_MORE },
	{ .name = "truncated record body", .hex = "16 0303 0040 02 000026", .rc = HP_MORE },
	{ .name = "truncated handshake message", .hex = "16 0303 0004 02 000026", .rc = HP_MORE },
	{ .name = "nothing", .hex = "", .rc = HP_MORE },
	{ .name = "SMTP text instead of TLS", .hex = "3232302068656C6C6F0D0A", .rc = HP_INVALID },
	{ .name = "record longer than the limit", .hex = "16 0303 4801", .rc = HP_INVALID },
	{ .name = "ServerHello shorter than its fields",
	  .hex = "16 0303 000A 02 000006 0303 00000000",
	  .rc = HP_INVALID },
	{ .name = "session id longer than 32",
	  .hex = "16 0303 002A 02 000026 0303 " RANDOM " 21 C030 00",
	  .rc = HP_INVALID },
	{ .name = "Certificate before ServerHello", .hex = "16 0303 0007 0B 000003 000000", .rc = HP_INVALID },
	{ .name = "extension length beyond the message",
	  .hex = "16 0303 0030 02 00002C 0303 " RANDOM " 00 C030 00 0004 FF01 0009",
	  .rc = HP_INVALID },
};

static void test_parse_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof prows / sizeof prows[0]; i++) {
		const struct prow *r = &prows[i];
		unsigned char in[1024];
		size_t n = unhex(r->hex, in, sizeof in);
		struct server_flight sf = { 0 };
		const char *err = NULL;
		print_message("row: %s\n", r->name);
		enum hello_parse_rc rc = hello_parse_server(in, n, r->ssl2, &sf, &err);
		assert_non_null(err);
		assert_int_equal(rc, r->rc);
		if (rc == HP_INVALID) {
			assert_true(strlen(err) > 0);
			server_flight_clear(&sf);
			continue;
		}
		assert_int_equal(sf.server_hello, r->server_hello);
		assert_int_equal(sf.hrr, r->hrr);
		assert_int_equal(sf.alert, r->alert);
		assert_int_equal(sf.done, r->done);
		assert_int_equal(sf.ske, r->ske);
		assert_int_equal(sf.n_certs, r->certs);
		if (r->alert)
			assert_int_equal(sf.alert_desc, r->alert_desc);
		if (r->server_hello) {
			assert_int_equal(sf.version, r->version);
			assert_int_equal(sf.ems, r->ems);
			assert_int_equal(sf.etm, r->etm);
			assert_int_equal(sf.reneg_info, r->reneg);
			assert_int_equal(sf.downgrade_tls12, r->downgrade12);
			assert_int_equal(sf.compression == 1, r->compressed);
			assert_int_equal(sf.n_ssl2_kinds, r->ssl2_kinds);
			if (!r->ssl2)
				assert_int_equal(sf.suite, r->suite);
		}
		if (r->group)
			assert_int_equal(sf.key_share_group ? sf.key_share_group : sf.ske_group, r->group);
		assert_int_equal(sf.dh_prime_bits, r->dh_bits);
		if (r->ssl2_kinds) {
			assert_int_equal(sf.ssl2_kinds[0], 0x0700C0);
			assert_int_equal(sf.ssl2_kinds[1], 0x010080);
		}
		server_flight_clear(&sf);
	}
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned char *p = malloc(65536);
	*n = fread(p, 1, 65536, f);
	fclose(f);
	return p;
}

/* OpenSSL 3.0's s_server answering our TLS 1.2 hello, captured on loopback
 * (also a fuzz seed: its first byte is the fuzzer's mode byte). */
static void test_parse_captured(void **state)
{
	(void)state;
	size_t n;
	unsigned char *p = slurp("tests/fuzz/corpus/hello/openssl-sh01", &n);
	struct server_flight sf = { 0 };
	const char *err;
	assert_int_equal(hello_parse_server(p + 1, n - 1, false, &sf, &err), HP_DONE);
	assert_int_equal(sf.version, 0x0303);
	assert_int_equal(sf.suite, 0x009E);
	assert_int_equal(sf.n_certs, 1);
	assert_true(sf.leaf_len > 500);
	assert_int_equal(sf.dh_prime_bits, 2048);
	assert_string_equal(tls_dh_prime_name(sf.dh_prime, sf.dh_prime_len), "RFC 3526 group 14 (2048)");
	assert_true(sf.reneg_info && sf.ems); /* no ETM with an AEAD suite */
	/* Every shorter read is incomplete, never invalid. */
	for (size_t cut = 0; cut < n - 1; cut++)
		assert_int_equal(hello_parse_server(p + 1, cut, false, &sf, &err), HP_MORE);
	server_flight_clear(&sf);
	free(p);
	p = slurp("tests/fuzz/corpus/hello/openssl-sh00", &n);
	assert_int_equal(hello_parse_server(p + 1, n - 1, false, &sf, &err), HP_DONE);
	assert_int_equal(sf.version, 0x0304);
	assert_int_equal(sf.key_share_group, 0x001d);
	server_flight_clear(&sf);
	free(p);
}

static void test_tables(void **state)
{
	(void)state;
	size_t tls = 0, ssl2 = 0;
	for (const struct tls_suite *s = tls_suite_table; s->iana; s++) {
		if (s->flags & SUITE_SSL2)
			ssl2++;
		else
			tls++;
		assert_ptr_equal(tls_suite_find(s->code, s->flags & SUITE_SSL2), s);
		assert_true(s->bits <= s->alg_bits);
	}
	assert_true(tls >= 350);
	assert_int_equal(ssl2, 13);
	const struct tls_suite *s = tls_suite_find(0x000A, false);
	assert_string_equal(s->iana, "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
	assert_string_equal(s->openssl, "DES-CBC3-SHA");
	assert_int_equal(s->bits, 168);
	assert_string_equal(s->kx, "RSA");
	s = tls_suite_find(0x0016, false);
	assert_string_equal(s->openssl, "EDH-RSA-DES-CBC3-SHA"); /* FOPE's "(168/168 bits)" suite */
	assert_true(s->flags & SUITE_FS);
	s = tls_suite_find(0x0003, false);
	assert_true(s->flags & SUITE_EXPORT);
	assert_int_equal(s->bits, 40);
	assert_int_equal(s->alg_bits, 128);
	s = tls_suite_find(0x1301, false);
	assert_true((s->flags & SUITE_AEAD) && (s->flags & SUITE_FS));
	assert_int_equal(s->min_version, HV_TLS13);
	assert_null(tls_suite_find(0x5600, false));
	assert_string_equal(tls_group_find(0x001d)->name, "x25519");
	assert_true(tls_group_find(0x0100)->ffdhe);
	assert_null(tls_group_find(0x4242));
	assert_int_equal(hello_version_from_wire(0x0303), HV_TLS12);
	assert_int_equal(hello_version_from_wire(0x7f1c), -1);
	assert_string_equal(hello_version_name(HV_SSL2), "SSLv2");
}

/* RFC 2409 section 6.2, the second Oakley group. */
static void test_dh_prime_names(void **state)
{
	(void)state;
	unsigned char p[128];
	size_t n =
		unhex("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
		      "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7"
		      "EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
		      p, sizeof p);
	assert_int_equal(n, 128);
	assert_string_equal(tls_dh_prime_name(p, n), "RFC 2409 group 2 (Oakley 1024)");
	p[64] ^= 1;
	assert_null(tls_dh_prime_name(p, n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_tls),      cmocka_unit_test(test_build_options),
		cmocka_unit_test(test_build_ssl2),     cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_parse_captured), cmocka_unit_test(test_tables),
		cmocka_unit_test(test_dh_prime_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
