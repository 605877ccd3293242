/* \summary: the versions probe: which protocol versions the server accepts
 * to hand-built ClientHellos (SSLv2, SSLv3, TLS 1.0 to 1.3, one hello
 * each), the highest, and whether it honours TLS_FALLBACK_SCSV. Opt-in:
 * it opens connections of its own (--probes versions, or --enumerate).
 * specification: RFC 8996 (TLS 1.0 and 1.1 deprecated), RFC 7568 (SSLv3
 * deprecated), RFC 6176 (SSLv2 prohibited), RFC 7507 (fallback SCSV),
 * RFC 8446 section 4.1.3 (downgrade protection). */
/* ids: versions.not-tested ciphers.not-tested groups.not-tested weak.not-tested */
#include <stdlib.h>
#include <string.h>

#include "enum_util.h"

static void accepted_list(struct probe_ctx *ctx, const struct tls_enum *e)
{
	struct strvec yes = { 0 }, no = { 0 };
	for (int v = HV_TLS13; v >= HV_SSL2; v--) {
		const struct enum_version *ev = &e->v[v];
		if (ev->accepted)
			strvec_push(&yes, hello_version_name((enum hello_version)v));
		else if (ev->tested)
			strvec_push_owned(&no, xasprintf("%s (%s)", hello_version_name((enum hello_version)v),
							 ev->refusal ? ev->refusal : "refused"));
	}
	struct finding *f;
	if (e->highest < 0) {
		f = probe_result_add(ctx->pr, "versions.none", policy_tls_severity(ctx->opt->policy),
				     "No protocol version accepted to our ClientHellos");
		finding_set_detail(f, "Every hello was refused; the server may need a version or suite we do not "
				      "offer, or refuse TLS altogether.");
	} else {
		enum hello_version h = (enum hello_version)e->highest;
		enum severity sev = h >= HV_TLS13   ? SEV_PASS
				    : h == HV_TLS12 ? SEV_INFO
						    : enum_sev_deprecated(ctx->opt->policy);
		f = probe_result_add(ctx->pr, "versions.highest", sev, "Highest protocol version accepted");
		finding_set_detail(f, "The server negotiates %s with a client that offers it.", hello_version_name(h));
		if (h < HV_TLS13)
			finding_set_remedy(f, "Enable TLS 1.3 (Postfix with OpenSSL 1.1.1 or later does by default; "
					      "check smtpd_tls_protocols and tls_ssl_options).");
		finding_add_ev(f, "highest", "%s", hello_version_name(h));
	}
	char *s = strvec_join(&yes, ", ");
	finding_add_ev(f, "accepted", "%s", yes.n ? s : "none");
	free(s);
	s = strvec_join(&no, "; ");
	finding_add_ev(f, "refused", "%s", no.n ? s : "none");
	free(s);
	enum_add_cost_ev(f, e);
	finding_set_rfc(f, "RFC 8446 section 4.1.2");
	strvec_clear(&yes);
	strvec_clear(&no);
}

static void legacy(struct probe_ctx *ctx, const struct tls_enum *e)
{
	struct finding *f;
	enum policy p = ctx->opt->policy;
	if (e->v[HV_SSL2].accepted) {
		f = probe_result_add(ctx->pr, "versions.sslv2", enum_sev_broken(p), "SSLv2 accepted (DROWN)");
		finding_set_detail(f, "SSL 2.0 is prohibited: TLS servers MUST NOT negotiate it, and its handshake "
				      "leaks enough to decrypt TLS sessions that share the RSA key (DROWN).");
		finding_set_remedy(f, "Disable SSLv2: Postfix smtpd_tls_protocols = >=TLSv1.2 (or !SSLv2, !SSLv3).");
		finding_set_rfc(f, "RFC 6176 section 3");
	}
	if (e->v[HV_SSL3].accepted) {
		f = probe_result_add(ctx->pr, "versions.sslv3", enum_sev_broken(p), "SSLv3 accepted (POODLE)");
		finding_set_detail(f, "SSL 3.0 MUST NOT be used (RFC 7568); its CBC padding is open to POODLE "
				      "(CVE-2014-3566).");
		finding_set_remedy(f, "Disable SSLv3: Postfix smtpd_tls_protocols = >=TLSv1.2 (or !SSLv2, !SSLv3); "
				      "Exim tls_require_ciphers with -VERS-SSL3.0.");
		finding_set_rfc(f, "RFC 7568 section 2");
	}
	if (e->v[HV_TLS10].accepted || e->v[HV_TLS11].accepted) {
		const char *which = e->v[HV_TLS10].accepted && e->v[HV_TLS11].accepted ? "TLS 1.0 and TLS 1.1"
				    : e->v[HV_TLS10].accepted			       ? "TLS 1.0"
										       : "TLS 1.1";
		f = probe_result_add(ctx->pr, "versions.deprecated", enum_sev_deprecated(p), "Deprecated TLS accepted");
		finding_set_detail(f,
				   "%s MUST NOT be negotiated (RFC 8996). Mail servers keep them for old "
				   "senders; with opportunistic TLS the alternative for such a sender is "
				   "plaintext, so weigh it before turning them off.",
				   which);
		finding_set_remedy(f, "Postfix: smtpd_tls_protocols = >=TLSv1.2; Exim: tls_require_ciphers "
				      "with -VERS-TLS1.0:-VERS-TLS1.1 (GnuTLS) or openssl_options = "
				      "+no_tlsv1 +no_tlsv1_1.");
		finding_add_ev(f, "versions", "%s", which);
		finding_set_rfc(f, "RFC 8996 section 5");
	}
}

static void fallback(struct probe_ctx *ctx, const struct tls_enum *e)
{
	struct finding *f;
	if (e->fallback_scsv < 0)
		return;
	if (e->fallback_scsv == 1) {
		f = probe_result_add(ctx->pr, "versions.fallback-scsv", SEV_PASS,
				     "TLS_FALLBACK_SCSV honoured (inappropriate_fallback)");
	} else {
		f = probe_result_add(ctx->pr, "versions.no-fallback-scsv", enum_sev_deprecated(ctx->opt->policy),
				     "TLS_FALLBACK_SCSV not honoured: a version downgrade goes unnoticed");
		finding_set_detail(f, "A hello at a lower version than the server's best, with TLS_FALLBACK_SCSV, "
				      "was answered with a ServerHello instead of the inappropriate_fallback alert.");
		finding_set_remedy(f, "Update the TLS library (OpenSSL 1.0.1j and GnuTLS 3.2.19 honour it).");
	}
	finding_set_rfc(f, "RFC 7507 section 3");
}

static void run(struct probe_ctx *ctx)
{
	const struct tls_enum *e = enum_scan(ctx, SCAN_VERSIONS, "versions");
	if (!e)
		return;
	accepted_list(ctx, e);
	legacy(ctx, e);
	fallback(ctx, e);
}

const struct probe probe_versions = {
	.name = "versions",
	.title = "Protocol versions accepted (hand-built hellos)",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OWN_CONNECTION | PROBE_ENUMERATE, /* one connection per version, one for the SCSV */
};
