/* \summary: MTA-STS parsers and the MX pattern rule: the _mta-sts TXT
 * record, the policy file served at
 * https://mta-sts.DOMAIN/.well-known/mta-sts.txt, and whether an MX host
 * name matches one of the policy's mx patterns. Pure functions over bytes
 * from the network: no I/O, no allocation failure paths (util's x*).
 *
 * specification: RFC 8461 sections 3.1 (TXT record), 3.2 (policy),
 * 4.1 (MX host validation). */
#ifndef SRC_POLICY_MTA_STS_H
#define SRC_POLICY_MTA_STS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* RFC 8461 section 3.3: "senders SHOULD impose a ... size limit ... (64
 * kilobytes)". */
#define STS_MAX_POLICY_BYTES (64u * 1024u)
/* RFC 8461 section 3.2: max_age "maximum value of 31557600" (a year). */
#define STS_MAX_AGE_MAX	     31557600LL

enum sts_mode {
	STS_MODE_UNSET,
	STS_MODE_ENFORCE,
	STS_MODE_TESTING,
	STS_MODE_NONE,
};
const char *sts_mode_name(enum sts_mode m); /* "enforce", ...; "unset" */

/* ---- the TXT record (RFC 8461 section 3.1) ------------------------- */

enum sts_txt_status {
	STS_TXT_OK,
	STS_TXT_NOT_STS, /* does not begin with "v=STSv1;": senders discard it */
	STS_TXT_SYNTAX,	 /* a field breaks the grammar */
	STS_TXT_NO_ID,	 /* well formed, but no id field (it is required) */
};

/* Does this record begin with "v=STSv1;" (the ones senders keep)? s is the
 * record's character-strings concatenated, len bytes (may hold NULs). */
bool sts_txt_is_sts(const char *s, size_t len);

/* Parses one record. *id gets the id (owned by the caller, NULL when
 * there is none); err (always terminated) names the first problem in
 * words, quoting the offending field. */
enum sts_txt_status sts_txt_parse(const char *s, size_t len, char **id, char *err, size_t errlen);

/* ---- the policy file (RFC 8461 section 3.2) ------------------------ */

/* One line of the policy that breaks it: the line number (1-based), the
 * line (escaped, shortened) and what is wrong. fatal: senders cannot use
 * the policy at all (a required field missing or malformed, a line that
 * is not "key: value"); otherwise the line alone is wrong (an mx pattern
 * no host can match, a repeated field). */
struct sts_problem {
	unsigned line; /* 0: the policy as a whole (a field missing) */
	char *text;    /* NULL for line 0 */
	char *what;
	bool fatal;
};

struct sts_policy {
	bool version_ok;    /* "version: STSv1" */
	enum sts_mode mode; /* STS_MODE_UNSET if missing or unknown */
	long long max_age;  /* -1 if missing or invalid */
	struct strvec mx;   /* the mx patterns, in order, as written */
	unsigned *mx_line;  /* the line of each mx pattern */
	unsigned lines;	    /* lines in the file */
	bool crlf, lf;	    /* line endings seen (both: mixed, allowed) */
	struct sts_problem *prob;
	size_t nprob, capprob;
	bool valid; /* no fatal problem */
};

/* Parses a policy body of len bytes (the HTTP body, not terminated).
 * Always fills p (sts_policy_clear frees it); returns 0 when p->valid. */
int sts_policy_parse(const char *body, size_t len, struct sts_policy *p);
void sts_policy_clear(struct sts_policy *p);

/* Is this an mx pattern as RFC 8461 section 3.2 allows: a host name, or
 * "*." and a host name (the wildcard only as the whole leftmost label)? */
bool sts_pattern_ok(const char *pattern);

/* RFC 8461 section 4.1: does the MX host name match the pattern? Case
 * does not matter, a trailing dot on either is ignored, "*.example.com"
 * matches exactly one label more ("mx.example.com", not "example.com" nor
 * "a.b.example.com"). An invalid pattern matches nothing. */
bool sts_mx_matches(const char *pattern, const char *host);

/* The index of the first pattern of p that host matches, or -1. */
int sts_policy_match(const struct sts_policy *p, const char *host);

#endif
