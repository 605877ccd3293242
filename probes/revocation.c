/* \summary: the revocation probe: for every certificate the server sent
 * but a root, is it revoked? Asks a stapled OCSP response, the OCSP
 * responder in its AIA, CRLs from --crl-file and from its CRL distribution
 * points; verifies each answer against the issuer (found by pki/verify.c,
 * as the chain probe finds it) and judges its freshness at --at. One
 * outcome per certificate: good, revoked (date and reason), unknown, or
 * could not check (and why), whose severity --revocation soft|hard decides.
 * Must-staple (RFC 7633) without a staple fails.
 * specification: RFC 5280 sections 5 and 6.3; RFC 6960; RFC 6066 section 8;
 * RFC 7633 section 4.2.3. */
/* ids: revocation.not-tested */
#include <stdio.h>
#include <stdlib.h>

#include "core/probe.h"
#include "pki/revocation.h"
#include "pki/verify.h"

/* ids: revocation.good revocation.revoked revocation.unknown revocation.unchecked revocation.off */
/* ids: ocsp.stapled-good ocsp.staple-revoked ocsp.staple-invalid ocsp.must-staple-missing */
/* ids: ocsp.nonce-missing crl.stale ocsp.stale crl.file-error */

static const char *cert_label(size_t i)
{
	return i == 0 ? "the server's certificate" : "an intermediate certificate";
}

static const char *source_rfc(enum rev_kind k)
{
	switch (k) {
	case REV_SRC_STAPLE:
		return "RFC 6066 section 8; RFC 6960 section 4.2";
	case REV_SRC_OCSP:
		return "RFC 6960 section 4.2";
	default:
		return "RFC 5280 sections 5 and 6.3";
	}
}

/* "ocsp http://...: good; this_update=...; next_update=...; nonce echoed" */
static void source_ev(struct finding *f, size_t k, const struct rev_source *s)
{
	char key[32], tu[32] = "-", nu[32] = "none", ra[32] = "";
	snprintf(key, sizeof key, "source[%zu]", k);
	if (s->this_update > 0)
		fmt_iso8601(s->this_update, tu, sizeof tu);
	if (s->next_update > 0)
		fmt_iso8601(s->next_update, nu, sizeof nu);
	else if (s->next_update == 0)
		snprintf(nu, sizeof nu, "-");
	if (s->outcome == REV_REVOKED) {
		char when[32];
		fmt_iso8601(s->revoked_at, when, sizeof when);
		snprintf(ra, sizeof ra, "%s", when);
	}
	finding_add_ev(f, key, "%s %s: %s%s%s%s%s%s; this_update=%s; next_update=%s%s%s%s%s", rev_kind_name(s->kind),
		       s->where, rev_outcome_name(s->outcome), s->why != REV_WHY_NONE ? " (" : "",
		       s->why != REV_WHY_NONE ? rev_why_id(s->why) : "", s->why != REV_WHY_NONE ? ")" : "",
		       s->outcome == REV_REVOKED ? " on " : "", ra, tu, nu,
		       s->outcome == REV_REVOKED ? "; reason=" : "",
		       s->outcome == REV_REVOKED ? rev_reason_name(s->reason) : "",
		       s->nonce_sent ? (s->nonce_echoed ? "; nonce echoed" : "; no nonce in the reply") : "",
		       s->cached ? "; cached" : "");
	if (s->detail) {
		snprintf(key, sizeof key, "source[%zu].detail", k);
		finding_add_ev(f, key, "%s", s->detail);
	}
}

static void cert_ev(struct finding *f, const struct cert_info *c, const struct rev_cert *rc)
{
	char key[32];
	snprintf(key, sizeof key, "cert[%zu]", rc->index);
	finding_add_ev(f, key, "%s; serial=%s; issuer=%s", c->subject, rc->serial_hex ? rc->serial_hex : c->serial_hex,
		       c->issuer);
	for (size_t k = 0; k < rc->nsrc; k++)
		source_ev(f, k, &rc->src[k]);
}

static void common_ev(struct finding *f, const struct probe_ctx *ctx)
{
	char when[32];
	fmt_iso8601(mx_options_at(ctx->opt), when, sizeof when);
	finding_add_ev(f, "evaluated_at", "%s%s", when, ctx->opt->at ? " (--at)" : "");
	finding_add_ev(f, "mode", "%s", revocation_mode_name(ctx->opt->revocation));
	finding_add_ev(f, "policy", "%s", policy_name(ctx->opt->policy));
}

static void report_outcome(struct probe_ctx *ctx, const struct cert_info *c, const struct rev_cert *rc)
{
	const struct mx_options *o = ctx->opt;
	enum severity sev = rev_severity(rc->outcome, rc->why, o->revocation, o->policy);
	const struct rev_source *d = rc->decided_by;
	struct finding *f;
	switch (rc->outcome) {
	case REV_GOOD:
		f = probe_result_add(ctx->pr, "revocation.good", sev, "Not revoked");
		finding_set_detail(f, "%s (certificate %zu) is good according to %s %s.", cert_label(rc->index),
				   rc->index, rev_kind_name(d->kind), d->where);
		finding_set_rfc(f, source_rfc(d->kind));
		break;
	case REV_REVOKED: {
		char when[32];
		fmt_iso8601(d->revoked_at, when, sizeof when);
		f = probe_result_add(ctx->pr, "revocation.revoked", sev,
				     rc->index == 0 ? "The server's certificate has been revoked"
						    : "A certificate in the chain has been revoked");
		finding_set_detail(f,
				   "Certificate %zu was revoked on %s, reason %s, according to %s %s%s. "
				   "Senders that check revocation refuse it.",
				   rc->index, when, rev_reason_name(d->reason), rev_kind_name(d->kind), d->where,
				   d->why == REV_WHY_STALE ? " (an answer past its nextUpdate, but a revocation stands)"
							   : "");
		finding_add_ev(f, "revoked_at", "%s", when);
		finding_add_ev(f, "reason", "%s", rev_reason_name(d->reason));
		finding_set_rfc(f, rc->index == 0 && d->kind != REV_SRC_CRL_FILE && d->kind != REV_SRC_CRL_URL
					   ? source_rfc(d->kind)
					   : "RFC 5280 section 5.3.1; RFC 6960 section 2.2");
		finding_set_remedy(f, "Install a newly issued certificate (with a new key if the reason is "
				      "keyCompromise) and its chain, then reload the MTA.");
		break;
	}
	case REV_UNKNOWN:
		f = probe_result_add(ctx->pr, "revocation.unknown", sev,
				     "The OCSP responder does not know the certificate");
		finding_set_detail(f,
				   "The responder %s answered \"unknown\" for certificate %zu: it does not "
				   "know the certificate (not issued by this CA, or not yet in its database).",
				   d->where, rc->index);
		finding_set_rfc(f, "RFC 6960 section 2.2");
		finding_set_remedy(f, "Check that the certificate comes from the CA whose responder its AIA "
				      "names; ask the CA when its responder will know it.");
		break;
	default:
		f = probe_result_add(ctx->pr, "revocation.unchecked", sev, "Revocation could not be checked");
		finding_set_detail(f,
				   "Neither revoked nor good: the revocation status of %s (certificate %zu) "
				   "could not be had: %s.%s",
				   cert_label(rc->index), rc->index, rev_why_text(rc->why),
				   o->revocation == REVOCATION_HARD ? " --revocation hard makes this a failure."
								    : " --revocation soft: a warning, not a failure.");
		finding_add_ev(f, "why", "%s", rev_why_id(rc->why));
		finding_set_rfc(f, "RFC 5280 section 6.3.3; RFC 6960 section 2.2");
		finding_set_remedy(
			f, rc->why == REV_WHY_NO_SOURCES
				   ? "Ask the CA for certificates with a CRL distribution point or an OCSP "
				     "responder, or give its CRL with --crl-file."
				   : "Check that the CRL and OCSP URLs in the certificate answer from where the "
				     "senders are (firewalls often block outbound HTTP from mail servers), and "
				     "that the CA publishes fresh CRLs and OCSP answers.");
		break;
	}
	/* One finding per certificate: the title says which, and why not. */
	char *title = rc->outcome == REV_GOOD || rc->outcome == REV_REVOKED || rc->outcome == REV_UNKNOWN
			      ? xasprintf("%s: %s", f->title, c->subject)
			      : xasprintf("%s (%s): %s", f->title, rev_why_id(rc->why), c->subject);
	free(f->title);
	f->title = title;
	cert_ev(f, c, rc);
	common_ev(f, ctx);
}

static const struct rev_source *staple_of(const struct rev_cert *rc)
{
	for (size_t k = 0; k < rc->nsrc; k++)
		if (rc->src[k].kind == REV_SRC_STAPLE)
			return &rc->src[k];
	return NULL;
}

static void report_staple(struct probe_ctx *ctx, const struct cert_info *c, const struct rev_cert *rc)
{
	const struct rev_source *s = staple_of(rc);
	if (!s)
		return;
	const struct mx_options *o = ctx->opt;
	struct finding *f;
	if (s->outcome == REV_GOOD) {
		f = probe_result_add(ctx->pr, "ocsp.stapled-good", SEV_PASS, "A valid OCSP staple says good");
	} else if (s->outcome == REV_REVOKED) {
		f = probe_result_add(ctx->pr, "ocsp.staple-revoked",
				     rev_severity(REV_REVOKED, s->why, o->revocation, o->policy),
				     "The server staples an OCSP response that says revoked");
		finding_set_remedy(f, "Replace the revoked certificate; the server itself tells every client "
				      "that it is revoked.");
	} else {
		f = probe_result_add(ctx->pr, "ocsp.staple-invalid",
				     rev_staple_invalid_severity(o->revocation, o->policy),
				     "The stapled OCSP response is not valid");
		finding_set_detail(f,
				   "%s. A client that checks staples (GnuTLS, browsers) refuses the "
				   "handshake.",
				   s->outcome == REV_UNKNOWN ? "The staple answers \"unknown\"" : rev_why_text(s->why));
		finding_add_ev(f, "why", "%s", s->outcome == REV_UNKNOWN ? "unknown" : rev_why_id(s->why));
		finding_set_remedy(f, "Let the server refresh its staple from the responder (Exim: "
				      "tls_ocsp_file renewed before nextUpdate), or stop stapling a stale or "
				      "foreign response.");
	}
	finding_set_rfc(f, "RFC 6066 section 8; RFC 6960 section 4.2.2.1");
	char key[32];
	snprintf(key, sizeof key, "cert[%zu]", rc->index);
	finding_add_ev(f, key, "%s; serial=%s", c->subject, rc->serial_hex ? rc->serial_hex : c->serial_hex);
	source_ev(f, 0, s);
}

static void report_sources(struct probe_ctx *ctx, const struct rev_cert *rc)
{
	for (size_t k = 0; k < rc->nsrc; k++) {
		const struct rev_source *s = &rc->src[k];
		struct finding *f;
		if (s->kind == REV_SRC_STAPLE)
			continue;
		if (s->why == REV_WHY_STALE) {
			bool crl = s->kind != REV_SRC_OCSP;
			f = probe_result_add(ctx->pr, crl ? "crl.stale" : "ocsp.stale", SEV_WARN,
					     crl ? "A CRL is past its nextUpdate"
						 : "An OCSP response is past its nextUpdate");
			finding_set_detail(f,
					   "The %s for certificate %zu is stale at the evaluation time: clients "
					   "that rely on it cannot tell whether the certificate is revoked.",
					   crl ? "CRL" : "OCSP response", rc->index);
			finding_set_rfc(f, crl ? "RFC 5280 section 5.1.2.5" : "RFC 6960 section 4.2.2.1");
			finding_set_remedy(f, "The CA must publish a fresh one before nextUpdate.");
			source_ev(f, 0, s);
			common_ev(f, ctx);
		} else if (s->kind == REV_SRC_OCSP && s->nonce_sent && !s->nonce_echoed &&
			   s->outcome != REV_UNCHECKED) {
			f = probe_result_add(ctx->pr, "ocsp.nonce-missing", SEV_INFO,
					     "The OCSP responder does not echo the nonce");
			finding_set_detail(f, "The response carries no nonce: it may be pre-produced (common, "
					      "RFC 5019); its freshness rests on thisUpdate/nextUpdate alone.");
			finding_set_rfc(f, "RFC 6960 section 4.4.1; RFC 5019 section 2.1");
			source_ev(f, 0, s);
		}
	}
}

static void report_must_staple(struct probe_ctx *ctx, const struct cert_info *c, const struct rev_cert *rc)
{
	if (rc->index != 0 || !rc->must_staple || staple_of(rc))
		return;
	struct finding *f = probe_result_add(ctx->pr, "ocsp.must-staple-missing", policy_tls_severity(ctx->opt->policy),
					     "The certificate demands OCSP stapling, but no staple came");
	finding_set_detail(f, "The certificate carries the TLS feature extension with status_request "
			      "(must-staple), and the server sent no OCSP response in the handshake although "
			      "mxprobe asked for one: clients that honour the extension refuse the connection.");
	finding_add_ev(f, "cert[0]", "%s; serial=%s", c->subject, c->serial_hex);
	finding_add_ev(f, "tls_feature", "status_request (5), OID 1.3.6.1.5.5.7.1.24");
	finding_set_rfc(f, "RFC 7633 section 4.2.3; RFC 6066 section 8");
	finding_set_remedy(f, "Turn on OCSP stapling (Exim: tls_ocsp_file, kept fresh), or have the "
			      "certificate reissued without must-staple.");
}

static void revocation_run(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	const struct mx_options *o = ctx->opt;
	if (o->revocation != REVOCATION_OFF &&
	    !probe_session_reached(ctx, REACH_CHAIN, "whether the certificates are revoked"))
		return;
	if (o->revocation == REVOCATION_OFF) {
		struct finding *f = probe_result_add(ctx->pr, "revocation.off", SEV_INFO,
						     "Revocation was not checked (--revocation off)");
		finding_add_ev(f, "mode", "off");
		return;
	}
	char *err = NULL;
	/* The cli loaded and checked them before the first connection. */
	struct rev_crls *own = o->crls ? NULL : rev_crls_load(o->crl_files, o->n_crl_files, &err);
	const struct rev_crls *files = o->crls ? o->crls : own;
	if (err) {
		struct finding *f =
			probe_result_add(ctx->pr, "crl.file-error", SEV_ERROR, "A --crl-file could not be used");
		finding_set_detail(f, "%s", err);
		finding_set_remedy(f, "Give a CRL file in DER or PEM form.");
		free(err);
	}
	struct rev_chain ch = { .fa = fa,
				.opt = o,
				.trust = ctx->trust,
				.http = ctx->http,
				.files = files,
				.deadline = ctx->deadline,
				.owner = ctx->t };
	/* The certificates on the path (pki/verify.h): one the server sends off
	 * it (an old cross-signature) decides nothing, revoked or not. */
	struct verify_result path;
	verify_chain(ctx->trust, o, fa->chain, fa->chain_len, &path);
	for (size_t i = 0; i < fa->chain_len; i++) {
		const struct cert_info *c = &fa->chain[i];
		struct rev_inputs in;
		/* A root is a trust anchor: nothing above it revokes it. */
		if (c->self_signed || (path.path_len && !verify_on_path(&path, i)))
			continue;
		unsigned char *issuer = NULL;
		if (rev_chain_inputs(&ch, i, &in, &issuer) < 0)
			continue;
		struct rev_cert rc;
		rev_check_cert(&in, i, &rc);
		report_outcome(ctx, c, &rc);
		report_staple(ctx, c, &rc);
		report_must_staple(ctx, c, &rc);
		report_sources(ctx, &rc);
		rev_cert_clear(&rc);
		free(issuer);
	}
	rev_crls_free(own);
	verify_result_clear(&path);
}

const struct probe probe_revocation = {
	.name = "revocation",
	.title = "Revocation (CRL, OCSP, stapling)",
	.needs = NEEDS_SESSION,
	.run = revocation_run,
	.any_dialect = true,
};
