/* \summary: the enumeration of protocol versions, cipher suites and groups
 * with hand-built ClientHellos (tls/hello.h) on connections of its own,
 * after the plaintext phase of the session layer (proto/dialogue.h,
 * DLG_RAW_TLS). Bulk offers keep it cheap: every remaining suite is offered
 * at once and the one the server chose is removed, so a version costs its
 * accepted suites + 1 connections, never one per known suite. Connections
 * run one at a time; a 421 or a refused connection pauses and is retried
 * once, then the enumeration stops and says why.
 * specification: RFC 8446, RFC 5246, RFC 6101, RFC 7507 (fallback SCSV),
 * RFC 8422 and RFC 7919 (groups). */
#ifndef SRC_TLS_HELLO_SCAN_H
#define SRC_TLS_HELLO_SCAN_H

#include "core/options.h"
#include "net/target.h"
#include "report/model.h"
#include "report/tls_enum.h"

enum scan_part {
	SCAN_VERSIONS = 1 << 0, /* one hello per version, the fallback SCSV */
	SCAN_CIPHERS = 1 << 1,	/* every accepted suite per accepted version (implies versions) */
	SCAN_GROUPS = 1 << 2,	/* accepted ECDHE/FFDHE groups (implies versions) */
};

/* Upper bound of connections one target's enumeration may use. */
#define SCAN_MAX_CONNECTIONS 400

/* Runs the parts in `want` that have not run yet for this target, into
 * t->tls_enum (allocated on first use, owned by t). Never prints; every
 * connection goes into t's transcript and connection count, and into
 * t->tls_enum->connections. Returns t->tls_enum. */
struct tls_enum *hello_scan_run(const struct mx_options *opt, const struct target_spec *spec, struct target_result *t,
				unsigned want);

#endif
