/* \summary: the require-tls probe (KB823019 "require secure channel"): on a
 * connection of its own, EHLO and MAIL FROM before STARTTLS. A server that
 * requires TLS answers 530 5.7.0 "Must issue a STARTTLS command first";
 * then RSET and QUIT. No RCPT, never DATA: nothing can be sent.
 * "Require 128-bit encryption" is the starttls probe's tls.cipher.
 * specification: RFC 3207 section 4 (530 before STARTTLS), RFC 5321
 * section 3.3 (MAIL). */
/* ids: require-tls.not-tested */
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "proto/dialogue.h"
#include "util/err.h"

/* RFC 3207 section 4: "530 Must issue a STARTTLS command first"; RFC 3463
 * 5.7.0 or RFC 7372's 5.7.10 "encryption needed". */
static bool is_tls_required(const struct smtp_reply *r)
{
	if (r->code == 530)
		return true;
	if (r->code / 100 != 5)
		return false;
	if (strcmp(r->enh, "5.7.10") == 0)
		return true;
	for (size_t i = 0; i < r->text.n; i++)
		if (strcasestr(r->text.v[i], "STARTTLS") || strcasestr(r->text.v[i], "encryption"))
			return true;
	return false;
}

static void run(struct probe_ctx *ctx)
{
	struct finding *f;
	if (ctx->spec->implicit_tls) {
		f = probe_result_add(ctx->pr, "require-tls.not-applicable", SEV_INFO,
				     "Implicit TLS: there is no plaintext phase to refuse");
		finding_set_rfc(f, "RFC 8314 section 3");
		return;
	}
	struct dialogue d;
	struct smtp_reply r = { 0 };
	if (dialogue_open(&d, ctx->opt, ctx->spec, ctx->t, "require-tls: MAIL FROM before STARTTLS", NULL, DLG_PLAIN) <
	    0) {
		f = probe_result_add(ctx->pr, "require-tls.not-tested", SEV_ERROR,
				     "Could not reach MAIL FROM before STARTTLS");
		finding_set_detail(f, "The session stopped at the %s: %s", session_step_name(d.failed_step),
				   d.detail ? d.detail : "");
		goto out;
	}
	char *from = xasprintf("MAIL FROM:<probe@%s>", ctx->opt->ehlo_name);
	int rc = dialogue_command(&d, from, NULL, &r);
	free(from);
	if (rc < 0) {
		f = probe_result_add(ctx->pr, "require-tls.not-tested", SEV_ERROR, "No reply to MAIL FROM");
		finding_set_detail(f, "%s", mx_strerror(rc));
		goto out;
	}
	bool strict = ctx->opt->policy >= POLICY_ENCRYPT;
	if (is_tls_required(&r)) {
		f = probe_result_add(ctx->pr, "require-tls.enforced", SEV_PASS,
				     "MAIL FROM before STARTTLS refused: TLS is required");
	} else if (r.code / 100 == 2) {
		f = probe_result_add(ctx->pr, "require-tls.not-enforced", strict ? SEV_FAIL : SEV_INFO,
				     "MAIL FROM accepted before STARTTLS: TLS is not required");
		finding_set_detail(f,
				   "A client may send mail (and, after AUTH, credentials) without TLS. Under "
				   "policy %s that is %s.",
				   policy_name(ctx->opt->policy), strict ? "a failure" : "allowed");
		if (strict)
			finding_set_remedy(f, "Require TLS on this service: Postfix smtpd_tls_security_level = encrypt "
					      "(per service in master.cf: -o smtpd_tls_security_level=encrypt); Exim: "
					      "acl_smtp_mail with deny !encrypted = *; Exchange 2003: \"Require secure "
					      "channel\" on the virtual server.");
	} else {
		f = probe_result_add(ctx->pr, "require-tls.other-refusal", SEV_INFO,
				     "MAIL FROM before STARTTLS refused, but not for want of TLS");
		finding_set_detail(f, "The reply is not 530 and does not ask for STARTTLS; the server refuses this "
				      "sender or client for another reason, so whether it requires TLS is unknown.");
	}
	char *txt = dialogue_reply_text(&r);
	finding_add_ev(f, "reply", "%s", txt);
	free(txt);
	finding_add_ev(f, "starttls_offered", "%s", d.caps.starttls ? "yes" : "no");
	finding_add_ev(f, "policy", "%s", policy_name(ctx->opt->policy));
	finding_set_rfc(f, "RFC 3207 section 4");
out:
	smtp_reply_clear(&r);
	dialogue_close(&d, true);
}

const struct probe probe_require_tls = {
	.name = "require-tls",
	.title = "MAIL before STARTTLS refused (require secure channel)",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OPT_IN, /* one connection; sends MAIL FROM */
};
