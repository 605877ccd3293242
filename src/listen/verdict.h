/* \summary: would this session pass a domain-secure receive policy for a
 * partner domain? Exchange's TLSReceiveDomainSecureList with
 * DomainSecureEnabled on the receive connector (shared/seeds, the Exchange
 * 2007 Domain Security guide): mail from a listed partner domain is taken
 * only over TLS in which the partner presented a client certificate that
 * validates (chain to a trusted root, inside its validity period, not
 * revoked where revocation could be checked) and whose names cover the
 * partner domain. A pure decision over what the session saw.
 *
 * Names: the domain itself, a wildcard covering it, or a host inside it
 * (relay.partner.example covers partner.example, as Exchange accepts the
 * partner's connector FQDN); DNS SANs first, the subject CN only without
 * any (RFC 6125 6.4.4).
 * specification: RFC 5280 section 6, RFC 6125 section 6, RFC 8446 section
 * 4.4.2.4 / RFC 5246 section 7.4.6 (client Certificate). */
#ifndef SRC_LISTEN_VERDICT_H
#define SRC_LISTEN_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

struct lsn_verdict_in {
	const char *partner;	  /* --partner DOMAIN, lower case */
	bool tls;		  /* the session reached TLS */
	bool cert_presented;	  /* the client sent a certificate */
	bool chain_trusted;	  /* it validates against the partners' roots */
	bool chain_expired;	  /* ... not: a certificate on the path has expired */
	bool chain_not_yet;	  /* ... not: one is not valid yet */
	const char *chain_why;	  /* the validation's own words when untrusted, or NULL */
	bool revoked;		  /* revocation data said revoked */
	bool revocation_checked;  /* a CRL answered for the leaf (good or revoked) */
	bool eku_client_ok;	  /* no EKU, or one allowing clientAuth / any */
	const char *const *names; /* DNS SANs (or the CN when there is none) */
	size_t nnames;
	const char *sender_domain; /* the MAIL FROM domain, or NULL */
};

struct lsn_verdict {
	bool pass;
	const char *matched; /* the certificate name that covers the partner, or NULL */
	char *reason;	     /* why it would be refused; or, when it passes, a note or NULL; owned */
	bool sender_other;   /* the MAIL FROM domain is not the partner's: not domain-secure mail */
};

/* Judges in into out (free out->reason with lsn_verdict_clear). */
void lsn_verdict_judge(const struct lsn_verdict_in *in, struct lsn_verdict *out);
void lsn_verdict_clear(struct lsn_verdict *v);

/* Does the certificate name cover the partner domain (see above)? */
bool lsn_name_covers(const char *name, const char *partner);

#endif
