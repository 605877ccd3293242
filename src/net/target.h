/* \summary: parse a target as the user writes it.
 *
 *   mail.example.com           smtp, port 25, STARTTLS
 *   mail.example.com:2525      smtp, that port
 *   192.0.2.1 / 192.0.2.1:25   IPv4 literal
 *   [2001:db8::1]:25 / [::1]   IPv6 literal (brackets needed with a port)
 *   smtp://host[:port]         25, STARTTLS
 *   submission://host[:port]   587, STARTTLS
 *   smtps://host[:port]        465, implicit TLS (RFC 8314)
 *   lmtp://host[:port]         24, LHLO, STARTTLS (RFC 2033)
 *   pop3://host[:port]         110, STLS (RFC 2595); pop3s:// 995, implicit TLS
 *   imap://host[:port]         143, STARTTLS (RFC 3501); imaps:// 993, implicit TLS
 */
#ifndef SRC_NET_TARGET_H
#define SRC_NET_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mx_tlsa; /* report/domain.h */

struct target_spec {
	char *input;	    /* as written */
	char *scheme;	    /* "smtp", "submission", "smtps" */
	char *host;	    /* name (A-labels) or address literal, no brackets */
	char *host_unicode; /* the name's U-label form when it has one (mx.bücher.example); else NULL */
	uint16_t port;
	bool implicit_tls;
	int family; /* AF_INET / AF_INET6 for an address literal, 0 for a name */
	/* An MX address of a --domain: host is the address, mx_host the name
	 * TLS sends as SNI and the names check matches; NULL otherwise. */
	char *domain;
	char *mx_host;
	int mx_pref; /* -1: the domain's own address (no MX) */
	/* The MX host's TLSA lookup (report/domain.h), for the dane probe;
	 * not owned (the domain result holds it); NULL without --domain. */
	const struct mx_tlsa *tlsa;
	/* The dialect (proto/dialect.h): "smtp", "lmtp", "pop3", "imap";
	 * static, not owned; NULL means smtp. */
	const char *dialect;
};

/* 0 on success; -1 with a one-line message in err saying what was expected. */
int target_parse(const char *s, struct target_spec *out, char *err, size_t errlen);
void target_spec_clear(struct target_spec *t);

/* An RFC 1123 host name (letters, digits, hyphens inside labels, the
 * underscore internal names carry), labels of 1..63, 253 in all, an optional
 * root dot, and a top-level label that is not all digits. */
bool target_host_name_ok(const char *h);

#endif
