/* \summary: DNS for mail domains with libunbound: MX, then A and AAAA of
 * every MX host (or of the domain itself when it has no MX), each query
 * with a deadline, the DNSSEC status of every answer kept in the model.
 *
 * specification: RFC 5321 section 5.1 (locating the target host), RFC 7505
 * (null MX), RFC 4035 (the validator's secure / insecure / bogus). */
#ifndef SRC_DNS_DNS_H
#define SRC_DNS_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "report/domain.h"
#include "util/util.h"

/* At most this many MX hosts per domain and addresses per host are
 * probed: each costs a connection (Postfix itself tries 5 addresses). */
#define DNS_MAX_MX    16
#define DNS_MAX_ADDRS 8

struct dns_resolver;

/* --resolver IP[:PORT] ("192.0.2.53", "192.0.2.53:5353", "::1",
 * "[::1]:5353") to libunbound's forwarder form "IP@PORT". 0 or -1. */
int dns_resolver_arg_parse(const char *s, char *out, size_t outlen);

/* A mail domain as the user writes it: a host name, optionally with a
 * trailing dot, at most 253 characters. */
bool dns_domain_ok(const char *s);

/* fwd: "IP@PORT" to send every query to (no recursion of our own), or NULL
 * for the servers in /etc/resolv.conf. trust_anchor: a DS or DNSKEY file
 * (--trust-anchor) to validate with instead of the root's key from
 * dns-root-data, or NULL. Answers are validated here with either; with a
 * forwarder and the root key, a resolver that cannot give the root's
 * DNSKEY validated (a private one) leaves the answers unvalidated, and
 * the domain's dnssec_anchor says so. NULL on failure, with err set. */
struct dns_resolver *dns_resolver_new(const char *fwd, const char *trust_anchor, char *err, size_t errlen);

/* Is this a trust-anchor file libunbound can read: a readable regular file
 * of at most 64 KiB with a DS or DNSKEY record in zone-file form, which a
 * libunbound context then loads (a question answered from a local zone,
 * nothing sent; unbound's parse error becomes the message)? The cli asks
 * before any connection (exit 2). 0, or -1 with a message in err. */
int dns_trust_anchor_check(const char *path, char *err, size_t errlen);
void dns_resolver_free(struct dns_resolver *r);

/* Resolves d->name into d: kind, MX hosts in order, their addresses, the
 * DNSSEC status of each answer (with the validator's reason when bogus:
 * a bogus answer is never used), each MX host's TLSA records (RFC 7672
 * section 2.2), errors in words. Each query waits at most
 * timeout_us, and none past deadline_us (mono_us clock: the domain's
 * --target-timeout); a query not asked or cut short by it is an error. */
void dns_resolve_domain(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us, struct domain_result *d);

/* Adds the addresses of an A (family AF_INET) or AAAA (AF_INET6) answer's
 * RDATA to h: data and len as libunbound's ub_result gives them (data
 * NULL-terminated); an RDATA of the wrong size is skipped, a duplicate
 * added once, at most DNS_MAX_ADDRS in all. RFC 1035 section 3.4.1, RFC
 * 3596 section 2.2. */
void dns_host_add_rdata(struct mx_host *h, char *const *data, const int *len, int family, enum dnssec_status dnssec);

/* ---- TXT records and single host names (MTA-STS, TLS-RPT) ---------- */

/* A TXT answer: each record's character-strings concatenated (RFC 8461
 * section 3.1, RFC 8460 section 3), a NUL byte inside one turned into DEL
 * (0x7f, which no policy grammar allows) so the text stays a C string. */
struct dns_txt {
	int found; /* 1: records; 0: NXDOMAIN or no TXT record; -1: error (error says why) */
	enum dnssec_status dnssec;
	struct strvec rec;
	char *error;
};

/* Asks for the TXT records of name, waiting as dns_resolve_domain does. A
 * bogus answer is an error, never data. out is always filled
 * (dns_txt_clear frees it). */
void dns_resolve_txt(struct dns_resolver *r, const char *name, int64_t timeout_us, int64_t deadline_us,
		     struct dns_txt *out);
void dns_txt_clear(struct dns_txt *t);

/* One TXT RDATA (length-prefixed character-strings, RFC 1035 section
 * 3.3.14) as one string, NUL bytes as DEL. NULL when malformed (a string
 * runs past the end, or no string at all). */
char *dns_txt_rdata_text(const unsigned char *p, size_t n);

/* The A and AAAA records of h->host into h (addresses, DNSSEC status of
 * each answer, h->error when there is none), as for an MX host. */
void dns_resolve_host(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us, struct mx_host *h);

#endif
