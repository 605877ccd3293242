/* \summary: the chain probe: does the chain the server sent validate
 * against the trust stores (--ca-file, then the system store), is it in
 * order, and are its signatures, keys, basic constraints and extended key
 * usage fit for a mail server? Judges the chain of the standard session;
 * opens no connection and fetches nothing (a missing intermediate's AIA
 * caIssuers URL is reported, not followed).
 * specification: RFC 5280 sections 6 (path validation), 4.2.1.9, 4.2.1.12,
 * 4.2.2.1; RFC 8446 section 4.4.2 (order of the certificate list); RFC 9155
 * (SHA-1 signatures deprecated); RFC 7525/9325 section 4.3 (key sizes). */
/* ids: chain.not-tested */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "pki/verify.h"

/* ids: cert.self-signed cert.chain-untrusted */

/* A chain that does not validate: a sender that verifies (Postfix
 * "verify"/"secure", Exchange domain security) refuses it; an opportunistic
 * sender still delivers. */
static enum severity chain_severity(enum policy p)
{
	switch (p) {
	case POLICY_NONE:
		return SEV_INFO;
	case POLICY_MAY:
	case POLICY_ENCRYPT:
		return SEV_WARN;
	default:
		return SEV_FAIL;
	}
}

static void chain_ev(struct finding *f, const struct session_facts *fa)
{
	for (size_t i = 0; i < fa->chain_len; i++) {
		const struct cert_info *c = &fa->chain[i];
		char key[32];
		snprintf(key, sizeof key, "cert[%zu]", i);
		finding_add_ev(f, key, "subject=%s; issuer=%s; key=%s %u; sig=%s%s%s", c->subject, c->issuer,
			       c->key_type, c->key_bits, c->sig_alg, c->is_ca ? "; CA" : "",
			       c->self_signed ? "; self-signed" : "");
	}
}

static const char *untrusted_reason(const struct session_facts *fa, const struct verify_result *v)
{
	const struct cert_info *last = &fa->chain[fa->chain_len - 1];
	if (fa->chain[0].self_signed && fa->chain_len == 1)
		return "self-signed leaf";
	if (last->self_signed)
		return "unknown root: the root the server sent is not in the trust store";
	if (!v->last_issuer_known && !last->is_ca)
		return "missing intermediate: the leaf's issuer is neither sent nor trusted";
	if (!v->last_issuer_known)
		return "unknown root: the last certificate's issuer is not in the trust store";
	return "the chain does not verify against the trust store";
}

static void judge_trust(struct probe_ctx *ctx, const struct verify_result *v)
{
	const struct session_facts *fa = &ctx->t->facts;
	struct finding *f;
	if (v->error) {
		f = probe_result_add(ctx->pr, "cert.trust-store-error", SEV_ERROR,
				     "The trust store could not be loaded: the chain was not checked");
		finding_set_detail(f, "%s", v->error);
		finding_set_remedy(f, "Point --ca-file at a PEM file with the CA certificates to trust.");
		return;
	}
	if (v->trusted) {
		f = probe_result_add(ctx->pr, "cert.chain-valid", SEV_PASS, "The certificate chain validates");
		finding_add_ev(f, "trusted_by", "%s", v->store);
		chain_ev(f, fa);
		finding_set_rfc(f, "RFC 5280 section 6");
		return;
	}
	if (v->only_insecure_alg)
		return; /* judge_signatures says it: the chain is good but for the hash */
	bool self = fa->chain[0].self_signed && fa->chain_len == 1;
	f = probe_result_add(
		ctx->pr, self ? "cert.self-signed" : "cert.chain-untrusted", chain_severity(ctx->opt->policy),
		self ? "The server's certificate is self-signed" : "The certificate chain does not validate");
	finding_set_detail(f, "A sender that verifies certificates (policy verify or stricter, Exchange "
			      "domain security, MTA-STS, DANE-TA) refuses this chain; an opportunistic "
			      "sender still encrypts but cannot authenticate the server.");
	finding_add_ev(f, "reason", "%s", untrusted_reason(fa, v));
	finding_add_ev(f, "stores", "%s", v->stores);
	finding_add_ev(f, "status", "0x%x %s", v->status, v->status_text ? v->status_text : "");
	if (!fa->chain[fa->chain_len - 1].self_signed && !v->last_issuer_known)
		finding_add_ev(f, "aia_ca_issuers", "%s",
			       v->aia_ca_issuers ? v->aia_ca_issuers
						 : "(none: a client cannot fetch the missing issuer)");
	finding_add_ev(f, "policy", "%s", policy_name(ctx->opt->policy));
	chain_ev(f, fa);
	finding_set_rfc(f, "RFC 5280 section 6; RFC 8446 section 4.4.2");
	finding_set_remedy(f, "Serve the full chain: the leaf, then every intermediate up to (not "
			      "necessarily including) a root the senders trust (Postfix: "
			      "smtpd_tls_chain_files with key, leaf and intermediates; Exchange: import the "
			      "intermediates into the computer's Intermediate Certification Authorities). "
			      "For a private CA, give its root to the partners (here: --ca-file).");
}

static void judge_order(struct probe_ctx *ctx, const struct verify_result *v)
{
	const struct session_facts *fa = &ctx->t->facts;
	if (v->error || v->in_order || fa->chain_len < 2)
		return;
	struct finding *f = probe_result_add(ctx->pr, "cert.chain-order", SEV_WARN,
					     "The chain is out of order or holds an unrelated certificate");
	finding_set_detail(f,
			   "Certificate %zu is not issued by certificate %zu. TLS 1.2 requires each "
			   "certificate to certify the one before it; TLS 1.3 clients tolerate other "
			   "orders but older senders fail.",
			   v->order_break, v->order_break + 1);
	chain_ev(f, fa);
	finding_set_rfc(f, "RFC 5246 section 7.4.2; RFC 8446 section 4.4.2");
	finding_set_remedy(f, "List the leaf first, then its issuer, then that one's issuer; remove "
			      "certificates that belong to no path.");
}

static void judge_signatures(struct probe_ctx *ctx, const struct verify_result *v)
{
	const struct session_facts *fa = &ctx->t->facts;
	struct finding *f = NULL;
	for (size_t i = 0; i < fa->chain_len; i++) {
		const struct cert_info *c = &fa->chain[i];
		/* A root's self-signature is never checked: its hash does not matter. */
		if (c->self_signed && i > 0)
			continue;
		if (!verify_sig_is_weak(c->sig_alg))
			continue;
		if (!f) {
			f = probe_result_add(ctx->pr, "cert.weak-signature",
					     ctx->opt->policy >= POLICY_VERIFY ? SEV_FAIL : SEV_WARN,
					     "A certificate is signed with MD5 or SHA-1");
			finding_set_detail(
				f,
				"Collisions make MD5 and SHA-1 signatures forgeable; current "
				"TLS libraries (GnuTLS, OpenSSL at security level 1+) refuse such "
				"certificates when they verify%s.",
				v->only_insecure_alg ? ", and it is the only reason this chain does not validate" : "");
			finding_set_rfc(f, "RFC 9155 section 2; RFC 6151");
			finding_set_remedy(f, "Have the certificate reissued with a SHA-256 signature.");
		}
		char key[32];
		snprintf(key, sizeof key, "cert[%zu]", i);
		finding_add_ev(f, key, "%s signed with %s", c->subject, c->sig_alg);
	}
}

static bool key_is_weak(const struct cert_info *c)
{
	if (strncmp(c->key_type, "RSA", 3) == 0 || strcmp(c->key_type, "DSA") == 0)
		return c->key_bits < 2048;
	if (strcmp(c->key_type, "ECDSA") == 0)
		return c->key_bits < 256;
	return false;
}

static void judge_keys(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	struct finding *f = NULL;
	for (size_t i = 0; i < fa->chain_len; i++) {
		const struct cert_info *c = &fa->chain[i];
		if (!key_is_weak(c))
			continue;
		if (!f) {
			f = probe_result_add(ctx->pr, "cert.weak-key",
					     ctx->opt->policy >= POLICY_VERIFY ? SEV_FAIL : SEV_WARN,
					     "A certificate has a weak key (RSA below 2048 bits, EC below 256)");
			finding_set_rfc(f, "RFC 9325 section 4.3");
			finding_set_remedy(f, "Make a new key (RSA 2048 or more, or ECDSA P-256) and have the "
					      "certificate reissued for it.");
		}
		char key[32];
		snprintf(key, sizeof key, "cert[%zu]", i);
		finding_add_ev(f, key, "%s: %s %u bits", c->subject, c->key_type, c->key_bits);
	}
}

static void judge_usage(struct probe_ctx *ctx, const struct verify_result *v)
{
	const struct session_facts *fa = &ctx->t->facts;
	struct finding *f;
	if (!v->error && !v->leaf_server_auth) {
		f = probe_result_add(ctx->pr, "cert.no-server-auth", chain_severity(ctx->opt->policy),
				     "The certificate's extended key usage does not allow TLS servers");
		finding_set_detail(f, "The extended key usage lists purposes, and serverAuth is not one of "
				      "them: verifying clients reject the certificate for a server.");
		finding_add_ev(f, "eku", "%s", v->leaf_eku ? v->leaf_eku : "");
		finding_add_ev(f, "subject", "%s", fa->chain[0].subject);
		finding_set_rfc(f, "RFC 5280 section 4.2.1.12");
		finding_set_remedy(f, "Have the certificate reissued with extendedKeyUsage serverAuth (a "
				      "\"web server\" or \"TLS server\" template).");
	}
	f = NULL;
	for (size_t i = 1; i < fa->chain_len; i++) {
		const struct cert_info *c = &fa->chain[i];
		if (c->is_ca)
			continue;
		if (!f) {
			f = probe_result_add(ctx->pr, "cert.basic-constraints", chain_severity(ctx->opt->policy),
					     "A certificate after the leaf is not a CA");
			finding_set_detail(f, "Only a certificate with basicConstraints cA=TRUE may issue "
					      "others; path validation stops at this one.");
			finding_set_rfc(f, "RFC 5280 section 4.2.1.9");
			finding_set_remedy(f, "Send the right intermediate CA certificates; remove leaf "
					      "certificates that are not the server's own.");
		}
		char key[32];
		snprintf(key, sizeof key, "cert[%zu]", i);
		finding_add_ev(f, key, "%s", c->subject);
	}
}

static void chain_run(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	if (!probe_session_reached(ctx, REACH_CHAIN, "whether the certificate chain validates"))
		return;
	struct verify_result v;
	verify_chain(ctx->trust, ctx->opt, fa->chain, fa->chain_len, &v);
	judge_trust(ctx, &v);
	judge_order(ctx, &v);
	judge_signatures(ctx, &v);
	judge_keys(ctx);
	judge_usage(ctx, &v);
	verify_result_clear(&v);
}

const struct probe probe_chain = {
	.name = "chain",
	.title = "Certificate chain",
	.needs = NEEDS_SESSION,
	.run = chain_run,
	.any_dialect = true,
};
