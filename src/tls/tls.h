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

/* The certificate_authorities of a CertificateRequest (DER names as the
 * server sent them, n of them; at most 256 taken), printed as RFC 4514
 * DNs under the escaping rule, appended to out; "(undecodable name)" for
 * one GnuTLS cannot parse. RFC 5246 section 7.4.4, RFC 8446 section 4.2.4. */
void tls_ca_names_record(const gnutls_datum_t *rdn, unsigned n, struct strvec *out);

#endif
