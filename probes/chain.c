/* \summary: the chain probe: does the chain the server sent validate
 * against the trust stores (--ca-file, then the system store), is it in
 * order, and are its signatures, keys, basic constraints and extended key
 * usage fit for a mail server? Judges the path that validates (pki/verify.h):
 * keys and signatures on it, certificates off it as chain hygiene. Judges
 * every chain the server presented (an RSA and an ECDSA certificate:
 * probe_served_chains), each finding naming its key type; fetches nothing
 * (a missing intermediate's AIA caIssuers URL is reported, not followed).
 * specification: RFC 5280 sections 6 (path validation), 4.2.1.9, 4.2.1.12,
 * 4.2.2.1; RFC 8446 section 4.4.2 (order of the certificate list); RFC 9155
 * (SHA-1 signatures deprecated); RFC 7525/9325 section 4.3 (key sizes). */
/* ids: chain.not-tested */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "core/served.h"
#include "pki/verify.h"

/* ids: cert.self-signed cert.chain-untrusted cert.chain-hygiene cert.key-types */

static void chain_ev(struct finding *f, const struct served_chain *sc, const struct verify_result *v)
{
	for (size_t i = 0; i < sc->n; i++) {
		const struct cert_info *c = &sc->chain[i];
		char key[32];
		snprintf(key, sizeof key, "cert[%zu]", i);
		finding_add_ev(f, key, "subject=%s; issuer=%s; key=%s %u; sig=%s%s%s%s", c->subject, c->issuer,
			       c->key_type, c->key_bits, c->sig_alg, c->is_ca ? "; CA" : "",
			       c->self_signed ? "; self-signed" : "",
			       v && !verify_on_path(v, i) ? "; off the path" : "");
	}
	if (!v || v->path_len == 0)
		return;
	char path[VERIFY_MAX_CHAIN * 8] = "";
	size_t off = 0;
	for (size_t k = 0; k < v->path_len && off < sizeof path; k++)
		off += (size_t)snprintf(path + off, sizeof path - off, "%scert[%zu]", k ? " -> " : "", v->path[k]);
	finding_add_ev(f, "path", "%s%s", path,
		       v->path_complete ? " -> trust anchor" : " (incomplete: no trust anchor reached)");
}

static const char *untrusted_reason(const struct served_chain *sc, const struct verify_result *v, char *buf, size_t len)
{
	const struct cert_info *last = &sc->chain[v->path[v->path_len - 1]];
	if (v->path_complete && !v->path_in_time) {
		const struct cert_info *c = &sc->chain[v->time_break];
		snprintf(buf, len,
			 "the path to a trust anchor is complete, but cert[%zu] (%s) is %s at the evaluation time",
			 v->time_break, c->subject, v->time_break_expired ? "expired" : "not valid yet");
		return buf;
	}
	if (sc->chain[0].self_signed && v->path_len == 1)
		return "self-signed leaf";
	if (last->self_signed)
		return "unknown root: the root the server sent is not in the trust store";
	if (!v->last_issuer_known && !last->is_ca)
		return "missing intermediate: the leaf's issuer is neither sent nor trusted";
	if (!v->last_issuer_known)
		return "unknown root: the last certificate's issuer is not in the trust store";
	return "the chain does not verify against the trust store";
}

static void judge_trust(struct probe_ctx *ctx, const struct served_chain *sc, const struct verify_result *v)
{
	struct finding *f;
	char buf[512];
	if (v->error) {
		f = probe_result_add(ctx->pr, "cert.trust-store-error", SEV_ERROR,
				     "The trust store could not be loaded: the chain was not checked");
		served_chain_ev(f, sc);
		finding_set_detail(f, "%s", v->error);
		finding_set_remedy(f, "Point --ca-file at a PEM file with the CA certificates to trust.");
		return;
	}
	if (v->trusted) {
		f = probe_result_add(ctx->pr, "cert.chain-valid", SEV_PASS, "The certificate chain validates");
		served_chain_ev(f, sc);
		finding_add_ev(f, "trusted_by", "%s", v->store);
		chain_ev(f, sc, v);
		finding_set_rfc(f, "RFC 5280 section 6");
		return;
	}
	if (v->only_insecure_alg && v->path_in_time)
		return; /* judge_signatures says it: the chain is good but for the hash */
	bool self = sc->chain[0].self_signed && v->path_len == 1 && !v->path_complete;
	f = probe_result_add(
		ctx->pr, self ? "cert.self-signed" : "cert.chain-untrusted", policy_verify_severity(ctx->opt->policy),
		self ? "The server's certificate is self-signed" : "The certificate chain does not validate");
	served_chain_ev(f, sc);
	finding_set_detail(f, "A sender that verifies certificates (policy verify or stricter, Exchange "
			      "domain security, MTA-STS, DANE-TA) refuses this chain; an opportunistic "
			      "sender still encrypts but cannot authenticate the server.");
	finding_add_ev(f, "reason", "%s", untrusted_reason(sc, v, buf, sizeof buf));
	finding_add_ev(f, "stores", "%s", v->stores);
	finding_add_ev(f, "status", "0x%x %s", v->status, v->status_text ? v->status_text : "");
	const struct cert_info *last = &sc->chain[v->path[v->path_len - 1]];
	if (!v->path_complete && !last->self_signed && !v->last_issuer_known)
		finding_add_ev(f, "aia_ca_issuers", "%s",
			       v->aia_ca_issuers ? v->aia_ca_issuers
						 : "(none: a client cannot fetch the missing issuer)");
	finding_add_ev(f, "policy", "%s", policy_name(ctx->opt->policy));
	chain_ev(f, sc, v);
	finding_set_rfc(f, "RFC 5280 section 6; RFC 8446 section 4.4.2");
	if (v->path_complete) {
		finding_set_remedy(f, "Renew the certificate outside its validity period (the expiry probe "
				      "names it) and install it with its current intermediates.");
		return;
	}
	finding_set_remedy(f, "Serve the full chain: the leaf, then every intermediate up to (not "
			      "necessarily including) a root the senders trust (Postfix: "
			      "smtpd_tls_chain_files with key, leaf and intermediates; Exchange: import the "
			      "intermediates into the computer's Intermediate Certification Authorities). "
			      "For a private CA, give its root to the partners (here: --ca-file).");
}

static void judge_order(struct probe_ctx *ctx, const struct served_chain *sc, const struct verify_result *v)
{
	if (v->in_order || sc->n < 2)
		return;
	struct finding *f =
		probe_result_add(ctx->pr, "cert.chain-order", SEV_WARN, "The certificate chain is out of order");
	served_chain_ev(f, sc);
	finding_set_detail(f,
			   "Certificate %zu is not issued by certificate %zu. TLS 1.2 requires each "
			   "certificate to certify the one before it; TLS 1.3 clients tolerate other "
			   "orders but older senders fail.",
			   v->order_break, v->order_break + 1);
	chain_ev(f, sc, v);
	finding_set_rfc(f, "RFC 5246 section 7.4.2; RFC 8446 section 4.4.2");
	finding_set_remedy(f, "List the leaf first, then its issuer, then that one's issuer.");
}

static bool key_is_weak(const struct cert_info *c)
{
	if (strncmp(c->key_type, "RSA", 3) == 0 || strcmp(c->key_type, "DSA") == 0)
		return c->key_bits < 2048;
	if (strcmp(c->key_type, "ECDSA") == 0)
		return c->key_bits < 256;
	return false;
}

/* Certificates the server sends that are on no path: an old cross-signature
 * beside the new one, a stale intermediate, an unrelated leaf. They do not
 * decide validity (a client that builds paths ignores them), but they cost
 * bytes in every handshake and an older client that takes the list as it
 * comes may build its path through an expired one. */
static void judge_hygiene(struct probe_ctx *ctx, const struct served_chain *sc, const struct verify_result *v,
			  int64_t at)
{
	size_t off = 0;
	for (size_t i = 0; i < sc->n; i++)
		off += !verify_on_path(v, i);
	if (off == 0)
		return;
	struct finding *f = probe_result_add(ctx->pr, "cert.chain-hygiene", SEV_WARN,
					     "Chain hygiene: the server sends certificates that are on no path");
	served_chain_ev(f, sc);
	finding_set_detail(f,
			   "%zu certificate%s the server sends %s not on the path that %s; %s judged as chain "
			   "hygiene, not validity. Clients that build paths skip them, but each one costs "
			   "bytes in every handshake and an older client that takes the list in order may "
			   "try a path through an expired one.",
			   off, off == 1 ? "" : "s", off == 1 ? "is" : "are",
			   v->path_complete ? "validates" : "was judged", off == 1 ? "it is" : "they are");
	for (size_t i = 0; i < sc->n; i++) {
		if (verify_on_path(v, i))
			continue;
		const struct cert_info *c = &sc->chain[i];
		char key[32], na[32];
		snprintf(key, sizeof key, "off_path[%zu]", i);
		fmt_iso8601(c->not_after, na, sizeof na);
		finding_add_ev(f, key, "%s; issuer=%s; not_after=%s%s%s%s%s", c->subject, c->issuer, na,
			       at > c->not_after    ? "; expired"
			       : at < c->not_before ? "; not valid yet"
						    : "",
			       c->is_ca ? "" : "; not a CA", key_is_weak(c) ? "; weak key" : "",
			       verify_sig_is_weak(c->sig_alg) && !c->self_signed ? "; weak signature" : "");
	}
	chain_ev(f, sc, v);
	finding_set_rfc(f, "RFC 8446 section 4.4.2; RFC 5246 section 7.4.2");
	finding_set_remedy(f, "Remove the certificates marked \"off the path\" from the file the server "
			      "sends (Postfix: smtpd_tls_chain_files / smtpd_tls_cert_file; Exchange: the "
			      "certificate's chain in the computer store): an old cross-signature or "
			      "intermediate left over from a renewal, or a certificate that is not the "
			      "server's.");
}

static void judge_signatures(struct probe_ctx *ctx, const struct served_chain *sc, const struct verify_result *v)
{
	struct finding *f = NULL;
	for (size_t k = 0; k < v->path_len; k++) {
		size_t i = v->path[k];
		const struct cert_info *c = &sc->chain[i];
		/* A root's self-signature is never checked: its hash does not matter. */
		if (c->self_signed && k > 0)
			continue;
		if (!verify_sig_is_weak(c->sig_alg))
			continue;
		if (!f) {
			f = probe_result_add(ctx->pr, "cert.weak-signature",
					     ctx->opt->policy >= POLICY_VERIFY ? SEV_FAIL : SEV_WARN,
					     "A certificate is signed with MD5 or SHA-1");
			served_chain_ev(f, sc);
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

static void judge_keys(struct probe_ctx *ctx, const struct served_chain *sc, const struct verify_result *v)
{
	struct finding *f = NULL;
	for (size_t k = 0; k < v->path_len; k++) {
		size_t i = v->path[k];
		const struct cert_info *c = &sc->chain[i];
		if (!key_is_weak(c))
			continue;
		if (!f) {
			f = probe_result_add(ctx->pr, "cert.weak-key",
					     ctx->opt->policy >= POLICY_VERIFY ? SEV_FAIL : SEV_WARN,
					     "A certificate has a weak key (RSA below 2048 bits, EC below 256)");
			served_chain_ev(f, sc);
			finding_set_rfc(f, "RFC 9325 section 4.3");
			finding_set_remedy(f, "Make a new key (RSA 2048 or more, or ECDSA P-256) and have the "
					      "certificate reissued for it.");
		}
		char key[32];
		snprintf(key, sizeof key, "cert[%zu]", i);
		finding_add_ev(f, key, "%s: %s %u bits", c->subject, c->key_type, c->key_bits);
	}
}

static void judge_usage(struct probe_ctx *ctx, const struct served_chain *sc, const struct verify_result *v)
{
	struct finding *f;
	if (!v->leaf_server_auth) {
		f = probe_result_add(ctx->pr, "cert.no-server-auth", policy_verify_severity(ctx->opt->policy),
				     "The certificate's extended key usage does not allow TLS servers");
		served_chain_ev(f, sc);
		finding_set_detail(f, "The extended key usage lists purposes, and serverAuth is not one of "
				      "them: verifying clients reject the certificate for a server.");
		finding_add_ev(f, "eku", "%s", v->leaf_eku ? v->leaf_eku : "");
		finding_add_ev(f, "subject", "%s", sc->chain[0].subject);
		finding_set_rfc(f, "RFC 5280 section 4.2.1.12");
		finding_set_remedy(f, "Have the certificate reissued with extendedKeyUsage serverAuth (a "
				      "\"web server\" or \"TLS server\" template).");
	}
	f = NULL;
	for (size_t k = 1; k < v->path_len; k++) {
		size_t i = v->path[k];
		const struct cert_info *c = &sc->chain[i];
		if (c->is_ca)
			continue;
		if (!f) {
			f = probe_result_add(ctx->pr, "cert.basic-constraints",
					     policy_verify_severity(ctx->opt->policy),
					     "A certificate after the leaf is not a CA");
			served_chain_ev(f, sc);
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

static void judge_chain(struct probe_ctx *ctx, const struct served_chain *sc)
{
	struct verify_result v;
	verify_chain(ctx->trust, ctx->opt, sc->chain, sc->n, &v);
	judge_trust(ctx, sc, &v);
	if (v.path_len) {
		judge_order(ctx, sc, &v);
		judge_hygiene(ctx, sc, &v, mx_options_at(ctx->opt));
		judge_signatures(ctx, sc, &v);
		judge_keys(ctx, sc, &v);
		if (!v.error)
			judge_usage(ctx, sc, &v);
	}
	verify_result_clear(&v);
}

/* What the second handshake (core/served.h) found: a second certificate,
 * the same one again, or a refusal, which is how a server with one key
 * answers a client that cannot use it. */
static void report_key_types(struct probe_ctx *ctx, const struct served_chain *sc, size_t n)
{
	const struct target_result *t = ctx->t;
	if (!t->other_key_wanted)
		return;
	const struct session_facts *o = served_other_session(t);
	/* Only a handshake that ran (or was refused) says what the server has. */
	bool asked = n == 2 || (o && (o->tls_ok || o->failed_step == STEP_HANDSHAKE));
	struct finding *f = probe_result_add(ctx->pr, "cert.key-types", SEV_INFO,
					     n == 2  ? "The server holds certificates of two key types"
					     : asked ? "The server presented one key type"
						     : "The server's other key type was not tested");
	finding_add_ev(f, "presented", "%s%s%s", sc[0].key_type, n == 2 ? ", " : "", n == 2 ? sc[1].key_type : "");
	finding_add_ev(f, "asked_for", "%s", t->other_key_wanted);
	if (n == 2)
		finding_set_detail(f,
				   "A client that offers only %s signature algorithms gets the %s "
				   "certificate; each is judged on its own (evidence key_type).",
				   t->other_key_wanted, sc[1].key_type);
	else if (o && o->tls_ok)
		finding_set_detail(f,
				   "Offered only %s signature algorithms, the server presented the same "
				   "%s certificate: it has no %s certificate.",
				   t->other_key_wanted, sc[0].key_type, t->other_key_wanted);
	else if (asked)
		finding_set_detail(f,
				   "Offered only %s signature algorithms, the server refused the handshake "
				   "(%s): it has no %s certificate. Senders negotiate the %s certificate.",
				   t->other_key_wanted, o->fail_detail ? o->fail_detail : "no detail",
				   t->other_key_wanted, sc[0].key_type);
	else
		finding_set_detail(f,
				   "Whether the server also has a %s certificate is not known: the second "
				   "session stopped before its handshake (%s%s%s).",
				   t->other_key_wanted, o ? session_step_name(o->failed_step) : "not made",
				   o && o->fail_detail ? ": " : "", o && o->fail_detail ? o->fail_detail : "");
	finding_set_rfc(f, "RFC 8446 section 4.4.2.2");
}

static void chain_run(struct probe_ctx *ctx)
{
	if (!probe_session_reached(ctx, REACH_CHAIN, "whether the certificate chain validates"))
		return;
	struct served_chain sc[PROBE_MAX_CHAINS];
	size_t n = probe_served_chains(ctx, sc);
	for (size_t i = 0; i < n; i++)
		judge_chain(ctx, &sc[i]);
	if (n)
		report_key_types(ctx, sc, n);
}

const struct probe probe_chain = {
	.name = "chain",
	.title = "Certificate chain",
	.needs = NEEDS_SESSION,
	.run = chain_run,
	.any_dialect = true,
};
