/* \summary: the names probe: does the server's certificate cover the host
 * name probed (the MX name, or --sni; for an IP target, the address) and every
 * --expect-name (a partner's domain, as Exchange domain security checks)?
 * specification: RFC 6125 section 6 (DNS-ID first, CN-ID only without any
 * DNS-ID, wildcards only as the whole left-most label), RFC 7817 section 3
 * (names in SMTP), RFC 5280 section 4.2.1.6 (iPAddress SANs). */
/* ids: names.not-tested */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/domain.h"
#include "core/probe.h"
#include "core/served.h"
#include "net/idn.h"
#include "pki/names.h"

/* ids: cert.name-match cert.cn-only cert.name-mismatch */

static void covered_ev(struct finding *f, const struct cert_info *leaf, const char *cn)
{
	struct strvec all = { 0 };
	for (size_t i = 0; i < leaf->san_dns.n; i++)
		strvec_push(&all, leaf->san_dns.v[i]);
	for (size_t i = 0; i < leaf->san_ip.n; i++)
		strvec_push_owned(&all, xasprintf("IP:%s", leaf->san_ip.v[i]));
	char *s = strvec_join(&all, ", ");
	finding_add_ev(f, "subject_alt_names", "%s", all.n ? s : "(none)");
	finding_add_ev(f, "subject_cn", "%s", cn ? cn : "(none)");
	free(s);
	strvec_clear(&all);
}

static void judge_ref(struct probe_ctx *ctx, const struct served_chain *sc, const struct names_presented *p,
		      const char *cn, const char *ref, const char *why)
{
	const struct cert_info *leaf = &sc->chain[0];
	struct names_result r;
	names_check(p, ref, &r);
	enum severity miss = ctx->opt->policy >= POLICY_SECURE ? SEV_FAIL : SEV_WARN;
	const char *id = !r.matched ? "cert.name-mismatch" : r.via_cn ? "cert.cn-only" : "cert.name-match";
	struct finding *f = probe_result_add(ctx->pr, id,
					     !r.matched ? miss
					     : r.via_cn ? SEV_WARN
							: SEV_PASS,
					     !r.matched ? "The certificate does not cover the name"
					     : r.via_cn ? "The name is only in the subject CN (no DNS SAN)"
							: "The certificate covers the name");
	served_chain_ev(f, sc);
	finding_add_ev(f, "name", "%s", ref);
	/* An internationalised name is matched as its A-labels (RFC 6125
	 * section 6.4.2); the U-label form is shown beside it. */
	char *ulabels = idn_to_ulabels(ref);
	if (ulabels)
		finding_add_ev(f, "name_unicode", "%s", ulabels);
	free(ulabels);
	finding_add_ev(f, "checked_as", "%s", why);
	if (r.matched)
		finding_add_ev(f, "matched_by", "%s%s", r.via_cn ? "CN=" : "", r.matched_by);
	else
		finding_add_ev(f, "nearest", "%s", r.nearest ? r.nearest : "(the certificate has no names)");
	covered_ev(f, leaf, cn);
	if (!r.matched) {
		finding_set_detail(f,
				   "%s A sender that checks names (policy secure, DANE-less "
				   "MTA-STS, Exchange domain security) refuses the certificate.",
				   names_is_ip_literal(ref) ? "Only iPAddress subjectAltNames count for an "
							      "address."
							    : "Neither a DNS subjectAltName nor, "
							      "without any, the CN matches.");
		finding_set_rfc(f, "RFC 6125 section 6.4; RFC 7817 section 3");
		if (names_is_ip_literal(ref) && !ctx->t->facts.tls.sni) {
			/* An address target went without SNI (RFC 6066 section 3
			 * allows no address there): a server with several
			 * certificates may have shown its default one. Senders
			 * connect by name, so that is what to check. */
			finding_add_ev(f, "sni", "none (address target)");
			finding_set_remedy(f, "Senders check the host name they looked up, not the address, and a "
					      "server that holds several certificates picks one by the SNI name, "
					      "which mxprobe cannot send for an address. Probe the host by name "
					      "(mxprobe check mx.example.com, or --domain), or keep the address and "
					      "give --sni NAME (and --expect-name NAME) to get and check the "
					      "certificate senders see.");
		} else {
			finding_set_remedy(f,
					   "Have the certificate reissued with \"%s\" as a DNS subjectAltName "
					   "(wildcards cover exactly one left-most label), or %s.",
					   ref,
					   probe_role(ctx) == ROLE_MAILBOX
						   ? "configure mail clients with a name the certificate has"
					   : probe_role(ctx) == ROLE_MX
						   ? "point the MX record at a name the certificate has"
						   : "configure clients with a name the certificate has");
		}
	} else if (r.via_cn) {
		finding_set_detail(f, "The certificate has no DNS subjectAltName; clients that follow RFC "
				      "6125 strictly (and browsers' TLS stacks) ignore the CN.");
		finding_set_rfc(f, "RFC 6125 section 6.4.4");
		finding_set_remedy(f, "Have the certificate reissued with its names as DNS subjectAltNames.");
	} else {
		finding_set_rfc(f, "RFC 6125 section 6.4");
	}
}

static void judge_chain(struct probe_ctx *ctx, const struct served_chain *sc)
{
	const struct cert_info *leaf = &sc->chain[0];
	char *cn = names_subject_cn(leaf);
	struct names_presented p = {
		.dns = (const char *const *)leaf->san_dns.v,
		.ndns = leaf->san_dns.n,
		.ip = (const char *const *)leaf->san_ip.v,
		.nip = leaf->san_ip.n,
		.cn = cn,
	};
	/* The reference identity is the name the client meant: --sni when the
	 * user gave one (an MX name probed at an address), else the target. */
	const char *sni = ctx->opt->sni;
	const char *mx = ctx->t->mx_host; /* --domain: the MX host name */
	const char *ref = sni ? sni : mx ? mx : ctx->t->host;
	judge_ref(ctx, sc, &p, cn, ref,
		  sni			     ? "--sni"
		  : mx			     ? "MX host name"
		  : names_is_ip_literal(ref) ? "target address"
					     : "target host name");
	for (size_t i = 0; i < ctx->opt->n_expect_names; i++)
		judge_ref(ctx, sc, &p, cn, ctx->opt->expect_names[i], "--expect-name");
	/* --domain without --expect-name: Exchange domain security wants the
	 * partner's domain itself in the certificate. Only domain-secure
	 * requires it; below that a miss is worth knowing, no more. */
	const char *dom = ctx->t->domain;
	if (dom && mx && strcasecmp(dom, mx) != 0 && ctx->opt->n_expect_names == 0) {
		judge_ref(ctx, sc, &p, cn, dom, DOMAIN_PARTNER_NAME_CHECK);
		struct finding *f = &ctx->pr->f[ctx->pr->n - 1];
		if (ctx->opt->policy < POLICY_DOMAIN_SECURE && f->sev > SEV_INFO)
			f->sev = SEV_INFO;
	}
	free(cn);
}

static void names_run(struct probe_ctx *ctx)
{
	if (!probe_session_reached(ctx, REACH_CHAIN, "whether the certificate names this host"))
		return;
	struct served_chain sc[PROBE_MAX_CHAINS];
	size_t n = probe_served_chains(ctx, sc);
	for (size_t i = 0; i < n; i++)
		judge_chain(ctx, &sc[i]);
}

const struct probe probe_names = {
	.name = "names",
	.title = "Certificate names",
	.needs = NEEDS_SESSION,
	.run = names_run,
	.any_dialect = true,
};
