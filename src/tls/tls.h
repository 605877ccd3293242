/* \summary: the client side of a TLS handshake on an existing connection,
 * and what it negotiated. Verification is not done here: a failed
 * verification must not abort the handshake and lose every other finding
 * (shared/FACTS.md); pki/ judges the chain afterwards.
 * specification: RFC 8446, RFC 5246, RFC 6066 section 3 (SNI). */
#ifndef SRC_TLS_TLS_H
#define SRC_TLS_TLS_H

#include <stdint.h>

#include "net/conn.h"
#include "report/model.h"

struct tls_identity; /* tls/identity.h */

/* The default: every version the library has, so that an old server is
 * reached and reported rather than refused. */
#define TLS_DEFAULT_PRIORITY "NORMAL:+VERS-TLS1.1:+VERS-TLS1.0"

struct tls_opts {
	const char *sni;		     /* NULL: send none (IP-literal targets, RFC 6066 section 3) */
	const char *priority;		     /* NULL: TLS_DEFAULT_PRIORITY */
	const struct tls_identity *identity; /* NULL: send no client certificate when asked */
};

/* Runs the handshake on c, whose plaintext input buffer must be empty.
 * Fills f->tls, f->chain (also after a failure, if the server got that far),
 * f->tls_error*, f->tls_alert*. 0, or a negative error; afterwards
 * conn_read_line/conn_send_line speak TLS. */
int tls_client_handshake(struct conn *c, const struct tls_opts *o, struct session_facts *f, int64_t deadline);

/* Sends close_notify (best effort, bounded by the deadline). */
void tls_bye(struct conn *c, int64_t deadline);

#endif
