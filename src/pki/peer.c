/* \summary: the "authenticated peer" test that gates credentials. */
#include "pki/peer.h"

#include <stdio.h>
#include <stdlib.h>

#include "pki/names.h"

static bool covers(const struct cert_info *leaf, const char *cn, const char *ref)
{
	struct names_presented p = {
		.dns = (const char *const *)leaf->san_dns.v,
		.ndns = leaf->san_dns.n,
		.ip = (const char *const *)leaf->san_ip.v,
		.nip = leaf->san_ip.n,
		.cn = cn,
	};
	struct names_result r;
	names_check(&p, ref, &r);
	return r.matched;
}

bool peer_is_authenticated(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain,
			   size_t n, const char *ref, char *why, size_t whylen)
{
	if (n == 0) {
		snprintf(why, whylen, "the server sent no certificate");
		return false;
	}
	struct verify_result vr;
	verify_chain(ts, opt, chain, n, &vr);
	bool trusted = vr.trusted && !vr.error;
	if (!trusted)
		snprintf(why, whylen, "the server's certificate chain does not validate (%s)",
			 vr.error	  ? vr.error
			 : vr.status_text ? vr.status_text
					  : "no trust anchor");
	verify_result_clear(&vr);
	if (!trusted)
		return false;
	int64_t at = mx_options_at(opt);
	for (size_t i = 0; i < n; i++) {
		if (at < chain[i].not_before || at > chain[i].not_after) {
			snprintf(why, whylen, "certificate %zu of the chain is %s", i + 1,
				 at < chain[i].not_before ? "not yet valid" : "expired");
			return false;
		}
	}
	char *cn = names_subject_cn(&chain[0]);
	bool ok = ref && covers(&chain[0], cn, ref);
	for (size_t i = 0; !ok && i < opt->n_expect_names; i++)
		ok = covers(&chain[0], cn, opt->expect_names[i]);
	free(cn);
	if (!ok)
		snprintf(why, whylen, "the server's certificate does not cover %s%s", ref ? ref : "the target",
			 opt->n_expect_names ? " nor any --expect-name" : "");
	return ok;
}
