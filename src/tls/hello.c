/* \summary: hand-built ClientHellos and the bounds-checked parser of the
 * server's first flight (tls/hello.h). Every byte the server sent is read
 * through the rd_* accessors below (tcpdump's GET_ macros), and malformed
 * input goes to one invalid: path per function.
 * specification: RFC 8446 section 4.1, RFC 5246 section 7.4, RFC 6101,
 * draft-hickman-netscape-ssl-00 (SSLv2), RFC 8422 section 5.4, RFC 7507. */
#include "tls/hello.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

static const char *const version_names[HV__COUNT] = {
	[HV_SSL2] = "SSLv2",   [HV_SSL3] = "SSLv3",   [HV_TLS10] = "TLS1.0",
	[HV_TLS11] = "TLS1.1", [HV_TLS12] = "TLS1.2", [HV_TLS13] = "TLS1.3",
};

const char *hello_version_name(enum hello_version v)
{
	return v < HV__COUNT ? version_names[v] : "unknown";
}

uint16_t hello_version_wire(enum hello_version v)
{
	switch (v) {
	case HV_SSL2:
		return 0x0002;
	case HV_SSL3:
		return 0x0300;
	case HV_TLS10:
		return 0x0301;
	case HV_TLS11:
		return 0x0302;
	case HV_TLS12:
		return 0x0303;
	case HV_TLS13:
		return 0x0304;
	default:
		return 0;
	}
}

int hello_version_from_wire(uint16_t wire)
{
	for (int v = HV_SSL2; v < HV__COUNT; v++)
		if (hello_version_wire((enum hello_version)v) == wire)
			return v;
	return -1;
}

const struct tls_suite *tls_suite_find(uint32_t code, bool ssl2)
{
	for (const struct tls_suite *s = tls_suite_table; s->iana; s++)
		if (s->code == code && !!(s->flags & SUITE_SSL2) == ssl2)
			return s;
	return NULL;
}

/* IANA TLS Supported Groups registry (RFC 8422, RFC 7919, RFC 8446). */
const struct tls_group tls_group_table[] = {
	{ 0x0001, "sect163k1", 163, false },
	{ 0x0002, "sect163r1", 163, false },
	{ 0x0003, "sect163r2", 163, false },
	{ 0x0004, "sect193r1", 193, false },
	{ 0x0005, "sect193r2", 193, false },
	{ 0x0006, "sect233k1", 233, false },
	{ 0x0007, "sect233r1", 233, false },
	{ 0x0008, "sect239k1", 239, false },
	{ 0x0009, "sect283k1", 283, false },
	{ 0x000a, "sect283r1", 283, false },
	{ 0x000b, "sect409k1", 409, false },
	{ 0x000c, "sect409r1", 409, false },
	{ 0x000d, "sect571k1", 571, false },
	{ 0x000e, "sect571r1", 571, false },
	{ 0x000f, "secp160k1", 160, false },
	{ 0x0010, "secp160r1", 160, false },
	{ 0x0011, "secp160r2", 160, false },
	{ 0x0012, "secp192k1", 192, false },
	{ 0x0013, "secp192r1", 192, false },
	{ 0x0014, "secp224k1", 224, false },
	{ 0x0015, "secp224r1", 224, false },
	{ 0x0016, "secp256k1", 256, false },
	{ 0x0017, "secp256r1", 256, false },
	{ 0x0018, "secp384r1", 384, false },
	{ 0x0019, "secp521r1", 521, false },
	{ 0x001a, "brainpoolP256r1", 256, false },
	{ 0x001b, "brainpoolP384r1", 384, false },
	{ 0x001c, "brainpoolP512r1", 512, false },
	{ 0x001d, "x25519", 255, false },
	{ 0x001e, "x448", 448, false },
	{ 0x001f, "brainpoolP256r1tls13", 256, false },
	{ 0x0020, "brainpoolP384r1tls13", 384, false },
	{ 0x0021, "brainpoolP512r1tls13", 512, false },
	{ 0x0100, "ffdhe2048", 2048, true },
	{ 0x0101, "ffdhe3072", 3072, true },
	{ 0x0102, "ffdhe4096", 4096, true },
	{ 0x0103, "ffdhe6144", 6144, true },
	{ 0x0104, "ffdhe8192", 8192, true },
	{ 0, NULL, 0, false },
};

const struct tls_group *tls_group_find(uint16_t code)
{
	for (const struct tls_group *g = tls_group_table; g->name; g++)
		if (g->code == code)
			return g;
	return NULL;
}

/* SHA-256 of well-known primes (big-endian, no leading zeros), computed from
 * OpenSSL 3's built-in groups (`openssl genpkey -genparam -algorithm DH
 * -pkeyopt group:NAME`) and, for RFC 2409's 1024-bit group, from the RFC's
 * hex. Hashes, so the table stays short. */
static const struct {
	const char *sha256_hex;
	const char *name;
} known_primes[] = {
	{ "9cd3b7f336872f46c09428d1bbc19877a4d440512cda8d1c1cf0cd6e33698966", "RFC 7919 ffdhe2048" },
	{ "0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17", "RFC 7919 ffdhe3072" },
	{ "4648414224ac881b3d0dc59b466f96d06a558278776807797ecf1f66ff397b3e", "RFC 7919 ffdhe4096" },
	{ "227ac9066b3ddd9e193670cda2388fa884f65ba0cf98b742d1fe77a6687c79c7", "RFC 7919 ffdhe6144" },
	{ "770b14efaf6f049929c523113b3fa99a8d11dab1b18af3609590122075d19833", "RFC 7919 ffdhe8192" },
	{ "3f35a3f5f6c4376a744acad409bb22f8d897f949d2311d885adaa890981b67a0", "RFC 2409 group 2 (Oakley 1024)" },
	{ "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b", "RFC 3526 group 5 (1536)" },
	{ "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e", "RFC 3526 group 14 (2048)" },
	{ "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c", "RFC 3526 group 15 (3072)" },
	{ "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33", "RFC 3526 group 16 (4096)" },
	{ "d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd", "RFC 3526 group 17 (6144)" },
	{ "39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf", "RFC 3526 group 18 (8192)" },
	{ "44c55cfee5c075927cf682da5b681bdecbd5c3eb0784c14f5dce7610f0ef133d",
	  "RFC 5114 1024-bit MODP with 160-bit subgroup" },
	{ "bfe545862ca102ad1eeddb5fbfa5bf855ac4995c56a8b408ce3fe099dce93a9d",
	  "RFC 5114 2048-bit MODP with 224-bit subgroup" },
	{ "0b7835722cb619827610c2549fdda5587421686c4409a13865e76225522ddcc9",
	  "RFC 5114 2048-bit MODP with 256-bit subgroup" },
};

const char *tls_dh_prime_name(const unsigned char *p, size_t len)
{
	unsigned char md[32];
	char hex[65];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p, len, md) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof md; i++) {
		static const char digits[] = "0123456789abcdef";
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = 0;
	for (size_t i = 0; i < ARRAY_LEN(known_primes); i++)
		if (strcmp(hex, known_primes[i].sha256_hex) == 0)
			return known_primes[i].name;
	return NULL;
}

/* ---- builder ---------------------------------------------------------- */

/* The groups a ClientHello offers: every curve a mail server may have, the
 * strongest first, then RFC 7919's groups. */
static const uint16_t default_groups[] = {
	0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x001a, 0x001b, 0x001c, 0x001f, 0x0020, 0x0021, 0x0016, 0x0015,
	0x0014, 0x0013, 0x0012, 0x0011, 0x0010, 0x000f, 0x0009, 0x000a, 0x000b, 0x000c, 0x000d, 0x000e, 0x0001,
	0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
};

/* RFC 8446 section 4.2.3 and RFC 5246 section 7.4.1.4.1, including the
 * SHA-1 and DSA pairs that old servers need. */
static const uint16_t sig_algs[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
	0x0601, 0x0303, 0x0301, 0x0302, 0x0203, 0x0201, 0x0202, 0x0402, 0x0502, 0x0602,
};

void hello_offer_init(struct hello_offer *o, enum hello_version v, const char *sni)
{
	memset(o, 0, sizeof *o);
	o->version = v;
	o->sni = sni;
	if (v <= HV_SSL3)
		return;
	memcpy(o->groups, default_groups, sizeof default_groups);
	o->n_groups = ARRAY_LEN(default_groups);
	o->sig_algs = v >= HV_TLS12;
	o->ems = o->etm = o->reneg_info = o->session_ticket = o->status_request = true;
	o->key_share = v >= HV_TLS13;
}

void hello_offer_add_suite(struct hello_offer *o, uint32_t code)
{
	for (size_t i = 0; i < o->n_suites; i++)
		if (o->suites[i] == code)
			return;
	if (o->n_suites < HELLO_MAX_SUITES)
		o->suites[o->n_suites++] = code;
}

void hello_offer_remove_suite(struct hello_offer *o, uint32_t code)
{
	for (size_t i = 0; i < o->n_suites; i++)
		if (o->suites[i] == code) {
			memmove(o->suites + i, o->suites + i + 1, (o->n_suites - i - 1) * sizeof *o->suites);
			o->n_suites--;
			return;
		}
}

int hello_offer_x25519(struct hello_offer *o)
{
	gnutls_privkey_t k = NULL;
	gnutls_datum_t x = { 0 }, y = { 0 }, d = { 0 };
	gnutls_ecc_curve_t curve;
	int rc = -1;
	if (gnutls_privkey_init(&k) < 0)
		return -1;
	if (gnutls_privkey_generate(k, GNUTLS_PK_ECDH_X25519, 0, 0) < 0)
		goto out;
	if (gnutls_privkey_export_ecc_raw2(k, &curve, &x, &y, &d, 0) < 0)
		goto out;
	if (x.size != sizeof o->x25519_pub)
		goto out;
	memcpy(o->x25519_pub, x.data, x.size);
	o->key_share = true;
	rc = 0;
out:
	gnutls_free(x.data);
	gnutls_free(y.data);
	if (d.data)
		gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	gnutls_privkey_deinit(k);
	return rc;
}

/* A small writer over a fixed array; overflow is remembered, not fatal. */
struct wr {
	unsigned char b[8192];
	size_t n;
	bool overflow;
};

static void put(struct wr *w, const void *p, size_t n)
{
	if (w->overflow || n > sizeof w->b - w->n) {
		w->overflow = true;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}
static void put_u8(struct wr *w, unsigned v)
{
	unsigned char c = (unsigned char)v;
	put(w, &c, 1);
}
static void put_u16(struct wr *w, unsigned v)
{
	put_u8(w, v >> 8);
	put_u8(w, v);
}
static void put_u24(struct wr *w, unsigned v)
{
	put_u8(w, v >> 16);
	put_u16(w, v);
}
/* Back-patches a length of `bytes` bytes at `at` to cover up to the end. */
static void patch_len(struct wr *w, size_t at, unsigned bytes)
{
	if (w->overflow)
		return;
	size_t len = w->n - at - bytes;
	for (unsigned i = 0; i < bytes; i++)
		w->b[at + i] = (unsigned char)(len >> (8 * (bytes - 1 - i)));
}

static bool is_ip_literal(const char *s)
{
	return strchr(s, ':') || strspn(s, "0123456789.") == strlen(s);
}

/* SSLv2 CLIENT-HELLO (draft-hickman-netscape-ssl-00, "Client Only
 * Protocol Messages"), 2-byte record header. */
static int build_ssl2(const struct hello_offer *o, struct wr *w)
{
	unsigned char challenge[16];
	gnutls_rnd(GNUTLS_RND_NONCE, challenge, sizeof challenge);
	put_u16(w, 0); /* header, patched */
	put_u8(w, 1);  /* CLIENT-HELLO */
	put_u16(w, 0x0002);
	put_u16(w, (unsigned)(o->n_suites * 3));
	put_u16(w, 0); /* session id */
	put_u16(w, sizeof challenge);
	for (size_t i = 0; i < o->n_suites; i++) {
		put_u8(w, o->suites[i] >> 16);
		put_u16(w, o->suites[i] & 0xffff);
	}
	put(w, challenge, sizeof challenge);
	if (w->overflow || w->n - 2 > 0x7fff)
		return -1;
	w->b[0] = (unsigned char)(0x80 | ((w->n - 2) >> 8));
	w->b[1] = (unsigned char)(w->n - 2);
	return 0;
}

static void ext_begin(struct wr *w, unsigned type, size_t *at)
{
	put_u16(w, type);
	*at = w->n;
	put_u16(w, 0);
}

static void build_extensions(const struct hello_offer *o, struct wr *w)
{
	size_t at, inner;
	if (o->sni && *o->sni && !is_ip_literal(o->sni)) {
		size_t len = strlen(o->sni);
		ext_begin(w, 0x0000, &at);
		inner = w->n;
		put_u16(w, 0);
		put_u8(w, 0); /* host_name */
		put_u16(w, (unsigned)len);
		put(w, o->sni, len);
		patch_len(w, inner, 2);
		patch_len(w, at, 2);
	}
	if (o->n_groups) {
		ext_begin(w, 0x000a, &at);
		put_u16(w, (unsigned)(o->n_groups * 2));
		for (size_t i = 0; i < o->n_groups; i++)
			put_u16(w, o->groups[i]);
		patch_len(w, at, 2);
		ext_begin(w, 0x000b, &at); /* ec_point_formats: uncompressed */
		put_u8(w, 1);
		put_u8(w, 0);
		patch_len(w, at, 2);
	}
	if (o->sig_algs) {
		ext_begin(w, 0x000d, &at);
		put_u16(w, (unsigned)(ARRAY_LEN(sig_algs) * 2));
		for (size_t i = 0; i < ARRAY_LEN(sig_algs); i++)
			put_u16(w, sig_algs[i]);
		patch_len(w, at, 2);
	}
	if (o->status_request) { /* RFC 6066 section 8: ocsp, no responders, no extensions */
		ext_begin(w, 0x0005, &at);
		put_u8(w, 1);
		put_u16(w, 0);
		put_u16(w, 0);
		patch_len(w, at, 2);
	}
	if (o->alpn && *o->alpn) {
		size_t len = strlen(o->alpn);
		ext_begin(w, 0x0010, &at);
		put_u16(w, (unsigned)(len + 1));
		put_u8(w, (unsigned)len);
		put(w, o->alpn, len);
		patch_len(w, at, 2);
	}
	if (o->etm) {
		ext_begin(w, 0x0016, &at);
		patch_len(w, at, 2);
	}
	if (o->ems) {
		ext_begin(w, 0x0017, &at);
		patch_len(w, at, 2);
	}
	if (o->session_ticket) {
		ext_begin(w, 0x0023, &at);
		patch_len(w, at, 2);
	}
	if (o->version >= HV_TLS13) {
		ext_begin(w, 0x002b, &at); /* supported_versions: TLS 1.3 only */
		put_u8(w, 2);
		put_u16(w, 0x0304);
		patch_len(w, at, 2);
		ext_begin(w, 0x002d, &at); /* psk_key_exchange_modes: psk_dhe_ke */
		put_u8(w, 1);
		put_u8(w, 1);
		patch_len(w, at, 2);
	}
	/* RFC 8446 section 4.2.8: always present in TLS 1.3, possibly with no
	 * share at all (then the server must ask for one in an HRR). */
	if (o->version >= HV_TLS13) {
		ext_begin(w, 0x0033, &at);
		inner = w->n;
		put_u16(w, 0);
		if (o->key_share) {
			put_u16(w, 0x001d);
			put_u16(w, sizeof o->x25519_pub);
			put(w, o->x25519_pub, sizeof o->x25519_pub);
		}
		patch_len(w, inner, 2);
		patch_len(w, at, 2);
	}
	if (o->reneg_info) {
		ext_begin(w, 0xff01, &at);
		put_u8(w, 0);
		patch_len(w, at, 2);
	}
}

int hello_build(const struct hello_offer *o, struct buf *out)
{
	struct wr *w = xcalloc(1, sizeof *w);
	int rc = -1;
	buf_consume(out, out->len);
	if (o->version == HV_SSL2) {
		if (build_ssl2(o, w) < 0)
			goto out;
		goto done;
	}
	unsigned char random[32], sid[32];
	gnutls_rnd(GNUTLS_RND_NONCE, random, sizeof random);
	gnutls_rnd(GNUTLS_RND_NONCE, sid, sizeof sid);
	/* Record version 0x0301 for TLS (what most clients send; some old
	 * servers refuse a higher one), 0x0300 for SSLv3. */
	put_u8(w, 22);
	put_u16(w, o->version == HV_SSL3 ? 0x0300 : 0x0301);
	size_t rec = w->n;
	put_u16(w, 0);
	put_u8(w, 1); /* client_hello */
	size_t hs = w->n;
	put_u24(w, 0);
	put_u16(w, hello_version_wire(o->version >= HV_TLS13 ? HV_TLS12 : o->version));
	put(w, random, sizeof random);
	/* RFC 8446 appendix D.4: a non-empty legacy_session_id for middlebox
	 * compatibility in TLS 1.3. */
	if (o->version >= HV_TLS13) {
		put_u8(w, sizeof sid);
		put(w, sid, sizeof sid);
	} else {
		put_u8(w, 0);
	}
	size_t cs = w->n;
	put_u16(w, 0);
	for (size_t i = 0; i < o->n_suites; i++)
		put_u16(w, o->suites[i] & 0xffff);
	/* SSLv3 has no extensions: ask for secure renegotiation by the SCSV
	 * (RFC 5746 section 3.3). */
	if (o->version == HV_SSL3)
		put_u16(w, HELLO_RENEG_SCSV);
	if (o->fallback_scsv)
		put_u16(w, HELLO_FALLBACK_SCSV);
	patch_len(w, cs, 2);
	if (o->deflate && o->version < HV_TLS13) {
		put_u8(w, 2);
		put_u8(w, 1);
		put_u8(w, 0);
	} else {
		put_u8(w, 1);
		put_u8(w, 0);
	}
	if (o->version > HV_SSL3) {
		size_t ext = w->n;
		put_u16(w, 0);
		build_extensions(o, w);
		patch_len(w, ext, 2);
	}
	patch_len(w, hs, 3);
	patch_len(w, rec, 2);
	if (w->overflow || w->n - 5 > 16384)
		goto out;
done:
	if (buf_append(out, w->b, w->n) < 0)
		goto out;
	rc = 0;
out:
	free(w);
	return rc;
}

/* ---- parser ----------------------------------------------------------- */

/* A bounds-checked reader over untrusted bytes. Each accessor returns false
 * on truncation and the callers GET() it into their invalid: path. */
struct rd {
	const unsigned char *p;
	size_t n;
};
#define GET(x)                        \
	do {                          \
		if (!(x))             \
			goto invalid; \
	} while (0)

static bool rd_u8(struct rd *r, unsigned *v)
{
	if (r->n < 1)
		return false;
	*v = r->p[0];
	r->p++;
	r->n--;
	return true;
}
static bool rd_u16(struct rd *r, unsigned *v)
{
	if (r->n < 2)
		return false;
	*v = (unsigned)r->p[0] << 8 | r->p[1];
	r->p += 2;
	r->n -= 2;
	return true;
}
static bool rd_u24(struct rd *r, unsigned *v)
{
	if (r->n < 3)
		return false;
	*v = (unsigned)r->p[0] << 16 | (unsigned)r->p[1] << 8 | r->p[2];
	r->p += 3;
	r->n -= 3;
	return true;
}
/* Splits off the next len bytes as a reader of their own. */
static bool rd_sub(struct rd *r, size_t len, struct rd *out)
{
	if (r->n < len)
		return false;
	out->p = r->p;
	out->n = len;
	r->p += len;
	r->n -= len;
	return true;
}

void server_flight_clear(struct server_flight *sf)
{
	free(sf->leaf);
	memset(sf, 0, sizeof *sf);
}

/* RFC 8446 section 4.1.3: SHA-256("HelloRetryRequest"). */
static const unsigned char hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static int parse_server_hello(struct rd m, struct server_flight *sf, const char **err)
{
	unsigned v, sidlen, suite, comp, extlen;
	struct rd random, sid, exts;
	*err = "truncated ServerHello";
	GET(rd_u16(&m, &v));
	GET(rd_sub(&m, 32, &random));
	GET(rd_u8(&m, &sidlen));
	GET(sidlen <= 32 && rd_sub(&m, sidlen, &sid));
	GET(rd_u16(&m, &suite));
	GET(rd_u8(&m, &comp));
	sf->legacy_version = (uint16_t)v;
	sf->version = (uint16_t)v;
	sf->suite = (uint16_t)suite;
	sf->compression = (uint8_t)comp;
	sf->hrr = memcmp(random.p, hrr_random, 32) == 0;
	sf->downgrade_tls12 = memcmp(random.p + 24, "DOWNGRD\x01", 8) == 0;
	sf->downgrade_tls11 = memcmp(random.p + 24, "DOWNGRD\x00", 8) == 0;
	if (m.n == 0)
		goto ok;
	GET(rd_u16(&m, &extlen));
	GET(rd_sub(&m, extlen, &exts));
	*err = "trailing bytes after ServerHello extensions";
	GET(m.n == 0);
	while (exts.n) {
		unsigned type, len, val;
		struct rd e;
		*err = "truncated ServerHello extension";
		GET(rd_u16(&exts, &type));
		GET(rd_u16(&exts, &len));
		GET(rd_sub(&exts, len, &e));
		switch (type) {
		case 0x002b: /* supported_versions: selected_version */
			GET(rd_u16(&e, &val));
			sf->version = (uint16_t)val;
			break;
		case 0x0033: /* key_share: group (+ key_exchange outside an HRR) */
			GET(rd_u16(&e, &val));
			sf->key_share_group = (uint16_t)val;
			break;
		case 0xff01:
			sf->reneg_info = true;
			break;
		case 0x0017:
			sf->ems = true;
			break;
		case 0x0016:
			sf->etm = true;
			break;
		case 0x0023:
			sf->ticket = true;
			break;
		case 0x0005:
			sf->status_request = true;
			break;
		case 0x0010:
			sf->alpn = true;
			break;
		default:
			break;
		}
	}
ok:
	sf->server_hello = true;
	return 0;
invalid:
	return -1;
}

static int parse_certificate(struct rd m, struct server_flight *sf, const char **err)
{
	unsigned total, len;
	struct rd list, c;
	*err = "truncated Certificate";
	GET(rd_u24(&m, &total));
	GET(rd_sub(&m, total, &list));
	while (list.n) {
		GET(rd_u24(&list, &len));
		GET(rd_sub(&list, len, &c));
		if (sf->n_certs == 0 && len > 0) {
			free(sf->leaf);
			sf->leaf = xmalloc(len);
			memcpy(sf->leaf, c.p, len);
			sf->leaf_len = len;
		}
		if (sf->n_certs < HELLO_MAX_CERTS)
			sf->cert_len[sf->n_certs++] = len;
	}
	return 0;
invalid:
	return -1;
}

/* RFC 8422 section 5.4 (ECParameters: curve_type 3 = named_curve) and
 * RFC 5246 section 7.4.3 (ServerDHParams: dh_p, dh_g, dh_Ys). */
static int parse_ske(struct rd m, struct server_flight *sf, const char **err)
{
	const struct tls_suite *s = tls_suite_find(sf->suite, false);
	unsigned type, group, plen;
	struct rd p;
	if (!s)
		return 0;
	*err = "truncated ServerKeyExchange";
	if (strcmp(s->kx, "ECDHE") == 0) {
		GET(rd_u8(&m, &type));
		*err = "ServerKeyExchange with explicit curve parameters";
		GET(type == 3);
		*err = "truncated ServerKeyExchange";
		GET(rd_u16(&m, &group));
		sf->ske = true;
		sf->ske_group = (uint16_t)group;
		return 0;
	}
	if (strcmp(s->kx, "DHE") != 0)
		return 0;
	GET(rd_u16(&m, &plen));
	GET(rd_sub(&m, plen, &p));
	while (p.n && p.p[0] == 0) { /* leading zeros do not count */
		p.p++;
		p.n--;
	}
	*err = "DH prime too large";
	GET(p.n <= sizeof sf->dh_prime);
	memcpy(sf->dh_prime, p.p, p.n);
	sf->dh_prime_len = p.n;
	unsigned bits = (unsigned)p.n * 8;
	for (unsigned top = p.n ? p.p[0] : 0x80; !(top & 0x80) && bits; top <<= 1)
		bits--;
	sf->dh_prime_bits = bits;
	sf->ske = true;
	return 0;
invalid:
	return -1;
}

/* The SSLv2 SERVER-HELLO (or ERROR) of draft-hickman-netscape-ssl-00. */
static enum hello_parse_rc parse_ssl2(const unsigned char *p, size_t n, struct server_flight *sf, const char **err)
{
	struct rd r = { p, n }, body, cert, specs;
	unsigned b0, b1, len, type, hit, ctype, ver, certlen, speclen, cidlen;
	if (n < 2)
		return HP_MORE;
	GET(rd_u8(&r, &b0));
	GET(rd_u8(&r, &b1));
	if (b0 & 0x80) {
		len = (b0 & 0x7f) << 8 | b1;
	} else {
		unsigned pad;
		if (n < 3)
			return HP_MORE;
		len = (b0 & 0x3f) << 8 | b1;
		GET(rd_u8(&r, &pad));
	}
	if (r.n < len)
		return HP_MORE;
	GET(rd_sub(&r, len, &body));
	*err = "truncated SSLv2 SERVER-HELLO";
	GET(rd_u8(&body, &type));
	if (type == 0) { /* ERROR: SSLv2 spoken, our hello refused */
		sf->ssl2 = true;
		return HP_DONE;
	}
	*err = "SSLv2 record that is not a SERVER-HELLO";
	GET(type == 4);
	*err = "truncated SSLv2 SERVER-HELLO";
	GET(rd_u8(&body, &hit));
	GET(rd_u8(&body, &ctype));
	GET(rd_u16(&body, &ver));
	GET(rd_u16(&body, &certlen));
	GET(rd_u16(&body, &speclen));
	GET(rd_u16(&body, &cidlen));
	GET(rd_sub(&body, certlen, &cert));
	GET(rd_sub(&body, speclen, &specs));
	*err = "SSLv2 cipher specs not a multiple of 3";
	GET(speclen % 3 == 0);
	sf->ssl2 = true;
	sf->server_hello = true;
	sf->legacy_version = sf->version = (uint16_t)ver;
	while (specs.n >= 3 && sf->n_ssl2_kinds < HELLO_MAX_SSL2_KINDS) {
		unsigned hi, lo;
		GET(rd_u8(&specs, &hi));
		GET(rd_u16(&specs, &lo));
		sf->ssl2_kinds[sf->n_ssl2_kinds++] = hi << 16 | lo;
	}
	if (certlen) {
		sf->leaf = xmalloc(certlen);
		memcpy(sf->leaf, cert.p, certlen);
		sf->leaf_len = certlen;
		sf->cert_len[0] = certlen;
		sf->n_certs = 1;
	}
	(void)hit;
	(void)ctype;
	return HP_DONE;
invalid:
	return HP_INVALID;
}

/* Handshake messages (RFC 5246 section 7.4) from the reassembled stream. */
static enum hello_parse_rc parse_messages(struct rd hs, struct server_flight *sf, const char **err)
{
	while (hs.n) {
		unsigned type, len;
		struct rd m;
		if (hs.n < 4)
			return HP_MORE;
		GET(rd_u8(&hs, &type));
		GET(rd_u24(&hs, &len));
		if (hs.n < len)
			return HP_MORE;
		GET(rd_sub(&hs, len, &m));
		if (!sf->server_hello && type != 2) {
			*err = "handshake message before the ServerHello";
			goto invalid;
		}
		switch (type) {
		case 2:
			*err = "second ServerHello";
			GET(!sf->server_hello);
			GET(parse_server_hello(m, sf, err) == 0);
			/* TLS 1.3: everything after is encrypted; an HRR ends it too. */
			if (sf->hrr || sf->version >= 0x0304)
				return HP_DONE;
			break;
		case 11:
			GET(parse_certificate(m, sf, err) == 0);
			break;
		case 12:
			GET(parse_ske(m, sf, err) == 0);
			break;
		case 14:
			sf->done = true;
			return HP_DONE;
		default: /* CertificateRequest, CertificateStatus, ...: not needed */
			break;
		}
	}
	return HP_MORE;
invalid:
	return HP_INVALID;
}

#define HS_MAX (256 * 1024)

enum hello_parse_rc hello_parse_server(const unsigned char *p, size_t n, bool expect_ssl2, struct server_flight *sf,
				       const char **err)
{
	struct rd r = { p, n };
	unsigned char *hs = NULL;
	size_t hs_len = 0;
	enum hello_parse_rc rc = HP_MORE;
	server_flight_clear(sf);
	*err = "";
	if (n == 0)
		return HP_MORE;
	/* An SSLv2 record has the high bit of its first byte set (2-byte
	 * header) or is an SSLv2 message with a 3-byte header; TLS records
	 * start with 20-23. */
	if (expect_ssl2 && (p[0] & 0x80 || p[0] < 20 || p[0] > 23))
		return parse_ssl2(p, n, sf, err);
	while (r.n) {
		unsigned type, ver, len;
		struct rd frag;
		if (r.n < 5)
			goto out;
		GET(rd_u8(&r, &type));
		GET(rd_u16(&r, &ver));
		GET(rd_u16(&r, &len));
		*err = "not a TLS record";
		GET(type >= 20 && type <= 23 && (ver >> 8) == 3);
		*err = "record longer than 2^14 + 2048 bytes";
		GET(len <= 16384 + 2048);
		if (r.n < len)
			goto out;
		GET(rd_sub(&r, len, &frag));
		if (type == 21) { /* alert */
			unsigned level, desc;
			*err = "truncated alert";
			GET(rd_u8(&frag, &level));
			GET(rd_u8(&frag, &desc));
			sf->alert = true;
			sf->alert_level = (uint8_t)level;
			sf->alert_desc = (uint8_t)desc;
			rc = HP_DONE;
			goto out;
		}
		if (type != 22) /* ChangeCipherSpec, encrypted TLS 1.3 records */
			continue;
		*err = "handshake larger than we read";
		GET(hs_len + frag.n <= HS_MAX);
		hs = xrealloc(hs, hs_len + frag.n + 1);
		memcpy(hs + hs_len, frag.p, frag.n);
		hs_len += frag.n;
		struct rd all = { hs, hs_len };
		free(sf->leaf);
		sf->leaf = NULL;
		memset(sf, 0, sizeof *sf);
		rc = parse_messages(all, sf, err);
		if (rc != HP_MORE)
			goto out;
	}
	goto out;
invalid:
	rc = HP_INVALID;
out:
	free(hs);
	return rc;
}
