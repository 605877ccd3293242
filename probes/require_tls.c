/* \summary: the require-tls probe (KB823019 "require secure channel"): on a
 * connection of its own, EHLO and MAIL FROM before STARTTLS. A server that
 * requires TLS answers 530 5.7.0 "Must issue a STARTTLS command first";
 * then RSET and QUIT. No RCPT, never DATA: nothing can be sent.
 * "Require 128-bit encryption" is the starttls probe's tls.cipher. The
 * verdict depends on the role: RFC 3207 section 4 forbids a public MX to
 * require STARTTLS, while submission should.
 * specification: RFC 3207 section 4 (530 before STARTTLS), RFC 5321
 * section 3.3 (MAIL). */
/* ids: require-tls.not-tested */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "proto/dialogue.h"
#include "util/err.h"

/* RFC 3207 section 4: "530 Must issue a STARTTLS command first"; RFC 3463
 * 5.7.0 or RFC 7372's 5.7.10 "encryption needed". A 530 that asks for
 * AUTH (RFC 4954 section 6, Exchange's "530 5.7.1 Client was not
 * authenticated") is about authentication, not TLS. */
static bool is_tls_required(const struct smtp_reply *r)
{
	if (r->code / 100 != 5)
		return false;
	if (strcmp(r->enh, "5.7.10") == 0)
		return true;
	bool auth = false;
	for (size_t i = 0; i < r->text.n; i++) {
		if (strcasestr(r->text.v[i], "STARTTLS") || strcasestr(r->text.v[i], "encryption") ||
		    strcasestr(r->text.v[i], "TLS"))
			return true;
		if (strcasestr(r->text.v[i], "auth"))
			auth = true;
	}
	return r->code == 530 && !auth;
}

/* MAIL accepted before STARTTLS: right on a public MX (RFC 3207 section 4),
 * a problem on submission as strict as the policy. */
static enum severity accepted_severity(const struct probe_ctx *ctx, enum probe_role role)
{
	if (role == ROLE_MX)
		return SEV_PASS;
	if (role != ROLE_SUBMISSION)
		return SEV_INFO;
	return policy_tls_severity(ctx->opt->policy);
}

static void judge(struct probe_ctx *ctx, const struct dialogue *d, const struct smtp_reply *r)
{
	enum probe_role role = probe_role(ctx);
	struct finding *f;
	char *txt = dialogue_reply_text(r);
	if (is_tls_required(r)) {
		if (role == ROLE_MX) {
			f = probe_result_add(ctx->pr, "require-tls.enforced", SEV_WARN,
					     "This MX requires STARTTLS: senders without TLS cannot deliver");
			finding_set_detail(f,
					   "RFC 3207 section 4: \"A publicly-referenced SMTP server MUST NOT require "
					   "use of the STARTTLS extension in order to deliver mail locally.\" Mail "
					   "from senders that do not do TLS is refused here and bounces. Requiring TLS "
					   "is right on submission (port 587/465) and between partners that agreed on "
					   "it; the policy (what a sender demands) does not change this.");
			finding_set_remedy(f,
					   "On a public MX offer TLS without requiring it: Postfix "
					   "smtpd_tls_security_level = may (encrypt only on the submission service); "
					   "Exim: no deny !encrypted in acl_smtp_mail for port 25; Exchange: clear "
					   "\"Require TLS\" on the Internet receive connector. Enforce TLS per partner "
					   "domain instead (Postfix smtp_tls_policy_maps, Exchange domain security).");
		} else {
			f = probe_result_add(ctx->pr, "require-tls.enforced", SEV_PASS,
					     "MAIL FROM before STARTTLS refused: TLS is required");
		}
	} else if (r->code / 100 == 2) {
		enum severity sev = accepted_severity(ctx, role);
		f = probe_result_add(ctx->pr, "require-tls.not-enforced", sev,
				     role == ROLE_MX ? "MAIL FROM accepted before STARTTLS, as a public MX must"
						     : "MAIL FROM accepted before STARTTLS: TLS is not required");
		if (role == ROLE_MX)
			finding_set_detail(f, "RFC 3207 section 4: a publicly-referenced SMTP server must not require "
					      "STARTTLS, so senders without TLS can still deliver. Whether a sender "
					      "uses TLS is the sender's policy.");
		else
			finding_set_detail(f,
					   "A client may send mail (and, after AUTH, credentials) without TLS. On a "
					   "%s service under policy %s that is %s.",
					   probe_role_name(role), policy_name(ctx->opt->policy),
					   sev >= SEV_FAIL   ? "a failure"
					   : sev == SEV_WARN ? "a warning"
							     : "allowed");
		if (sev >= SEV_WARN)
			finding_set_remedy(
				f, "Require TLS on this submission service: Postfix "
				   "smtpd_tls_security_level = encrypt on the submission service in "
				   "master.cf (-o smtpd_tls_security_level=encrypt); Exim: acl_smtp_mail with "
				   "deny !encrypted = * for port 587; Exchange: \"Require TLS\" on the client "
				   "receive connector (Exchange 2003: \"Require secure channel\"). Better still, "
				   "implicit TLS on port 465 (RFC 8314).");
	} else {
		f = probe_not_tested(ctx, "Not tested: MAIL FROM before STARTTLS was refused for another reason",
				     STEP_NONE,
				     "The reply neither asks for STARTTLS nor accepts the sender (a 421, a sender "
				     "or client refusal, AUTH required): whether TLS is required is unknown.",
				     NULL);
	}
	finding_add_ev(f, "reply", "%s", txt);
	free(txt);
	finding_add_ev(f, "starttls_offered", "%s", d->caps.starttls ? "yes" : "no");
	finding_add_ev(f, "policy", "%s", policy_name(ctx->opt->policy));
	finding_add_ev(f, "role", "%s", probe_role_name(role));
	finding_set_rfc(f, "RFC 3207 section 4");
}

static void run(struct probe_ctx *ctx)
{
	if (ctx->spec->implicit_tls) {
		struct finding *f = probe_result_add(ctx->pr, "require-tls.not-applicable", SEV_INFO,
						     "Implicit TLS: there is no plaintext phase to refuse");
		finding_set_rfc(f, "RFC 8314 section 3");
		return;
	}
	if (!probe_may_connect(ctx, "whether MAIL FROM is accepted before STARTTLS"))
		return;
	struct dialogue d;
	struct smtp_reply r = { 0 };
	if (dialogue_open(&d, ctx->opt, ctx->spec, ctx->t, "require-tls: MAIL FROM before STARTTLS", NULL, DLG_PLAIN) <
	    0) {
		probe_dialogue_not_tested(ctx, "Not tested: the session did not get to MAIL FROM before STARTTLS", &d);
		goto out;
	}
	char *from = probe_mail_from(ctx);
	int rc = dialogue_command(&d, from, NULL, &r);
	free(from);
	if (rc < 0) {
		probe_not_tested(ctx, "Not tested: no reply to MAIL FROM", STEP_NONE, mx_strerror(rc), NULL);
		goto out;
	}
	judge(ctx, &d, &r);
out:
	smtp_reply_clear(&r);
	dialogue_close(&d, true);
}

const struct probe probe_require_tls = {
	.name = "require-tls",
	.title = "MAIL before STARTTLS: refused on submission, accepted on a public MX",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OWN_CONNECTION, /* one connection; sends MAIL FROM */
};
