/* \summary: does a certificate cover a host name? Reference identities
 * against presented identifiers, as RFC 6125 says.
 * specification: RFC 6125 sections 6.2 to 6.4 (DNS-ID first, CN-ID only
 * without a DNS-ID, wildcard only as the whole left-most label), RFC 5280
 * section 4.2.1.6 (iPAddress SANs for IP-literal references), RFC 5890
 * (A-labels compared as ASCII, case-insensitively). */
#ifndef SRC_PKI_NAMES_H
#define SRC_PKI_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"

/* Does the presented dNSName pattern cover the reference host name? Both
 * may end in one dot; case does not matter; a wildcard counts only as the
 * whole left-most label of a pattern with at least three labels ("*.com" and
 * "f*.example.com" match nothing) and stands for exactly one label. */
bool names_dns_match(const char *pattern, const char *host);

/* Is s an IPv4 or IPv6 address literal (no brackets)? */
bool names_is_ip_literal(const char *s);

/* Do two printed IP addresses denote the same address? */
bool names_ip_equal(const char *a, const char *b);

/* What a certificate presents, borrowed from the caller. */
struct names_presented {
	const char *const *dns; /* dNSName SANs */
	size_t ndns;
	const char *const *ip; /* iPAddress SANs, printed */
	size_t nip;
	const char *cn; /* the subject's most specific CN, NULL if none */
};

struct names_result {
	bool matched;
	bool via_cn;		/* matched only through the CN (no DNS SAN) */
	const char *matched_by; /* the presented identifier that matched */
	const char *nearest;	/* without a match: the closest identifier, or NULL */
};

/* Matches one reference identity (host name or IP literal) against what a
 * certificate presents: IP literals against iPAddress SANs only; names
 * against dNSName SANs, and against the CN only when there is no dNSName. */
void names_check(const struct names_presented *p, const char *ref, struct names_result *out);

/* The last CN of a DER certificate's subject, malloc'd; NULL if none. */
char *names_subject_cn(const struct cert_info *ci);

#endif
