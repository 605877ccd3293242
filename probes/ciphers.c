/* \summary: the ciphers probe: every cipher suite the server accepts, per
 * protocol version, found with bulk offers (every remaining suite offered,
 * the chosen one removed, until the server refuses), with the strength in
 * bits as a FOPE Received header prints it ("(168/168 bits)"), forward
 * secrecy, AEAD, and whether the server or the client order decides.
 * "Require 128-bit encryption" (KB823019) becomes the weakest accepted
 * suite's strength. Opt-in (--probes ciphers, or --enumerate).
 * specification: RFC 5246 section 7.4.1.3 (the server selects one suite),
 * RFC 9325 sections 4.1 and 4.2 (recommended suites), IANA TLS Cipher
 * Suites registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enum_util.h"

static void accepted(struct probe_ctx *ctx, const struct tls_enum *e)
{
	struct finding *f = probe_result_add(ctx->pr, "ciphers.accepted", SEV_INFO, "Cipher suites accepted");
	size_t total = 0;
	for (int v = HV_TLS13; v >= HV_SSL2; v--) {
		const struct enum_version *ev = &e->v[v];
		if (!ev->accepted)
			continue;
		struct strvec names = { 0 };
		for (size_t i = 0; i < ev->n_suites; i++) {
			const struct tls_suite *s = tls_suite_find(ev->suites[i].code, v == HV_SSL2);
			char bits[40] = "";
			if (s)
				enum_suite_strength(s, bits, sizeof bits);
			strvec_push_owned(&names, s ? xasprintf("%s %s", s->iana, bits)
						    : xasprintf("0x%04X", (unsigned)ev->suites[i].code));
		}
		char *list = strvec_join(&names, ", ");
		finding_add_ev(f, hello_version_name((enum hello_version)v), "%s%s", list,
			       ev->complete ? "" : " (incomplete)");
		if (v != HV_SSL2 && ev->order != ORDER_UNKNOWN) {
			char key[32];
			snprintf(key, sizeof key, "%s_order", hello_version_name((enum hello_version)v));
			finding_add_ev(f, key, "%s", enum_order_name(ev->order));
		}
		free(list);
		strvec_clear(&names);
		total += ev->n_suites;
	}
	finding_set_detail(f, "%zu suite/version pairs, in the order the server chose them from a full offer.", total);
	enum_add_cost_ev(f, e);
	finding_set_rfc(f, "RFC 5246 section 7.4.1.3");
}

/* The weakest suite (fewest effective bits) over every accepted version. */
static void strength(struct probe_ctx *ctx, const struct tls_enum *e)
{
	const struct tls_suite *weakest = NULL;
	const char *at = NULL;
	for (int v = HV_SSL2; v <= HV_TLS13; v++)
		for (size_t i = 0; i < e->v[v].n_suites; i++) {
			const struct tls_suite *s = tls_suite_find(e->v[v].suites[i].code, v == HV_SSL2);
			if (s && (!weakest || s->bits < weakest->bits)) {
				weakest = s;
				at = hello_version_name((enum hello_version)v);
			}
		}
	if (!weakest)
		return;
	char bits[40];
	enum_suite_strength(weakest, bits, sizeof bits);
	struct finding *f;
	if (weakest->bits >= 128) {
		f = probe_result_add(ctx->pr, "ciphers.min-128", SEV_PASS,
				     "Every accepted suite has at least 128-bit encryption");
	} else {
		f = probe_result_add(ctx->pr, "ciphers.below-128", enum_sev_deprecated(ctx->opt->policy),
				     "A suite with less than 128-bit encryption is accepted");
		finding_set_detail(f, "A sender that requires 128-bit encryption (Exchange \"Require 128-bit "
				      "encryption\") is safe only if it never offers these; every other sender may "
				      "end up with them.");
		finding_set_remedy(f, "Remove 3DES, DES, RC4, RC2, EXPORT and NULL suites: Postfix "
				      "smtpd_tls_mandatory_ciphers = high and smtpd_tls_exclude_ciphers = aNULL, "
				      "3DES, RC4, MD5, EXPORT, NULL; Exim tls_require_ciphers with "
				      "-3DES-CBC:-ARCFOUR-128.");
	}
	finding_add_ev(f, "weakest_suite", "%s %s", weakest->iana, bits);
	finding_add_ev(f, "weakest_bits", "%u", weakest->bits);
	finding_add_ev(f, "at", "%s", at);
	finding_set_rfc(f, "RFC 9325 section 4.1");
}

static bool tls_suite_no_fs(const struct tls_suite *s)
{
	return !(s->flags & SUITE_FS);
}

static void fs_aead(struct probe_ctx *ctx, const struct tls_enum *e)
{
	size_t n = 0, n_fs = 0, n_aead = 0;
	for (int v = HV_SSL3; v <= HV_TLS13; v++)
		for (size_t i = 0; i < e->v[v].n_suites; i++) {
			const struct tls_suite *s = tls_suite_find(e->v[v].suites[i].code, false);
			n++;
			n_fs += s && (s->flags & SUITE_FS);
			n_aead += s && (s->flags & SUITE_AEAD);
		}
	if (n == 0)
		return;
	struct finding *f;
	if (n_fs == n) {
		f = probe_result_add(ctx->pr, "ciphers.forward-secrecy", SEV_PASS,
				     "Every accepted suite has forward secrecy");
	} else if (n_fs == 0) {
		f = probe_result_add(ctx->pr, "ciphers.no-forward-secrecy", enum_sev_deprecated(ctx->opt->policy),
				     "No accepted suite has forward secrecy");
		finding_set_remedy(f, "Enable ECDHE suites (Postfix: smtpd_tls_eecdh_grade = auto; Exim with GnuTLS: "
				      "+ECDHE-RSA in tls_require_ciphers).");
	} else {
		char *list = enum_suites_where(e, tls_suite_no_fs);
		f = probe_result_add(ctx->pr, "ciphers.partial-forward-secrecy", SEV_INFO,
				     "Some accepted suites lack forward secrecy");
		finding_add_ev(f, "without_fs", "%s", list ? list : "");
		free(list);
	}
	finding_add_ev(f, "suites", "%zu", n);
	finding_add_ev(f, "with_fs", "%zu", n_fs);
	finding_set_rfc(f, "RFC 9325 section 4.1");
	if (n_aead == 0) {
		f = probe_result_add(ctx->pr, "ciphers.no-aead", enum_sev_deprecated(ctx->opt->policy),
				     "No accepted suite uses authenticated encryption (AEAD)");
		finding_set_detail(f, "Only CBC or stream ciphers: RFC 9325 recommends AES-GCM or ChaCha20-Poly1305 "
				      "with TLS 1.2 or later.");
		finding_set_rfc(f, "RFC 9325 section 4.2");
	}
}

static void incomplete(struct probe_ctx *ctx, const struct tls_enum *e)
{
	for (int v = HV_SSL3; v <= HV_TLS13; v++)
		if (e->v[v].accepted && !e->v[v].complete) {
			struct finding *f = probe_result_add(ctx->pr, "ciphers.incomplete", SEV_ERROR,
							     "The suite list is incomplete");
			finding_set_detail(f, "%s", e->stopped ? e->stopped : "the enumeration stopped early");
			finding_add_ev(f, "version", "%s", hello_version_name((enum hello_version)v));
			enum_add_cost_ev(f, e);
			return;
		}
}

static void run(struct probe_ctx *ctx)
{
	const struct tls_enum *e = enum_scan(ctx, SCAN_VERSIONS | SCAN_CIPHERS, "ciphers");
	if (!e)
		return;
	accepted(ctx, e);
	strength(ctx, e);
	fs_aead(ctx, e);
	incomplete(ctx, e);
}

const struct probe probe_ciphers = {
	.name = "ciphers",
	.title = "Cipher suites accepted per version (hand-built hellos)",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OWN_CONNECTION | PROBE_ENUMERATE, /* accepted suites + 1 connections per version */
};
