/* \summary: the wire summary artifact of the results model: what a capture
 * showed about each mail session (mxprobe pcap, check/run --capture/--wire).
 *
 * Plain data, owned by the model (the target that carries it). Strings are
 * printable: bytes from the capture are escaped before they get here, and
 * no secret (a password, a SASL response) ever does. */
#ifndef SRC_REPORT_WIRE_MODEL_H
#define SRC_REPORT_WIRE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

/* A ClientHello or ServerHello as it crossed the wire (RFC 8446 section
 * 4.1.2/4.1.3, RFC 5246 section 7.4.1). Names from the IANA registries;
 * unknown code points as "0xNNNN". */
struct wire_hello {
	bool seen;
	char *version;		  /* legacy_version: "TLS1.2" */
	struct strvec versions;	  /* supported_versions: offered / the one selected */
	struct strvec suites;	  /* offered (client) / the one chosen (server) */
	char *sni;		  /* server_name, printable; NULL if none */
	struct strvec alpn;	  /* ALPN protocols */
	struct strvec groups;	  /* supported_groups (client) */
	struct strvec key_shares; /* key_share groups */
	struct strvec extensions; /* every extension, in order */
	char random_hex[65];	  /* the 32-byte random, lower-case hex */
	bool hello_retry;	  /* ServerHello was a HelloRetryRequest first */
};

/* One TCP connection that spoke a mail protocol. Times are microseconds;
 * -1 where the phase was not seen. */
struct wire_session {
	char *client; /* "192.0.2.1:40000", "[2001:db8::1]:40000" */
	char *server;
	char *protocol;	 /* "smtp", "lmtp", "pop3", "imap", or the implicit-TLS port's ("smtps") */
	char *tls_mode;	 /* "none", "starttls", "starttls-refused", "implicit" */
	char *ehlo_name; /* EHLO/HELO/LHLO argument, escaped */
	struct strvec capabilities;
	char *tls_version; /* negotiated, from the ServerHello */
	char *cipher_suite;
	struct wire_hello client_hello, server_hello;
	struct strvec cert_subjects; /* server chain as seen (TLS 1.2 and older) */
	struct strvec cert_sha256;   /* the same certificates' SHA-256, upper-case hex */
	struct strvec error_replies; /* 4xx/5xx replies, "550 5.7.1 text" (escaped, cut) */
	char *last_reply;	     /* the last server reply */
	struct strvec credentials;   /* "AUTH PLAIN (user alice)": never the secret */
	bool plaintext_after_starttls;
	char *plaintext_dir;	   /* "client" / "server" */
	uint64_t plaintext_offset; /* byte offset in that direction's stream */
	char *plaintext_bytes;	   /* the first bytes, escaped, credentials redacted */
	int64_t start_wall_us;	   /* first packet */
	int64_t duration_us;
	uint64_t packets;
	uint64_t bytes_c2s, bytes_s2c; /* TCP payload */
	unsigned round_trips;
	int64_t connect_us, greeting_us, ehlo_us, starttls_us, handshake_us;
	uint64_t gap_bytes;  /* bytes missing from the capture (not guessed) */
	bool truncated;	     /* a per-connection buffer cap was reached */
	bool handshake_seen; /* SYN seen: the connection's start is in the capture */
	bool closed;	     /* FIN or RST seen */
};
void wire_session_clear(struct wire_session *s);

struct wire_summary {
	char *source;		      /* capture file; NULL when not kept (--wire) */
	char *link_type;	      /* "EN10MB", "LINUX_SLL2", ... */
	char *filter;		      /* BPF filter applied, NULL if none */
	char *error;		      /* reading stopped early: "packet 12: truncated ..." */
	uint64_t packets;	      /* packets read */
	uint64_t packets_skipped;     /* not IPv4/IPv6 TCP, or undecodable */
	uint64_t tcp_connections;     /* every TCP connection seen */
	uint64_t mail_sessions;	      /* of which spoke a mail protocol */
	uint64_t sessions_not_listed; /* past the listing cap */
	struct wire_session *s;
	size_t n, cap;
};
struct wire_summary *wire_summary_new(void);
void wire_summary_free(struct wire_summary *w); /* NULL is a no-op */

#endif
