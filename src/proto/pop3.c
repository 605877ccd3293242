/* \summary: POP3 responses and CAPA, and the pop3 dialect's steps.
 * specification: RFC 1939, RFC 2449, RFC 2595, RFC 8314. */
#include "proto/pop3.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/dialect.h"
#include "proto/session.h"
#include "util/err.h"

int pop3_status_parse(const char *line, size_t len, size_t *text_off)
{
	if (len > POP3_MAX_LINE)
		return -MX_E_LINE_TOO_LONG;
	if (memchr(line, '\0', len))
		return -MX_E_BAD_REPLY;
	size_t n;
	int ok;
	/* RFC 1939 section 3: "a status indicator and a keyword possibly
	 * followed by additional information"; "+OK" and "-ERR". */
	if (len >= 3 && strncasecmp(line, "+OK", 3) == 0) {
		n = 3;
		ok = 1;
	} else if (len >= 4 && strncasecmp(line, "-ERR", 4) == 0) {
		n = 4;
		ok = 0;
	} else {
		return -MX_E_BAD_REPLY;
	}
	if (len > n && line[n] != ' ')
		return -MX_E_BAD_REPLY;
	if (text_off)
		*text_off = len > n ? n + 1 : n;
	return ok;
}

int pop3_multi_feed(struct pop3_multi *m, const char *line, size_t len)
{
	if (m->done)
		return -MX_E_BAD_REPLY;
	if (len > POP3_MAX_LINE)
		return -MX_E_LINE_TOO_LONG;
	if (memchr(line, '\0', len))
		return -MX_E_BAD_REPLY;
	/* RFC 1939 section 3: the termination octet alone ends the response;
	 * a line that starts with it has one more, which is removed. */
	if (len == 1 && line[0] == '.') {
		m->done = true;
		return 0;
	}
	if (m->lines.n >= POP3_MAX_CAPA_LINES)
		return -MX_E_REPLY_TOO_LONG;
	if (len && line[0] == '.') {
		line++;
		len--;
	}
	strvec_push_owned(&m->lines, str_escape(line, len, POP3_MAX_LINE * 4));
	return 1;
}

void pop3_multi_clear(struct pop3_multi *m)
{
	strvec_clear(&m->lines);
	memset(m, 0, sizeof *m);
}

static void add_mechs(struct smtp_caps *caps, const char *p)
{
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		char *m = xstrndup(p, n);
		for (char *q = m; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		if (!strvec_contains_ci(&caps->auth_mechs, m))
			strvec_push_owned(&caps->auth_mechs, m);
		else
			free(m);
		p += n;
	}
}

void pop3_caps_parse(const char *greeting, const struct strvec *lines, struct smtp_caps *caps)
{
	smtp_caps_clear(caps);
	caps->valid = true;
	caps->greeting = greeting ? xstrdup(greeting) : NULL;
	for (size_t i = 0; i < lines->n; i++) {
		const char *l = lines->v[i];
		strvec_push(&caps->lines, l);
		size_t kw = strcspn(l, " ");
		const char *params = l[kw] ? l + kw + 1 : l + kw;
		/* RFC 2449 section 6: capability names are case-insensitive. */
		if (kw == 4 && strncasecmp(l, "STLS", 4) == 0)
			caps->starttls = true;
		else if (kw == 4 && strncasecmp(l, "USER", 4) == 0)
			caps->pop3_user = true;
		else if (kw == 4 && strncasecmp(l, "SASL", 4) == 0) {
			caps->auth = true;
			add_mechs(caps, params);
		} else
			strvec_push(&caps->unknown, l);
	}
}

/* ---- the dialect's steps ---- */

/* Reads one status line for a step: 1 +OK, 0 -ERR, or a negative error
 * already recorded in the facts. *text is the escaped status text. */
static int read_status(struct session *s, enum session_step step, char **text)
{
	char *line;
	size_t len;
	*text = NULL;
	int64_t t0 = mono_us();
	int rc = conn_read_line(&s->c, &line, &len, session_step_deadline(s));
	if (rc < 0) {
		session_fail_at(s, step, rc, session_read_failure(s, rc, NULL));
		return rc;
	}
	session_note_reply_time(s, step, mono_us() - t0);
	size_t off = 0;
	rc = pop3_status_parse(line, len, &off);
	if (rc < 0) {
		char *bad = str_escape(line, len, 300);
		session_fail_at(s, step, rc, session_read_failure(s, rc, bad));
		free(bad);
		return rc;
	}
	*text = str_escape(line, len, POP3_MAX_LINE * 4);
	return rc;
}

static void keep_reply(struct reply_info *keep, char *text_owned)
{
	reply_info_clear(keep);
	keep->text = text_owned;
}

static bool send_cmd(struct session *s, const char *cmd, enum session_step step)
{
	int rc = conn_send_line(&s->c, cmd, NULL, session_step_deadline(s));
	if (rc < 0)
		session_fail_at(s, step, rc, xasprintf("sending %s: %s", cmd, mx_strerror(rc)));
	return rc == 0;
}

static bool pop3_greeting(struct session *s)
{
	char *text;
	int rc = read_status(s, STEP_BANNER, &text);
	if (rc < 0)
		return false;
	keep_reply(&s->f->banner, text);
	if (rc == 0) {
		/* -ERR at connect: no service for this client. */
		session_fail_at(s, STEP_BANNER, -MX_E_REJECTED, xstrdup(text));
		return false;
	}
	return true;
}

static bool pop3_capa(struct session *s, enum session_step step, struct reply_info *keep, struct smtp_caps *caps)
{
	if (!send_cmd(s, "CAPA", step))
		return false;
	char *text;
	int rc = read_status(s, step, &text);
	if (rc < 0)
		return false;
	struct pop3_multi m = { 0 };
	if (rc == 0) {
		/* RFC 2449 section 5: a server without CAPA answers -ERR; it
		 * offers nothing we can see (STLS included). */
		keep_reply(keep, text);
		pop3_caps_parse(NULL, &m.lines, caps);
		return true;
	}
	int64_t t0 = mono_us();
	for (;;) {
		char *line;
		size_t len;
		rc = conn_read_line(&s->c, &line, &len, session_step_deadline(s));
		if (rc < 0) {
			session_fail_at(s, step, rc, session_read_failure(s, rc, NULL));
			break;
		}
		rc = pop3_multi_feed(&m, line, len);
		if (rc < 0) {
			char *bad = str_escape(line, len, 300);
			session_fail_at(s, step, rc,
					rc == -MX_E_REPLY_TOO_LONG
						? xasprintf("CAPA list longer than %d lines", POP3_MAX_CAPA_LINES)
						: session_read_failure(s, rc, bad));
			free(bad);
			break;
		}
		if (rc == 0)
			break;
	}
	if (rc == 0) {
		session_note_reply_time(s, step, mono_us() - t0);
		const char *greet = text + (strlen(text) > 3 ? 4 : 3);
		pop3_caps_parse(greet, &m.lines, caps);
		char *body = strvec_join(&m.lines, "\n");
		keep_reply(keep, xasprintf("%s%s%s", text, m.lines.n ? "\n" : "", body));
		free(body);
	}
	free(text);
	pop3_multi_clear(&m);
	return rc == 0;
}

static void pop3_quit(struct session *s)
{
	struct session_facts *f = s->f;
	char *text = NULL;
	if (conn_send_line(&s->c, "QUIT", NULL, session_step_deadline(s)) == 0) {
		char *line;
		size_t len;
		if (conn_read_line(&s->c, &line, &len, session_step_deadline(s)) == 0) {
			f->quit_ok = pop3_status_parse(line, len, NULL) == 1;
			text = str_escape(line, len, POP3_MAX_LINE * 4);
		}
	}
	if (text)
		keep_reply(&f->quit, text);
	tls_bye(&s->c, mono_us() + 200000);
}

static bool pop3_stls(struct session *s)
{
	struct session_facts *f = s->f;
	char *text = NULL;
	int rc = send_cmd(s, "STLS", STEP_STARTTLS) ? read_status(s, STEP_STARTTLS, &text) : -MX_E_IO;
	if (rc < 0) {
		f->starttls = STARTTLS_BROKEN;
		return false;
	}
	keep_reply(&f->starttls_reply, text);
	if (rc == 0) {
		f->starttls = STARTTLS_REFUSED;
		session_fail_at(s, STEP_STARTTLS, -MX_E_REJECTED, xstrdup(text));
		pop3_quit(s);
		return false;
	}
	f->starttls = STARTTLS_ACCEPTED;
	return true;
}

const struct dialect dialect_pop3 = {
	.name = "pop3",
	.port = 110,
	.tls_port = 995,
	.hello = "CAPA",
	.starttls_cmd = "STLS",
	.starttls_ok = "+OK",
	.caps_where = "the CAPA reply",
	.starttls_rfc = "RFC 2595 section 4",
	.smtp_family = false,
	.greeting = pop3_greeting,
	.capabilities = pop3_capa,
	.starttls = pop3_stls,
	.quit = pop3_quit,
};
