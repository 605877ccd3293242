/* \summary: a mail domain's verdict and "what will happen to the mail":
 * per MX address and for each policy level, what a sending MTA would do
 * with a message (deliver over TLS, deliver in clear, or defer and, when
 * the retry period runs out, bounce with an NDR); whether the domain
 * passes the chosen policy; where its MX hosts and addresses disagree.
 *
 * specification: RFC 5321 section 5.1 (mail may go to any MX address),
 * RFC 3207 (STARTTLS), Postfix TLS levels / Exchange Domain Security
 * (docs/findings.md "Policies"). */
#ifndef SRC_CORE_DOMAIN_H
#define SRC_CORE_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "net/target.h"
#include "report/domain.h"

/* The names probe's "checked_as" evidence for the partner's domain, which
 * it checks for a --domain target (Exchange domain security); only
 * domain-secure needs it covered. */
#define DOMAIN_PARTNER_NAME_CHECK "partner domain (--domain)"

/* What a DANE sender (Postfix "dane", Exim hosts_require_dane) makes of an
 * MX host's TLSA records (RFC 7672 section 2.2). */
enum dane_input {
	DANE_IN_NONE,	  /* no usable secure TLSA RRset: opportunistic TLS, as may */
	DANE_IN_FAILED,	  /* the TLSA lookup of a secure host failed or is bogus: the host is not used */
	DANE_IN_UNUSABLE, /* secure records, none usable: TLS mandatory, not authenticated (as encrypt) */
	DANE_IN_MATCH,	  /* the served chain matches a usable record */
	DANE_IN_MISMATCH, /* usable records, and a served chain matches none */
	DANE_IN_UNKNOWN,  /* usable records, but the dane probe did not compare */
};

/* What the fate decision needs of one address. Tri-states: 1 yes, 0 no,
 * -1 unknown (the probe that would tell did not run). */
struct fate_input {
	bool reachable; /* connected, banner and EHLO worked */
	bool starttls_offered;
	bool tls_ok;	    /* STARTTLS accepted (or implicit TLS), handshake and EHLO after it worked */
	int chain_ok;	    /* chain validates, within its validity period */
	int name_ok;	    /* the name (MX host, --expect-name) is in the certificate */
	int mtls_ok;	    /* our client certificate was requested and accepted */
	int domain_name_ok; /* the partner's domain is in the certificate (domain-secure) */
	enum dane_input dane;
};

/* What a sending MTA at policy p does; *reason says why when it is not a
 * plain TLS delivery (a static string). */
enum mail_fate mail_fate_decide(enum policy p, const struct fate_input *in, const char **reason);

/* The fate input from a probed target's facts and findings (by id); dane
 * stays DANE_IN_NONE (fate_input_dane sets it). */
void fate_input_from_target(const struct target_result *t, struct fate_input *in);

/* The DANE input from the MX host's TLSA lookup and the target's dane
 * probe findings (dane.valid, dane.mismatch). */
enum dane_input fate_input_dane(const struct mx_tlsa *tl, const struct target_result *t);

/* A target spec for one MX address: host = the address, mx_host = the
 * MX name, port 25, STARTTLS. input reads "mx.example[192.0.2.1]:25",
 * Postfix's way of naming a delivery attempt. */
void domain_make_spec(const struct domain_result *d, const struct mx_host *h, const struct mx_address *a,
		      struct target_spec *out);

/* After every target ran: each address's verdict and fate, each domain's
 * verdict, the addresses that break it, the policies it can be switched
 * to safely, and domain.inconsistent findings. */
void domain_evaluate(struct report *r, const struct mx_options *opt);

/* The exit status with the domains' verdicts folded in: a failed domain
 * makes it 1, a domain DNS could not tell about 3 (unless 1 already). */
int domain_exit_code(const struct report *r, int status);

#endif
