/* \summary: has the server authenticated itself? The condition for
 * sending it credentials (issue 8): a chain that validates against the
 * trust stores, every certificate of it within its validity period at the
 * instant judged (--at, else now), and a leaf that covers the name we meant
 * (--sni, the MX host name or the target host) or one of --expect-name.
 * specification: RFC 5280 section 6, RFC 6125 section 6, RFC 4954 section 4
 * ("a client MUST NOT send credentials ... unless the server is
 * authenticated" is what we enforce; RFC 8314 section 3). */
#ifndef SRC_PKI_PEER_H
#define SRC_PKI_PEER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "pki/verify.h"
#include "report/model.h"

/* ts may be NULL (the stores are loaded for this call). ref is the name
 * the client meant. true when authenticated; else false with the reason,
 * one sentence, in why. */
bool peer_is_authenticated(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain,
			   size_t n, const char *ref, char *why, size_t whylen);

#endif
