/* \summary: the one step between what was observed and the results model
 * that renderers read: every known secret, in every encoding we can
 * predict, is replaced by "<redacted>", and every string obeys the one
 * escaping rule (util.h: no control, C1 or bidi character, valid UTF-8).
 *
 * Secrets are the AUTH password (--auth-password-file), the PKCS#12
 * password and a scenario's `secret` values. Their encodings: the raw
 * value, its escaped forms (as the transcript shows received bytes), the
 * AUTH LOGIN base64 of the password, the AUTH PLAIN base64 of
 * "authzid NUL user NUL password" (empty authzid or the user), and for
 * passwords of three bytes or more the base64 characters the password
 * alone determines at each of the three byte alignments, so any base64
 * blob that carries the password is caught whatever surrounds it.
 * specification: RFC 4648 section 4 (base64), RFC 4616 (PLAIN), RFC 4954. */
#ifndef SRC_REPORT_SEAL_H
#define SRC_REPORT_SEAL_H

#include "report/model.h"

#define SEAL_MARK "<redacted>"

struct redact {
	struct strvec pats; /* longest first; wiped when cleared */
};

void redact_init(struct redact *r);
/* Adds a secret (NULL or "" adds nothing) and its encodings; user is the
 * AUTH user name the secret goes with, or NULL. */
void redact_add_secret(struct redact *r, const char *secret, const char *user);
/* Wipes and frees the patterns. */
void redact_clear(struct redact *r);
/* s with every run of bytes that occurrences of the patterns cover
 * (overlapping ones included) replaced by one SEAL_MARK. A SEAL_MARK already
 * in s counts as covered, and the step is repeated until nothing changes, so
 * a marker and its neighbours never re-form a secret (a secret can only be
 * left inside a marker, when it is a substring of "<redacted>") and applying
 * twice gives the same bytes. Adjacent markers merge into one. Owned by the
 * caller; NULL r or no pattern: a copy. */
char *redact_apply(const struct redact *r, const char *s);

/* Redacts and escapes every string of one target in place (r may be NULL:
 * escaping only). The engine and the scenario interpreter call it when a
 * target is done; report_seal covers the rest (domains, the report's own
 * strings) before rendering. Idempotent. */
void report_seal_target(struct target_result *t, const struct redact *r);
void report_seal(struct report *rep, const struct redact *r);

#endif
