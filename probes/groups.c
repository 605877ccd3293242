/* \summary: the groups probe: the ECDHE curves and FFDHE groups the server
 * accepts (one hello per group: TLS 1.3 names its choice in key_share or a
 * HelloRetryRequest, TLS 1.2 in the ServerKeyExchange), and the size of
 * the finite-field DH prime of its DHE suites, naming well-known primes
 * (RFC 7919, RFC 3526, RFC 2409, RFC 5114). Opt-in (--probes groups, or
 * --enumerate).
 * specification: RFC 8446 section 4.2.7, RFC 8422 section 5.1.1 (curves),
 * RFC 7919 (FFDHE), RFC 9325 section 4.1 (group sizes). */
#include <stdlib.h>
#include <string.h>

#include "enum_util.h"

static void groups(struct probe_ctx *ctx, const struct tls_enum *e)
{
	struct finding *f;
	if (!e->groups_via) {
		f = probe_result_add(ctx->pr, "groups.not-applicable", SEV_INFO,
				     "No TLS version to ask about groups (only SSL accepted)");
		return;
	}
	if (e->n_groups == 0) {
		f = probe_result_add(ctx->pr, "groups.none", SEV_INFO, "No elliptic-curve or FFDHE group accepted");
		finding_set_detail(f, "Asked with %s: the server chose no named group.", e->groups_via);
		enum_add_cost_ev(f, e);
		return;
	}
	struct strvec names = { 0 }, weak = { 0 };
	for (size_t i = 0; i < e->n_groups; i++) {
		const struct enum_group *g = &e->groups[i];
		strvec_push_owned(&names, xasprintf("%s (%u bits)", g->name, g->bits));
		/* RFC 8422 section 5.1.1 leaves only secp256r1/384r1/521r1
		 * (and RFC 8446 x25519/x448); smaller curves and FFDHE below
		 * 2048 bits give less than 112-bit security. */
		if ((!g->ffdhe && g->bits < 224) || (g->ffdhe && g->bits < 2048))
			strvec_push(&weak, g->name);
	}
	char *list = strvec_join(&names, ", ");
	f = probe_result_add(ctx->pr, "groups.accepted", SEV_INFO, "Key exchange groups accepted");
	finding_set_detail(f, "In the order the server chose them, asked with %s%s.", e->groups_via,
			   e->groups_complete ? "" : " (incomplete)");
	finding_add_ev(f, "groups", "%s", list);
	enum_add_cost_ev(f, e);
	finding_set_rfc(f, "RFC 8446 section 4.2.7");
	free(list);
	if (weak.n) {
		char *w = strvec_join(&weak, ", ");
		f = probe_result_add(ctx->pr, "groups.weak-curve", enum_sev_deprecated(ctx->opt->policy),
				     "A group below 112-bit security is accepted");
		finding_add_ev(f, "groups", "%s", w);
		finding_set_remedy(f, "Limit the groups: Postfix tls_eecdh_auto_curves = X25519 X448 prime256v1 "
				      "secp384r1 secp521r1.");
		finding_set_rfc(f, "RFC 8422 section 5.1.1");
		free(w);
	}
	strvec_clear(&names);
	strvec_clear(&weak);
}

static void dh(struct probe_ctx *ctx, const struct tls_enum *e)
{
	if (!e->dhe_tested)
		return;
	struct finding *f;
	if (!e->dh_bits) {
		f = probe_result_add(ctx->pr, "groups.no-dhe", SEV_INFO, "No finite-field DHE suite accepted");
		return;
	}
	const struct tls_suite *s = tls_suite_find(e->dh_suite, false);
	f = probe_result_add(ctx->pr, "groups.dh-prime", SEV_INFO, "Finite-field DH prime of the DHE suites");
	finding_set_detail(f, "%u-bit prime%s%s.", e->dh_bits, e->dh_prime_name ? ": " : " of the server's own",
			   e->dh_prime_name ? e->dh_prime_name : "");
	finding_add_ev(f, "dh_bits", "%u", e->dh_bits);
	finding_add_ev(f, "prime", "%s", e->dh_prime_name ? e->dh_prime_name : "custom");
	finding_add_ev(f, "suite", "%s", s ? s->iana : "unknown");
	finding_add_ev(f, "version", "%s", hello_version_name((enum hello_version)e->dh_version));
	finding_set_rfc(f, "RFC 5246 section 7.4.3");
}

static void run(struct probe_ctx *ctx)
{
	const struct tls_enum *e = enum_scan(ctx, SCAN_VERSIONS | SCAN_GROUPS, "groups");
	if (!e)
		return;
	groups(ctx, e);
	dh(ctx, e);
}

const struct probe probe_groups = {
	.name = "groups",
	.title = "Key exchange groups and DH prime size (hand-built hellos)",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OWN_CONNECTION | PROBE_ENUMERATE, /* one connection per accepted group + 1 */
};
