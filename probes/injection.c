/* \summary: the injection probe (STARTTLS command injection, the
 * CVE-2011-0411 class): on a connection of its own, "STARTTLS\r\nNOOP\r\n"
 * in one write. The NOOP crossed in plaintext; a server that buffered it
 * and answers it inside TLS, before we send anything there, lets a man in
 * the middle inject commands into the encrypted session. After the 220 and
 * the handshake we send QUIT: a server that kept the NOOP answers it first.
 * specification: RFC 3207 section 4.2 (the server MUST discard what it
 * knew before TLS), RFC 2920 section 3.1 (STARTTLS ends a pipeline);
 * CVE-2011-0411 (Postfix), CVE-2011-1430 (Ipswitch), CVE-2011-1431
 * (Kerio) and others of the class. */
/* ids: injection.not-tested injection.not-applicable */
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "proto/dialogue.h"
#include "util/err.h"

/* After the handshake: QUIT at once, and read the first reply inside TLS.
 * A server that kept the plaintext NOOP answers it (250) before our QUIT
 * (221): its input is read in order, so the first reply tells, with no
 * wait of a fixed length. Only a silent server costs the step deadline
 * (docs/timing.md). */
static void quit_inside_tls(struct probe_ctx *ctx, struct dialogue *d, const char *plain_after)
{
	struct smtp_reply r = { 0 };
	int64_t t0 = mono_us();
	int rc = dialogue_command(d, "QUIT", NULL, &r);
	/* NOOP is answered 250; QUIT 221. Anything else (a 421 "no client
	 * certificate presented", a 5xx) refuses the session inside TLS and
	 * says nothing about the NOOP. */
	bool answered_noop = rc == 0 && r.code == 250;
	bool refused = rc == 0 && !answered_noop && r.code != 221;
	struct finding *f;
	if (answered_noop) {
		char *got = dialogue_reply_text(&r);
		f = probe_result_add(ctx->pr, "injection.vulnerable", SEV_FAIL,
				     "STARTTLS command injection: a command sent in clear was answered inside TLS");
		finding_set_detail(f, "mxprobe sent \"STARTTLS\\r\\nNOOP\\r\\n\" in one write, then QUIT inside TLS. "
				      "The first reply inside the TLS session answered the NOOP, not the QUIT: the "
				      "server kept plaintext input across STARTTLS, so a man in the middle can inject "
				      "commands (RSET, MAIL, RCPT) that run as if they came through TLS.");
		finding_add_ev(f, "received_inside_tls", "%s", got);
		free(got);
		finding_set_remedy(f,
				   "Update the MTA (Postfix 2.8.4/2.7.3 and later fix CVE-2011-0411) and any "
				   "proxy or filter that terminates SMTP in front of it; the server must discard its "
				   "input buffer when it starts TLS.");
		/* The QUIT's own 221 follows: read it into the transcript. */
		smtp_reply_clear(&r);
		(void)session_read_reply(&d->s, &r, STEP_QUIT, NULL);
	} else if (refused) {
		char *got = dialogue_reply_text(&r);
		f = probe_not_tested(ctx, "STARTTLS injection not tested: the server refused the session inside TLS",
				     STEP_NONE,
				     "The first reply inside TLS was neither the NOOP's 250 nor the QUIT's 221: the "
				     "server refused the session (a client certificate it requires, a policy), so "
				     "whether it would have answered the plaintext NOOP was not seen.",
				     NULL);
		finding_add_ev(f, "received_inside_tls", "%s", got);
		free(got);
	} else if (rc == 0 || rc == -MX_E_TIMEOUT) {
		f = probe_result_add(ctx->pr, "injection.not-vulnerable", SEV_PASS,
				     "No STARTTLS command injection: the command sent in clear was not answered "
				     "inside TLS");
		finding_set_detail(f,
				   rc == 0 ? "The first reply inside TLS answered our QUIT (221, after %.1f ms): the "
					     "server discarded the plaintext NOOP."
					   : "Nothing arrived inside TLS within %.1f ms of the handshake, not even an "
					     "answer to our QUIT: the server did not answer the plaintext NOOP.",
				   (double)(mono_us() - t0) / 1e3);
		finding_add_ev(f, "after_handshake", "%s", rc == 0 ? "221 to QUIT" : mx_errname(rc));
	} else {
		/* A close, an alert or a broken record right after the handshake
		 * (a client-certificate demand in TLS 1.3, a crash): the server
		 * never got to show what it does with the NOOP. */
		f = probe_not_tested(ctx, "STARTTLS injection not tested: the session ended right after the handshake",
				     STEP_NONE,
				     "The server ended the TLS session (or it broke) before it answered our QUIT, so "
				     "whether it would have answered the plaintext NOOP was not seen.",
				     NULL);
		finding_add_ev(f, "after_handshake", "%s", mx_errname(rc));
	}
	/* QUIT is said: dialogue_close must not say it again. */
	d->open = false;
	smtp_reply_clear(&r);
	finding_add_ev(f, "sent", "STARTTLS\\r\\nNOOP\\r\\n (one write), then QUIT inside TLS");
	if (plain_after)
		finding_add_ev(f, "plaintext_after_220", "%s", plain_after);
	finding_set_rfc(f, "RFC 3207 section 4.2; CVE-2011-0411");
}

static void run(struct probe_ctx *ctx)
{
	if (ctx->spec->implicit_tls) {
		probe_result_add(ctx->pr, "injection.not-applicable", SEV_INFO,
				 "Implicit TLS: there is no STARTTLS to inject behind");
		return;
	}
	if (!probe_may_connect(ctx, "whether commands sent in clear are answered inside TLS"))
		return;
	struct dialogue d;
	struct smtp_reply r = { 0 };
	char *plain_after = NULL;
	if (dialogue_open(&d, ctx->opt, ctx->spec, ctx->t, "injection: STARTTLS and NOOP in one write", NULL,
			  DLG_PLAIN) < 0) {
		probe_dialogue_not_tested(ctx, "STARTTLS injection not tested: the session did not get to STARTTLS",
					  &d);
		goto out;
	}
	if (!d.caps.starttls) {
		probe_result_add(ctx->pr, "injection.not-applicable", SEV_INFO,
				 "STARTTLS not offered: nothing to inject behind");
		goto out;
	}
	static const char both[] = "STARTTLS\r\nNOOP\r\n";
	transcript_add(&ctx->t->tr, TR_SENT, "STARTTLS");
	transcript_add(&ctx->t->tr, TR_SENT, "NOOP");
	transcript_add(&ctx->t->tr, TR_EVENT, "STARTTLS and NOOP sent in one write (injection test)");
	int rc = conn_write_all(&d.s.c, both, sizeof both - 1, session_step_deadline(&d.s));
	char *bad = NULL;
	if (rc == 0)
		rc = session_read_reply(&d.s, &r, STEP_STARTTLS, &bad);
	free(bad);
	if (rc < 0 || r.code != 220) {
		struct finding *f = probe_not_tested(ctx, "STARTTLS injection not tested: STARTTLS was not accepted",
						     STEP_STARTTLS, rc < 0 ? mx_strerror(rc) : NULL, NULL);
		if (rc == 0) {
			char *txt = dialogue_reply_text(&r);
			finding_add_ev(f, "reply", "%s", txt);
			free(txt);
		}
		goto out;
	}
	/* An answer to NOOP in clear, between the 220 and the handshake, is
	 * not TLS: keep it out of the handshake, and say it. */
	struct buf extra;
	buf_init(&extra, 64 * 1024);
	if (conn_drain_pending(&d.s.c, &extra)) {
		plain_after = str_escape(extra.data, extra.len, 512);
		transcript_addf(&ctx->t->tr, TR_EVENT, "Plaintext after the 220 to STARTTLS: %s", plain_after);
	}
	buf_clear(&extra);
	if (dialogue_handshake(&d, ctx->spec) < 0) {
		struct finding *f =
			probe_dialogue_not_tested(ctx, "STARTTLS injection not tested: the TLS handshake failed", &d);
		if (plain_after)
			finding_add_ev(f, "plaintext_after_220", "%s", plain_after);
		goto out;
	}
	quit_inside_tls(ctx, &d, plain_after);
out:
	free(plain_after);
	smtp_reply_clear(&r);
	dialogue_close(&d, false);
}

const struct probe probe_injection = {
	.name = "injection",
	.title = "STARTTLS command injection (CVE-2011-0411 class)",
	.needs = NEEDS_NOTHING,
	.run = run,
	.flags = PROBE_OWN_CONNECTION, /* one connection of its own */
};
