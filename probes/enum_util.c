/* \summary: helpers shared by the enumeration probes (probes/enum_util.h). */
#include "enum_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct tls_enum *enum_scan(struct probe_ctx *ctx, unsigned want, const char *prefix)
{
	char id[64];
	snprintf(id, sizeof id, "%s.not-tested", prefix);
	/* A server that refused us, said 421 or stayed silent before EHLO in
	 * the standard session gets no hellos of ours either (--help). */
	if (!probe_may_connect(ctx, "what the server accepts to hand-built ClientHellos")) {
		struct finding *nt = &ctx->pr->f[ctx->pr->n - 1];
		free(nt->id); /* named after the probe; the enumeration's ids use prefix ("weak") */
		nt->id = xstrdup(id);
		return NULL;
	}
	const struct tls_enum *e = hello_scan_run(ctx->opt, ctx->spec, ctx->t, want);
	bool any = false, tls = false;
	for (int v = 0; v < ENUM_VERSIONS; v++) {
		any = any || e->v[v].tested;
		tls = tls || e->v[v].tls_answer;
	}
	if (tls)
		return e;
	struct finding *f;
	if (!any) {
		f = probe_result_add(ctx->pr, id, SEV_ERROR, "Could not send a ClientHello of our own");
		finding_set_detail(f, "%s", e->stopped ? e->stopped : "no connection reached the TLS handshake");
	} else {
		/* Every hello met a close, a reset, silence or bytes that are not
		 * TLS: nothing says which versions a TLS server would refuse (a
		 * port that closes at once, a service that does not speak TLS). */
		f = probe_result_add(ctx->pr, id, SEV_ERROR, "No ClientHello of ours got a TLS answer");
		struct strvec why = { 0 };
		for (int v = ENUM_VERSIONS - 1; v >= 0; v--)
			if (e->v[v].tested)
				strvec_push_owned(&why, xasprintf("%s: %s", hello_version_name((enum hello_version)v),
								  e->v[v].refusal ? e->v[v].refusal : "no answer"));
		char *s = strvec_join(&why, "; ");
		finding_set_detail(f,
				   "Neither a ServerHello nor an alert came back (%s), so no version can be said to be "
				   "accepted or refused.",
				   s);
		finding_set_remedy(f, "Check that the port speaks TLS (implicit TLS such as smtps://, or the "
				      "STARTTLS dialect) and does not close new connections at once.");
		free(s);
		strvec_clear(&why);
	}
	enum_add_cost_ev(f, e);
	return NULL;
}

enum severity enum_sev_broken(enum policy p)
{
	return p == POLICY_NONE ? SEV_WARN : SEV_FAIL;
}

enum severity enum_sev_deprecated(enum policy p)
{
	return p == POLICY_NONE ? SEV_INFO : SEV_WARN;
}

char *enum_suites_where(const struct tls_enum *e, bool (*pred)(const struct tls_suite *s))
{
	struct strvec out = { 0 };
	/* Each suite once, with every version that accepted it. */
	for (const struct tls_suite *s = tls_suite_table; s->iana; s++) {
		if (!pred(s))
			continue;
		struct strvec vers = { 0 };
		for (int v = 0; v < ENUM_VERSIONS; v++)
			for (size_t i = 0; i < e->v[v].n_suites; i++)
				if (e->v[v].suites[i].code == s->code && (v == HV_SSL2) == !!(s->flags & SUITE_SSL2))
					strvec_push(&vers, hello_version_name((enum hello_version)v));
		if (vers.n) {
			char *vl = strvec_join(&vers, ", ");
			strvec_push_owned(&out, xasprintf("%s (%s)", s->iana, vl));
			free(vl);
		}
		strvec_clear(&vers);
	}
	char *r = out.n ? strvec_join(&out, ", ") : NULL;
	strvec_clear(&out);
	return r;
}

void enum_add_cost_ev(struct finding *f, const struct tls_enum *e)
{
	finding_add_ev(f, "enumeration_connections", "%u", e->connections);
	if (e->stopped)
		finding_add_ev(f, "enumeration_stopped", "%s", e->stopped);
}

void enum_suite_strength(const struct tls_suite *s, char *out, size_t outlen)
{
	snprintf(out, outlen, "(%u/%u bits)", s->bits, s->alg_bits);
}
