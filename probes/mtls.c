/* \summary: the mtls probe: does the server ask for a client certificate
 * (CertificateRequest: acceptable CAs, certificate types, signature
 * algorithms), is one required (judged from the server's behaviour without
 * one), and is ours accepted (a second session that presents it)? Our
 * certificate is also checked as a partner will check it: validity, the
 * clientAuth EKU, the key, and its issuer against the server's CA list.
 * specification: RFC 8446 sections 4.3.2, 4.4.2.4 and 6.2; RFC 5246
 * sections 7.4.4 and 7.4.6; RFC 5280 section 4.2.1.12; Exchange Domain
 * Security (shared/seeds). */
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "proto/session.h"
#include "tls/identity.h"
#include "tls/mtls.h"

/* ids: mtls.not-tested mtls.not-requested mtls.requested mtls.optional mtls.required */
/* ids: mtls.undetermined mtls.accepted mtls.rejected mtls.no-client-cert mtls.client-cert */
/* ids: mtls.client-cert-expired mtls.client-cert-not-yet-valid mtls.client-cert-no-clientauth */
/* ids: mtls.client-cert-key-mismatch mtls.client-cert-issuer-requested */
/* ids: mtls.client-cert-issuer-not-requested */

static bool domain_secure(const struct probe_ctx *ctx)
{
	return ctx->opt->policy == POLICY_DOMAIN_SECURE;
}

/* A problem that breaks mutual TLS: fails domain-secure, warns otherwise. */
static enum severity mtls_sev(const struct probe_ctx *ctx)
{
	return domain_secure(ctx) ? SEV_FAIL : SEV_WARN;
}

static void ev_list(struct finding *f, const char *key, const struct strvec *v, const char *empty)
{
	char *s = strvec_join(v, "; ");
	finding_add_ev(f, key, "%s", v->n ? s : empty);
	free(s);
}

/* Our certificate, as the partner will see it. */
static void check_identity(struct probe_ctx *ctx, const struct tls_identity *id)
{
	size_t n = 0;
	const struct cert_info *ch = tls_identity_chain(id, &n);
	const struct tls_identity_check *ck = tls_identity_checks(id);
	struct finding *f = probe_result_add(ctx->pr, "mtls.client-cert", SEV_INFO, "Our client certificate");
	finding_set_detail(f, "Loaded from %s: %zu certificate%s.", tls_identity_source(id), n, n == 1 ? "" : "s");
	if (n) {
		finding_add_ev(f, "subject", "%s", ch[0].subject);
		finding_add_ev(f, "issuer", "%s", ch[0].issuer);
		finding_add_ev(f, "thumbprint", "%s", ch[0].sha1_hex);
	}
	char iso[32];
	int64_t now = ctx->opt->now;
	if (now > ck->not_after) {
		f = probe_result_add(ctx->pr, "mtls.client-cert-expired", mtls_sev(ctx),
				     "Our client certificate has expired");
		fmt_iso8601(ck->not_after, iso, sizeof iso);
		finding_add_ev(f, "not_after", "%s", iso);
		finding_set_rfc(f, "RFC 5280 section 4.1.2.5");
		finding_set_remedy(
			f, "Renew the certificate the sending server presents (Exchange: the certificate "
			   "enabled for SMTP on the Edge server) and send the partner the new one if they pin it.");
	} else if (now < ck->not_before) {
		f = probe_result_add(ctx->pr, "mtls.client-cert-not-yet-valid", mtls_sev(ctx),
				     "Our client certificate is not valid yet");
		fmt_iso8601(ck->not_before, iso, sizeof iso);
		finding_add_ev(f, "not_before", "%s", iso);
		finding_set_rfc(f, "RFC 5280 section 4.1.2.5");
		finding_set_remedy(f, "Check the clock of the issuing CA and of this host, or wait until the date.");
	}
	if (ck->has_eku && !ck->eku_client_auth) {
		f = probe_result_add(ctx->pr, "mtls.client-cert-no-clientauth", mtls_sev(ctx),
				     "Our client certificate does not allow TLS client authentication");
		finding_set_detail(f, "It has an extended key usage extension without clientAuth "
				      "(1.3.6.1.5.5.7.3.2); a partner that checks key usage refuses it.");
		finding_set_rfc(f, "RFC 5280 section 4.2.1.12");
		finding_set_remedy(f, "Issue the certificate with both serverAuth and clientAuth in its extended key "
				      "usage (a mail server is client and server).");
	}
	if (!ck->key_matches) {
		f = probe_result_add(ctx->pr, "mtls.client-cert-key-mismatch", SEV_FAIL,
				     "The private key does not belong to our client certificate");
		finding_set_detail(f, "The public key in the certificate differs from the one of the private key; "
				      "every handshake that presents it will fail.");
		finding_set_remedy(f, "Give the key that was generated with this certificate's request.");
	}
}

static void report_request(struct probe_ctx *ctx, const struct session_facts *fa)
{
	const struct tls_params *tp = &fa->tls;
	struct finding *f =
		probe_result_add(ctx->pr, "mtls.requested", SEV_INFO, "The server asks for a client certificate");
	if (tp->ccert_ca_names.n)
		finding_set_detail(f,
				   "The CertificateRequest lists %zu acceptable CA%s; a client certificate from "
				   "another CA may be refused.",
				   tp->ccert_ca_names.n, tp->ccert_ca_names.n == 1 ? "" : "s");
	else
		finding_set_detail(f, "The CertificateRequest names no CA: any issuer may be offered.");
	finding_set_rfc(f, tp->protocol && strcmp(tp->protocol, "TLS1.3") == 0 ? "RFC 8446 section 4.3.2"
									       : "RFC 5246 section 7.4.4");
	ev_list(f, "ca_names", &tp->ccert_ca_names, "any");
	ev_list(f, "certificate_types", &tp->ccert_types, "(not told)");
	ev_list(f, "signature_algorithms", &tp->ccert_sig_algs, "(not told)");
	finding_add_ev(f, "protocol", "%s", tp->protocol ? tp->protocol : "(handshake failed)");
}

static void check_issuer(struct probe_ctx *ctx, const struct tls_identity *id, const struct strvec *ca_names)
{
	const struct tls_identity_check *ck = tls_identity_checks(id);
	struct finding *f;
	if (ca_names->n == 0)
		return;
	if (tls_identity_issuer_listed(ca_names, &ck->issuers)) {
		f = probe_result_add(ctx->pr, "mtls.client-cert-issuer-requested", SEV_PASS,
				     "The server lists our certificate's issuer");
		ev_list(f, "our_issuers", &ck->issuers, "(none)");
		return;
	}
	f = probe_result_add(ctx->pr, "mtls.client-cert-issuer-not-requested", mtls_sev(ctx),
			     "Our certificate's issuer is not among the CAs the server accepts");
	finding_set_detail(f, "The server named the CAs it accepts, and the issuer of our certificate is not one "
			      "of them: the server will most likely refuse it or not trust it.");
	ev_list(f, "our_issuers", &ck->issuers, "(none)");
	ev_list(f, "ca_names", ca_names, "any");
	finding_set_remedy(f, "Ask the partner to add our issuing CA (its root or intermediate) to the CAs they "
			      "trust for client certificates, or use a certificate from a CA they list.");
}

/* Without a certificate: optional, or required (and how it refuses)? */
static void judge_demand(struct probe_ctx *ctx, const struct session_facts *fa)
{
	enum mtls_outcome o = mtls_outcome(fa);
	struct finding *f;
	char *why = mtls_reason(fa);
	if (o == MTLS_OK) {
		f = probe_result_add(ctx->pr, "mtls.optional", SEV_INFO,
				     "A client certificate is optional: the session went on without one");
		finding_set_detail(f, "mxprobe sent no certificate; the handshake and the EHLO after it succeeded.");
		finding_add_ev(f, "without_certificate", "%s", why);
	} else if (mtls_looks_like_demand(fa)) {
		f = probe_result_add(ctx->pr, "mtls.required", SEV_INFO,
				     "A client certificate is required: the server refused the session without one");
		finding_set_detail(f, "Without a certificate: %s.", why);
		finding_add_ev(f, "without_certificate", "%s", why);
		finding_add_ev(f, "outcome", "%s", mtls_outcome_name(o));
		finding_set_rfc(f, o == MTLS_HANDSHAKE_ALERT ? "RFC 5246 section 7.4.6" : "RFC 8446 section 4.4.2.4");
	} else {
		f = probe_result_add(ctx->pr, "mtls.undetermined", SEV_WARN,
				     "Whether a client certificate is required could not be told");
		finding_set_detail(f,
				   "The session without a certificate failed in a way that says nothing about "
				   "certificates: %s.",
				   why);
		finding_add_ev(f, "without_certificate", "%s", why);
	}
	free(why);
}

/* With our certificate: accepted or rejected, and why. */
static void judge_ours(struct probe_ctx *ctx, const struct session_facts *fa, const struct session_facts *wf)
{
	enum mtls_outcome o = mtls_outcome(wf);
	struct finding *f;
	if (o == MTLS_NO_TLS) {
		/* Refused, rate-limited or cut off before TLS: our certificate
		 * was never shown, so nothing is known about it. */
		f = probe_not_tested(ctx,
				     "Acceptance of our client certificate not tested: that session did not reach TLS",
				     wf->failed_step, wf->fail_detail, wf->r421.code ? &wf->r421 : NULL);
		return;
	}
	char *why = mtls_reason(wf);
	if (o == MTLS_OK) {
		f = probe_result_add(ctx->pr, "mtls.accepted", SEV_PASS, "The server accepted our client certificate");
		finding_set_detail(
			f, "%s",
			wf->tls.ccert_sent
				? "We presented our certificate; the handshake and the EHLO after it succeeded."
				: "The server did not ask for it in this session; the session succeeded.");
		if (mtls_outcome(fa) == MTLS_OK)
			finding_add_ev(f, "note", "%s",
				       "the session also works without a certificate, so acceptance "
				       "here means the server did not refuse it; whether it trusts it "
				       "shows only in its own log");
	} else {
		bool blame_us = mtls_outcome(fa) == MTLS_OK || mtls_looks_like_demand(wf);
		f = probe_result_add(ctx->pr, "mtls.rejected", blame_us ? mtls_sev(ctx) : SEV_WARN,
				     "The server refused the session with our client certificate");
		finding_set_detail(f, "With our certificate: %s.", why);
		finding_set_remedy(f,
				   "Check that the partner trusts our issuing CA for client certificates and that "
				   "our certificate is valid, allows clientAuth and names our domain as they expect.");
	}
	finding_add_ev(f, "with_certificate", "%s", why);
	finding_add_ev(f, "outcome", "%s", mtls_outcome_name(o));
	free(why);
}

static void run(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	const struct tls_identity *id = ctx->opt->client_identity;
	struct finding *f;
	if (id)
		check_identity(ctx, id);
	bool requested = fa->tls.cert_requested;
	/* Whether the server asks is seen only in a handshake that got as
	 * far as its CertificateRequest: a completed one, or one it broke off
	 * after asking. A hang-up after the 220 or an alert before any
	 * request leaves the question open. */
	if (!requested && !mtls_looks_like_demand(fa) &&
	    !probe_session_reached(ctx, REACH_TLS, "whether the server asks for a client certificate"))
		return;
	if (!requested && !mtls_looks_like_demand(fa)) {
		f = probe_result_add(ctx->pr, "mtls.not-requested", domain_secure(ctx) ? SEV_FAIL : SEV_INFO,
				     "The server does not ask for a client certificate");
		finding_set_detail(f, "No CertificateRequest came in the handshake: the server cannot authenticate "
				      "the sending server by certificate (no mutual TLS).");
		if (domain_secure(ctx))
			finding_set_remedy(f, "Domain security needs the receiving server to request client "
					      "certificates (Postfix: smtpd_tls_ask_ccert = yes; Exchange: domain "
					      "security on the Receive connector).");
		return;
	}
	if (requested)
		report_request(ctx, fa);
	judge_demand(ctx, fa);
	if (!id) {
		f = probe_result_add(ctx->pr, "mtls.no-client-cert", SEV_INFO,
				     "Acceptance of a client certificate not tested");
		finding_set_detail(f, "Give --client-cert/--client-key or --pkcs12 to find out whether the server "
				      "accepts our certificate.");
		return;
	}
	struct session_facts wf = { 0 };
	struct session_params sp = { .tls = { .identity = id }, .label = "mtls: with our client certificate" };
	session_run(ctx->opt, ctx->spec, ctx->t, &sp, &wf);
	const struct strvec *ca = requested ? &fa->tls.ccert_ca_names : &wf.tls.ccert_ca_names;
	if (!requested && wf.tls.cert_requested)
		report_request(ctx, &wf);
	check_issuer(ctx, id, ca);
	judge_ours(ctx, fa, &wf);
	/* Kept for the log's "Sending certificate" block. */
	struct target_result *t = ctx->t;
	t->more_sessions = xrealloc(t->more_sessions, (t->n_more_sessions + 1) * sizeof *t->more_sessions);
	t->more_sessions[t->n_more_sessions++] = wf;
}

const struct probe probe_mtls = {
	.name = "mtls",
	.title = "Mutual TLS (client certificates)",
	.needs = NEEDS_SESSION,
	.run = run,
	.any_dialect = true,
};
