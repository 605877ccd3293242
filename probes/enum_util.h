/* \summary: what the enumeration probes (versions, ciphers, groups,
 * weaknesses) share: running the hand-built-hello scan once per target
 * (tls/hello_scan.h; its result is the target's tls_enum artifact, so the
 * order the probes run in does not matter), severities by policy, and
 * lists of exact suites for evidence. */
#ifndef PROBES_ENUM_UTIL_H
#define PROBES_ENUM_UTIL_H

#include "core/probe.h"
#include "report/tls_enum.h"
#include "tls/hello.h"
#include "tls/hello_scan.h"

/* Runs the parts in want (enum scan_part) not run yet; NULL after emitting
 * "<prefix>.not-tested" when the scan could not ask its question at all:
 * the connection or the plaintext phase failed before any hello, or no
 * hello got a TLS answer (a ServerHello or an alert), only closes, resets,
 * silence or bytes that are not TLS. */
const struct tls_enum *enum_scan(struct probe_ctx *ctx, unsigned want, const char *prefix);

/* A weakness an attack exploits or a MUST NOT forbids (SSLv2/3, RC4,
 * EXPORT, NULL, DES): warn under policy none, fail otherwise. */
enum severity enum_sev_broken(enum policy p);
/* A deprecated or SHOULD NOT choice (TLS 1.0/1.1, 3DES, static RSA, small
 * DH, no EMS): info under none, warn otherwise. */
enum severity enum_sev_deprecated(enum policy p);

/* The accepted suites matching pred, each once, with the versions it was
 * accepted at: "TLS_RSA_WITH_RC4_128_SHA (TLS1.0, TLS1.2), ..."; NULL when
 * none matches. Owned. */
char *enum_suites_where(const struct tls_enum *e, bool (*pred)(const struct tls_suite *s));
/* Adds the common evidence: connections the enumeration used, and why it
 * stopped early when it did. */
void enum_add_cost_ev(struct finding *f, const struct tls_enum *e);
/* "(168/168 bits)" as the FOPE Received header prints a suite's strength. */
void enum_suite_strength(const struct tls_suite *s, char *out, size_t outlen);

#endif
