/* \summary: the weaknesses probe: the known weaknesses that follow from
 * the accepted versions, suites and groups (tls/hello_scan.h), each naming
 * the exact suites and citing the RFC that deprecates or forbids them:
 * anonymous, NULL, EXPORT, RC4, 3DES (Sweet32), DES, IDEA/SEED/RC2, static
 * RSA and static DH key exchange, a DH prime below 2048 bits (Logjam), TLS
 * compression (CRIME), no secure renegotiation, no extended master secret.
 * SSLv2/SSLv3 (DROWN, POODLE) and TLS 1.0/1.1 are the versions probe's.
 * Heartbleed and CCS injection are not checked (docs/findings.md).
 * Opt-in (--probes weaknesses, or --enumerate).
 * specification: RFC 9325 section 4.1, RFC 7465 (RC4), RFC 5469 (DES,
 * IDEA), RFC 5746 (renegotiation), RFC 7627 (EMS), RFC 8996. */
/* ids: weak.null weak.export weak.rc4 weak.des weak.3des weak.legacy-cipher weak.static-rsa weak.static-dh */
#include <stdlib.h>
#include <string.h>

#include "enum_util.h"

static bool is_anon(const struct tls_suite *s)
{
	return strcmp(s->auth, "anon") == 0 && strcmp(s->enc, "None") != 0 && !(s->flags & SUITE_EXPORT);
}
static bool is_null(const struct tls_suite *s)
{
	return strcmp(s->enc, "None") == 0;
}
static bool is_export(const struct tls_suite *s)
{
	return s->flags & SUITE_EXPORT;
}
static bool is_rc4(const struct tls_suite *s)
{
	return strcmp(s->enc, "RC4") == 0 && !(s->flags & SUITE_EXPORT);
}
static bool is_3des(const struct tls_suite *s)
{
	return strcmp(s->enc, "3DES") == 0;
}
static bool is_des(const struct tls_suite *s)
{
	return strcmp(s->enc, "DES") == 0 && !(s->flags & SUITE_EXPORT);
}
static bool is_legacy(const struct tls_suite *s)
{
	return (strcmp(s->enc, "IDEA") == 0 || strcmp(s->enc, "SEED") == 0 || strcmp(s->enc, "RC2") == 0) &&
	       !(s->flags & SUITE_EXPORT);
}
static bool is_static_rsa(const struct tls_suite *s)
{
	return strcmp(s->kx, "RSA") == 0 && !(s->flags & SUITE_EXPORT);
}
static bool is_static_dh(const struct tls_suite *s)
{
	return strcmp(s->kx, "DH") == 0 || strcmp(s->kx, "ECDH") == 0;
}

struct suite_rule {
	const char *id;
	bool (*pred)(const struct tls_suite *s);
	bool broken; /* enum_sev_broken, else enum_sev_deprecated */
	const char *title;
	const char *detail;
	const char *rfc;
	const char *remedy;
};

static const char *const remedy_postfix =
	"Postfix: smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, RC4, MD5, 3DES, IDEA, SEED (and "
	"smtpd_tls_mandatory_exclude_ciphers); Exim with GnuTLS: tls_require_ciphers = "
	"NORMAL:-3DES-CBC:-ARCFOUR-128:-RSA; with OpenSSL: tls_require_ciphers = HIGH:!aNULL:!3DES:!RC4.";

static const struct suite_rule rules[] = {
	{ "weak.null", is_null, true, "NULL-encryption suites accepted (no encryption at all)",
	  "These suites authenticate but send the mail in clear: \"MUST NOT negotiate the cipher suites with NULL "
	  "encryption\".",
	  "RFC 9325 section 4.1", NULL },
	{ "weak.export", is_export, true, "EXPORT suites accepted (FREAK, Logjam)",
	  "40/56-bit EXPORT suites with 512-bit RSA or DH keys are broken in minutes (CVE-2015-0204, "
	  "CVE-2015-4000): \"MUST NOT negotiate cipher suites offering less than 112 bits of security\".",
	  "RFC 9325 section 4.1", NULL },
	{ "weak.rc4", is_rc4, true, "RC4 suites accepted",
	  "\"TLS servers MUST NOT select an RC4 cipher suite when a TLS client sends such a cipher suite in the "
	  "ClientHello\": RC4's biases recover plaintext.",
	  "RFC 7465 section 2", NULL },
	{ "weak.des", is_des, true, "Single-DES suites accepted (56-bit)",
	  "56-bit DES falls to exhaustive search; RFC 5469 removed it from TLS 1.2 and RFC 9325 forbids suites "
	  "below 112 bits.",
	  "RFC 9325 section 4.1", NULL },
	{ "weak.3des", is_3des, false, "3DES suites accepted (Sweet32)",
	  "3DES has a 64-bit block: long connections leak plaintext by birthday collisions (Sweet32, "
	  "CVE-2016-2183), and it gives 112-bit security: \"SHOULD NOT negotiate cipher suites that use "
	  "algorithms offering less than 128 bits of security\".",
	  "RFC 9325 section 4.1", NULL },
	{ "weak.legacy-cipher", is_legacy, false, "IDEA, SEED or RC2 suites accepted",
	  "Legacy block ciphers with 64-bit blocks or no current review; RFC 5469 removed IDEA from TLS 1.2.",
	  "RFC 5469 section 2", NULL },
	{ "weak.static-rsa", is_static_rsa, false, "Static RSA key exchange accepted (no forward secrecy)",
	  "A stolen server key decrypts every recorded session; RSA key transport is also the ROBOT/Bleichenbacher "
	  "target: \"SHOULD NOT negotiate cipher suites based on RSA key transport\".",
	  "RFC 9325 section 4.1", NULL },
	{ "weak.static-dh", is_static_dh, false, "Static DH/ECDH key exchange accepted (no forward secrecy)",
	  "\"SHOULD NOT negotiate cipher suites based on non-ephemeral (static) finite-field Diffie-Hellman key "
	  "agreement\"; static ECDH has no forward secrecy either.",
	  "RFC 9325 section 4.1", NULL },
};

static void suites(struct probe_ctx *ctx, const struct tls_enum *e, bool *any)
{
	enum policy p = ctx->opt->policy;
	for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
		char *list = enum_suites_where(e, rules[i].pred);
		if (!list)
			continue;
		struct finding *f =
			probe_result_add(ctx->pr, rules[i].id,
					 rules[i].broken ? enum_sev_broken(p) : enum_sev_deprecated(p), rules[i].title);
		finding_set_detail(f, "%s", rules[i].detail);
		finding_add_ev(f, "suites", "%s", list);
		finding_set_remedy(f, "%s", rules[i].remedy ? rules[i].remedy : remedy_postfix);
		finding_set_rfc(f, rules[i].rfc);
		free(list);
		*any = true;
	}
	/* Anonymous suites are what opportunistic TLS uses against a client
	 * that does not authenticate (RFC 7435); they matter once the policy
	 * verifies the server. */
	char *list = enum_suites_where(e, is_anon);
	if (list) {
		struct finding *f =
			probe_result_add(ctx->pr, "weak.anonymous", p >= POLICY_VERIFY ? SEV_WARN : SEV_INFO,
					 "Anonymous (aNULL) suites accepted");
		finding_set_detail(f, "These suites send no certificate, so they cannot be authenticated: a client "
				      "that verifies never offers them, one that does not is open to an active "
				      "attacker whatever the suite. Postfix accepts them by default for "
				      "opportunistic TLS.");
		finding_add_ev(f, "suites", "%s", list);
		finding_set_remedy(f, "Postfix: smtpd_tls_exclude_ciphers = aNULL (only if no sender relies on it).");
		finding_set_rfc(f, "RFC 5246 appendix F.1.1.1");
		free(list);
		*any = true;
	}
}

/* The smallest DH prime seen with any DHE suite. */
static void dh(struct probe_ctx *ctx, const struct tls_enum *e, bool *any)
{
	unsigned bits = e->dh_bits;
	const char *name = e->dh_prime_name;
	uint32_t suite = e->dh_suite;
	for (int v = HV_SSL3; v <= HV_TLS12; v++)
		for (size_t i = 0; i < e->v[v].n_suites; i++) {
			const struct enum_suite *es = &e->v[v].suites[i];
			if (es->dh_bits && (!bits || es->dh_bits < bits)) {
				bits = es->dh_bits;
				name = es->dh_prime_name;
				suite = es->code;
			}
		}
	if (!bits || bits >= 2048)
		return;
	const struct tls_suite *s = tls_suite_find(suite, false);
	struct finding *f = probe_result_add(ctx->pr, "weak.dh-small",
					     bits < 1024 ? enum_sev_broken(ctx->opt->policy)
							 : enum_sev_deprecated(ctx->opt->policy),
					     "DH prime below 2048 bits (Logjam)");
	finding_set_detail(f,
			   "A %u-bit finite-field DH group%s%s is within reach of precomputation (Logjam, "
			   "CVE-2015-4000); 2048 bits is the minimum today.",
			   bits, name ? ": " : "", name ? name : "");
	finding_add_ev(f, "dh_bits", "%u", bits);
	finding_add_ev(f, "prime", "%s", name ? name : "custom");
	finding_add_ev(f, "suite", "%s", s ? s->iana : "unknown");
	finding_set_remedy(f, "Postfix: remove smtpd_tls_dh1024_param_file (the built-in group is 2048 bits) or "
			      "point it at a 2048-bit or larger group (openssl dhparam 2048); Exim: "
			      "tls_dhparam = ffdhe3072.");
	finding_set_rfc(f, "RFC 9325 section 4.1");
	*any = true;
}

/* Extensions and compression, from the ServerHello of the best TLS version
 * below 1.3 (TLS 1.3 has no renegotiation, compression or EMS to judge). */
static void features(struct probe_ctx *ctx, const struct tls_enum *e, bool *any)
{
	enum policy p = ctx->opt->policy;
	int v = -1;
	for (int w = HV_TLS12; w >= HV_SSL3 && v < 0; w--)
		if (e->v[w].accepted)
			v = w;
	if (v < 0)
		return;
	const struct enum_version *ev = &e->v[v];
	const char *vn = hello_version_name((enum hello_version)v);
	struct finding *f;
	for (int w = HV_SSL3; w <= HV_TLS12; w++)
		if (e->v[w].accepted && e->v[w].compression) {
			f = probe_result_add(ctx->pr, "weak.compression", enum_sev_deprecated(p),
					     "TLS compression accepted (CRIME)");
			finding_set_detail(f, "The server chose DEFLATE compression; compressed secrets leak through "
					      "the record sizes (CRIME, CVE-2012-4929).");
			finding_add_ev(f, "version", "%s", hello_version_name((enum hello_version)w));
			finding_set_remedy(f, "Disable TLS compression (OpenSSL: SSL_OP_NO_COMPRESSION, the default "
					      "since 1.1.0; Postfix tls_ssl_options = NO_COMPRESSION).");
			finding_set_rfc(f, "RFC 9325 section 3.3");
			*any = true;
			break;
		}
	if (!ev->reneg_info) {
		f = probe_result_add(ctx->pr, "weak.no-secure-renegotiation", enum_sev_deprecated(p),
				     "No secure renegotiation (renegotiation_info not answered)");
		finding_set_detail(f, "Without RFC 5746 an attacker can splice its own plaintext in front of a "
				      "client's session (CVE-2009-3555).");
		finding_add_ev(f, "version", "%s", vn);
		finding_set_remedy(f, "Update the TLS library: every maintained one supports RFC 5746.");
		finding_set_rfc(f, "RFC 5746 section 3.6");
		*any = true;
	}
	if (v >= HV_TLS10 && !ev->ems) {
		/* A TLS 1.3 client is unaffected; only older clients are. */
		f = probe_result_add(ctx->pr, "weak.no-ems",
				     e->v[HV_TLS13].accepted ? SEV_INFO : enum_sev_deprecated(p),
				     "No extended master secret (RFC 7627)");
		finding_set_detail(f,
				   "Without extended_master_secret a %s session is open to the triple-handshake "
				   "attack (CVE-2014-1295).",
				   vn);
		finding_add_ev(f, "version", "%s", vn);
		finding_set_remedy(f, "Update the TLS library (OpenSSL 1.1.0, GnuTLS 3.4 send it).");
		finding_set_rfc(f, "RFC 7627 section 4");
		*any = true;
	}
}

static void run(struct probe_ctx *ctx)
{
	const struct tls_enum *e = enum_scan(ctx, SCAN_VERSIONS | SCAN_CIPHERS | SCAN_GROUPS, "weak");
	if (!e)
		return;
	bool any = false;
	suites(ctx, e, &any);
	dh(ctx, e, &any);
	features(ctx, e, &any);
	if (!any && e->highest >= 0) {
		struct finding *f = probe_result_add(ctx->pr, "weak.none", SEV_PASS,
						     "No known weakness in the accepted suites, groups and extensions");
		enum_add_cost_ev(f, e);
		finding_set_rfc(f, "RFC 9325 section 4.1");
	}
}

const struct probe probe_weaknesses = {
	.name = "weaknesses",
	.title = "Known weaknesses of the accepted suites (hand-built hellos)",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OWN_CONNECTION | PROBE_ENUMERATE, /* shares the enumeration of versions and ciphers */
};
