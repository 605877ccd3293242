/* \summary: the mailbox-login probe: on POP3 and IMAP targets, can a user
 * log in before TLS, so that the password crosses in clear? It judges the
 * capabilities the standard session read before STLS/STARTTLS and opens
 * no connection of its own. On SMTP and LMTP it has nothing to say (the
 * AUTH checks of the SMTP probes cover them); on implicit TLS there is no
 * plaintext phase.
 * specification: RFC 3501 section 6.2.3 and RFC 9051 section 6.2.3
 * (LOGINDISABLED); RFC 2595 section 3.1 ("Clients MUST NOT issue a LOGIN
 * command if this capability is present"), section 4 (STLS), section 6
 * (PLAIN, meant for use inside TLS); RFC 2449 section 6.3 (USER), 6.4
 * (SASL); RFC 8314 section 4.1 (cleartext credentials). */
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "proto/dialect.h"

static const char *remedy_imap =
	"Refuse plaintext logins before TLS: Dovecot 2.3 disable_plaintext_auth = yes (2.4: auth_allow_cleartext = "
	"no), or ssl = required; Cyrus imapd allowplaintext: no; Exchange Set-ImapSettings -LoginType "
	"SecureLogin. The server then advertises LOGINDISABLED and no AUTH=PLAIN until STARTTLS, and clients "
	"that respect it never send the password in clear. Better still, offer IMAPS on port 993 (RFC 8314).";

static const char *remedy_pop3 =
	"Refuse plaintext logins before TLS: Dovecot 2.3 disable_plaintext_auth = yes (2.4: auth_allow_cleartext = "
	"no), or ssl = required; Exchange Set-PopSettings -LoginType SecureLogin. The server then leaves USER and "
	"SASL PLAIN out of its CAPA reply until STLS. Better still, offer POP3S on port 995 (RFC 8314).";

static enum severity login_severity(const struct probe_ctx *ctx)
{
	return ctx->opt->policy >= POLICY_ENCRYPT ? SEV_FAIL : SEV_WARN;
}

static bool has_cleartext_mech(const struct smtp_caps *c)
{
	return strvec_contains_ci(&c->auth_mechs, "PLAIN") || strvec_contains_ci(&c->auth_mechs, "LOGIN");
}

static void caps_ev(struct finding *f, const struct smtp_caps *c)
{
	if (!c->lines.n)
		return;
	char *all = strvec_join(&c->lines, " ");
	finding_add_ev(f, "capabilities_plain", "%s", all);
	free(all);
}

static const char *starttls_word(const struct probe_ctx *ctx)
{
	return dialect_find(ctx->spec->dialect)->starttls_cmd;
}

static void starttls_detail(struct finding *f, const struct probe_ctx *ctx, const char *what)
{
	const struct session_facts *fa = &ctx->t->facts;
	if (fa->caps_plain.starttls)
		finding_set_detail(f,
				   "%s is offered before %s, so a client may send the password in clear before "
				   "it starts TLS; many clients do when they are set up by hand or when a "
				   "middlebox strips %s.",
				   what, starttls_word(ctx), starttls_word(ctx));
	else
		finding_set_detail(f,
				   "%s is offered and the server offers no %s at all: every password "
				   "crosses the network in clear.",
				   what, starttls_word(ctx));
	finding_add_ev(f, "policy", "%s", policy_name(ctx->opt->policy));
}

static void judge_imap(struct probe_ctx *ctx, const struct smtp_caps *c)
{
	struct finding *f;
	enum severity sev = login_severity(ctx);
	if (c->logindisabled) {
		f = probe_result_add(ctx->pr, "imap.login-disabled", SEV_PASS,
				     "LOGINDISABLED before STARTTLS: no LOGIN in clear");
		caps_ev(f, c);
		finding_set_rfc(f, "RFC 3501 section 6.2.3");
	} else {
		f = probe_result_add(ctx->pr, "imap.login-before-tls", sev,
				     "LOGIN allowed before TLS: LOGINDISABLED missing before STARTTLS");
		starttls_detail(f, ctx, "The LOGIN command (LOGINDISABLED is not advertised)");
		caps_ev(f, c);
		finding_set_rfc(f, "RFC 3501 section 6.2.3; RFC 2595 section 3.1; RFC 8314 section 4.1");
		finding_set_remedy(f, "%s", remedy_imap);
	}
	if (has_cleartext_mech(c)) {
		f = probe_result_add(ctx->pr, "imap.auth-plain-before-tls", sev,
				     "AUTH=PLAIN (or LOGIN) offered before TLS");
		starttls_detail(f, ctx, "A cleartext SASL mechanism");
		char *m = strvec_join(&c->auth_mechs, " ");
		finding_add_ev(f, "mechanisms_plain", "%s", m);
		free(m);
		finding_set_rfc(f, "RFC 2595 section 6; RFC 4616 section 6");
		finding_set_remedy(f, "%s", remedy_imap);
	}
}

static void judge_pop3(struct probe_ctx *ctx, const struct smtp_caps *c)
{
	struct finding *f;
	enum severity sev = login_severity(ctx);
	if (c->pop3_user) {
		f = probe_result_add(ctx->pr, "pop3.user-before-tls", sev, "USER/PASS login offered before STLS");
		starttls_detail(f, ctx, "USER (login with USER and PASS)");
		caps_ev(f, c);
		finding_set_rfc(f, "RFC 2449 section 6.3; RFC 2595 section 4; RFC 8314 section 4.1");
		finding_set_remedy(f, "%s", remedy_pop3);
	}
	if (has_cleartext_mech(c)) {
		f = probe_result_add(ctx->pr, "pop3.sasl-plain-before-tls", sev,
				     "SASL PLAIN (or LOGIN) offered before STLS");
		starttls_detail(f, ctx, "A cleartext SASL mechanism");
		char *m = strvec_join(&c->auth_mechs, " ");
		finding_add_ev(f, "mechanisms_plain", "%s", m);
		free(m);
		finding_set_rfc(f, "RFC 2449 section 6.4; RFC 2595 section 6");
		finding_set_remedy(f, "%s", remedy_pop3);
	}
	if (!c->pop3_user && !has_cleartext_mech(c) && c->lines.n) {
		f = probe_result_add(ctx->pr, "pop3.login-after-tls", SEV_PASS,
				     "No USER and no cleartext SASL before STLS");
		caps_ev(f, c);
		finding_set_rfc(f, "RFC 2595 section 4");
	}
}

/* ids: imap.login-disabled imap.login-before-tls imap.auth-plain-before-tls */
/* ids: pop3.user-before-tls pop3.sasl-plain-before-tls pop3.login-after-tls mailbox-login.not-tested */
static const struct {
	const struct dialect *d;
	void (*judge)(struct probe_ctx *ctx, const struct smtp_caps *c);
} judges[] = {
	{ &dialect_imap, judge_imap },
	{ &dialect_pop3, judge_pop3 },
	{ NULL, NULL },
};

static void run(struct probe_ctx *ctx)
{
	const struct dialect *d = dialect_find(ctx->spec->dialect);
	const struct session_facts *fa = &ctx->t->facts;
	/* SMTP: the AUTH checks; implicit TLS: no cleartext phase. */
	if (fa->implicit_tls || d->smtp_family)
		return;
	if (!probe_session_reached(ctx, REACH_HELLO, "which logins are offered before TLS"))
		return;
	for (size_t i = 0; judges[i].d; i++)
		if (judges[i].d == d)
			judges[i].judge(ctx, &fa->caps_plain);
}

const struct probe probe_mailbox_login = {
	.name = "mailbox-login",
	.title = "POP3/IMAP login before TLS",
	.needs = NEEDS_SESSION,
	.run = run,
	.any_dialect = true,
};
