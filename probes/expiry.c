/* \summary: the expiry probe: notBefore and notAfter of every certificate
 * on the path that validates (pki/verify.h; certificates the server sends
 * off that path are the chain probe's hygiene finding, not an expiry), and
 * the days left, judged at --at (default now) so the question "will this
 * still validate on Monday?" has an answer and tests need no real clock.
 * Every chain the server presented is judged (core/served.h).
 * specification: RFC 5280 section 4.1.2.5 (validity) and 6.1.3 (a).(2). */
/* ids: expiry.not-tested */
#include <stdio.h>

#include "core/probe.h"
#include "core/served.h"
#include "pki/verify.h"

#define DAY 86400

/* Whole days from at to t, rounded towards zero: 4 days 23 hours left is
 * 4, expired 30 days and an hour ago is -30. */
static int64_t days_until(int64_t t, int64_t at)
{
	return (t - at) / DAY;
}

static void validity_ev(struct finding *f, size_t i, const struct cert_info *c, int64_t at)
{
	char nb[32], na[32], key[32];
	fmt_iso8601(c->not_before, nb, sizeof nb);
	fmt_iso8601(c->not_after, na, sizeof na);
	snprintf(key, sizeof key, "cert[%zu]", i);
	finding_add_ev(f, key, "%s; not_before=%s; not_after=%s; days_left=%lld", c->subject, nb, na,
		       (long long)days_until(c->not_after, at));
}

static void add_common(struct finding *f, const struct probe_ctx *ctx, int64_t at)
{
	char when[32];
	fmt_iso8601(at, when, sizeof when);
	finding_add_ev(f, "evaluated_at", "%s%s", when, ctx->opt->at ? " (--at)" : "");
	finding_set_rfc(f, "RFC 5280 section 4.1.2.5");
}

static void judge_cert(struct probe_ctx *ctx, const struct served_chain *sc, size_t i, int64_t at, bool *problem)
{
	const struct cert_info *c = &sc->chain[i];
	int64_t left = days_until(c->not_after, at);
	struct finding *f;
	/* A certificate outside its validity period fails path validation
	 * (RFC 5280 section 6.1.3): every sender that verifies refuses it, and
	 * it is a top cause of failed deliveries between mail servers. A sender
	 * that only encrypts (Postfix "encrypt", opportunistic "may") checks no
	 * certificate and delivers: the same severities as an untrusted chain. */
	if (at > c->not_after) {
		f = probe_result_add(ctx->pr, "cert.expired", policy_verify_severity(ctx->opt->policy),
				     i == 0 ? "The server's certificate has expired"
					    : "A certificate in the chain has expired");
		finding_set_detail(f, "Expired %lld day%s before the evaluation time.", (long long)-left,
				   left == -1 ? "" : "s");
		finding_set_remedy(f, "Renew the certificate and install it with its current intermediates; "
				      "then reload the MTA (postfix reload; Exchange: enable the new certificate "
				      "for SMTP).");
	} else if (at < c->not_before) {
		f = probe_result_add(ctx->pr, "cert.not-yet-valid", policy_verify_severity(ctx->opt->policy),
				     "A certificate is not valid yet");
		finding_set_detail(f, "Its validity starts after the evaluation time: a certificate "
				      "installed too early, or a wrong clock where it was issued.");
		finding_set_remedy(f, "Install a certificate that is valid now, or check the issuing CA's "
				      "clock.");
	} else if (left < ctx->opt->warn_days) {
		f = probe_result_add(ctx->pr, "cert.expiring-soon", SEV_WARN, "A certificate expires soon");
		finding_set_detail(f, "%lld day%s left, fewer than --warn-days %d.", (long long)left,
				   left == 1 ? "" : "s", ctx->opt->warn_days);
		finding_add_ev(f, "warn_days", "%d", ctx->opt->warn_days);
		finding_set_remedy(f, "Renew the certificate before it expires, and check that automatic "
				      "renewal (if any) also reloads the MTA.");
	} else {
		return;
	}
	*problem = true;
	served_chain_ev(f, sc);
	validity_ev(f, i, c, at);
	add_common(f, ctx, at);
}

static void judge_chain(struct probe_ctx *ctx, const struct served_chain *sc, int64_t at)
{
	struct verify_result v;
	verify_chain(ctx->trust, ctx->opt, sc->chain, sc->n, &v);
	bool problem = false;
	for (size_t k = 0; k < v.path_len; k++)
		judge_cert(ctx, sc, v.path[k], at, &problem);
	if (!problem) {
		struct finding *f = probe_result_add(ctx->pr, "cert.validity-ok", SEV_PASS,
						     "Every certificate on the path is within its validity period");
		served_chain_ev(f, sc);
		for (size_t k = 0; k < v.path_len; k++)
			validity_ev(f, v.path[k], &sc->chain[v.path[k]], at);
		finding_add_ev(f, "warn_days", "%d", ctx->opt->warn_days);
		add_common(f, ctx, at);
	}
	verify_result_clear(&v);
}

static void expiry_run(struct probe_ctx *ctx)
{
	if (!probe_session_reached(ctx, REACH_CHAIN, "the validity periods of the certificates"))
		return;
	struct served_chain sc[PROBE_MAX_CHAINS];
	size_t n = probe_served_chains(ctx, sc);
	int64_t at = mx_options_at(ctx->opt);
	for (size_t i = 0; i < n; i++)
		judge_chain(ctx, &sc[i], at);
}

const struct probe probe_expiry = {
	.name = "expiry",
	.title = "Certificate validity period",
	.needs = NEEDS_SESSION,
	.run = expiry_run,
	.any_dialect = true,
};
