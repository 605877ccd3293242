/* \summary: mxprobe listen: a diagnostic SMTP receiver. It offers
 * STARTTLS (or implicit TLS), requests a client certificate (the CA names
 * from --ca-file in the CertificateRequest), accepts any partner, and
 * records per session what the sending MTA showed: its address and reverse
 * name, EHLO name, the ClientHello as it crossed the wire, what was
 * negotiated, its certificate chain and the chain's verdict, and whether
 * the session would pass a domain-secure receive policy for --partner.
 * It never stores or relays mail: DATA gets 550, or with accept_data the
 * message is read, its header section kept for the report, the body
 * dropped, and 250 answered with a queue id.
 *
 * Every read has a deadline, a session has a time limit, lines and
 * messages have maximum sizes, and the sessions at once are capped (the
 * ones over the cap get 421 and are closed at once).
 * specification: RFC 5321, RFC 3207 (STARTTLS), RFC 8314 (implicit TLS),
 * RFC 8446 section 4.3.2 / RFC 5246 section 7.4.4 (CertificateRequest). */
#ifndef SRC_LISTEN_LISTEN_H
#define SRC_LISTEN_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "listen/verdict.h"
#include "report/model.h"
#include "report/wire_model.h"

struct tls_identity;
struct rev_crls;
struct lsn_session;

enum lsn_format {
	LSN_TEXT,
	LSN_JSONL,
	LSN_LOG
};

struct lsn_config {
	const char *bind_addr; /* an address literal; NULL: every address */
	unsigned port;
	bool implicit;		       /* TLS at once (RFC 8314), no STARTTLS */
	const struct tls_identity *id; /* our certificate; NULL: no TLS offered */
	const char *ca_file;	       /* the partners' roots: CA names sent, chains verified */
	const char *partner;	       /* --partner DOMAIN (lower case) or NULL */
	const struct rev_crls *crls;   /* --crl-file: client leaves checked against them; NULL */
	const char *hostname;	       /* our name in the banner and EHLO reply */
	bool accept_data;	       /* 250 after DATA (headers kept), else 550 */
	bool rdns;		       /* look up the client's reverse name */
	size_t max_size;	       /* message size limit, bytes */
	unsigned read_timeout_ms;      /* each read */
	unsigned session_timeout_ms;   /* a whole session */
	unsigned max_concurrent;       /* sessions at once */
	unsigned long max_sessions;    /* stop after this many (0: no limit) */
	unsigned duration_ms;	       /* stop after this long (0: no limit) */
	enum lsn_format format;
	FILE *out;	   /* live output, one record per session as it ends */
	bool truncate_out; /* out is a file opened without truncation: emptied once the socket is bound, so
			    * a listener that cannot bind leaves an earlier run's file as it was */
	FILE *err;	   /* "listening on ..." and the final summary (text) */
	/* Called as each session ends (after out), from the session's thread
	 * under the output lock; s is only valid during the call. NULL: none.
	 * mxprobe listen --tui shows sessions through it (tui/listen_view.h). */
	void (*on_session)(void *ctx, const struct lsn_session *s, const struct lsn_config *cfg);
	void *on_session_ctx;
};

#define LSN_TRANSCRIPT_MAX_LINES 400
#define LSN_TRANSCRIPT_MAX_BYTES (48 * 1024)
#define LSN_HEADERS_MAX		 (32 * 1024)
#define LSN_HELLO_MAX		 (24 * 1024) /* the ClientHello's bytes kept for parsing */
#define LSN_CHAIN_MAX		 10

struct lsn_line {
	char mark; /* '>' we sent, '<' we received, '*' an event (receive-log marks) */
	char *text;
	int64_t wall_us;
};

/* What one session showed. All strings escaped (util.h), owned. */
struct lsn_session {
	unsigned long seq;
	char id[17]; /* 16 hex digits, as Exchange's session ids */
	int64_t start_wall_us, duration_us;
	char *client_addr; /* "192.0.2.1" */
	unsigned client_port;
	char *client_rdns;    /* reverse name, or NULL (none / not looked up) */
	char *local;	      /* "127.0.0.1:2525" */
	char *ehlo;	      /* EHLO/HELO argument (the last one) */
	bool esmtp;	      /* EHLO rather than HELO */
	const char *tls_mode; /* "none", "starttls", "implicit" */
	bool starttls_offered;
	bool tls;	 /* a handshake completed */
	char *tls_error; /* the handshake failed: why */
	struct wire_hello hello;
	bool hello_parsed;
	char *hello_error;
	char *version, *suite, *group, *sni_negotiated;
	unsigned cipher_bits;
	bool cert_requested;
	size_t ca_names_sent;
	struct cert_info *chain;
	size_t chain_len;
	bool chain_checked;
	bool chain_trusted, chain_expired, chain_not_yet;
	char *chain_status; /* GnuTLS's words when untrusted */
	char *chain_store;  /* "ca-file", "system" */
	bool eku_client_ok;
	int64_t leaf_days_left;
	const char *revocation;	    /* the leaf: "good", "revoked", "unknown", "not-checked" */
	const char *revocation_why; /* not-checked: why (no --crl-file, none for its issuer...) */
	char *partner_name;	    /* the certificate name covering --partner */
	bool judged;		    /* --partner given: verdict holds */
	bool verdict_pass;
	char *verdict_reason;
	bool sender_other;
	char *mail_from;
	struct strvec rcpts;
	unsigned messages;
	char *data_reply; /* our final reply to the message, escaped */
	char *queue_id;
	char *headers; /* the kept header section (escaped, CRLF as \r\n) */
	size_t message_size;
	bool headers_cut;
	unsigned commands, errors;
	char *end; /* how it ended: "quit", "client closed", "read timeout", ... */
	struct lsn_line *lines;
	size_t nlines, line_bytes;
	bool transcript_cut;
};

void lsn_session_clear(struct lsn_session *s);

/* The whole listener: binds, prints "listening on ADDR:PORT" to cfg->err,
 * serves until max_sessions sessions ended, duration passed, or SIGINT /
 * SIGTERM (blocked in the calling thread and taken through a signalfd),
 * then lets the sessions end (421 to those still open) and prints the
 * summary. Returns 0, 1 when --partner was given and a session would be
 * refused, 2 when it could not bind (err set), 130/143 after a signal when
 * nothing failed. */
int lsn_run(const struct lsn_config *cfg, char *err, size_t errlen);

/* Renders one ended session in cfg->format (render.c). */
void lsn_render_session(FILE *out, enum lsn_format f, const struct lsn_session *s, const struct lsn_config *cfg);

#endif
