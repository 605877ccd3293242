/* \summary: the certificate chains a server presented. A server may hold an
 * RSA and an ECDSA certificate for the same name and pick one by the
 * client's signature algorithms (Postfix smtpd_tls_eccert_file or two keys
 * in smtpd_tls_chain_files, Exim tls_certificate lists, Exchange with two
 * certificates enabled for SMTP); a client that offers only the other key
 * type's algorithms gets the other certificate, and an expired or
 * wrong-name certificate of that type breaks exactly those senders. So
 * after the standard session, one more handshake offers only the other
 * key type's signature algorithms and suites, and the certificate
 * probes judge every distinct chain, each finding naming its key type.
 * specification: RFC 8446 section 4.4.2.2 (server certificate selection),
 * RFC 5246 section 7.4.2. */
#ifndef SRC_CORE_SERVED_H
#define SRC_CORE_SERVED_H

#include <stddef.h>

#include "core/probe.h"

#define PROBE_MAX_CHAINS 2

struct served_chain {
	const struct cert_info *chain; /* leaf first, as sent; owned by the target's facts */
	size_t n;
	const char *key_type; /* the leaf's: "RSA", "ECDSA", ... */
	bool other;	      /* from the second handshake (the other key type) */
};

/* The chains of the target: the standard session's first, then the other
 * key type's when the server has one. The first call on a target whose
 * standard session got an RSA or ECDSA certificate makes the second
 * handshake (one more connection, once per target, --one-key: never).
 * Returns how many (0 when the standard session got no chain). */
size_t probe_served_chains(struct probe_ctx *ctx, struct served_chain out[PROBE_MAX_CHAINS]);

/* The other key type's session, NULL when none was made. */
const struct session_facts *served_other_session(const struct target_result *t);

/* Adds the "key_type" evidence to a finding about sc (every certificate
 * finding says which certificate it is about). */
void served_chain_ev(struct finding *f, const struct served_chain *sc);

#endif
