/* \summary: TLS record headers and hello/certificate messages from the wire.
 *
 * specification: RFC 8446 sections 4.1.2 (ClientHello), 4.1.3 (ServerHello,
 * HelloRetryRequest), 4.2 (extensions), 5.1 (records); RFC 5246 sections
 * 6.2.1 and 7.4.2 (Certificate); RFC 6066 section 3; RFC 7301; RFC 8701.
 * Every byte is hostile: reads go through wire/rd.h and a fault ends in
 * one place. */
#include "wire/tlsparse.h"

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/rd.h"

struct tok {
	uint16_t value;
	const char *name;
};

static const struct tok versions[] = {
	{ 0x0300, "SSL3.0" }, { 0x0301, "TLS1.0" }, { 0x0302, "TLS1.1" },
	{ 0x0303, "TLS1.2" }, { 0x0304, "TLS1.3" }, { 0, NULL },
};

/* IANA TLS Cipher Suites registry: the ones mail servers and clients
 * offer; others print as hex. */
static const struct tok suites[] = {
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
	{ 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0x5600, "TLS_FALLBACK_SCSV" },
	{ 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA" },
	{ 0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xC09C, "TLS_RSA_WITH_AES_128_CCM" },
	{ 0xC09D, "TLS_RSA_WITH_AES_256_CCM" },
	{ 0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM" },
	{ 0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM" },
	{ 0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ 0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0, NULL },
};

/* IANA TLS Supported Groups; the names GnuTLS prints (gnutls_group_get_name). */
static const struct tok groups[] = {
	{ 23, "SECP256R1" },  { 24, "SECP384R1" },  { 25, "SECP521R1" },  { 29, "X25519" },
	{ 30, "X448" },	      { 256, "FFDHE2048" }, { 257, "FFDHE3072" }, { 258, "FFDHE4096" },
	{ 259, "FFDHE6144" }, { 260, "FFDHE8192" }, { 0, NULL },
};

static const struct tok extensions[] = {
	{ 0, "server_name" },
	{ 1, "max_fragment_length" },
	{ 5, "status_request" },
	{ 10, "supported_groups" },
	{ 11, "ec_point_formats" },
	{ 13, "signature_algorithms" },
	{ 16, "application_layer_protocol_negotiation" },
	{ 17, "status_request_v2" },
	{ 18, "signed_certificate_timestamp" },
	{ 21, "padding" },
	{ 22, "encrypt_then_mac" },
	{ 23, "extended_master_secret" },
	{ 27, "compress_certificate" },
	{ 28, "record_size_limit" },
	{ 35, "session_ticket" },
	{ 41, "pre_shared_key" },
	{ 42, "early_data" },
	{ 43, "supported_versions" },
	{ 44, "cookie" },
	{ 45, "psk_key_exchange_modes" },
	{ 47, "certificate_authorities" },
	{ 49, "post_handshake_auth" },
	{ 50, "signature_algorithms_cert" },
	{ 51, "key_share" },
	{ 65281, "renegotiation_info" },
	{ 0, NULL },
};

/* RFC 8446 section 4.1.3: the ServerHello.random of a HelloRetryRequest,
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = { 0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
					0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
					0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C };

/* RFC 8701 section 2: 0x0A0A, 0x1A1A, ... 0xFAFA. */
static bool is_grease(uint16_t v)
{
	return (v & 0x0F0F) == 0x0A0A && (v >> 12) == ((v >> 4) & 0x0F);
}

static const char *tok_name(const struct tok *t, uint16_t v, char buf[8])
{
	for (; t->name; t++)
		if (t->value == v)
			return t->name;
	if (is_grease(v))
		return "GREASE";
	snprintf(buf, 8, "0x%04X", v);
	return buf;
}

const char *tls_version_name(uint16_t v, char buf[8])
{
	return tok_name(versions, v, buf);
}

const char *tls_suite_name(uint16_t v, char buf[8])
{
	return tok_name(suites, v, buf);
}

const char *tls_group_name(uint16_t v, char buf[8])
{
	return tok_name(groups, v, buf);
}

const char *tls_ext_name(uint16_t v, char buf[8])
{
	return tok_name(extensions, v, buf);
}

bool tls_record_header_ok(const uint8_t *h, size_t *len)
{
	*len = ((size_t)h[3] << 8) | h[4];
	if (h[0] < TLS_CT_CHANGE_CIPHER_SPEC || h[0] > TLS_CT_HEARTBEAT)
		return false;
	/* RFC 8446 section 5.1: legacy_record_version is 0x0303, or 0x0301
	 * in an initial ClientHello; older peers use 3.0 to 3.3. */
	if (h[1] != 3 || h[2] > 4)
		return false;
	return *len <= TLS_RECORD_MAX;
}

static void push_name(struct strvec *sv, const char *(*namer)(uint16_t, char *), uint16_t v)
{
	char buf[8];
	strvec_push(sv, namer(v, buf));
}

/* server_name (RFC 6066 section 3): the first host_name, escaped. */
static void ext_sni(struct rd *e, struct wire_hello *h)
{
	struct rd list = rd_sub(e, rd_be16(e));
	while (rd_ok(&list) && rd_left(&list) > 0) {
		uint8_t type = rd_u8(&list);
		uint16_t n = rd_be16(&list);
		const uint8_t *name = rd_bytes(&list, n);
		if (name && type == 0 && !h->sni)
			h->sni = str_escape(name, n, 300);
	}
}

static void ext_u16_list(struct rd *e, struct strvec *out, const char *(*namer)(uint16_t, char *), bool len8)
{
	size_t n = len8 ? rd_u8(e) : rd_be16(e);
	struct rd list = rd_sub(e, n);
	while (rd_ok(&list) && rd_left(&list) >= 2)
		push_name(out, namer, rd_be16(&list));
}

static void ext_alpn(struct rd *e, struct wire_hello *h)
{
	struct rd list = rd_sub(e, rd_be16(e));
	while (rd_ok(&list) && rd_left(&list) > 0) {
		uint8_t n = rd_u8(&list);
		const uint8_t *p = rd_bytes(&list, n);
		if (p)
			strvec_push_owned(&h->alpn, str_escape(p, n, 64));
	}
}

/* key_share (RFC 8446 section 4.2.8): the client's list of shares, the
 * server's one share, or a HelloRetryRequest's selected_group alone. */
static void ext_key_share(struct rd *e, bool client, struct wire_hello *h)
{
	if (!client) {
		push_name(&h->key_shares, tls_group_name, rd_be16(e));
		return;
	}
	struct rd list = rd_sub(e, rd_be16(e));
	while (rd_ok(&list) && rd_left(&list) > 0) {
		uint16_t g = rd_be16(&list);
		rd_bytes(&list, rd_be16(&list));
		if (rd_ok(&list))
			push_name(&h->key_shares, tls_group_name, g);
	}
}

static int parse_extensions(struct rd *r, bool client, struct wire_hello *h, uint16_t *selected)
{
	if (rd_left(r) == 0)
		return 0; /* RFC 5246 section 7.4.1.2: extensions may be absent */
	struct rd exts = rd_sub(r, rd_be16(r));
	while (rd_ok(&exts) && rd_left(&exts) > 0) {
		uint16_t type = rd_be16(&exts);
		struct rd e = rd_sub(&exts, rd_be16(&exts));
		if (!rd_ok(&e))
			break;
		push_name(&h->extensions, tls_ext_name, type);
		switch (type) {
		case 0:
			if (client)
				ext_sni(&e, h);
			break;
		case 10:
			ext_u16_list(&e, &h->groups, tls_group_name, false);
			break;
		case 16:
			ext_alpn(&e, h);
			break;
		case 43:
			if (client) {
				ext_u16_list(&e, &h->versions, tls_version_name, true);
			} else {
				uint16_t v = rd_be16(&e);
				if (rd_ok(&e)) {
					*selected = v;
					push_name(&h->versions, tls_version_name, v);
				}
			}
			break;
		case 51:
			ext_key_share(&e, client, h);
			break;
		default:
			break;
		}
	}
	return rd_ok(&exts) && rd_ok(r) ? 0 : -1;
}

int tls_hello_parse(const uint8_t *body, size_t len, bool client, struct wire_hello *h, uint16_t *selected,
		    uint16_t *suite)
{
	struct rd r = rd_make(body, len);
	uint16_t legacy = rd_be16(&r);
	const uint8_t *random = rd_bytes(&r, 32);
	rd_bytes(&r, rd_u8(&r)); /* legacy_session_id */
	if (!rd_ok(&r))
		return -1;
	h->seen = true;
	char buf[8];
	free(h->version);
	h->version = xstrdup(tls_version_name(legacy, buf));
	for (size_t i = 0; i < 32; i++)
		snprintf(h->random_hex + 2 * i, 3, "%02x", random[i]);
	*selected = legacy;
	if (client) {
		struct rd cs = rd_sub(&r, rd_be16(&r));
		while (rd_ok(&cs) && rd_left(&cs) >= 2)
			push_name(&h->suites, tls_suite_name, rd_be16(&cs));
		rd_bytes(&r, rd_u8(&r)); /* legacy_compression_methods */
	} else {
		if (memcmp(random, hrr_random, 32) == 0)
			h->hello_retry = true;
		*suite = rd_be16(&r);
		rd_u8(&r); /* legacy_compression_method */
		if (rd_ok(&r))
			push_name(&h->suites, tls_suite_name, *suite);
	}
	if (!rd_ok(&r))
		return -1;
	return parse_extensions(&r, client, h, selected);
}

int tls_certificate_parse(const uint8_t *body, size_t len, struct strvec *subjects, struct strvec *sha256,
			  size_t max_certs)
{
	struct rd r = rd_make(body, len);
	struct rd list = rd_sub(&r, rd_be24(&r));
	while (rd_ok(&list) && rd_left(&list) > 0 && subjects->n < max_certs) {
		uint32_t n = rd_be24(&list);
		const uint8_t *der = rd_bytes(&list, n);
		if (!der)
			break;
		uint8_t digest[32];
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, n, digest) == 0)
			strvec_push_owned(sha256, hex_upper(digest, sizeof digest, 0));
		gnutls_x509_crt_t crt;
		gnutls_datum_t d = { .data = (unsigned char *)(uintptr_t)der, .size = n };
		gnutls_datum_t dn = { NULL, 0 };
		if (gnutls_x509_crt_init(&crt) < 0)
			return -1;
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0 &&
		    gnutls_x509_crt_get_dn2(crt, &dn) == 0) {
			strvec_push_owned(subjects, str_escape(dn.data, dn.size, 1024));
			gnutls_free(dn.data);
		} else {
			strvec_push(subjects, "(not a parsable X.509 certificate)");
		}
		gnutls_x509_crt_deinit(crt);
	}
	return rd_ok(&list) && rd_ok(&r) ? 0 : -1;
}
