/* \summary: the chains a server presented; the second handshake for the
 * other key type (see served.h).
 * specification: RFC 8446 sections 4.2.3 and 4.4.2.2, RFC 5246 section
 * 7.4.1.4.1 (signature_algorithms steers the server's certificate). */
#include "core/served.h"

#include <stdio.h>
#include <string.h>

#include "proto/session.h"

/* Only RSA (PKCS#1 and PSS with an rsaEncryption key) signatures and the
 * TLS 1.2 suites authenticated by RSA: a server with an RSA certificate
 * must present it. */
#define PRIORITY_RSA                                                                                            \
	"NORMAL:+VERS-TLS1.1:+VERS-TLS1.0:-SIGN-ALL:+SIGN-RSA-SHA256:+SIGN-RSA-SHA384:+SIGN-RSA-SHA512:"        \
	"+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-PSS-RSAE-SHA512:+SIGN-RSA-SHA1:-KX-ALL:" \
	"+ECDHE-RSA:+DHE-RSA:+RSA"
/* Only ECDSA signatures and the ECDHE-ECDSA suites. */
#define PRIORITY_ECDSA                                                                                          \
	"NORMAL:+VERS-TLS1.1:+VERS-TLS1.0:-SIGN-ALL:+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SECP384R1-SHA384:" \
	"+SIGN-ECDSA-SECP521R1-SHA512:+SIGN-ECDSA-SHA256:+SIGN-ECDSA-SHA384:+SIGN-ECDSA-SHA512:"                \
	"+SIGN-ECDSA-SHA1:-KX-ALL:+ECDHE-ECDSA"

const struct session_facts *served_other_session(const struct target_result *t)
{
	if (!t->other_key_session || t->other_key_session > t->n_more_sessions)
		return NULL;
	return &t->more_sessions[t->other_key_session - 1];
}

static void other_key_session(struct probe_ctx *ctx)
{
	struct target_result *t = ctx->t;
	const struct session_facts *fa = &t->facts;
	if (t->other_key_tried)
		return;
	t->other_key_tried = true;
	/* No spec: a probe run without a target to connect to (unit tests). */
	if (!ctx->spec || ctx->opt->one_key || !fa->tls_ok || fa->chain_len == 0)
		return;
	const char *have = fa->chain[0].key_type, *prio;
	if (strcmp(have, "RSA") == 0) {
		t->other_key_wanted = "ECDSA";
		prio = PRIORITY_ECDSA;
	} else if (strcmp(have, "ECDSA") == 0) {
		t->other_key_wanted = "RSA";
		prio = PRIORITY_RSA;
	} else {
		return; /* EdDSA, RSA-PSS keys: no common second type to ask for */
	}
	char label[96];
	snprintf(label, sizeof label, "certificates: asking for the server's %s certificate", t->other_key_wanted);
	struct session_params sp = { .tls = { .priority = prio }, .label = label };
	struct session_facts of = { 0 };
	session_run(ctx->opt, ctx->spec, t, &sp, &of);
	t->more_sessions = xrealloc(t->more_sessions, (t->n_more_sessions + 1) * sizeof *t->more_sessions);
	t->more_sessions[t->n_more_sessions++] = of;
	t->other_key_session = t->n_more_sessions;
}

size_t probe_served_chains(struct probe_ctx *ctx, struct served_chain out[PROBE_MAX_CHAINS])
{
	const struct session_facts *fa = &ctx->t->facts;
	if (!fa->tls_ok || fa->chain_len == 0)
		return 0;
	out[0] = (struct served_chain){ fa->chain, fa->chain_len, fa->chain[0].key_type, false };
	other_key_session(ctx);
	const struct session_facts *o = served_other_session(ctx->t);
	/* The same certificate again (a server with one key that ignores our
	 * algorithms) is not a second chain. */
	if (!o || !o->tls_ok || o->chain_len == 0 || strcmp(o->chain[0].sha256_hex, fa->chain[0].sha256_hex) == 0)
		return 1;
	out[1] = (struct served_chain){ o->chain, o->chain_len, o->chain[0].key_type, true };
	return 2;
}

void served_chain_ev(struct finding *f, const struct served_chain *sc)
{
	finding_add_ev(f, "key_type", "%s%s", sc->key_type, sc->other ? " (second handshake)" : "");
}
