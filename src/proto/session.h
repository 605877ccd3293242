/* \summary: the session API: the primitives every probe (and, later, every
 * scenario line) uses: resolve, connect, read the banner, EHLO/HELO, send a
 * command and read its reply, STARTTLS, TLS handshake, QUIT. Each step has
 * its own deadline and the whole target one more; every line goes into the
 * target's transcript.
 * specification: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS). */
#ifndef SRC_PROTO_SESSION_H
#define SRC_PROTO_SESSION_H

#include <netdb.h>
#include <sys/socket.h>

#include "core/options.h"
#include "net/conn.h"
#include "net/target.h"
#include "proto/dialect.h"
#include "proto/smtp.h"
#include "report/model.h"
#include "tls/tls.h"

/* A reply slower than this is noted: tarpits, postscreen greet pauses. */
#define SESSION_SLOW_REPLY_US (2 * 1000000)

/* What a probe can change about a session it opens itself. */
struct session_params {
	struct tls_opts tls; /* zero: defaults (SNI from the target, default priority, no client certificate) */
	const char *label;   /* said in the transcript before the session starts */
	/* Called once the handshake succeeded, before the next command: the
	 * chain and staples are in the facts (the engine starts the
	 * revocation fetches there). NULL: none. */
	void (*on_handshake)(void *user, const struct session_facts *f);
	void *user;
};

struct session {
	const struct mx_options *opt;
	struct target_result *t;	     /* transcript and connection count */
	struct session_facts *f;	     /* where this session's facts go */
	const struct session_params *params; /* may be NULL */
	struct conn c;
	int64_t target_deadline;
	const struct dialect *dialect; /* proto/dialect.h; NULL: SMTP */
	unsigned tag;		       /* the last IMAP command tag used */
	char ehlo_literal[80];	       /* session_ehlo_name's address literal */
	bool in_greeting;	       /* waiting for the greeting: --greeting-timeout, not the step timeout */
	bool greeting_extended;	       /* the greeting's wait was added to the target's deadline */
	/* A slot of opt->limiter held for this address (net/limiter.h),
	 * given back by session_close. */
	bool slot_held;
	struct sockaddr_storage slot_sa;
};

void session_init(struct session *s, const struct mx_options *opt, struct target_result *t);
void session_close(struct session *s);
/* The deadline for one step: the step timeout (the greeting timeout while
 * in_greeting), capped by the target's. */
int64_t session_step_deadline(const struct session *s);

/* Resolves spec's host (with a deadline) to addresses in order; the caller
 * frees with freeaddrinfo. 0, -MX_E_NXDOMAIN, -MX_E_DNS, -MX_E_TIMEOUT. */
int session_resolve(struct session *s, const struct target_spec *spec, struct addrinfo **out, char **detail);
int session_connect(struct session *s, const struct sockaddr *sa, socklen_t salen);
/* Reads one reply; notes slow replies in the facts for `step`. */
int session_read_reply(struct session *s, struct smtp_reply *r, enum session_step step, char **bad);
/* Sends a command and reads its reply. `shown` replaces the line in the
 * transcript (NULL: show as sent). */
int session_command(struct session *s, const char *line, const char *shown, struct smtp_reply *r,
		    enum session_step step, char **bad);

/* The name this session sends in EHLO/HELO/LHLO: --ehlo (or this host's
 * FQDN), else the address literal of our end of the connection, as RFC
 * 5321 section 4.1.4 wants from a client without a meaningful name:
 * "[192.0.2.1]", "[IPv6:2001:db8::1]". Valid until the session is closed. */
const char *session_ehlo_name(struct session *s);
/* The RFC 5321 section 4.1.3 address literal of a printed local address
 * ("127.0.0.1:1234" -> "[127.0.0.1]", "[::1]:1234" -> "[IPv6:::1]") into
 * buf; "[127.0.0.1]" when local is NULL. */
void session_address_literal(const char *local, char *buf, size_t len);

/* The session's dialect (SMTP when none was set). */
const struct dialect *session_dialect(const struct session *s);
/* Records the first failure of a session in its facts (detail owned). */
void session_fail_at(struct session *s, enum session_step step, int err, char *detail_owned);
/* What to say about a failed read at a step (owned; bad may be NULL). */
char *session_read_failure(const struct session *s, int rc, const char *bad);
/* Notes a reply that took `took_us` for the step (tarpits, greet pauses). */
void session_note_reply_time(struct session *s, enum session_step step, int64_t took_us);
/* SMTP's steps of the standard session (the smtp and lmtp dialects). */
bool session_smtp_greeting(struct session *s);
bool session_smtp_hello(struct session *s, enum session_step step, struct reply_info *keep, struct smtp_caps *caps);
bool session_smtp_starttls(struct session *s);
void session_smtp_quit(struct session *s);

/* The standard session: banner, EHLO (HELO fallback), STARTTLS, handshake,
 * EHLO again, QUIT; or for implicit TLS: handshake, banner, EHLO, QUIT. It
 * fills t->facts and never sends a command before the previous reply
 * (no pipelining at all, so never across STARTTLS). */
void session_run_standard(const struct mx_options *opt, const struct target_spec *spec, struct target_result *t);

/* The same dialogue with other parameters, into other facts: for probes that
 * need a second look (another TLS version, a client certificate). It adds
 * to t's transcript and connection count; `out` must be zeroed (tls_alert
 * is set to -1 here) and is cleared by the caller with session_facts_clear. */
void session_run(const struct mx_options *opt, const struct target_spec *spec, struct target_result *t,
		 const struct session_params *sp, struct session_facts *out);

#endif
