/* \summary: the auth probe: which SMTP AUTH mechanisms are offered before
 * and after TLS (from the standard session; no connection of its own), and,
 * when --auth-user and a password are given, a real AUTH inside TLS on a
 * connection of its own: PLAIN (or LOGIN), success or the exact refusal.
 * The secret never reaches the transcript or the report: the lines that
 * carry it are shown as "<redacted>". KB823019: basic authentication
 * sends name and password in clear, so only over TLS.
 * specification: RFC 4954 (SMTP AUTH), RFC 4616 (PLAIN), RFC 3207 section
 * 4.1 and RFC 8314 section 3 (no credentials before TLS). */
/* ids: auth.before-tls auth.after-tls auth.not-offered */
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "pki/peer.h"
#include "proto/dialogue.h"
#include "util/err.h"

/* A submission service: credentials are what it is for (RFC 6409, 8314). */
static bool is_submission(const struct target_result *t)
{
	return strcmp(t->scheme, "submission") == 0 || strcmp(t->scheme, "smtps") == 0 || t->port == 587 ||
	       t->port == 465;
}

static void mechs_ev(struct finding *f, const char *key, const struct smtp_caps *c)
{
	if (!c->valid)
		return;
	char *m = strvec_join(&c->auth_mechs, " ");
	finding_add_ev(f, key, "%s", c->auth ? m : "(AUTH not offered)");
	free(m);
}

static void judge_caps(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	const struct smtp_caps *pl = &fa->caps_plain, *tl = &fa->caps_tls;
	struct finding *f;
	if (fa->implicit_tls) {
		if (!tl->valid)
			return;
		f = probe_result_add(ctx->pr, tl->auth ? "auth.after-tls" : "auth.not-offered",
				     tl->auth ? SEV_PASS : SEV_INFO,
				     tl->auth ? "AUTH offered inside implicit TLS only" : "AUTH not offered");
		mechs_ev(f, "mechanisms_tls", tl);
		finding_set_rfc(f, "RFC 8314 section 3");
		return;
	}
	if (!pl->valid)
		return; /* the session broke before EHLO; diagnose says where */
	if (pl->auth) {
		bool sub = is_submission(ctx->t);
		f = probe_result_add(ctx->pr, "auth.before-tls", sub ? SEV_FAIL : SEV_WARN,
				     "AUTH offered before TLS: credentials can cross in clear");
		finding_set_detail(f,
				   "The EHLO reply before STARTTLS lists AUTH. A client configured without TLS "
				   "(or one a man in the middle strips STARTTLS from) sends its user name and "
				   "password in clear%s.",
				   sub ? "; on a submission port this is every user's password" : "");
		mechs_ev(f, "mechanisms_plain", pl);
		mechs_ev(f, "mechanisms_tls", tl);
		finding_add_ev(f, "port", "%u", ctx->t->port);
		finding_set_rfc(f, "RFC 4954 section 4; RFC 3207 section 4.1");
		finding_set_remedy(
			f, "Offer AUTH only inside TLS: Postfix smtpd_tls_auth_only = yes; Exim "
			   "auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}} (or server_advertise_condition "
			   "per authenticator); Exchange: basic authentication only after TLS on the connector.");
		return;
	}
	if (tl->auth) {
		f = probe_result_add(ctx->pr, "auth.after-tls", SEV_PASS,
				     "AUTH offered only after TLS: passwords never cross in clear");
		mechs_ev(f, "mechanisms_plain", pl);
		mechs_ev(f, "mechanisms_tls", tl);
		return;
	}
	f = probe_result_add(ctx->pr, "auth.not-offered", SEV_INFO,
			     tl->valid ? "AUTH not offered, before or after TLS" : "AUTH not offered before TLS");
	if (!tl->valid)
		finding_set_detail(f, "TLS was not established, so what is offered inside TLS is unknown.");
	mechs_ev(f, "mechanisms_plain", pl);
}

static char *b64(const void *p, size_t n)
{
	unsigned char *copy = xmalloc(n + 1);
	memcpy(copy, p, n);
	gnutls_datum_t in = { copy, (unsigned)n }, out = { NULL, 0 };
	int rc = gnutls_base64_encode2(&in, &out);
	explicit_bzero(copy, n);
	free(copy);
	if (rc < 0)
		return NULL;
	char *s = xstrndup((const char *)out.data, out.size);
	explicit_bzero(out.data, out.size);
	gnutls_free(out.data);
	return s;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* AUTH PLAIN with an initial response (RFC 4616: authzid NUL authcid NUL
 * passwd), or AUTH LOGIN. The final reply lands in r. */
static int do_auth(struct dialogue *d, const char *mech, const char *user, const char *pass, struct smtp_reply *r)
{
	int rc;
	if (strcmp(mech, "PLAIN") == 0) {
		size_t ul = strlen(user), pl = strlen(pass);
		char *raw = xmalloc(ul + pl + 2);
		raw[0] = '\0';
		memcpy(raw + 1, user, ul);
		raw[ul + 1] = '\0';
		memcpy(raw + ul + 2, pass, pl);
		char *enc = b64(raw, ul + pl + 2);
		explicit_bzero(raw, ul + pl + 2);
		free(raw);
		if (!enc)
			return -1;
		char *line = xasprintf("AUTH PLAIN %s", enc);
		rc = dialogue_command(d, line, "AUTH PLAIN <redacted>", r);
		wipe_free(line);
		wipe_free(enc);
		return rc;
	}
	rc = dialogue_command(d, "AUTH LOGIN", NULL, r);
	for (int step = 0; rc == 0 && r->code == 334 && step < 2; step++) {
		char *enc = b64(step == 0 ? user : pass, strlen(step == 0 ? user : pass));
		if (!enc)
			return -1;
		rc = dialogue_command(d, enc, "<redacted>", r);
		wipe_free(enc);
	}
	return rc;
}

static void real_auth(struct probe_ctx *ctx)
{
	const struct mx_options *opt = ctx->opt;
	struct dialogue d;
	struct finding *f;
	int rc = dialogue_open(&d, opt, ctx->spec, ctx->t, "auth: AUTH inside TLS with --auth-user", NULL, DLG_TLS);
	if (rc < 0) {
		f = probe_result_add(ctx->pr, "auth.not-tested", SEV_ERROR,
				     "AUTH not tried: no TLS session to send the credentials in");
		finding_set_detail(f, "mxprobe never sends credentials outside TLS. The session stopped at the %s: %s",
				   session_step_name(d.failed_step), d.detail ? d.detail : "");
		finding_add_ev(f, "step", "%s", session_step_id(d.failed_step));
		goto out;
	}
	/* Credentials only to a server that proved who it is: a man in the
	 * middle with any certificate would otherwise receive them (issue 8). */
	char why[512];
	const char *ref = opt->sni ? opt->sni : ctx->t->mx_host ? ctx->t->mx_host : ctx->t->host;
	if (!peer_is_authenticated(ctx->trust, opt, d.f.chain, d.f.chain_len, ref, why, sizeof why)) {
		if (!opt->auth_insecure) {
			f = probe_result_add(ctx->pr, "auth.not-sent", SEV_ERROR,
					     "AUTH not sent: the server did not authenticate itself");
			finding_set_detail(f,
					   "mxprobe sends credentials only inside TLS to a server whose certificate "
					   "validates and covers the name: %s. Whoever holds this certificate would "
					   "have received the password.",
					   why);
			finding_add_ev(f, "reason", "%s", why);
			finding_add_ev(f, "name", "%s", ref);
			finding_set_rfc(f, "RFC 8314 section 3; RFC 6125 section 6");
			finding_set_remedy(f, "Give the CA that issued the server's certificate with --ca-file (and "
					      "the name it covers with --sni or --expect-name), or, for a lab server "
					      "you control, send anyway with --auth-insecure.");
			goto out;
		}
		transcript_addf(&ctx->t->tr, TR_EVENT, "auth: sending credentials anyway (--auth-insecure): %s", why);
	}
	const char *mech = strvec_contains_ci(&d.caps.auth_mechs, "PLAIN")   ? "PLAIN"
			   : strvec_contains_ci(&d.caps.auth_mechs, "LOGIN") ? "LOGIN"
									     : NULL;
	if (!mech) {
		f = probe_result_add(ctx->pr, "auth.not-tested", SEV_ERROR,
				     "AUTH not tried: neither PLAIN nor LOGIN is offered inside TLS");
		mechs_ev(f, "mechanisms_tls", &d.caps);
		goto out;
	}
	struct smtp_reply r = { 0 };
	rc = do_auth(&d, mech, opt->auth_user, opt->auth_password, &r);
	if (rc < 0) {
		f = probe_result_add(ctx->pr, "auth.not-tested", SEV_ERROR, "AUTH got no reply");
		finding_set_detail(f, "%s", mx_strerror(rc));
	} else if (r.code == 235) {
		f = probe_result_add(ctx->pr, "auth.succeeded", SEV_PASS, "AUTH inside TLS succeeded");
	} else {
		f = probe_result_add(ctx->pr, "auth.refused", SEV_FAIL, "AUTH inside TLS was refused");
		finding_set_detail(f, "The server refused the credentials given with --auth-user (535: wrong user "
				      "or password; 454: temporary failure such as an unreachable SASL backend; "
				      "534/538: a stronger mechanism or encryption required).");
		finding_set_remedy(f, "Check the user and password; on the server, check the SASL backend (Postfix "
				      "with Dovecot: smtpd_sasl_path and the Dovecot auth log).");
	}
	if (rc == 0) {
		char *txt = dialogue_reply_text(&r);
		finding_add_ev(f, "reply", "%s", txt);
		free(txt);
	}
	finding_add_ev(f, "mechanism", "%s", mech);
	finding_add_ev(f, "user", "%s", opt->auth_user);
	finding_add_ev(f, "protocol", "%s", d.f.tls.protocol ? d.f.tls.protocol : "?");
	finding_set_rfc(f, "RFC 4954 section 4");
	smtp_reply_clear(&r);
out:
	dialogue_close(&d, false);
}

static void run(struct probe_ctx *ctx)
{
	judge_caps(ctx);
	if (ctx->opt->auth_user && ctx->opt->auth_password)
		real_auth(ctx);
}

const struct probe probe_auth = {
	.name = "auth", .title = "SMTP AUTH before and after TLS", .needs = NEEDS_SESSION, .run = run,
	/* In the default set: judging the capabilities costs nothing; AUTH is
	 * sent only when --auth-user asks for it. */
};
