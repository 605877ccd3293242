/* \summary: the auth probe: which SMTP AUTH mechanisms are offered before
 * and after TLS (from the standard session; no connection of its own), and,
 * when --auth-user and a password are given, a real AUTH inside TLS on a
 * connection of its own: PLAIN (or LOGIN), success or the exact refusal.
 * The secret never reaches the transcript or the report: the lines that
 * carry it are shown as "<redacted>". KB823019: basic authentication
 * sends name and password in clear, so only over TLS. Before TLS each
 * mechanism is judged by what it puts on the wire (auth_mech_exposure):
 * PLAIN, LOGIN, bearer tokens and unknown mechanisms expose the secret;
 * CRAM-MD5, DIGEST-MD5, NTLM and SCRAM-* send a user name and a response;
 * GSSAPI and EXTERNAL send no password.
 * specification: RFC 4954 (SMTP AUTH), RFC 4616 (PLAIN), RFC 3207 section
 * 4.1 and RFC 8314 section 3 (no credentials before TLS). */
/* ids: auth.before-tls auth.after-tls auth.not-offered auth.not-tested */
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "pki/peer.h"
#include "proto/dialogue.h"
#include "util/err.h"

/* What crosses the network when a client uses a SASL mechanism before
 * TLS. Decided per mechanism (RFC 4954 section 4, and each mechanism's
 * RFC); an unknown mechanism is assumed to send the password, so a new
 * name can only make the verdict stricter. */
enum auth_exposure auth_mech_exposure(const char *mech)
{
	static const struct {
		const char *name;
		enum auth_exposure e;
	} known[] = {
		{ "PLAIN", AUTH_EXPOSES_PASSWORD },	   /* RFC 4616: the password, base64 */
		{ "LOGIN", AUTH_EXPOSES_PASSWORD },	   /* draft-murchison-sasl-login: the same */
		{ "XOAUTH2", AUTH_EXPOSES_PASSWORD },	   /* a bearer token: replayable as it is */
		{ "OAUTHBEARER", AUTH_EXPOSES_PASSWORD },  /* RFC 7628: the same */
		{ "CRAM-MD5", AUTH_CHALLENGE_RESPONSE },   /* RFC 2195: user name, keyed hash */
		{ "DIGEST-MD5", AUTH_CHALLENGE_RESPONSE }, /* RFC 2831 (historic, RFC 6331) */
		{ "NTLM", AUTH_CHALLENGE_RESPONSE },	   /* MS-NLMP: user and domain, NTLM response */
		{ "GSSAPI", AUTH_NO_SECRET },		   /* RFC 4752: a Kerberos ticket */
		{ "GS2-KRB5", AUTH_NO_SECRET },		   /* RFC 5801 */
		{ "EXTERNAL", AUTH_NO_SECRET },		   /* RFC 4422 appendix A: the TLS identity */
		{ "ANONYMOUS", AUTH_NO_SECRET },	   /* RFC 4505: a trace string */
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcasecmp(mech, known[i].name) == 0)
			return known[i].e;
	/* RFC 5802/7677: SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS forms. */
	if (strncasecmp(mech, "SCRAM-", 6) == 0)
		return AUTH_CHALLENGE_RESPONSE;
	return AUTH_EXPOSES_PASSWORD;
}

/* What an eavesdropper gets from one mechanism, in a few words. */
static const char *exposure_words(const char *mech)
{
	if (strcasecmp(mech, "PLAIN") == 0 || strcasecmp(mech, "LOGIN") == 0)
		return "user name and password (base64)";
	if (strcasecmp(mech, "XOAUTH2") == 0 || strcasecmp(mech, "OAUTHBEARER") == 0)
		return "user name and a bearer token that can be replayed";
	if (strcasecmp(mech, "NTLM") == 0)
		return "user and domain name, and an NTLM response open to offline password guessing";
	if (strncasecmp(mech, "SCRAM-", 6) == 0)
		return "user name, salt and a proof open to offline guessing of weak passwords";
	if (strcasecmp(mech, "CRAM-MD5") == 0 || strcasecmp(mech, "DIGEST-MD5") == 0)
		return "user name and an MD5 response open to offline password guessing";
	switch (auth_mech_exposure(mech)) {
	case AUTH_NO_SECRET:
		return "no password (a ticket or the TLS identity)";
	case AUTH_CHALLENGE_RESPONSE:
		return "user name and a response to a challenge";
	default:
		return "unknown mechanism: assumed to carry the password";
	}
}

static void mechs_ev(struct finding *f, const char *key, const struct smtp_caps *c)
{
	if (!c->valid)
		return;
	char *m = strvec_join(&c->auth_mechs, " ");
	finding_add_ev(f, key, "%s", c->auth ? m : "(AUTH not offered)");
	free(m);
}

/* "PLAIN: user name and password (base64); NTLM: ..." for the mechanisms
 * of one exposure class (any class when want < 0); NULL when none. */
static char *exposure_list(const struct smtp_caps *c, int want, bool words)
{
	struct strvec out = { 0 };
	for (size_t i = 0; i < c->auth_mechs.n; i++) {
		const char *m = c->auth_mechs.v[i];
		if (want >= 0 && auth_mech_exposure(m) != (enum auth_exposure)want)
			continue;
		if (words) {
			char *s = xasprintf("%s: %s", m, exposure_words(m));
			strvec_push(&out, s);
			free(s);
		} else {
			strvec_push(&out, m);
		}
	}
	char *s = out.n ? strvec_join(&out, words ? "; " : " ") : NULL;
	strvec_clear(&out);
	return s;
}

static void judge_before_tls(struct probe_ctx *ctx, enum probe_role role)
{
	const struct session_facts *fa = &ctx->t->facts;
	const struct smtp_caps *pl = &fa->caps_plain, *tl = &fa->caps_tls;
	char *exposing = exposure_list(pl, AUTH_EXPOSES_PASSWORD, false);
	char *all = exposure_list(pl, -1, true);
	struct finding *f;
	if (exposing) {
		bool sub = role == ROLE_SUBMISSION;
		f = probe_result_add(ctx->pr, "auth.before-tls", sub ? SEV_FAIL : SEV_WARN,
				     "AUTH before TLS with a mechanism that sends the password in clear");
		finding_set_detail(f,
				   "The EHLO reply before STARTTLS offers %s. A client configured without TLS "
				   "(or one a man in the middle strips STARTTLS from) sends its user name and "
				   "password in clear%s.",
				   exposing, sub ? "; on a submission service this is every user's password" : "");
		finding_add_ev(f, "exposing_mechanisms", "%s", exposing);
		finding_set_remedy(
			f, "Offer password mechanisms only inside TLS: Postfix smtpd_tls_auth_only = yes; Exim "
			   "auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}} (or server_advertise_condition "
			   "per authenticator); Exchange: basic authentication only after TLS on the connector "
			   "(Set-ReceiveConnector -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS).");
	} else {
		f = probe_result_add(ctx->pr, "auth.before-tls-no-password", SEV_INFO,
				     "AUTH before TLS only with mechanisms that do not send the password");
		finding_set_detail(f, "Before STARTTLS the server offers only mechanisms that never put the password "
				      "on the wire (challenge-response or ticket based, as an Exchange front end does "
				      "with NTLM and GSSAPI). What does cross in clear is listed per mechanism.");
	}
	finding_add_ev(f, "in_clear", "%s", all ? all : "");
	mechs_ev(f, "mechanisms_plain", pl);
	mechs_ev(f, "mechanisms_tls", tl);
	finding_add_ev(f, "role", "%s", probe_role_name(role));
	finding_add_ev(f, "port", "%u", ctx->t->port);
	finding_set_rfc(f, "RFC 4954 sections 4 and 14; RFC 3207 section 4.1");
	free(exposing);
	free(all);
}

static void judge_caps(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	const struct smtp_caps *pl = &fa->caps_plain, *tl = &fa->caps_tls;
	enum probe_role role = probe_role(ctx);
	struct finding *f;
	if (fa->implicit_tls) {
		if (!probe_session_reached(ctx, REACH_HELLO, "which AUTH mechanisms are offered inside TLS"))
			return;
		f = probe_result_add(ctx->pr, tl->auth ? "auth.after-tls" : "auth.not-offered",
				     tl->auth ? SEV_PASS : SEV_INFO,
				     tl->auth ? "AUTH offered inside implicit TLS only" : "AUTH not offered");
		mechs_ev(f, "mechanisms_tls", tl);
		finding_set_rfc(f, "RFC 8314 section 3");
		return;
	}
	if (!pl->valid && !probe_session_reached(ctx, REACH_HELLO, "which AUTH mechanisms are offered before TLS"))
		return;
	if (pl->auth) {
		judge_before_tls(ctx, role);
		char *exposing = exposure_list(pl, AUTH_EXPOSES_PASSWORD, false);
		bool exposed = exposing != NULL;
		free(exposing);
		if (exposed || !tl->auth)
			return;
	}
	if (tl->auth) {
		f = probe_result_add(ctx->pr, "auth.after-tls", SEV_PASS,
				     pl->auth ? "Password mechanisms offered only after TLS"
					      : "AUTH offered only after TLS: passwords never cross in clear");
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
	/* After a refusal, a 421 or silence before EHLO, no connection of our
	 * own: the standard session already says why AUTH cannot be asked. */
	if (!probe_may_connect(ctx, "whether AUTH inside TLS accepts --auth-user"))
		return;
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
