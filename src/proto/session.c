/* \summary: the session API and the standard STARTTLS session.
 * specification: RFC 5321, RFC 3207, RFC 8314. */
#include "proto/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/limiter.h"
#include "net/source.h"
#include "tls/tls.h"
#include "util/err.h"

void session_init(struct session *s, const struct mx_options *opt, struct target_result *t)
{
	memset(s, 0, sizeof *s);
	s->opt = opt;
	s->t = t;
	s->f = &t->facts;
	conn_init(&s->c, &t->tr);
	/* Every session of a target shares its deadline: a probe's extra
	 * connections cannot stretch --target-timeout. */
	s->target_deadline = t->deadline_us ? t->deadline_us : mono_us() + opt->target_timeout_us;
}

static void release_slot(struct session *s)
{
	if (!s->slot_held)
		return;
	conn_limiter_release(s->opt->limiter, (const struct sockaddr *)&s->slot_sa);
	s->slot_held = false;
}

/* A 421 or a tarpit: the limiter gives this server one connection at a
 * time from now on, after a 421 also with a pause between them (DESIGN.md:
 * "slowed down for, not retried blindly"). */
static void slow_down(struct session *s, const char *why, bool pause)
{
	if (!s->slot_held)
		return;
	s->t->slowed_why = why;
	if (!conn_limiter_slow_down(s->opt->limiter, (const struct sockaddr *)&s->slot_sa, pause))
		return;
	if (pause)
		transcript_addf(&s->t->tr, TR_EVENT,
				"Slowing down for %s after %s: one connection at a time, %.1f s apart", s->c.remote,
				why, (double)conn_limiter_backoff_us(s->opt->limiter) / 1e6);
	else
		transcript_addf(&s->t->tr, TR_EVENT, "Slowing down for %s after %s: one connection at a time",
				s->c.remote, why);
}

/* Waits for a connection slot for sa (the global and per-host caps). The
 * target's first connection waits as long as it takes (every slot holder
 * has a deadline, so one comes) and starts the target's clock: queueing
 * behind other targets of a busy address is mxprobe's time, not the
 * server's. Later ones wait at most until the target's deadline. 0, or
 * -MX_E_NO_SLOT: nothing was sent to the server, so nothing may be said
 * about it. */
static int take_slot(struct session *s, const struct sockaddr *sa, socklen_t salen, const char *addr)
{
	if (!s->opt->limiter)
		return 0;
	release_slot(s); /* a scenario reconnects on the same session */
	int64_t waited = 0;
	bool first = !s->t->clock_started;
	int rc = conn_limiter_acquire(s->opt->limiter, sa, first ? INT64_MAX / 2 : s->target_deadline, &waited);
	if (rc == 0 && first) {
		s->t->clock_started = true;
		s->t->deadline_us = s->target_deadline = mono_us() + s->opt->target_timeout_us;
	}
	if (rc < 0) {
		transcript_addf(&s->t->tr, TR_EVENT,
				"No connection slot for %s within the target's deadline (%.1f s waited: per-host "
				"and global connection caps)",
				addr, (double)waited / 1e6);
		return rc;
	}
	if (waited >= 50000)
		transcript_addf(&s->t->tr, TR_EVENT, "Waited %.1f s for a connection slot for %s (connection caps)",
				(double)waited / 1e6, addr);
	memset(&s->slot_sa, 0, sizeof s->slot_sa);
	memcpy(&s->slot_sa, sa, salen < sizeof s->slot_sa ? salen : sizeof s->slot_sa);
	s->slot_held = true;
	if (!s->t->slowed_why && conn_limiter_is_slowed(s->opt->limiter, sa))
		s->t->slowed_why = "an earlier 421 or slow reply from this address";
	return 0;
}

void session_close(struct session *s)
{
	if (s->c.fd >= 0)
		transcript_add(&s->t->tr, TR_EVENT, "Connection closed");
	conn_close(&s->c);
	release_slot(s);
}

int64_t session_step_deadline(const struct session *s)
{
	if (s->in_greeting) {
		/* The greeting may take longer than any other step; the part
		 * beyond the step timeout is added to the target's deadline once
		 * it is known (note_greeting), so the cap here allows for it. */
		int64_t extra = s->opt->greeting_timeout_us - s->opt->step_timeout_us;
		int64_t d = mono_us() + s->opt->greeting_timeout_us;
		int64_t cap = s->target_deadline + (extra > 0 ? extra : 0);
		return d < cap ? d : cap;
	}
	int64_t d = mono_us() + s->opt->step_timeout_us;
	return d < s->target_deadline ? d : s->target_deadline;
}

int session_resolve(struct session *s, const struct target_spec *spec, struct addrinfo **out, char **detail)
{
	char port[8];
	snprintf(port, sizeof port, "%u", spec->port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	*out = NULL;
	if (spec->family) {
		hints.ai_flags = AI_NUMERICHOST;
		int r = getaddrinfo(spec->host, port, &hints, out);
		if (r != 0) {
			*detail = xstrdup(gai_strerror(r));
			return -MX_E_DNS;
		}
		return 0;
	}
	/* getaddrinfo() has no deadline; its asynchronous form does. */
	hints.ai_flags = AI_ADDRCONFIG;
	struct gaicb req = { .ar_name = spec->host, .ar_service = port, .ar_request = &hints };
	struct gaicb *list[1] = { &req };
	transcript_addf(&s->t->tr, TR_EVENT, "Resolving %s", spec->host);
	int r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0) {
		*detail = xstrdup(gai_strerror(r));
		return -MX_E_DNS;
	}
	int64_t deadline = session_step_deadline(s);
	for (;;) {
		int64_t left = deadline - mono_us();
		if (left <= 0) {
			gai_cancel(&req);
			/* A request that cannot be cancelled must finish before its
			 * memory (on our stack) goes away; it is bounded by the
			 * resolver's own timeouts. */
			while (gai_error(&req) == EAI_INPROGRESS) {
				const struct gaicb *w[1] = { &req };
				struct timespec ts = { 0, 100 * 1000000 };
				gai_suspend(w, 1, &ts);
			}
			if (req.ar_result)
				freeaddrinfo(req.ar_result);
			*detail = xasprintf("no answer for %s within the deadline", spec->host);
			return -MX_E_TIMEOUT;
		}
		struct timespec ts = { (time_t)(left / 1000000), (long)(left % 1000000) * 1000 };
		const struct gaicb *w[1] = { &req };
		gai_suspend(w, 1, &ts);
		r = gai_error(&req);
		if (r != EAI_INPROGRESS)
			break;
	}
	if (r == 0) {
		*out = req.ar_result;
		return 0;
	}
	*detail = xasprintf("%s: %s", spec->host, gai_strerror(r));
	return (r == EAI_NONAME || r == EAI_NODATA) ? -MX_E_NXDOMAIN : -MX_E_DNS;
}

int session_connect(struct session *s, const struct sockaddr *sa, socklen_t salen)
{
	char addr[64];
	sockaddr_format(sa, addr, sizeof addr);
	int rc = take_slot(s, sa, salen, addr);
	if (rc < 0)
		return rc;
	transcript_addf(&s->t->tr, TR_EVENT, "Connecting to %s", addr);
	s->t->connections++;
	/* --source: connect from this address (KB823019 connection control). */
	struct sockaddr_storage src;
	socklen_t srclen = 0;
	if (s->opt->source && source_sockaddr(s->opt->source, sa->sa_family, &src, &srclen) < 0) {
		transcript_addf(&s->t->tr, TR_EVENT, "Connect failed: source address %s is not of %s's address family",
				s->opt->source, addr);
		release_slot(s);
		return -MX_E_UNREACHABLE;
	}
	int64_t t0 = mono_us();
	rc = conn_connect(&s->c, sa, salen, srclen ? (struct sockaddr *)&src : NULL, srclen, session_step_deadline(s));
	s->f->connect_us = mono_us() - t0;
	if (rc < 0) {
		transcript_addf(&s->t->tr, TR_EVENT, "Connect failed: %s", mx_strerror(rc));
		release_slot(s);
		return rc;
	}
	transcript_addf(&s->t->tr, TR_EVENT, "Connected from %s to %s (%.1f ms)", s->c.local, s->c.remote,
			(double)s->f->connect_us / 1000.0);
	return 0;
}

/* A greeting wait beyond the step timeout is not charged to the target's
 * deadline (once per session). */
static void greeting_extend(struct session *s, int64_t waited)
{
	int64_t excess = waited - s->opt->step_timeout_us;
	if (s->greeting_extended || excess <= 0)
		return;
	s->greeting_extended = true;
	s->target_deadline += excess;
	if (s->t->deadline_us)
		s->t->deadline_us += excess;
}

int session_read_reply(struct session *s, struct smtp_reply *r, enum session_step step, char **bad)
{
	int64_t t0 = mono_us();
	/* Every session's greeting (the probes' own, scenarios') gets the
	 * greeting deadline, not only the standard session's. */
	bool was = s->in_greeting;
	if (step == STEP_BANNER)
		s->in_greeting = true;
	int rc = smtp_read_reply(&s->c, r, session_step_deadline(s), bad);
	if (step == STEP_BANNER)
		greeting_extend(s, mono_us() - t0);
	s->in_greeting = was;
	struct session_facts *f = s->f;
	/* Only a reply that did come is slow; one that never came is a timeout. */
	if (rc == 0)
		session_note_reply_time(s, step, mono_us() - t0);
	if (rc == 0 && r->code == 421 && f->r421.code == 0) {
		smtp_reply_to_info(r, &f->r421);
		f->r421_step = step;
	}
	if (rc == 0 && r->code == 421)
		slow_down(s, "a 421 reply", true);
	return rc;
}

void session_note_reply_time(struct session *s, enum session_step step, int64_t took)
{
	struct session_facts *f = s->f;
	if (took > SESSION_SLOW_REPLY_US && !f->slow) {
		f->slow = true;
		f->slow_step = step;
		f->slow_us = took;
		transcript_addf(&s->t->tr, TR_EVENT, "Slow reply: %.1f s for the %s", (double)took / 1e6,
				session_step_name(step));
	}
	if (took > SESSION_SLOW_REPLY_US)
		slow_down(s, "a slow reply (tarpit?)", false);
}

void session_address_literal(const char *local, char *buf, size_t len)
{
	if (!local || !*local) {
		snprintf(buf, len, "[127.0.0.1]");
		return;
	}
	if (local[0] == '[') {
		size_t n = strcspn(local + 1, "]");
		snprintf(buf, len, "[IPv6:%.*s]", (int)n, local + 1);
		return;
	}
	snprintf(buf, len, "[%.*s]", (int)strcspn(local, ":"), local);
}

const char *session_ehlo_name(struct session *s)
{
	if (s->opt->ehlo_name)
		return s->opt->ehlo_name;
	session_address_literal(s->c.local[0] ? s->c.local : NULL, s->ehlo_literal, sizeof s->ehlo_literal);
	return s->ehlo_literal;
}

const struct dialect *session_dialect(const struct session *s)
{
	return s->dialect ? s->dialect : &dialect_smtp;
}

int session_command(struct session *s, const char *line, const char *shown, struct smtp_reply *r,
		    enum session_step step, char **bad)
{
	int rc = conn_send_line(&s->c, line, shown, session_step_deadline(s));
	if (rc < 0)
		return rc;
	return session_read_reply(s, r, step, bad);
}

/* ---- the standard session ---- */

static void fail_at(struct session_facts *f, enum session_step step, int err, char *detail_owned)
{
	if (f->failed_step != STEP_NONE) {
		free(detail_owned);
		return;
	}
	f->failed_step = step;
	f->fail_err = err;
	f->fail_detail = detail_owned;
}

/* What to say about a failed read at a step. */
static char *read_failure_detail(const struct session *s, int rc, const char *bad)
{
	if (rc == -MX_E_BAD_REPLY && bad)
		return xasprintf("not %s reply: \"%s\"", session_dialect(s)->smtp_family ? "an SMTP" : "a valid", bad);
	if (rc == -MX_E_LINE_TOO_LONG)
		return xasprintf("the server sent more than %d bytes without an end of line", CONN_MAX_LINE);
	if (rc == -MX_E_TIMEOUT && s->in_greeting) {
		size_t n = 0;
		const char *p = conn_pending(&s->c, &n);
		if (!n)
			return xasprintf("nothing received within %.0f s (--greeting-timeout)",
					 (double)s->opt->greeting_timeout_us / 1e6);
		char *shown = str_escape(p, n, 200);
		char *d = xasprintf("the greeting trickled in: %zu byte%s within %.0f s without an end of line: "
				    "\"%s\"",
				    n, n == 1 ? "" : "s", (double)s->opt->greeting_timeout_us / 1e6, shown);
		free(shown);
		return d;
	}
	if (rc == -MX_E_TIMEOUT)
		return xasprintf("no complete reply within %.0f s", (double)s->opt->step_timeout_us / 1e6);
	if (rc == -MX_E_TLS_ALERT && s->c.last_alert >= 0)
		return xasprintf("TLS alert %s (%d)",
				 gnutls_alert_get_name((gnutls_alert_description_t)s->c.last_alert), s->c.last_alert);
	return xstrdup(mx_strerror(rc));
}

void session_fail_at(struct session *s, enum session_step step, int err, char *detail_owned)
{
	fail_at(s->f, step, err, detail_owned);
}

char *session_read_failure(const struct session *s, int rc, const char *bad)
{
	return read_failure_detail(s, rc, bad);
}

/* Reads a reply for a step; on failure records it and returns false. */
static bool step_reply(struct session *s, struct smtp_reply *r, enum session_step step, struct reply_info *keep)
{
	char *bad = NULL;
	int rc = session_read_reply(s, r, step, &bad);
	if (rc < 0) {
		fail_at(s->f, step, rc, read_failure_detail(s, rc, bad));
		free(bad);
		return false;
	}
	free(bad);
	if (keep)
		smtp_reply_to_info(r, keep);
	if (r->code == 421) {
		fail_at(s->f, step, -MX_E_SERVICE_UNAVAILABLE,
			xasprintf("%d %s%s%s", r->code, r->enh, r->enh[0] ? " " : "", r->text.n ? r->text.v[0] : ""));
		return false;
	}
	return true;
}

static bool step_command(struct session *s, const char *line, struct smtp_reply *r, enum session_step step,
			 struct reply_info *keep)
{
	int rc = conn_send_line(&s->c, line, NULL, session_step_deadline(s));
	if (rc < 0) {
		fail_at(s->f, step, rc, xasprintf("sending %s: %s", line, mx_strerror(rc)));
		return false;
	}
	return step_reply(s, r, step, keep);
}

/* EHLO, or HELO when EHLO is refused (RFC 5321 section 3.2); LMTP's LHLO
 * has no HELO to fall back to (RFC 2033 section 4.1). */
static bool do_ehlo(struct session *s, enum session_step step, struct reply_info *keep, struct smtp_caps *caps)
{
	struct smtp_reply r = { 0 };
	const struct dialect *d = session_dialect(s);
	char *line = xasprintf("%s %s", d->hello, session_ehlo_name(s));
	bool ok = step_command(s, line, &r, step, keep);
	free(line);
	if (ok && r.code == 250) {
		smtp_caps_parse(&r, caps);
		smtp_reply_clear(&r);
		return true;
	}
	if (ok && r.code >= 500 && r.code <= 504 && d == &dialect_smtp) {
		s->f->helo_sent = true;
		line = xasprintf("HELO %s", session_ehlo_name(s));
		ok = step_command(s, line, &r, step, keep);
		free(line);
		if (ok && r.code == 250) {
			s->f->used_helo = true;
			transcript_add(&s->t->tr, TR_EVENT, "EHLO refused; HELO accepted (no extensions, no STARTTLS)");
			smtp_reply_clear(&r);
			return true;
		}
	}
	if (ok)
		fail_at(s->f, step, -MX_E_REJECTED, xasprintf("%d %s", r.code, r.text.n ? r.text.v[0] : ""));
	smtp_reply_clear(&r);
	return false;
}

static bool do_handshake(struct session *s, const struct target_spec *spec)
{
	struct session_facts *f = s->f;
	/* RFC 6066 section 3: "Literal IPv4 and IPv6 addresses are not permitted" in SNI. */
	struct tls_opts to = { 0 };
	if (s->params)
		to = s->params->tls;
	if (!to.sni)
		to.sni = s->opt->sni	 ? s->opt->sni
			 : spec->mx_host ? spec->mx_host /* --domain: the MX name, not the address */
					 : (spec->family ? NULL : spec->host);
	int rc = tls_client_handshake(&s->c, &to, f, session_step_deadline(s));
	if (rc < 0) {
		char *d;
		if (f->tls_alert >= 0)
			d = xasprintf("TLS alert %s (%d) from the server", f->tls_alert_name, f->tls_alert);
		else
			d = xasprintf("%s (%s)", f->tls_error_text ? f->tls_error_text : mx_strerror(rc),
				      f->tls_error ? f->tls_error : mx_errname(rc));
		fail_at(f, STEP_HANDSHAKE, rc, d);
		return false;
	}
	if (s->params && s->params->on_handshake)
		s->params->on_handshake(s->params->user, f);
	return true;
}

/* After the 220 to STARTTLS the server must wait for our ClientHello. Any
 * byte it sent already is not TLS: report it, never hand it to TLS. */
static void check_after_starttls(struct session *s)
{
	struct buf extra;
	buf_init(&extra, 64 * 1024);
	size_t n = conn_drain_pending(&s->c, &extra);
	if (n) {
		struct session_facts *f = s->f;
		f->after_starttls = str_escape(extra.data, extra.len, 1024);
		f->after_starttls_len = n;
		const struct dialect *d = session_dialect(s);
		transcript_addf(&s->t->tr, TR_EVENT, "%zu unexpected bytes after the %s to %s: %s", n, d->starttls_ok,
				d->starttls_cmd, f->after_starttls);
	}
	buf_clear(&extra);
}

static void do_quit(struct session *s)
{
	struct session_facts *f = s->f;
	struct smtp_reply r = { 0 };
	char *bad = NULL;
	/* QUIT gets a short wait: the result is already known. */
	if (session_command(s, "QUIT", NULL, &r, STEP_QUIT, &bad) == 0) {
		smtp_reply_to_info(&r, &f->quit);
		f->quit_ok = r.code == 221;
	}
	free(bad);
	smtp_reply_clear(&r);
	tls_bye(&s->c, mono_us() + 200000);
}

/* ---- SMTP's steps (the smtp and lmtp dialects) ---- */

bool session_smtp_greeting(struct session *s)
{
	struct session_facts *f = s->f;
	struct smtp_reply r = { 0 };
	bool ok = step_reply(s, &r, STEP_BANNER, &f->banner);
	if (ok && r.code != 220) {
		/* 554: "no SMTP service here" (RFC 5321 section 3.1). */
		fail_at(f, STEP_BANNER, -MX_E_REJECTED, xasprintf("%d %s", r.code, r.text.n ? r.text.v[0] : ""));
		ok = false;
	}
	smtp_reply_clear(&r);
	return ok;
}

bool session_smtp_hello(struct session *s, enum session_step step, struct reply_info *keep, struct smtp_caps *caps)
{
	return do_ehlo(s, step, keep, caps);
}

bool session_smtp_starttls(struct session *s)
{
	struct session_facts *f = s->f;
	struct smtp_reply r = { 0 };
	char *bad = NULL;
	bool ok = false;
	int rc = conn_send_line(&s->c, "STARTTLS", NULL, session_step_deadline(s));
	if (rc == 0)
		rc = session_read_reply(s, &r, STEP_STARTTLS, &bad);
	if (rc < 0) {
		f->starttls = STARTTLS_BROKEN;
		fail_at(f, STEP_STARTTLS, rc, read_failure_detail(s, rc, bad));
		goto out;
	}
	smtp_reply_to_info(&r, &f->starttls_reply);
	if (r.code != 220) {
		f->starttls = STARTTLS_REFUSED;
		fail_at(f, STEP_STARTTLS, r.code == 421 ? -MX_E_SERVICE_UNAVAILABLE : -MX_E_REJECTED,
			xasprintf("%d %s%s%s", r.code, r.enh, r.enh[0] ? " " : "", r.text.n ? r.text.v[0] : ""));
		if (r.code != 421)
			do_quit(s);
		goto out;
	}
	f->starttls = STARTTLS_ACCEPTED;
	ok = true;
out:
	free(bad);
	smtp_reply_clear(&r);
	return ok;
}

void session_smtp_quit(struct session *s)
{
	do_quit(s);
}

/* A refusal that leaves the connection open (554 greeting, 5xx to EHLO)
 * still ends with QUIT (RFC 5321 section 3.1: after a 554 greeting the
 * client "SHOULD" send QUIT); a 421 or a broken connection does not. */
static void quit_after_refusal(struct session *s)
{
	if (s->f->fail_err == -MX_E_REJECTED && s->c.fd >= 0 && !s->c.eof)
		session_dialect(s)->quit(s);
}

/* The greeting's timing: its delay, whether it trickled in, and what came
 * of one that never completed. A greeting wait beyond the step timeout is
 * not charged to the target's deadline: a 30 s greet pause must not leave
 * the probes after it without time. */
static void note_greeting(struct session *s, int64_t t0)
{
	struct session_facts *f = s->f;
	int64_t now = mono_us();
	f->banner_wait_us = now - t0;
	f->banner_first_byte_us = s->c.first_byte_us ? s->c.first_byte_us - t0 : -1;
	f->banner_trickled = s->c.first_byte_us && now - s->c.first_byte_us > SESSION_SLOW_REPLY_US;
	size_t n = 0;
	const char *p = conn_pending(&s->c, &n);
	if (f->failed_step == STEP_BANNER && n && !f->banner_partial) {
		f->banner_partial = str_escape(p, n, 1024);
		f->banner_partial_len = n;
		transcript_addf(&s->t->tr, TR_EVENT,
				"Greeting incomplete after %.1f s: %zu byte%s without an end of line: %s",
				(double)f->banner_wait_us / 1e6, n, n == 1 ? "" : "s", f->banner_partial);
	} else if (f->banner_trickled) {
		transcript_addf(&s->t->tr, TR_EVENT,
				"Greeting trickled in: first byte after %.1f s, complete after %.1f s",
				(double)f->banner_first_byte_us / 1e6, (double)f->banner_wait_us / 1e6);
	}
	greeting_extend(s, f->banner_wait_us);
}

/* The same sequence for every dialect; the dialect says how each step is
 * spoken. */
static void run_dialogue(struct session *s, const struct target_spec *spec)
{
	struct session_facts *f = s->f;
	const struct dialect *d = session_dialect(s);

	if (spec->implicit_tls) {
		f->implicit_tls = true;
		f->starttls = STARTTLS_NOT_APPLICABLE;
		if (!do_handshake(s, spec))
			return;
	}
	int64_t t0 = mono_us();
	s->c.first_byte_us = 0; /* implicit TLS: the handshake's bytes are not the greeting's */
	s->in_greeting = true;
	bool ok = d->greeting(s);
	note_greeting(s, t0);
	s->in_greeting = false;
	if (!ok) {
		quit_after_refusal(s);
		return;
	}

	if (spec->implicit_tls) {
		if (d->capabilities(s, STEP_EHLO_TLS, &f->ehlo_tls, &f->caps_tls))
			d->quit(s);
		return;
	}
	if (!d->capabilities(s, STEP_EHLO, &f->ehlo, &f->caps_plain)) {
		quit_after_refusal(s);
		return;
	}
	if (!f->caps_plain.starttls) {
		f->starttls = STARTTLS_NOT_OFFERED;
		d->quit(s);
		return;
	}
	if (!d->starttls(s))
		return;
	check_after_starttls(s);
	if (!do_handshake(s, spec))
		return;
	/* RFC 3207 section 4.2, RFC 2595 section 4, RFC 3501 section 6.2.1:
	 * the client MUST discard what it knew and ask again. */
	if (d->capabilities(s, STEP_EHLO_TLS, &f->ehlo_tls, &f->caps_tls))
		d->quit(s);
}

void session_run_standard(const struct mx_options *opt, const struct target_spec *spec, struct target_result *t)
{
	session_run(opt, spec, t, NULL, &t->facts);
}

void session_run(const struct mx_options *opt, const struct target_spec *spec, struct target_result *t,
		 const struct session_params *sp, struct session_facts *f)
{
	struct session s;
	session_init(&s, opt, t);
	s.f = f;
	s.params = sp;
	s.dialect = dialect_find(spec->dialect);
	if (sp && sp->label)
		transcript_addf(&t->tr, TR_EVENT, "Session: %s", sp->label);
	f->attempted = true;
	f->tls_alert = -1;
	f->late_alert = -1;
	f->banner_first_byte_us = -1;

	struct addrinfo *ai = NULL;
	char *detail = NULL;
	int rc = session_resolve(&s, spec, &ai, &detail);
	if (rc < 0) {
		fail_at(f, STEP_DNS, rc, detail);
		transcript_addf(&t->tr, TR_EVENT, "Resolution failed: %s", f->fail_detail);
		session_close(&s);
		return;
	}
	free(detail);
	/* A host name is probed at its first address and the others are listed
	 * (--domain probes every address of every MX host as its own target). */
	for (struct addrinfo *a = ai->ai_next; a; a = a->ai_next) {
		char other[64];
		sockaddr_format(a->ai_addr, other, sizeof other);
		transcript_addf(&t->tr, TR_EVENT, "Also resolves to %s (not probed)", other);
	}
	char addr[64];
	sockaddr_format(ai->ai_addr, addr, sizeof addr);
	free(t->address);
	t->address = xstrdup(addr);
	rc = session_connect(&s, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	f->remote = xstrdup(addr);
	if (rc < 0) {
		fail_at(f, STEP_CONNECT, rc, xasprintf("%s: %s", addr, mx_strerror(rc)));
		session_close(&s);
		return;
	}
	f->connected = true;
	f->local = xstrdup(s.c.local);
	run_dialogue(&s, spec);
	if (f->tls_ok && s.c.last_alert >= 0)
		f->late_alert = s.c.last_alert;
	session_close(&s);
}
