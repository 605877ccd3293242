/* \summary: the access probe (KB823019 connection control): did the server
 * let this client in? With --expect-refused (the user says this source
 * address, see --source, is one the server excludes) the standard
 * session's outcome is the test: refused at TCP, refused in the banner
 * (554; a 421 is "try later", no answer), refused at EHLO, or accepted. Without --expect-refused it
 * only notes a source address given with --source. No connection of its own.
 * specification: RFC 5321 section 3.1 (554 instead of 220 "no SMTP service
 * here"), section 4.2.3 (421). */
/* ids: access.refused-tcp access.refused-banner access.refused-ehlo access.not-tested */
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "util/err.h"

static void refused(struct probe_ctx *ctx, const char *id, const char *title, const struct session_facts *fa)
{
	struct finding *f = probe_result_add(ctx->pr, id, SEV_PASS, title);
	finding_add_ev(f, "step", "%s", session_step_id(fa->failed_step));
	if (fa->fail_detail)
		finding_add_ev(f, "reply", "%s", fa->fail_detail);
	finding_add_ev(f, "source", "%s", ctx->opt->source ? ctx->opt->source : fa->local ? fa->local : "?");
	/* The refusal was the expected outcome: the target was tested. */
	ctx->t->status = TARGET_TESTED;
}

static void run(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	struct finding *f;
	if (!ctx->opt->expect_refused) {
		if (ctx->opt->source && fa->connected) {
			f = probe_result_add(ctx->pr, "access.source", SEV_INFO,
					     "Connected from the address given with --source");
			finding_add_ev(f, "local", "%s", fa->local ? fa->local : "?");
		}
		return;
	}
	/* 421 is "try again later" (a rate limit, too many connections), not
	 * an access rule: it answers nothing about this source. */
	if (session_refused_source(fa)) {
		if (fa->failed_step == STEP_CONNECT)
			refused(ctx, "access.refused-tcp", "Refused at TCP, as expected for this source", fa);
		else if (fa->failed_step == STEP_BANNER)
			refused(ctx, "access.refused-banner", "Refused in the banner, as expected for this source", fa);
		else
			refused(ctx, "access.refused-ehlo", "Refused at EHLO, as expected for this source", fa);
		return;
	}
	/* Accepted means greeted and EHLO answered; anything short of that
	 * without a refusal (a timeout, a hang-up, a 421) is no answer. */
	if (!probe_session_reached(ctx, REACH_HELLO, "whether this source is refused"))
		return;
	f = probe_result_add(ctx->pr, "access.excluded-source-accepted", SEV_FAIL,
			     "This source should be refused (--expect-refused) but was accepted");
	finding_set_detail(f,
			   "The server greeted with %d and accepted EHLO from %s. KB823019: a client from an "
			   "excluded address must be refused. A server that refuses only later (Postfix "
			   "smtpd_delay_reject = yes, the default, rejects at RCPT TO) lets the client talk; "
			   "the relay probe shows what RCPT gets.",
			   fa->banner.code, fa->local ? fa->local : "?");
	finding_add_ev(f, "banner", "%d %s", fa->banner.code, fa->banner.text ? fa->banner.text : "");
	finding_add_ev(f, "source", "%s", fa->local ? fa->local : "?");
	finding_set_rfc(f, "RFC 5321 section 3.1");
	finding_set_remedy(f, "Refuse the address at connect time: Postfix smtpd_client_restrictions = "
			      "check_client_access cidr:/etc/postfix/client_access with smtpd_delay_reject = no "
			      "(554 banner), or a firewall rule (refused at TCP); Exchange 2003: Connection control, "
			      "\"only the list below\".");
}

const struct probe probe_access = {
	.name = "access",
	.title = "Connection control: is this source refused?",
	.needs = NEEDS_SESSION,
	.run = run,
};
