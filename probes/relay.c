/* \summary: the relay probe (KB823019 relay control): on a connection of
 * its own, without AUTH, MAIL FROM and RCPT TO a recipient in a domain no
 * server can be responsible for (.invalid, RFC 2606), inside TLS when the
 * server offers it. An open relay accepts the recipient; a closed one
 * refuses it (5xx). Never DATA: the transaction is reset and the session
 * ends, so nothing can be delivered, whatever the server answered.
 * specification: RFC 5321 sections 3.3 and 7.1 (relaying), RFC 2505
 * (anti-spam recommendations), RFC 2606 (.invalid). */
/* ids: relay.not-tested */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "proto/dialogue.h"
#include "util/err.h"

#define RELAY_TEST_RCPT "mxprobe-relay-test@relay-test.mxprobe.invalid"

static void judge_rcpt(struct probe_ctx *ctx, const struct dialogue *d, const struct smtp_reply *r)
{
	struct finding *f;
	if (r->code / 100 == 2 || r->code / 100 == 3) {
		f = probe_result_add(ctx->pr, "relay.open", SEV_FAIL,
				     "Open relay: a recipient in a foreign domain was accepted without AUTH");
		finding_set_detail(f, "An unauthenticated client may send mail through this server to any domain: "
				      "spammers find open relays within hours and the server lands on blocklists. "
				      "mxprobe sent no DATA and reset the transaction: nothing was relayed.");
		finding_set_remedy(f, "Relay only for authenticated clients and your own networks: Postfix "
				      "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
				      "reject_unauth_destination; Exim: accept hosts = +relay_from_hosts / "
				      "authenticated = * in acl_check_rcpt, then require verify = recipient for your "
				      "domains; Exchange 2003: Relay restrictions, \"only the list below\" with "
				      "\"allow all computers which successfully authenticate\".");
	} else if (r->code / 100 == 4 && r->code != 421) {
		f = probe_result_add(ctx->pr, "relay.deferred", SEV_WARN,
				     "Relay deferred (4xx), not refused: a sender will retry");
		finding_set_detail(f, "A temporary refusal is not acceptance, but it makes a sender retry for days. "
				      "Postfix's default defer_unauth_destination answers this way; a permanent 5xx "
				      "ends the attempt.");
		finding_set_remedy(f, "Postfix: reject_unauth_destination instead of defer_unauth_destination in "
				      "smtpd_relay_restrictions.");
	} else {
		f = probe_result_add(ctx->pr, "relay.refused", SEV_PASS,
				     "Relay refused: a foreign recipient without AUTH was rejected");
	}
	char *txt = dialogue_reply_text(r);
	finding_add_ev(f, "reply", "%s", txt);
	free(txt);
	finding_add_ev(f, "recipient", "%s", RELAY_TEST_RCPT);
	finding_add_ev(f, "tls", "%s", d->tls ? "yes" : "no");
	finding_add_ev(f, "role", "%s", probe_role_name(probe_role(ctx)));
	finding_set_rfc(f, "RFC 5321 section 7.1");
}

/* A refusal of MAIL FROM that says AUTH is needed first (RFC 4954 section
 * 6: 530 5.7.0) closes every transaction, relaying included; any other
 * refusal may be about our sender address and says nothing about relay. */
static bool mail_needs_auth(const struct smtp_reply *r)
{
	if (r->code == 530)
		return true;
	for (size_t i = 0; r->code / 100 == 5 && i < r->text.n; i++)
		if (strcasestr(r->text.v[i], "auth"))
			return true;
	return false;
}

static void run(struct probe_ctx *ctx)
{
	struct finding *f;
	struct dialogue d;
	struct smtp_reply r = { 0 };
	char *txt = NULL;
	if (!probe_may_connect(ctx, "whether this server relays for an unauthenticated client"))
		return;
	/* A refusal at TCP, in the banner or at EHLO (a 421 rate limit, a 5xx
	 * to our EHLO name) stops us before RCPT: the question was not asked.
	 * The access probe judges such refusals. */
	if (dialogue_open(&d, ctx->opt, ctx->spec, ctx->t, "relay: RCPT TO a foreign domain without AUTH", NULL,
			  DLG_TLS_IF_OFFERED) < 0) {
		probe_dialogue_not_tested(ctx, "Relay not tested: the session did not get to RCPT TO", &d);
		goto out;
	}
	char *from = probe_mail_from(ctx);
	int rc = dialogue_command(&d, from, NULL, &r);
	free(from);
	if (rc < 0) {
		f = probe_not_tested(ctx, "Relay not tested: no reply to MAIL FROM", STEP_NONE, mx_strerror(rc), NULL);
		goto out;
	}
	txt = dialogue_reply_text(&r);
	if (mail_needs_auth(&r)) {
		f = probe_result_add(ctx->pr, "relay.refused", SEV_PASS,
				     "Relay impossible: MAIL FROM needs AUTH first");
		finding_set_detail(f, "The server accepts no transaction at all without AUTH, so it cannot relay for "
				      "an unauthenticated client.");
		finding_add_ev(f, "step", "mail");
		finding_add_ev(f, "reply", "%s", txt);
		finding_add_ev(f, "tls", "%s", d.tls ? "yes" : "no");
		finding_add_ev(f, "role", "%s", probe_role_name(probe_role(ctx)));
		finding_set_rfc(f, "RFC 4954 section 6");
		goto out;
	}
	if (r.code / 100 != 2) {
		f = probe_not_tested(ctx, "Relay not tested: MAIL FROM was not accepted", STEP_NONE,
				     "The refusal does not say that AUTH is needed (it may be about the sender "
				     "address), so it says nothing about relaying.",
				     NULL);
		finding_add_ev(f, "reply", "%s", txt);
		goto out;
	}
	rc = dialogue_command(&d, "RCPT TO:<" RELAY_TEST_RCPT ">", NULL, &r);
	if (rc < 0) {
		probe_not_tested(ctx, "Relay not tested: no reply to RCPT TO", STEP_NONE, mx_strerror(rc), NULL);
		goto out;
	}
	if (r.code == 421) {
		free(txt);
		txt = dialogue_reply_text(&r);
		f = probe_not_tested(ctx, "Relay not tested: the server closed the session at RCPT TO (421)", STEP_NONE,
				     NULL, NULL);
		finding_add_ev(f, "reply", "%s", txt);
		goto out;
	}
	judge_rcpt(ctx, &d, &r);
out:
	free(txt);
	smtp_reply_clear(&r);
	dialogue_close(&d, true);
}

const struct probe probe_relay = {
	.name = "relay",
	.title = "Relay to a foreign domain without AUTH",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OWN_CONNECTION, /* one connection; sends MAIL FROM and RCPT TO */
};
