/* \summary: the dialect table: what a session speaks before TLS (or inside
 * implicit TLS). The standard session (proto/session.c) is one sequence —
 * greeting, capabilities, STARTTLS, handshake, capabilities again, quit —
 * and each dialect fills in the steps that differ, so no probe and no
 * session step grows an if-chain over protocols. The probes take their
 * words ("EHLO", "STLS", "+OK") from here.
 * specification: RFC 5321 + RFC 3207 (SMTP), RFC 2033 (LMTP), RFC 1939 +
 * RFC 2449 + RFC 2595 (POP3, CAPA, STLS), RFC 3501 + RFC 9051 (IMAP,
 * STARTTLS), RFC 8314 (implicit TLS). */
#ifndef SRC_PROTO_DIALECT_H
#define SRC_PROTO_DIALECT_H

#include <stdbool.h>
#include <stdint.h>

#include "report/model.h"

struct session;

struct dialect {
	const char *name;  /* "smtp", "lmtp", "pop3", "imap" */
	uint16_t port;	   /* default port with STARTTLS */
	uint16_t tls_port; /* default port with implicit TLS, 0 if none */
	/* Words for findings and the transcript. */
	const char *hello;	  /* what asks for capabilities: "EHLO", "LHLO", "CAPA", "CAPABILITY" */
	const char *starttls_cmd; /* "STARTTLS", "STLS" */
	const char *starttls_ok;  /* the reply that starts TLS: "220", "+OK", "a OK" */
	const char *caps_where;	  /* "the EHLO reply", "the CAPA reply", "the CAPABILITY response" */
	const char *starttls_rfc; /* "RFC 3207 section 4" */
	bool smtp_family;	  /* SMTP replies (codes), AUTH judged by the SMTP probes */
	/* The steps. Each records a failure in the session's facts itself
	 * and returns false when the session cannot go on. */
	bool (*greeting)(struct session *s); /* fills facts.banner */
	bool (*capabilities)(struct session *s, enum session_step step, struct reply_info *keep,
			     struct smtp_caps *caps);
	/* Sends the STARTTLS command and reads its reply into facts.starttls
	 * and facts.starttls_reply; true when TLS may start now. */
	bool (*starttls)(struct session *s);
	void (*quit)(struct session *s); /* fills facts.quit, quit_ok */
};

extern const struct dialect dialect_smtp;
extern const struct dialect dialect_lmtp;
extern const struct dialect dialect_pop3;
extern const struct dialect dialect_imap;

/* The dialect of that name; SMTP for NULL or an unknown name. */
const struct dialect *dialect_find(const char *name);

#endif
