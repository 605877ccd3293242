/* \summary: the domain-secure receive verdict (verdict.h).
 * specification: RFC 5280 section 6, RFC 6125 section 6. */
#include "listen/verdict.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pki/names.h"
#include "util/util.h"

bool lsn_name_covers(const char *name, const char *partner)
{
	if (!name || !partner || !*name || !*partner)
		return false;
	if (names_dns_match(name, partner))
		return true;
	/* a host inside the domain: "relay.partner.example" */
	size_t n = strlen(name), p = strlen(partner);
	if (partner[p - 1] == '.')
		p--;
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (name[0] == '*' || n <= p + 1)
		return false;
	return name[n - p - 1] == '.' && strncasecmp(name + n - p, partner, p) == 0;
}

static bool domain_within(const char *d, const char *partner)
{
	return d && (strcasecmp(d, partner) == 0 || lsn_name_covers(d, partner));
}

void lsn_verdict_judge(const struct lsn_verdict_in *in, struct lsn_verdict *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < in->nnames && !out->matched; i++)
		if (lsn_name_covers(in->names[i], in->partner))
			out->matched = in->names[i];
	out->sender_other = in->sender_domain && !domain_within(in->sender_domain, in->partner);
	if (!in->tls) {
		out->reason = xstrdup("the session did not use TLS (no STARTTLS)");
		return;
	}
	if (!in->cert_presented) {
		out->reason = xstrdup("the client presented no certificate when asked");
		return;
	}
	if (in->revoked) {
		out->reason = xstrdup("the client certificate is revoked");
		return;
	}
	if (!in->chain_trusted) {
		if (in->chain_expired)
			out->reason = xstrdup("the client certificate chain has expired");
		else if (in->chain_not_yet)
			out->reason = xstrdup("the client certificate chain is not valid yet");
		else
			out->reason =
				xasprintf("the client certificate does not validate against the partners' roots%s%s",
					  in->chain_why ? ": " : "", in->chain_why ? in->chain_why : "");
		return;
	}
	if (!in->eku_client_ok) {
		out->reason = xstrdup("the client certificate's extended key usage does not allow client "
				      "authentication (clientAuth)");
		return;
	}
	if (!out->matched) {
		out->reason = xasprintf("no name in the client certificate covers %s", in->partner);
		return;
	}
	out->pass = true;
	const char *rev = in->revocation_checked ? ""
						 : "revocation was not checked (give the partner CA's CRL with "
						   "--crl-file): Exchange also refuses a certificate whose CRL it "
						   "cannot fetch";
	if (out->sender_other)
		out->reason = xasprintf("the sender's domain (MAIL FROM) is %s, not %s: the policy applies to "
					"mail from the partner's domain%s%s",
					in->sender_domain, in->partner, *rev ? "; " : "", rev);
	else if (*rev)
		out->reason = xstrdup(rev);
}

void lsn_verdict_clear(struct lsn_verdict *v)
{
	free(v->reason);
	memset(v, 0, sizeof *v);
}
