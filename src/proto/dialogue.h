/* \summary: a short SMTP conversation of a probe's own, on its own
 * connection: resolve, connect (from --source), banner, EHLO, and STARTTLS
 * with the handshake when asked; then the probe's own commands, then RSET
 * and QUIT. Built on the session primitives (proto/session.h), so every
 * line goes into the target's transcript and the connection is counted.
 * The standard session stays what the engine runs once; a probe that must
 * say MAIL, RCPT or AUTH, or send bytes out of turn, uses this.
 * specification: RFC 5321, RFC 3207. */
#ifndef SRC_PROTO_DIALOGUE_H
#define SRC_PROTO_DIALOGUE_H

#include <stdbool.h>

#include "proto/session.h"

enum dialogue_tls {
	DLG_PLAIN,	    /* stop after the first EHLO: no STARTTLS */
	DLG_TLS_IF_OFFERED, /* STARTTLS, handshake and EHLO again when STARTTLS is offered */
	DLG_TLS,	    /* the same, and a failure when it cannot be done */
	/* Stop where TLS would begin, without starting GnuTLS: after the 220
	 * to STARTTLS (bytes behind it drained), or right after connect on an
	 * implicit-TLS port. s.c.fd is then the raw socket for hand-built TLS
	 * records (tls/hello_scan.h); dialogue_close sends nothing more. */
	DLG_RAW_TLS,
};

struct dialogue {
	struct session s;
	struct session_facts f;	       /* this conversation's facts (TLS parameters, chain) */
	struct reply_info banner;      /* the greeting */
	struct smtp_caps caps;	       /* from the last EHLO (inside TLS once TLS is up) */
	bool tls;		       /* TLS is up */
	bool open;		       /* connected and not closed */
	bool raw;		       /* DLG_RAW_TLS reached: the socket is the caller's */
	enum session_step failed_step; /* STEP_NONE when dialogue_open succeeded */
	int err;		       /* -MX_E_x of the failure */
	struct reply_info refusal;     /* the reply that refused us (banner 554, EHLO 5xx, STARTTLS 454), if any */
	char *detail;		       /* what went wrong, printable; NULL on success */
};

/* Opens the conversation. ehlo_name NULL: session_ehlo_name. label is said in
 * the transcript first. 0, or a negative error with failed_step, err,
 * detail (and refusal for a refusing reply) set; the connection is then
 * already closed, but dialogue_close must still be called. */
int dialogue_open(struct dialogue *d, const struct mx_options *opt, const struct target_spec *spec,
		  struct target_result *t, const char *label, const char *ehlo_name, enum dialogue_tls mode);
/* Sends a command (shown instead of it in the transcript if not NULL) and
 * reads the reply into r (cleared first). 0 or a negative error. */
int dialogue_command(struct dialogue *d, const char *line, const char *shown, struct smtp_reply *r);
/* Sends STARTTLS, expects 220, runs the handshake, sends EHLO again.
 * 0, or a negative error with failed_step/detail set. */
int dialogue_starttls(struct dialogue *d, const struct target_spec *spec);
/* The handshake alone (after a 220 read by the caller). */
int dialogue_handshake(struct dialogue *d, const struct target_spec *spec);
/* RSET first when rset, then QUIT (short waits), close_notify, close. Frees
 * everything; safe after a failed open. */
void dialogue_close(struct dialogue *d, bool rset);

/* "554 5.7.1 text" of a reply, owned. */
char *dialogue_reply_text(const struct smtp_reply *r);

#endif
