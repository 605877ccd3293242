/* \summary: the dane probe: the TLSA records of an MX host (looked up with
 * the domain's MX and addresses, dns/dns.c) against every chain the server
 * presented. A sender that does DANE (Postfix smtp_tls_security_level =
 * dane, Exim hosts_require_dane) uses the records only when they and the
 * host's address records are DNSSEC-secure; then TLS is mandatory and a
 * chain that matches no usable record makes it defer the mail.
 * specification: RFC 7672 sections 2.2 (when TLSA records apply), 3.1
 * (usable records), 3.2 (names); RFC 7671 section 5 (DANE-EE, DANE-TA);
 * RFC 6698 section 2.1 (the record). */
/* ids: dane.not-tested */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "core/served.h"
#include "pki/dane.h"
#include "report/domain.h"

/* A DANE problem fails a run at the dane level; at the other levels it is
 * worth a warning: DANE senders are common (RFC 7672), and they defer. */
static enum severity dane_severity(enum policy p)
{
	return p == POLICY_NONE ? SEV_INFO : p == POLICY_DANE ? SEV_FAIL : SEV_WARN;
}

/* With an insecure MX answer Postfix and Exim skip DANE for this domain;
 * another domain with the same MX host (probed once) may not: the records
 * are compared, and what does not match warns at most. */
static enum severity host_severity(const struct probe_ctx *ctx, const struct mx_tlsa *tl)
{
	enum severity s = dane_severity(ctx->opt->policy);
	return !tl->mx_secure && s == SEV_FAIL ? SEV_WARN : s;
}

static void lookup_ev(struct finding *f, const struct mx_tlsa *tl)
{
	finding_add_ev(f, "tlsa_name", "%s", tl->name ? tl->name : "(none)");
	finding_add_ev(f, "tlsa_dnssec", "%s", dnssec_status_name(tl->dnssec));
	finding_add_ev(f, "address_records", "%s", tl->addr_secure ? "secure" : "not secure");
	finding_add_ev(f, "mx_answer", "%s", tl->mx_secure ? "secure" : "not secure");
	if (tl->nmalformed)
		finding_add_ev(f, "malformed_records", "%zu (left out)", tl->nmalformed);
	for (size_t i = 0; i < tl->nrr; i++) {
		char key[32];
		snprintf(key, sizeof key, "tlsa[%zu]", i);
		char *t = dane_tlsa_text(&tl->rr[i]);
		finding_add_ev(f, key, "%s", t);
		free(t);
	}
}

/* The records a server with this chain can publish: "3 1 1" for the leaf's
 * key, "2 1 1" for its issuer when the server sends it. */
static void advice_ev(struct finding *f, const struct served_chain *sc)
{
	char *ee = dane_record_text(&sc->chain[0], 3, 1, 1);
	if (ee)
		finding_add_ev(f, "record_for_leaf", "%s", ee);
	free(ee);
	if (sc->n > 1) {
		char *ta = dane_record_text(&sc->chain[1], 2, 1, 1);
		if (ta)
			finding_add_ev(f, "record_for_issuer", "%s", ta);
		free(ta);
	}
}

/* Records an SMTP client ignores (RFC 7672 section 3.1.3). Returns how
 * many records are usable. */
static size_t judge_usability(struct probe_ctx *ctx, const struct mx_tlsa *tl)
{
	size_t usable = 0;
	for (size_t i = 0; i < tl->nrr; i++) {
		const char *why;
		if (dane_tlsa_usability(&tl->rr[i], &why) == DANE_USABLE) {
			usable++;
			continue;
		}
		struct finding *f = probe_result_add(ctx->pr, "dane.unusable-usage", SEV_WARN,
						     "A TLSA record SMTP clients do not use");
		char *t = dane_tlsa_text(&tl->rr[i]);
		finding_set_detail(f, "%s at %s: %s. A DANE sender ignores it.", t, tl->name ? tl->name : "?", why);
		free(t);
		finding_set_remedy(f, "Publish DANE-EE(3) or DANE-TA(2) records (\"3 1 1\" for the server's key, "
				      "\"2 1 1\" for its issuer) instead, and remove this one.");
		finding_set_rfc(f, "RFC 7672 section 3.1.3");
		lookup_ev(f, tl);
	}
	return usable;
}

static void not_usable(struct probe_ctx *ctx, const struct mx_tlsa *tl)
{
	struct finding *f;
	if (tl->state == TLSA_NONE) {
		f = probe_result_add(ctx->pr, "dane.not-published", SEV_INFO, "No TLSA records: DANE does not apply");
		finding_set_detail(f, "%s has no TLSA records (%s denial): DANE senders use opportunistic TLS.",
				   tl->name ? tl->name : "?", dnssec_status_name(tl->dnssec));
		finding_set_remedy(f, "To have DANE senders authenticate this host, sign the zone and publish a "
				      "\"3 1 1\" record for the server's key (and a \"2 1 1\" for its issuer).");
		finding_set_rfc(f, "RFC 7672 section 2.2");
		lookup_ev(f, tl);
		return;
	}
	if (tl->state == TLSA_FAILED && tl->dnssec == DNSSEC_BOGUS) {
		f = probe_result_add(ctx->pr, "dane.bogus", dane_severity(ctx->opt->policy),
				     "The TLSA answer fails DNSSEC validation (bogus)");
		finding_set_detail(f,
				   "The validator rejected the TLSA answer for %s: %s. A sender that validates "
				   "treats the host as unreachable and defers the mail.",
				   tl->name ? tl->name : "?", tl->why ? tl->why : "no reason given");
		finding_set_remedy(f, "Re-sign the zone (expired or missing signatures, a DS that does not match "
				      "the DNSKEY) and check it with a validating resolver.");
		finding_set_rfc(f, "RFC 7672 section 2.2, RFC 4035 section 5.5");
		lookup_ev(f, tl);
		return;
	}
	if (tl->state == TLSA_FAILED || tl->state == TLSA_NOT_ASKED) {
		f = probe_not_tested(ctx, "Not tested: the TLSA records (DANE)", STEP_NONE,
				     tl->why ? tl->why : "the TLSA records could not be looked up", NULL);
		lookup_ev(f, tl);
		return;
	}
	/* Found, but a DANE sender does not use them. */
	const char *why = tl->dnssec != DNSSEC_SECURE ? "the TLSA records are not DNSSEC-signed (insecure)"
			  : !tl->addr_secure	      ? "the MX host's address records are not DNSSEC-signed"
					     : "the MX answer is not DNSSEC-signed: RFC 7672 section 2.2.1 lets "
					       "a client use the MX hosts' TLSA records anyway, but Postfix "
					       "and Exim do not";
	f = probe_result_add(ctx->pr, "dane.insecure", SEV_WARN,
			     "TLSA records published, but DANE senders ignore them");
	finding_set_detail(f,
			   "%s has TLSA records, but %s: a sender does DANE only with secure answers, so "
			   "they protect nothing.",
			   tl->name ? tl->name : "?", why);
	finding_set_remedy(f, "Sign the zones of the MX host name, its addresses and its TLSA records "
			      "(and of the mail domain's MX records) with DNSSEC, with a DS in each parent.");
	finding_set_rfc(f, "RFC 7672 section 2.2");
	lookup_ev(f, tl);
}

static void judge_chain(struct probe_ctx *ctx, const struct mx_tlsa *tl, const struct served_chain *sc, bool many)
{
	const char *names[2] = { tl->base, ctx->spec->mx_host };
	struct dane_match m;
	dane_match_chain(tl->rr, tl->nrr, sc->chain, sc->n, names, 2, mx_options_at(ctx->opt), &m);
	struct finding *f;
	if (m.matched) {
		f = probe_result_add(ctx->pr, "dane.valid", SEV_PASS, "The certificate matches a TLSA record");
		char *t = dane_tlsa_text(&tl->rr[m.record]);
		finding_set_detail(f,
				   "%s at %s matches cert[%zu] of the chain%s%s: DANE senders deliver over "
				   "authenticated TLS.",
				   t, tl->name ? tl->name : "?", m.cert, many ? " with the key type " : "",
				   many ? sc->key_type : "");
		finding_add_ev(f, "matched", "%s", t);
		free(t);
		finding_set_rfc(f, tl->rr[m.record].usage == 3 ? "RFC 7672 section 3.1.1" : "RFC 7672 section 3.1.2");
		served_chain_ev(f, sc);
		/* Rollover: one record for the current key alone breaks DANE
		 * the day the key changes. */
		bool has_ta = false;
		for (size_t i = 0; i < tl->nrr; i++)
			has_ta = has_ta || tl->rr[i].usage == 2;
		if (!has_ta && m.nusable < 2) {
			f = probe_result_add(ctx->pr, "dane.rollover", SEV_INFO,
					     "Only the current key is published: plan the next one");
			finding_set_detail(f, "The one usable TLSA record matches the server's current key. A new "
					      "key or certificate without a record published beforehand makes DANE "
					      "senders defer mail until the DNS catches up.");
			finding_set_remedy(f, "Before changing the key, publish a \"3 1 1\" record for the next key "
					      "beside the current one and wait two TTLs; or also publish a \"2 1 1\" "
					      "for the issuer (it survives a new leaf from the same CA). The records "
					      "for the chain served now are in the evidence.");
			finding_set_rfc(f, "RFC 7671 section 8.1");
			served_chain_ev(f, sc);
			advice_ev(f, sc);
		}
	} else {
		f = probe_result_add(ctx->pr, "dane.mismatch", host_severity(ctx, tl),
				     "The certificate matches no TLSA record");
		finding_set_detail(f,
				   "No usable TLSA record at %s authenticates the chain the server sent%s%s: a "
				   "DANE sender defers the mail (and bounces it when the retry period ends).",
				   tl->name ? tl->name : "?", many ? " with the key type " : "",
				   many ? sc->key_type : "");
		finding_add_ev(f, "why", "%s", m.why ? m.why : "");
		finding_set_remedy(f, "Publish a record that matches the certificate the server sends (the "
				      "evidence has them), keep it beside the old one until both are cached "
				      "everywhere, or put the certificate the records name back on the server.");
		finding_set_rfc(f, "RFC 7672 section 3.1, RFC 7671 section 5");
		served_chain_ev(f, sc);
		lookup_ev(f, tl);
		advice_ev(f, sc);
	}
	dane_match_clear(&m);
}

static void dane_run(struct probe_ctx *ctx)
{
	const struct mx_tlsa *tl = ctx->spec ? ctx->spec->tlsa : NULL;
	if (!tl) {
		/* Only a --domain run looks TLSA records up; say so only when
		 * someone asked for DANE. */
		if (probe_is_required(ctx->opt, "dane"))
			probe_not_tested(ctx, "Not tested: the TLSA records (DANE)", STEP_NONE,
					 "TLSA records are looked up for the MX hosts of a --domain only.", NULL);
		return;
	}
	/* The host's own answers decide whether there is anything to compare;
	 * the MX answer only whether Postfix and Exim use it for this domain. */
	if (tl->state != TLSA_FOUND || tl->dnssec != DNSSEC_SECURE || !tl->addr_secure) {
		not_usable(ctx, tl);
		return;
	}
	if (!tl->mx_secure) {
		struct finding *f = probe_result_add(ctx->pr, "dane.insecure", SEV_INFO,
						     "Secure TLSA records, but the MX answer is not signed");
		finding_set_detail(f,
				   "The MX answer of %s is not DNSSEC-signed: RFC 7672 section 2.2.1 lets a client use "
				   "the MX hosts' TLSA records anyway, but Postfix and Exim do not for this domain. "
				   "The records are still compared with the certificate below (a domain with a "
				   "signed MX answer may use this host).",
				   ctx->spec->domain ? ctx->spec->domain : "the domain");
		finding_set_remedy(f, "Sign the mail domain's zone (a DS in its parent) so that DANE senders "
				      "authenticate its MX hosts.");
		finding_set_rfc(f, "RFC 7672 section 2.2.1");
		lookup_ev(f, tl);
	}
	if (judge_usability(ctx, tl) == 0) {
		struct finding *f = probe_result_add(ctx->pr, "dane.unusable-usage", host_severity(ctx, tl),
						     "No usable TLSA record: DANE senders require TLS but cannot "
						     "authenticate");
		finding_set_detail(f,
				   "%s has secure TLSA records, none of them usable for SMTP: a DANE sender "
				   "still insists on TLS (RFC 7672 section 2.2) but authenticates nothing.",
				   tl->name ? tl->name : "?");
		finding_set_remedy(f, "Publish a \"3 1 1\" record for the server's key or a \"2 1 1\" for its issuer.");
		finding_set_rfc(f, "RFC 7672 section 2.2");
		lookup_ev(f, tl);
		return;
	}
	/* RFC 7672 section 2.2: usable records make TLS mandatory. A server
	 * that answered EHLO but gave no TLS session fails that, observed. */
	const struct session_facts *fa = &ctx->t->facts;
	if ((fa->caps_plain.valid || fa->used_helo) && !fa->tls_ok) {
		struct finding *f = probe_result_add(ctx->pr, "dane.no-tls", host_severity(ctx, tl),
						     "TLSA records make TLS mandatory, and there was no TLS session");
		finding_set_detail(f, "%s has usable secure TLSA records, and %s: a DANE sender defers the mail.",
				   tl->name ? tl->name : "?",
				   fa->caps_plain.starttls
					   ? "the TLS session failed (see the starttls and diagnose findings)"
					   : "the server does not offer STARTTLS");
		finding_set_remedy(f, "Offer STARTTLS with the certificate the TLSA records name, or remove the "
				      "TLSA records (wait for their TTL) before turning TLS off.");
		finding_set_rfc(f, "RFC 7672 section 2.2");
		lookup_ev(f, tl);
		return;
	}
	if (!probe_session_reached(ctx, REACH_CHAIN, "whether the server's certificate matches its TLSA records"))
		return;
	struct served_chain sc[PROBE_MAX_CHAINS];
	size_t n = probe_served_chains(ctx, sc);
	for (size_t i = 0; i < n; i++)
		judge_chain(ctx, tl, &sc[i], n > 1);
}

const struct probe probe_dane = {
	.name = "dane",
	.title = "DANE: TLSA records against the served certificate",
	.needs = NEEDS_SESSION,
	.run = dane_run,
	.any_dialect = false,
};
