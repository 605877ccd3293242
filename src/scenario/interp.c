/* \summary: the scenario interpreter: one loop over the statements, each a
 * call into the session API, each ending in ok, fail (the server did not
 * do what was expected) or error (the tester could not test: no reply, no
 * connection, a file that would not load), as OpenSMTPD's smtpscript keeps
 * RES_FAIL apart from RES_ERROR. Findings go into one probe result named
 * after the scenario; every line sent and received into the transcript.
 * specification: RFC 5321, RFC 3207 (STARTTLS), RFC 4954 and RFC 4616
 * (AUTH PLAIN), RFC 5322 (the test message). */
#include "scenario/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pki/peer.h"
#include "proto/session.h"
#include "report/seal.h"
#include "proto/smtp.h"
#include "tls/identity.h"
#include "tls/tls.h"
#include "wire/wire.h"
#include "util/err.h"
#include "util/util.h"

/* ids: scenario.passed scenario.expect-failed scenario.error auth.not-sent */

enum res {
	RES_OK,
	RES_FAIL,
	RES_ERROR
};

struct run {
	const struct scenario *sc;
	const struct mx_options *opt;
	const struct target_spec *spec;
	struct target_result *t;
	size_t pr; /* index of our probe result in t->probes */
	struct session s;
	bool connected;		 /* a TCP connection is open */
	bool tls;		 /* TLS is up on it */
	bool peer_ok;		 /* the server authenticated itself in this TLS (pki/peer.h) */
	char *peer_why;		 /* why not; owned */
	struct smtp_reply reply; /* the last reply */
	bool have_reply;
	int reply_rc;	       /* 0, or why no reply came */
	char *reply_to;	       /* what it answered: "the banner", "RCPT TO:<a@b>" */
	struct smtp_caps caps; /* from the last 250 to EHLO */
	bool have_caps;
	const char *sni;
	bool sni_set;
	const char *priority;
	struct tls_identity *identity;
	char *mail_from;
	struct strvec rcpts;
	char *queue_id;
	unsigned expectations, met;
	bool any_unmet;
	int handshakes;
	char *detail; /* why the current statement failed; owned */
};

static enum res fail_with(struct run *r, enum res res, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum res fail_with(struct run *r, enum res res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->detail);
	r->detail = xvasprintf(fmt, ap);
	va_end(ap);
	return res;
}

/* "554 5.7.1 Relay access denied" (lines joined with " / ", bounded). */
static char *reply_str(const struct smtp_reply *rp)
{
	char *text = strvec_join(&rp->text, " / ");
	char *s = xasprintf("%d%s%s%s%s", rp->code, rp->enh[0] ? " " : "", rp->enh, text[0] ? " " : "", text);
	free(text);
	if (strlen(s) > 300)
		strcpy(s + 296, "...");
	return s;
}

static struct probe_result *pr(struct run *r)
{
	return &r->t->probes[r->pr];
}

static struct finding *add_finding(struct run *r, const struct scn_stmt *st, const char *id, enum severity sev,
				   const char *title)
{
	struct finding *f = probe_result_add(pr(r), id, sev, title);
	if (st)
		finding_add_ev(f, "statement", "%s:%u: %s", r->sc->file, st->line, st->src);
	if (r->have_reply && r->reply_rc == 0 && st && st->op == SCN_EXPECT) {
		char *rs = reply_str(&r->reply);
		finding_add_ev(f, "reply", "%s", rs);
		free(rs);
	}
	if (r->queue_id)
		finding_add_ev(f, "queue-id", "%s", r->queue_id);
	return f;
}

/* ---- replies and commands ---- */

static void forget_reply(struct run *r)
{
	smtp_reply_clear(&r->reply);
	memset(&r->reply, 0, sizeof r->reply);
	r->have_reply = false;
	r->reply_rc = 0;
	free(r->reply_to);
	r->reply_to = NULL;
}

static void read_reply(struct run *r, const char *what, enum session_step step)
{
	char *bad = NULL;
	r->have_reply = true;
	r->reply_to = xstrdup(what);
	if (step != STEP_NONE)
		r->reply_rc = session_read_reply(&r->s, &r->reply, step, &bad);
	else
		r->reply_rc = smtp_read_reply(&r->s.c, &r->reply, session_step_deadline(&r->s), &bad);
	if (r->reply_rc == -MX_E_BAD_REPLY && bad)
		transcript_addf(&r->t->tr, TR_EVENT, "Not an SMTP reply: %s", bad);
	free(bad);
}

/* Sends a command (shown instead of line in the transcript when not NULL)
 * and reads its reply. A failed send is remembered as the reply's absence:
 * the expectation that follows decides what it means. */
static enum res command(struct run *r, const char *line, const char *shown, enum session_step step)
{
	if (!r->connected)
		return fail_with(r, RES_ERROR, "not connected");
	forget_reply(r);
	int rc = conn_send_line(&r->s.c, line, shown, session_step_deadline(&r->s));
	if (rc < 0) {
		r->have_reply = true;
		r->reply_to = xstrdup(shown ? shown : line);
		r->reply_rc = rc;
		return RES_OK;
	}
	read_reply(r, shown ? shown : line, step);
	return RES_OK;
}

static void disconnect(struct run *r)
{
	if (r->tls)
		tls_bye(&r->s.c, mono_us() + 200000);
	if (r->connected)
		session_close(&r->s);
	r->connected = r->tls = r->peer_ok = false;
	r->have_caps = false;
}

/* The first session's facts go into the target (json/text/log show them);
 * later connections' TLS facts into a scratch copy. */
static struct session_facts *tls_facts(struct run *r, struct session_facts *scratch)
{
	if (r->handshakes++ == 0)
		return &r->t->facts;
	memset(scratch, 0, sizeof *scratch);
	scratch->tls_alert = -1;
	return scratch;
}

static enum res handshake(struct run *r)
{
	struct tls_opts to = { 0 };
	if (r->sni_set)
		to.sni = strcmp(r->sni, "none") == 0 ? NULL : r->sni;
	else
		to.sni = r->opt->sni ? r->opt->sni : (r->spec->family ? NULL : r->spec->host);
	to.priority = r->priority;
	to.identity = r->identity ? r->identity : r->opt->client_identity;
	struct session_facts scratch, *f = tls_facts(r, &scratch);
	int rc = tls_client_handshake(&r->s.c, &to, f, session_step_deadline(&r->s));
	enum res res = RES_OK;
	if (rc < 0) {
		if (f->tls_alert >= 0)
			res = fail_with(r, RES_FAIL, "TLS handshake failed: alert %s (%d) from the server",
					f->tls_alert_name, f->tls_alert);
		else if (rc == -MX_E_TIMEOUT)
			res = fail_with(r, RES_ERROR, "TLS handshake: no answer within the deadline");
		else
			res = fail_with(r, RES_FAIL, "TLS handshake failed: %s (%s)",
					f->tls_error_text ? f->tls_error_text : mx_strerror(rc),
					f->tls_error ? f->tls_error : mx_errname(rc));
		disconnect(r);
	} else {
		r->tls = true;
		/* Whether auth may send credentials in this TLS (issue 8). */
		const char *ref = to.sni ? to.sni : r->spec->mx_host ? r->spec->mx_host : r->spec->host;
		char why[512];
		r->peer_ok = peer_is_authenticated(NULL, r->opt, f->chain, f->chain_len, ref, why, sizeof why);
		free(r->peer_why);
		r->peer_why = r->peer_ok ? NULL : xstrdup(why);
	}
	if (f == &scratch)
		session_facts_clear(&scratch);
	return res;
}

static enum res do_connect(struct run *r)
{
	disconnect(r);
	forget_reply(r);
	struct addrinfo *ai = NULL;
	char *detail = NULL;
	int rc = session_resolve(&r->s, r->spec, &ai, &detail);
	if (rc < 0) {
		enum res res = fail_with(r, RES_ERROR, "resolving %s: %s", r->spec->host, detail ? detail : "failed");
		free(detail);
		return res;
	}
	free(detail);
	char addr[64];
	sockaddr_format(ai->ai_addr, addr, sizeof addr);
	rc = session_connect(&r->s, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	struct session_facts *f = &r->t->facts;
	if (!f->remote) {
		free(r->t->address);
		r->t->address = xstrdup(addr);
		f->remote = xstrdup(addr);
	}
	if (rc < 0)
		return fail_with(r, RES_ERROR, "connecting to %s: %s", addr, mx_strerror(rc));
	r->connected = true;
	if (!f->connected) {
		f->connected = true;
		f->local = xstrdup(r->s.c.local);
	}
	if (r->spec->implicit_tls) {
		f->implicit_tls = true;
		enum res res = handshake(r);
		if (res != RES_OK)
			return res;
	}
	read_reply(r, "the banner", STEP_BANNER);
	if (r->reply_rc == 0 && f->banner.code == 0)
		smtp_reply_to_info(&r->reply, &f->banner);
	return RES_OK;
}

static enum res do_ehlo(struct run *r, const struct scn_stmt *st)
{
	const char *name = st->arg ? st->arg : session_ehlo_name(&r->s);
	char *line = xasprintf("%s %s", st->op == SCN_EHLO ? "EHLO" : "HELO", name);
	r->have_caps = false;
	smtp_caps_clear(&r->caps);
	memset(&r->caps, 0, sizeof r->caps);
	enum res res = command(r, line, NULL, r->tls ? STEP_EHLO_TLS : STEP_EHLO);
	free(line);
	if (res != RES_OK || r->reply_rc < 0 || r->reply.code != 250)
		return res;
	struct session_facts *f = &r->t->facts;
	if (st->op == SCN_HELO) {
		f->used_helo = true;
		return res;
	}
	smtp_caps_parse(&r->reply, &r->caps);
	r->have_caps = true;
	struct reply_info *keep = r->tls ? &f->ehlo_tls : &f->ehlo;
	struct smtp_caps *caps = r->tls ? &f->caps_tls : &f->caps_plain;
	if (keep->code == 0) {
		smtp_reply_to_info(&r->reply, keep);
		smtp_caps_parse(&r->reply, caps);
	}
	return res;
}

/* RFC 3207 section 4: 220, then the handshake; bytes the server sent after
 * the 220 are not TLS (response injection): reported, never fed to TLS. */
static enum res do_starttls(struct run *r)
{
	enum res res = command(r, "STARTTLS", NULL, STEP_STARTTLS);
	if (res != RES_OK)
		return res;
	struct session_facts *f = &r->t->facts;
	if (r->reply_rc < 0)
		return fail_with(r, RES_ERROR, "no reply to STARTTLS: %s", mx_strerror(r->reply_rc));
	if (f->starttls == STARTTLS_NOT_APPLICABLE)
		smtp_reply_to_info(&r->reply, &f->starttls_reply);
	if (r->reply.code != 220) {
		if (f->starttls == STARTTLS_NOT_APPLICABLE)
			f->starttls = STARTTLS_REFUSED;
		char *rs = reply_str(&r->reply);
		res = fail_with(r, RES_FAIL, "expected 220 to STARTTLS, got %s", rs);
		free(rs);
		return res;
	}
	if (f->starttls == STARTTLS_NOT_APPLICABLE)
		f->starttls = STARTTLS_ACCEPTED;
	struct buf extra;
	buf_init(&extra, 64 * 1024);
	size_t n = conn_drain_pending(&r->s.c, &extra);
	char *esc = n ? str_escape(extra.data, extra.len, 200) : NULL;
	buf_clear(&extra);
	if (n) {
		transcript_addf(&r->t->tr, TR_EVENT, "%zu unexpected bytes after the 220 to STARTTLS: %s", n, esc);
		if (!f->after_starttls) {
			f->after_starttls = xstrdup(esc);
			f->after_starttls_len = n;
		}
	}
	r->have_caps = false;
	smtp_caps_clear(&r->caps);
	memset(&r->caps, 0, sizeof r->caps);
	res = handshake(r);
	if (res == RES_OK && n)
		res = fail_with(r, RES_FAIL, "%zu bytes after the 220 to STARTTLS, before the handshake: %s", n, esc);
	free(esc);
	return res;
}

static char *base64(const unsigned char *p, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* RFC 4616: authzid NUL authcid NUL passwd, in base64. Only inside TLS:
 * the credentials must not cross in clear because a scenario said so. */
static enum res do_auth(struct run *r, const struct scn_stmt *st)
{
	if (!r->tls)
		return fail_with(r, RES_ERROR, "AUTH PLAIN not sent: the connection is not encrypted (starttls first)");
	if (!r->peer_ok && !r->opt->auth_insecure) {
		struct finding *f = add_finding(r, st, "auth.not-sent", SEV_ERROR,
						"AUTH not sent: the server did not authenticate itself");
		finding_add_ev(f, "reason", "%s", r->peer_why ? r->peer_why : "unknown");
		finding_set_remedy(f, "Give the server's CA with --ca-file (and its name with --sni or --expect-name), "
				      "or, for a lab server you control, send anyway with --auth-insecure.");
		return fail_with(r, RES_ERROR, "AUTH PLAIN not sent: %s (--auth-insecure sends anyway)",
				 r->peer_why ? r->peer_why : "the server did not authenticate itself");
	}
	size_t ul = strlen(st->arg), pl = strlen(st->secret);
	unsigned char *raw = xmalloc(ul + pl + 2);
	raw[0] = '\0';
	memcpy(raw + 1, st->arg, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, st->secret, pl);
	char *b = base64(raw, ul + pl + 2);
	char *line = xasprintf("AUTH PLAIN %s", b);
	enum res res = command(r, line, "AUTH PLAIN <redacted>", STEP_NONE);
	memset(raw, 0, ul + pl + 2);
	memset(b, 0, strlen(b));
	memset(line, 0, strlen(line));
	free(raw);
	free(b);
	free(line);
	return res;
}

/* A small RFC 5322 message that says what it is. */
static enum res send_message(struct run *r, const struct scn_stmt *st)
{
	char date[64];
	time_t now = (time_t)(wall_us() / 1000000);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	const char *from = r->mail_from && strcmp(r->mail_from, "<>") != 0 ? r->mail_from : NULL;
	char *to = strvec_join(&r->rcpts, ", ");
	char *lines[] = {
		xasprintf("Date: %s", date),
		xasprintf("Message-ID: <mxprobe.%lld.%u@%s>", (long long)wall_us(), (unsigned)rand() % 100000u,
			  session_ehlo_name(&r->s)),
		from ? xasprintf("From: %s", from) : xasprintf("From: <mxprobe@%s>", session_ehlo_name(&r->s)),
		xasprintf("To: %s", to[0] ? to : "undisclosed-recipients:;"),
		xstrdup("Subject: mxprobe test"),
		xstrdup("MIME-Version: 1.0"),
		xstrdup("Content-Type: text/plain; charset=us-ascii"),
		xstrdup(""),
		xasprintf("This test message was sent by mxprobe (scenario %s, line %u)", r->sc->name, st->line),
		xstrdup("to check that this server accepts mail. It can be deleted."),
		xstrdup("."),
	};
	free(to);
	/* The message in one write, not a segment per line. */
	int rc = conn_send_lines(&r->s.c, lines, ARRAY_LEN(lines), session_step_deadline(&r->s));
	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		free(lines[i]);
	forget_reply(r);
	if (rc < 0) {
		r->have_reply = true;
		r->reply_to = xstrdup("the end of the message");
		r->reply_rc = rc;
		return RES_OK;
	}
	read_reply(r, "the end of the message", STEP_NONE);
	if (r->reply_rc == 0 && r->reply.code / 100 == 2) {
		char *text = strvec_join(&r->reply.text, "\n");
		char *id = scenario_queue_id(text);
		free(text);
		if (id) {
			free(r->queue_id);
			r->queue_id = id;
			transcript_addf(&r->t->tr, TR_EVENT, "Message accepted, queue id %s", id);
		}
	}
	return RES_OK;
}

static enum res do_data(struct run *r, const struct scn_stmt *st)
{
	enum res res = command(r, "DATA", NULL, STEP_NONE);
	if (res != RES_OK || r->reply_rc < 0 || r->reply.code != 354)
		return res;
	return send_message(r, st);
}

/* ---- expectations ---- */

static void describe_expect(const struct scn_expect *ex, char *out, size_t n)
{
	const char *code = ex->code_src;
	snprintf(out, n, "%s%s%s%s%s%s", code, ex->enh[0] && code[0] ? " " : "", ex->enh,
		 ex->has_re && (code[0] || ex->enh[0]) ? " " : "", ex->has_re ? "/" : "", ex->has_re ? ex->re_src : "");
	if (ex->has_re)
		strncat(out, "/", n - strlen(out) - 1);
}

static bool caps_have(const struct smtp_caps *c, const char *kw)
{
	size_t n = strlen(kw);
	for (size_t i = 0; i < c->lines.n; i++) {
		const char *l = c->lines.v[i];
		if (strncasecmp(l, kw, n) == 0 && (l[n] == '\0' || l[n] == ' ' || l[n] == '='))
			return true;
	}
	return false;
}

static enum res expect_closed(struct run *r)
{
	if (r->have_reply && (r->reply_rc == -MX_E_CLOSED || r->reply_rc == -MX_E_RESET))
		return RES_OK;
	if (!r->connected)
		return RES_OK;
	char *line = NULL;
	size_t len = 0;
	int rc = conn_read_line(&r->s.c, &line, &len, session_step_deadline(&r->s));
	if (rc == -MX_E_CLOSED || rc == -MX_E_RESET || (rc == -MX_E_TLS && r->s.c.eof)) {
		transcript_add(&r->t->tr, TR_EVENT, "The server closed the connection");
		disconnect(r);
		return RES_OK;
	}
	if (rc == 0) {
		char *esc = str_escape(line, len, 200);
		enum res res = fail_with(r, RES_FAIL, "expected the connection closed, got \"%s\"", esc);
		free(esc);
		return res;
	}
	if (rc == -MX_E_TIMEOUT)
		return fail_with(r, RES_FAIL, "expected the connection closed, got it still open after %.0f s",
				 (double)r->opt->step_timeout_us / 1e6);
	return fail_with(r, RES_ERROR, "waiting for the server to close: %s", mx_strerror(rc));
}

static enum res do_expect(struct run *r, const struct scn_expect *ex)
{
	switch (ex->kind) {
	case SCN_EXPECT_CLOSED:
		return expect_closed(r);
	case SCN_EXPECT_CAP:
	case SCN_EXPECT_NO_CAP: {
		if (!r->have_caps)
			return fail_with(r, RES_ERROR, "no EHLO capabilities to check: the last EHLO got no 250");
		bool has = caps_have(&r->caps, ex->cap);
		if (has == (ex->kind == SCN_EXPECT_CAP))
			return RES_OK;
		return fail_with(r, RES_FAIL,
				 has ? "expected no %s in the EHLO reply, got it"
				     : "expected %s in the EHLO reply, got none",
				 ex->cap);
	}
	default:
		break;
	}
	char want[300];
	describe_expect(ex, want, sizeof want);
	if (!r->have_reply)
		return fail_with(r, RES_ERROR, "expected %s, got no command to check", want);
	if (r->reply_rc < 0)
		return fail_with(r, RES_ERROR, "expected %s, got no reply to %s: %s", want, r->reply_to,
				 mx_strerror(r->reply_rc));
	int code = r->reply.code;
	bool ok = ex->ncodes == 0;
	for (size_t i = 0; i < ex->ncodes; i++)
		if (code >= ex->code_lo[i] && code <= ex->code_hi[i])
			ok = true;
	if (ok && ex->enh[0])
		ok = strcmp(ex->enh, r->reply.enh) == 0;
	if (ok && ex->has_re) {
		char *text = strvec_join(&r->reply.text, "\n");
		ok = regexec(&ex->re, text, 0, NULL, 0) == 0;
		free(text);
	}
	if (ok)
		return RES_OK;
	char *rs = reply_str(&r->reply);
	enum res res = fail_with(r, RES_FAIL, "expected %s, got %s", want, rs);
	free(rs);
	return res;
}

/* ---- the loop ---- */

static enum res exec(struct run *r, const struct scn_stmt *st)
{
	switch (st->op) {
	case SCN_CONNECT:
		return do_connect(r);
	case SCN_EHLO:
	case SCN_HELO:
		return do_ehlo(r, st);
	case SCN_STARTTLS:
		return do_starttls(r);
	case SCN_TLS_SNI:
		r->sni = st->arg;
		r->sni_set = true;
		return RES_OK;
	case SCN_TLS_PRIORITY:
		r->priority = st->arg;
		return RES_OK;
	case SCN_TLS_CLIENT_CERT: {
		char err[256];
		tls_identity_free(r->identity);
		r->identity = NULL;
		if (tls_identity_load_pem(st->arg, st->arg2, &r->identity, err, sizeof err) < 0)
			return fail_with(r, RES_ERROR, "client certificate: %s", err);
		transcript_addf(&r->t->tr, TR_EVENT, "Client certificate loaded from %s", st->arg);
		return RES_OK;
	}
	case SCN_SEND:
		return command(r, st->arg, NULL, STEP_NONE);
	case SCN_EXPECT:
		return do_expect(r, &st->ex);
	case SCN_AUTH_PLAIN:
		return do_auth(r, st);
	case SCN_MAIL: {
		char *line = xasprintf("MAIL FROM:%s", st->arg);
		enum res res = command(r, line, NULL, STEP_NONE);
		free(line);
		free(r->mail_from);
		r->mail_from = xstrdup(st->arg);
		strvec_clear(&r->rcpts);
		return res;
	}
	case SCN_RCPT: {
		char *line = xasprintf("RCPT TO:%s", st->arg);
		enum res res = command(r, line, NULL, STEP_NONE);
		free(line);
		if (r->reply_rc == 0 && r->reply.code / 100 == 2)
			strvec_push(&r->rcpts, st->arg);
		return res;
	}
	case SCN_DATA:
		return do_data(r, st);
	case SCN_RSET:
		return command(r, "RSET", NULL, STEP_NONE);
	case SCN_QUIT:
		return command(r, "QUIT", NULL, STEP_QUIT);
	case SCN_FINDING:
		add_finding(r, st, st->arg, st->sev, st->arg2);
		return RES_OK;
	default:
		return fail_with(r, RES_ERROR, "unknown statement");
	}
}

static bool has_expectation(const struct scn_stmt *st)
{
	return st->op == SCN_EXPECT || st->op == SCN_STARTTLS;
}

/* Turns one statement's outcome into findings; false: stop here. */
static bool judge(struct run *r, const struct scn_stmt *st, enum res res)
{
	if (res == RES_ERROR) {
		char *title = xasprintf("Could not test: line %u (%s)", st->line, st->src);
		struct finding *f = add_finding(r, st, "scenario.error", SEV_ERROR, title);
		finding_set_detail(f, "%s", r->detail ? r->detail : "error");
		finding_set_remedy(f, "This says nothing about the server's behaviour at this step: check that the "
				      "target answers and that the files the scenario names can be read, then run "
				      "it again (--verbose shows the transcript).");
		free(title);
		return false;
	}
	if (!has_expectation(st))
		return true;
	if (st->quiet) {
		/* a condition: its then-clause may report, not meeting it is nothing */
		if (res == RES_OK && st->then.set)
			add_finding(r, st, st->then.id, st->then.sev, st->then.msg);
		return true;
	}
	r->expectations++;
	if (res == RES_OK) {
		r->met++;
		if (st->then.set) {
			struct finding *f = add_finding(r, st, st->then.id, st->then.sev, st->then.msg);
			if (r->queue_id)
				finding_set_detail(f, "queue id %s", r->queue_id);
		}
		return true;
	}
	r->any_unmet = true;
	struct finding *f;
	if (st->els.set) {
		f = add_finding(r, st, st->els.id, st->els.sev, st->els.msg);
	} else {
		char *title = xasprintf("Expectation not met: line %u (%s)", st->line, st->src);
		f = add_finding(r, st, "scenario.expect-failed", SEV_FAIL, title);
		free(title);
	}
	finding_set_detail(f, "%s", r->detail ? r->detail : "not met");
	if (!st->cont)
		transcript_addf(&r->t->tr, TR_EVENT, "Scenario stopped at line %u", st->line);
	return st->cont;
}

/* Leave politely: QUIT (briefly) if the dialogue is still in step. */
static void finish(struct run *r)
{
	if (r->connected && !(r->have_reply && r->reply_rc < 0) && !(r->reply_to && strcmp(r->reply_to, "QUIT") == 0)) {
		int64_t d = mono_us() + 2000000;
		if (d > r->s.target_deadline)
			d = r->s.target_deadline;
		if (conn_send_line(&r->s.c, "QUIT", NULL, d) == 0) {
			struct smtp_reply q = { 0 };
			char *bad = NULL;
			smtp_read_reply(&r->s.c, &q, d, &bad);
			free(bad);
			smtp_reply_clear(&q);
		}
	}
	disconnect(r);
}

void scenario_run_target(const struct scenario *sc, const struct mx_options *opt, const struct target_spec *spec,
			 struct target_result *t)
{
	t->input = xstrdup(spec->input);
	t->scheme = xstrdup(spec->scheme);
	t->host = xstrdup(spec->host);
	t->port = spec->port;
	t->implicit_tls = spec->implicit_tls;
	t->started_wall_us = wall_us();
	transcript_init(&t->tr);
	int64_t t0 = mono_us();
	t->facts.attempted = true;
	t->facts.tls_alert = -1;
	char *title = xasprintf("Scenario %s", sc->title ? sc->title : sc->name);
	target_add_probe(t, sc->name, title);
	free(title);

	struct run r;
	memset(&r, 0, sizeof r);
	r.sc = sc;
	r.opt = opt;
	r.spec = spec;
	r.t = t;
	r.pr = t->nprobes - 1;
	struct wire_run *wire = wire_run_begin(opt, spec); /* NULL without --wire/--capture */
	session_init(&r.s, opt, t);
	transcript_addf(&t->tr, TR_EVENT, "Scenario %s (%zu statements)", sc->file, sc->n);

	bool errored = false, stopped = false;
	for (size_t i = 0; i < sc->n && !stopped; i++) {
		const struct scn_stmt *st = &sc->s[i];
		free(r.detail);
		r.detail = NULL;
		enum res res;
		if (mono_us() >= r.s.target_deadline)
			res = fail_with(&r, RES_ERROR, "the target's deadline (--target-timeout) passed");
		else
			res = exec(&r, st);
		if (!judge(&r, st, res)) {
			stopped = true;
			/* could not test: the tester's error, or the author's "else error" */
			errored = res == RES_ERROR || (res == RES_FAIL && st->els.set && st->els.sev == SEV_ERROR);
		}
	}
	if (!stopped && !r.any_unmet) {
		char *ptitle = xasprintf("Scenario ran to the end: %u of %u expectations met", r.met, r.expectations);
		struct finding *f = add_finding(&r, NULL, "scenario.passed", SEV_PASS, ptitle);
		finding_add_ev(f, "scenario", "%s", sc->file);
		free(ptitle);
	}
	finish(&r);
	if (errored)
		t->status = TARGET_UNTESTABLE;
	forget_reply(&r);
	smtp_caps_clear(&r.caps);
	strvec_clear(&r.rcpts);
	free(r.mail_from);
	free(r.queue_id);
	free(r.detail);
	free(r.peer_why);
	tls_identity_free(r.identity);
	t->probes[r.pr].duration_us = mono_us() - t0;
	wire_run_end(wire, opt, t);
	t->duration_us = mono_us() - t0;
	report_seal_target(t, opt->redact);
}
