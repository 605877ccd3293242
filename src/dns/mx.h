/* \summary: MX records without a DNS library: the RDATA parser (2-byte
 * preference + an uncompressed domain name, as libunbound hands it out),
 * the order mail is tried in, and what an answer means for delivery.
 *
 * specification: RFC 1035 section 3.3.9 (MX RDATA) and 3.1 (names on the
 * wire), RFC 5321 section 5.1 (MX order, implicit MX), RFC 7505 (null MX). */
#ifndef SRC_DNS_MX_H
#define SRC_DNS_MX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A name in text form: 253 characters, or 4 per octet when escaped. */
#define MX_NAME_MAX 1024

struct mx_rr {
	uint16_t pref;
	char host[MX_NAME_MAX]; /* no trailing dot; "" for the root (null MX) */
	bool host_ok;		/* a usable host name (letters, digits, '-', '_') */
};

/* Parses one MX RDATA. 0, or -1 when truncated, overlong, compressed
 * (a pointer has no meaning without the message) or with bytes after the
 * name. Bytes outside a host name's alphabet are printed as \DDD. */
int mx_rdata_parse(const unsigned char *p, size_t n, struct mx_rr *out);

/* Orders by preference, lowest first; equal preferences keep the order
 * they came in (RFC 5321 section 5.1 lets a sender shuffle them; we keep
 * the answer's order so that reports are reproducible). */
void mx_sort(struct mx_rr *v, size_t n);

/* How the answer to the MX query ended. */
enum mx_answer {
	MXA_DATA,     /* MX records came back */
	MXA_NODATA,   /* the name exists, no MX */
	MXA_NXDOMAIN, /* the name does not exist */
	MXA_ERROR,    /* SERVFAIL, timeout, a malformed answer */
};

enum mx_decision {
	MXD_USE_MX,   /* deliver to the MX hosts (those with host_ok and not ".") */
	MXD_IMPLICIT, /* no MX: the domain itself is the mail host (RFC 5321 section 5.1) */
	MXD_NULL_MX,  /* the domain accepts no mail (RFC 7505) */
	MXD_NXDOMAIN,
	MXD_ERROR,
};

/* What a sending MTA makes of the MX answer. A "." among other MX records
 * is a misconfiguration RFC 7505 section 3 warns of: the other hosts are
 * used. Only "." records (normally exactly "0 .") mean no mail. */
enum mx_decision mx_decide(enum mx_answer a, const struct mx_rr *v, size_t n);

#endif
