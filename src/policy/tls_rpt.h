/* \summary: the TLS-RPT policy record (_smtp._tls.DOMAIN TXT): version,
 * fields, and the rua report addresses (mailto: and https:). A pure
 * parser over bytes from DNS.
 *
 * specification: RFC 8460 section 3 (the record), 3.1 (report URIs). */
#ifndef SRC_POLICY_TLS_RPT_H
#define SRC_POLICY_TLS_RPT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

enum tls_rpt_status {
	TLS_RPT_OK,
	TLS_RPT_NOT_RPT, /* does not begin with "v=TLSRPTv1;": senders discard it */
	TLS_RPT_SYNTAX,	 /* a field breaks the grammar */
	TLS_RPT_NO_RUA,	 /* no rua field (required) */
	TLS_RPT_BAD_URI, /* a rua target that is not a usable mailto: or https: URI */
};

/* Does this record begin with "v=TLSRPTv1" and then ";" (after optional
 * spaces)? s: the record's strings concatenated, len bytes. */
bool tls_rpt_is_rpt(const char *s, size_t len);

/* Parses one record: rua gets every report URI in order (caller's strvec,
 * appended to, also on failure up to the problem); err (always
 * terminated) names the first problem, quoting it. */
enum tls_rpt_status tls_rpt_parse(const char *s, size_t len, struct strvec *rua, char *err, size_t errlen);

#endif
