/* \summary: the enumeration artifact: which protocol versions, cipher
 * suites and groups a server accepted to hand-built ClientHellos
 * (tls/hello_scan.h fills it; the versions, ciphers, groups and weaknesses
 * probes judge it; renderers print it). Plain data: suites are code points,
 * their names come from the table in tls/hello.h.
 * specification: IANA TLS Cipher Suites and Supported Groups registries. */
#ifndef SRC_REPORT_TLS_ENUM_H
#define SRC_REPORT_TLS_ENUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define ENUM_VERSIONS 6 /* SSLv2, SSLv3, TLS 1.0, 1.1, 1.2, 1.3: enum hello_version */

enum enum_order {
	ORDER_UNKNOWN, /* fewer than two suites, or not asked */
	ORDER_SERVER,  /* the server chooses by its own preference */
	ORDER_CLIENT,  /* the server takes the client's first acceptable suite */
};
const char *enum_order_name(enum enum_order o); /* "unknown", "server", "client" */

/* One accepted suite of one version. */
struct enum_suite {
	uint32_t code;	     /* IANA code point; SSLv2: the 3-byte kind */
	char *group;	     /* the key exchange group it came with ("x25519"), NULL if none seen */
	unsigned dh_bits;    /* DHE: the prime's size in bits, 0 otherwise */
	char *dh_prime_name; /* a well-known prime's name, NULL if not one */
};

struct enum_version {
	bool tested;		   /* a hello for this version was answered or refused */
	bool accepted;		   /* the server answered with this version */
	bool tls_answer;	   /* the server answered in TLS (a ServerHello or an alert), not with a
				      close, a reset, silence or bytes that are not TLS */
	char *refusal;		   /* how it refused ("alert 40 handshake_failure", "closed"), NULL if accepted */
	struct enum_suite *suites; /* in the order the server chose them */
	size_t n_suites;
	bool complete;	       /* enumeration ended by a refusal, not by a limit */
	enum enum_order order; /* TLS only */
	/* from the first ServerHello of this version */
	bool compression;	 /* DEFLATE chosen (CRIME) */
	bool reneg_info;	 /* renegotiation_info answered (RFC 5746) */
	bool ems;		 /* extended_master_secret answered (RFC 7627) */
	bool etm;		 /* encrypt_then_mac answered (RFC 7366) */
	bool downgrade_sentinel; /* the ServerHello.random carried DOWNGRD (RFC 8446 section 4.1.3) */
};

/* A group the server accepted (ECDHE curve, RFC 7919 FFDHE group). */
struct enum_group {
	uint16_t code;
	char *name;
	unsigned bits;
	bool ffdhe;
};

struct tls_enum {
	bool versions_done, ciphers_done, groups_done; /* which parts ran */
	struct enum_version v[ENUM_VERSIONS];
	int highest; /* enum hello_version of the highest accepted, -1 if none */
	/* RFC 7507: -1 not tested (fewer than two versions), 0 not honoured, 1 honoured */
	int fallback_scsv;
	struct enum_group *groups; /* accepted, in the server's order of choice */
	size_t n_groups;
	bool groups_complete;
	const char *groups_via; /* "TLS1.3 key_share", "TLS1.2 ServerKeyExchange" */
	/* The finite-field DH prime of a DHE suite (RFC 5246 section 7.4.3):
	 * its size and, for a well-known prime, its name. */
	bool dhe_tested;      /* a DHE-only hello was answered or refused */
	unsigned dh_bits;     /* 0: no DHE suite accepted */
	char *dh_prime_name;  /* NULL: not a well-known prime */
	uint32_t dh_suite;    /* the DHE suite it came with */
	int dh_version;	      /* enum hello_version of that hello */
	unsigned connections; /* TCP connections the enumeration used */
	char *stopped;	      /* why the enumeration stopped early (421, refused, limit), NULL if not */
};

void tls_enum_clear(struct tls_enum *e);
void tls_enum_free(struct tls_enum *e);

#endif
