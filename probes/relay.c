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

#include "core/probe.h"
#include "proto/dialogue.h"
#include "util/err.h"

#define RELAY_TEST_RCPT "mxprobe-relay-test@relay-test.mxprobe.invalid"

static void refused_early(struct probe_ctx *ctx, const struct dialogue *d)
{
	struct finding *f = probe_result_add(ctx->pr, "relay.refused", SEV_PASS,
					     "Relay impossible: this client was refused before RCPT");
	finding_set_detail(f,
			   "The server refused this client at the %s, so it cannot relay through it "
			   "(KB823019: relay from an excluded address gets an error).",
			   session_step_name(d->failed_step));
	finding_add_ev(f, "step", "%s", session_step_id(d->failed_step));
	finding_add_ev(f, "reply", "%s", d->detail ? d->detail : "");
}

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
	} else if (r->code / 100 == 4) {
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
	finding_set_rfc(f, "RFC 5321 section 7.1");
}

static void run(struct probe_ctx *ctx)
{
	struct finding *f;
	struct dialogue d;
	struct smtp_reply r = { 0 };
	if (dialogue_open(&d, ctx->opt, ctx->spec, ctx->t, "relay: RCPT TO a foreign domain without AUTH", NULL,
			  DLG_TLS_IF_OFFERED) < 0) {
		/* Refused outright (TCP, 554 banner, EHLO rejected) = no relay. */
		bool refused = d.err == -MX_E_REFUSED || ((d.refusal.code / 100 == 5 || d.refusal.code == 421) &&
							  (d.failed_step == STEP_BANNER || d.failed_step == STEP_EHLO));
		if (refused) {
			refused_early(ctx, &d);
			goto out;
		}
		f = probe_result_add(ctx->pr, "relay.not-tested", SEV_ERROR, "Relay not tested");
		finding_set_detail(f, "The session stopped at the %s: %s", session_step_name(d.failed_step),
				   d.detail ? d.detail : "");
		goto out;
	}
	char *from = xasprintf("MAIL FROM:<probe@%s>", ctx->opt->ehlo_name);
	int rc = dialogue_command(&d, from, NULL, &r);
	free(from);
	if (rc == 0 && r.code / 100 == 5) {
		free(d.detail);
		d.detail = dialogue_reply_text(&r);
		d.failed_step = STEP_NONE;
		f = probe_result_add(ctx->pr, "relay.refused", SEV_PASS,
				     "Relay impossible: MAIL FROM was refused without AUTH");
		finding_add_ev(f, "step", "mail");
		finding_add_ev(f, "reply", "%s", d.detail);
		finding_add_ev(f, "tls", "%s", d.tls ? "yes" : "no");
		goto out;
	}
	if (rc < 0 || r.code / 100 != 2) {
		f = probe_result_add(ctx->pr, "relay.not-tested", SEV_ERROR, "Relay not tested: MAIL FROM failed");
		if (rc < 0) {
			finding_set_detail(f, "%s", mx_strerror(rc));
		} else {
			char *txt = dialogue_reply_text(&r);
			finding_add_ev(f, "reply", "%s", txt);
			free(txt);
		}
		goto out;
	}
	rc = dialogue_command(&d, "RCPT TO:<" RELAY_TEST_RCPT ">", NULL, &r);
	if (rc < 0) {
		f = probe_result_add(ctx->pr, "relay.not-tested", SEV_ERROR, "Relay not tested: no reply to RCPT TO");
		finding_set_detail(f, "%s", mx_strerror(rc));
		goto out;
	}
	judge_rcpt(ctx, &d, &r);
out:
	smtp_reply_clear(&r);
	dialogue_close(&d, true);
}

const struct probe probe_relay = {
	.name = "relay",
	.title = "Relay to a foreign domain without AUTH",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OPT_IN, /* one connection; sends MAIL FROM and RCPT TO */
};
