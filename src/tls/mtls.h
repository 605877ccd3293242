/* \summary: how a session with or without our client certificate ended,
 * as the mtls probe judges it: the decision functions, apart from the
 * probe so that they can be tested on constructed facts.
 * specification: RFC 8446 section 4.4.2.4 and 6.2 (alerts 42, 46, 48, 116),
 * RFC 5246 section 7.4.6, RFC 3207 section 4.1 (a refusal after TLS). */
#ifndef SRC_TLS_MTLS_H
#define SRC_TLS_MTLS_H

#include <stdbool.h>

#include "report/model.h"

enum mtls_outcome {
	MTLS_OK,	      /* handshake and the EHLO after it succeeded */
	MTLS_HANDSHAKE_ALERT, /* the server aborted the handshake with an alert */
	MTLS_LATE_ALERT,      /* handshake done, an alert on the first read (TLS 1.3) */
	MTLS_REFUSED,	      /* handshake done, an SMTP refusal to EHLO (Postfix: 421 4.7.1) */
	MTLS_CLOSED,	      /* handshake or EHLO cut off without a word */
	MTLS_OTHER,	      /* a failure that says nothing about certificates */
	MTLS_NO_TLS,	      /* TLS never started (no STARTTLS, refused, not reached) */
};

/* Classifies a session's facts. */
enum mtls_outcome mtls_outcome(const struct session_facts *f);
const char *mtls_outcome_name(enum mtls_outcome o); /* "ok", "handshake-alert", ... */

/* Alerts a server sends for a missing or unacceptable client certificate:
 * handshake_failure (40), bad_certificate (42), certificate_unknown (46),
 * unknown_ca (48), access_denied (49), certificate_required (116). */
bool mtls_alert_is_cert_demand(int alert);

/* Does the failure in f look like a client-certificate demand? Alerts
 * above during the handshake after the server sent a CertificateRequest,
 * an alert after the handshake (TLS 1.3), or a refusal after TLS whose
 * text speaks of a certificate. */
bool mtls_looks_like_demand(const struct session_facts *f);

/* The reason in a line for a failed outcome: "alert certificate_required
 * (116)", "421 4.7.1 No client certificate presented". Caller frees. */
char *mtls_reason(const struct session_facts *f);

#endif
