/* \summary: hand-built ClientHellos and a bounds-checked parser of what a
 * server answers to them, for the enumeration probes (versions, ciphers,
 * groups, weaknesses): the GnuTLS client cannot offer SSLv2, SSLv3, EXPORT,
 * DES, IDEA, SEED, ARIA, static DH or most of the ~370 registered suites
 * (shared/FACTS.md), so the bytes are written here and never handed to a
 * TLS library. Nothing here does I/O: the scan (tls/hello_scan.h) sends and
 * reads.
 * specification: RFC 8446 sections 4.1.2-4.1.4 and 4.2 (TLS 1.3 hellos,
 * extensions, downgrade sentinel), RFC 5246 sections 7.4.1-7.4.3 (TLS 1.2
 * hellos, Certificate, ServerKeyExchange), RFC 6101 (SSLv3), RFC 6101
 * appendix E and draft-hickman-netscape-ssl-00 (SSLv2 CLIENT-HELLO and
 * SERVER-HELLO), RFC 6066 (SNI, status_request), RFC 8422 and RFC 7919
 * (supported_groups), RFC 7627 (EMS), RFC 7366 (ETM), RFC 5746
 * (renegotiation_info), RFC 5077 (session ticket), RFC 7301 (ALPN),
 * RFC 7507 (TLS_FALLBACK_SCSV). */
#ifndef SRC_TLS_HELLO_H
#define SRC_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Protocol versions, oldest first; the order is used for "highest". */
enum hello_version {
	HV_SSL2,
	HV_SSL3,
	HV_TLS10,
	HV_TLS11,
	HV_TLS12,
	HV_TLS13,
	HV__COUNT
};
/* "SSLv2", "SSLv3", "TLS1.0" ... "TLS1.3" (GnuTLS's spelling, as in tls.protocol). */
const char *hello_version_name(enum hello_version v);
/* The wire value: 0x0002 for SSLv2, 0x0300 ... 0x0304. */
uint16_t hello_version_wire(enum hello_version v);
/* The version of a wire value; -1 if none of ours. */
int hello_version_from_wire(uint16_t wire);

/* ---- the cipher-suite table (tls/hello_suites.c, generated) --------- */

enum suite_flags {
	SUITE_FS = 1 << 0,     /* ephemeral key exchange: forward secrecy */
	SUITE_AEAD = 1 << 1,   /* AEAD cipher (GCM, CCM, ChaCha20-Poly1305) */
	SUITE_EXPORT = 1 << 2, /* an EXPORT suite (40/56-bit keys, 512-bit RSA/DH) */
	SUITE_SSL2 = 1 << 3,   /* an SSLv2 cipher kind (3-byte code) */
};

struct tls_suite {
	uint32_t code;			/* 0xCCCC; SSLv2 kinds 0xKKKKKK */
	const char *iana;		/* IANA name ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "SSL_CK_...") */
	const char *openssl;		/* OpenSSL name ("DES-CBC3-SHA"); NULL when OpenSSL has none */
	const char *kx;			/* "RSA", "DHE", "ECDHE", "DH", "ECDH", "PSK", "any" (TLS 1.3) ... */
	const char *auth;		/* "RSA", "ECDSA", "DSS", "anon", ... */
	const char *enc;		/* "AESGCM", "3DES", "RC4", "None" ... */
	unsigned bits;			/* effective key bits ("168" of "(168/168 bits)") */
	unsigned alg_bits;		/* algorithm key bits (EXPORT: 40 effective of 128) */
	const char *mac;		/* "SHA1", "SHA256", "AEAD" ... */
	unsigned flags;			/* enum suite_flags */
	enum hello_version min_version; /* the oldest version it is defined for */
};

/* Terminated by an entry with iana == NULL. */
extern const struct tls_suite tls_suite_table[];
/* The entry of a TLS code point (ssl2: a 3-byte SSLv2 kind); NULL if unknown. */
const struct tls_suite *tls_suite_find(uint32_t code, bool ssl2);

/* ---- named groups (RFC 8422, RFC 7919, RFC 8446 section 4.2.7) ------ */

struct tls_group {
	uint16_t code;
	const char *name; /* IANA: "x25519", "secp256r1", "ffdhe2048" */
	unsigned bits;	  /* security-relevant size: curve order bits, FFDHE prime bits */
	bool ffdhe;
};
/* Terminated by name == NULL. */
extern const struct tls_group tls_group_table[];
const struct tls_group *tls_group_find(uint16_t code);

/* A well-known finite-field DH prime, by its value: "RFC 7919 ffdhe2048",
 * "RFC 3526 group 14", "RFC 2409 group 2" ...; NULL when not one of them. */
const char *tls_dh_prime_name(const unsigned char *p, size_t len);

/* ---- ClientHello builder -------------------------------------------- */

#define HELLO_MAX_SUITES    512
#define HELLO_MAX_GROUPS    64
#define HELLO_FALLBACK_SCSV 0x5600 /* RFC 7507 */
#define HELLO_RENEG_SCSV    0x00FF /* RFC 5746 TLS_EMPTY_RENEGOTIATION_INFO_SCSV */

/* What one ClientHello offers. Zero-initialised fields offer nothing. */
struct hello_offer {
	enum hello_version version;	   /* the highest version offered */
	uint32_t suites[HELLO_MAX_SUITES]; /* in preference order; SSLv2 kinds for HV_SSL2 */
	size_t n_suites;
	bool fallback_scsv;		   /* append TLS_FALLBACK_SCSV (RFC 7507 section 4) */
	bool deflate;			   /* offer DEFLATE compression too (RFC 3749), to see CRIME exposure */
	const char *sni;		   /* host name, NULL or an IP literal: none (RFC 6066 section 3) */
	uint16_t groups[HELLO_MAX_GROUPS]; /* supported_groups, in preference order */
	size_t n_groups;
	/* TLS 1.3 key_share: one x25519 share (a real public key, so a server
	 * that checks it still answers) when key_share; the extension is sent
	 * empty otherwise. */
	unsigned char x25519_pub[32];
	bool key_share;
	bool ems, etm, reneg_info, session_ticket, status_request;
	const char *alpn; /* one protocol name ("smtp" is not registered: NULL is usual) */
	bool sig_algs;	  /* signature_algorithms (required for TLS 1.2+) */
};

/* Starts an offer for a version: the extensions that version needs and a
 * mail client sends (SNI from sni, EC point formats and groups, signature
 * algorithms, EMS, ETM, renegotiation_info, session ticket,
 * status_request; TLS 1.3: supported_versions, key_share). No suites yet. */
void hello_offer_init(struct hello_offer *o, enum hello_version v, const char *sni);
/* Adds one suite (ignored when full or already present). */
void hello_offer_add_suite(struct hello_offer *o, uint32_t code);
/* Removes a suite if present. */
void hello_offer_remove_suite(struct hello_offer *o, uint32_t code);

/* Writes the ClientHello as one record (SSLv2: a 2-byte-header
 * CLIENT-HELLO) into out, cleared first. 0, or -1 when it would not fit
 * a record (too many suites). */
int hello_build(const struct hello_offer *o, struct buf *out);

/* Generates an x25519 key pair with GnuTLS and keeps the public half in
 * o->x25519_pub (the private key is thrown away: we never finish the
 * handshake). 0 or -1. */
int hello_offer_x25519(struct hello_offer *o);

/* ---- parser of the server's answer ---------------------------------- */

#define HELLO_MAX_CERTS	     10
#define HELLO_MAX_SSL2_KINDS 32
#define HELLO_MAX_DH_PRIME   1024 /* bytes: 8192 bits */

/* What the server's first flight said, as far as it was read. */
struct server_flight {
	bool server_hello; /* a ServerHello (or SSLv2 SERVER-HELLO) was parsed */
	bool hrr;	   /* it was a HelloRetryRequest (RFC 8446 section 4.1.4) */
	uint16_t legacy_version;
	uint16_t version; /* negotiated: supported_versions if present, else legacy_version */
	uint16_t suite;
	uint8_t compression;	  /* 0 null, 1 DEFLATE */
	uint16_t key_share_group; /* TLS 1.3 ServerHello/HRR key_share group, 0 if none */
	bool reneg_info, ems, etm, ticket, status_request, alpn;
	/* RFC 8446 section 4.1.3: the last 8 bytes of ServerHello.random are
	 * "DOWNGRD\1" (a TLS 1.3 server negotiating TLS 1.2) or "DOWNGRD\0"
	 * (TLS 1.1 or below). */
	bool downgrade_tls12, downgrade_tls11;
	/* Certificate (TLS 1.2 and older; TLS 1.3 encrypts it) */
	size_t n_certs;
	size_t cert_len[HELLO_MAX_CERTS]; /* DER lengths; the leaf's bytes are in leaf */
	unsigned char *leaf;		  /* owned; NULL if none */
	size_t leaf_len;
	/* ServerKeyExchange (RFC 8422 section 5.4, RFC 5246 section 7.4.3) */
	bool ske;
	uint16_t ske_group;  /* ECDHE named curve; 0 if DHE */
	size_t dh_prime_len; /* DHE: prime length in bytes (leading zeros stripped) */
	unsigned dh_prime_bits;
	unsigned char dh_prime[HELLO_MAX_DH_PRIME];
	bool done; /* ServerHelloDone */
	/* SSLv2 SERVER-HELLO */
	bool ssl2;
	size_t n_ssl2_kinds;
	uint32_t ssl2_kinds[HELLO_MAX_SSL2_KINDS];
	/* alert */
	bool alert;
	uint8_t alert_level, alert_desc;
};
void server_flight_clear(struct server_flight *sf);

enum hello_parse_rc {
	HP_MORE = 0,	/* complete so far; more bytes may finish it */
	HP_DONE = 1,	/* answer complete: ServerHelloDone, a TLS 1.3 ServerHello or HRR, an alert, SSLv2 */
	HP_INVALID = -1 /* not what a server may send (the detail is in err) */
};

/* Parses the bytes a server sent after our ClientHello, from the start.
 * Every read is bounds-checked; a record or message split across reads
 * is HP_MORE, malformed contents are HP_INVALID with a static reason in
 * *err. sf is cleared first (server_flight_clear) and owns what it holds.
 * TLS 1.3 records after the ServerHello are encrypted and not read. */
enum hello_parse_rc hello_parse_server(const unsigned char *p, size_t n, bool expect_ssl2, struct server_flight *sf,
				       const char **err);

#endif
