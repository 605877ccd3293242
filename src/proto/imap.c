/* \summary: IMAP responses and CAPABILITY, and the imap dialect's steps.
 * specification: RFC 3501, RFC 9051, RFC 8314. */
#include "proto/imap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/dialect.h"
#include "proto/session.h"
#include "util/err.h"

static const struct {
	enum imap_cond c;
	const char *name;
} conds[] = {
	{ IMAP_COND_OK, "OK" },	  { IMAP_COND_NO, "NO" },	    { IMAP_COND_BAD, "BAD" },
	{ IMAP_COND_BYE, "BYE" }, { IMAP_COND_PREAUTH, "PREAUTH" }, { IMAP_COND_NONE, NULL },
};

const char *imap_cond_name(enum imap_cond c)
{
	for (size_t i = 0; conds[i].name; i++)
		if (conds[i].c == c)
			return conds[i].name;
	return "";
}

void imap_response_clear(struct imap_response *r)
{
	free(r->code);
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* RFC 3501 section 9: tag = 1*<any ASTRING-CHAR except "+">; ATOM-CHAR
 * excludes "(" ")" "{" SP CTL "%" "*" DQUOTE "\\". */
static bool is_tag_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("(){%*\"\\+", c);
}

/* "{123}" or "{123+}" at the end of a line announces a literal. */
static bool ends_with_literal(const char *line, size_t len)
{
	if (len < 3 || line[len - 1] != '}')
		return false;
	size_t i = len - 1;
	if (i > 0 && line[i - 1] == '+')
		i--;
	size_t digits = 0;
	while (i > 0 && isdigit((unsigned char)line[i - 1])) {
		i--;
		digits++;
	}
	return digits > 0 && i > 0 && line[i - 1] == '{';
}

/* cond SP ["[" code "]" SP] text, at p (len n). */
static int parse_cond_text(const char *p, size_t n, struct imap_response *r, bool need_cond)
{
	size_t w = 0;
	while (w < n && p[w] != ' ')
		w++;
	r->cond = IMAP_COND_NONE;
	for (size_t i = 0; conds[i].name; i++)
		if (strlen(conds[i].name) == w && strncasecmp(p, conds[i].name, w) == 0)
			r->cond = conds[i].c;
	if (r->cond == IMAP_COND_NONE) {
		if (need_cond || w == 0)
			return -MX_E_BAD_REPLY;
		/* untagged data: "CAPABILITY ...", "3 EXISTS", "FLAGS (...)" */
		r->text = str_escape(p, n, IMAP_MAX_LINE * 4);
		return 0;
	}
	p += w;
	n -= w;
	if (n && *p == ' ') {
		p++;
		n--;
	}
	if (n && *p == '[') {
		const char *close = memchr(p, ']', n);
		if (!close)
			return -MX_E_BAD_REPLY;
		size_t cl = (size_t)(close - p) - 1;
		r->code = str_escape(p + 1, cl, IMAP_MAX_LINE * 4);
		n -= cl + 2;
		p = close + 1;
		if (n && *p == ' ') {
			p++;
			n--;
		}
	}
	r->text = str_escape(p, n, IMAP_MAX_LINE * 4);
	return 0;
}

int imap_response_parse(const char *line, size_t len, struct imap_response *r)
{
	memset(r, 0, sizeof *r);
	if (len > IMAP_MAX_LINE)
		return -MX_E_LINE_TOO_LONG;
	if (len == 0 || memchr(line, '\0', len) || ends_with_literal(line, len))
		return -MX_E_BAD_REPLY;
	int rc;
	if (line[0] == '+' && (len == 1 || line[1] == ' ')) {
		r->kind = IMAP_CONTINUATION;
		r->text = str_escape(len > 2 ? line + 2 : "", len > 2 ? len - 2 : 0, IMAP_MAX_LINE * 4);
		return 0;
	}
	if (line[0] == '*') {
		if (len < 3 || line[1] != ' ')
			return -MX_E_BAD_REPLY;
		r->kind = IMAP_UNTAGGED;
		rc = parse_cond_text(line + 2, len - 2, r, false);
	} else {
		size_t t = 0;
		while (t < len && is_tag_char((unsigned char)line[t]))
			t++;
		if (t == 0 || t > IMAP_MAX_TAG || t + 1 >= len || line[t] != ' ')
			return -MX_E_BAD_REPLY;
		r->kind = IMAP_TAGGED;
		memcpy(r->tag, line, t);
		r->tag[t] = '\0';
		rc = parse_cond_text(line + t + 1, len - t - 1, r, true);
		/* RFC 3501 section 7.1: a tagged response is OK, NO or BAD. */
		if (rc == 0 && r->cond != IMAP_COND_OK && r->cond != IMAP_COND_NO && r->cond != IMAP_COND_BAD)
			rc = -MX_E_BAD_REPLY;
	}
	if (rc < 0)
		imap_response_clear(r);
	return rc;
}

void imap_caps_add(const char *atoms, struct smtp_caps *caps)
{
	caps->valid = true;
	const char *p = atoms;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		char *a = xstrndup(p, n);
		p += n;
		if (strvec_contains_ci(&caps->lines, a)) {
			free(a);
			continue;
		}
		strvec_push(&caps->lines, a);
		if (strcasecmp(a, "STARTTLS") == 0) {
			caps->starttls = true;
		} else if (strcasecmp(a, "LOGINDISABLED") == 0) {
			caps->logindisabled = true;
		} else if (strncasecmp(a, "AUTH=", 5) == 0 && a[5]) {
			caps->auth = true;
			char *m = xstrdup(a + 5);
			for (char *q = m; *q; q++)
				*q = (char)toupper((unsigned char)*q);
			if (!strvec_contains_ci(&caps->auth_mechs, m))
				strvec_push_owned(&caps->auth_mechs, m);
			else
				free(m);
		} else {
			strvec_push(&caps->unknown, a);
		}
		free(a);
	}
}

/* ---- the dialect's steps ---- */

/* Reads one response line; a negative error is recorded for the step. */
static int read_response(struct session *s, enum session_step step, struct imap_response *r, struct strvec *seen)
{
	char *line;
	size_t len;
	int64_t t0 = mono_us();
	int rc = conn_read_line(&s->c, &line, &len, session_step_deadline(s));
	if (rc < 0) {
		session_fail_at(s, step, rc, session_read_failure(s, rc, NULL));
		return rc;
	}
	session_note_reply_time(s, step, mono_us() - t0);
	rc = imap_response_parse(line, len, r);
	if (rc < 0) {
		char *bad = str_escape(line, len, 300);
		session_fail_at(s, step, rc, session_read_failure(s, rc, bad));
		free(bad);
		return rc;
	}
	if (seen)
		strvec_push_owned(seen, str_escape(line, len, IMAP_MAX_LINE * 4));
	return 0;
}

static void keep_lines(struct reply_info *keep, const struct strvec *lines)
{
	reply_info_clear(keep);
	keep->text = strvec_join(lines, "\n");
}

/* Sends "aN CMD" and reads to its tagged response; untagged CAPABILITY
 * data goes into caps (if given). Returns the tagged condition, or a
 * negative error (recorded; an untagged BYE is -MX_E_SERVICE_UNAVAILABLE). */
static int command(struct session *s, const char *cmd, enum session_step step, struct strvec *seen,
		   struct smtp_caps *caps)
{
	char tag[16];
	snprintf(tag, sizeof tag, "a%u", ++s->tag);
	char *line = xasprintf("%s %s", tag, cmd);
	int rc = conn_send_line(&s->c, line, NULL, session_step_deadline(s));
	free(line);
	if (rc < 0) {
		session_fail_at(s, step, rc, xasprintf("sending %s: %s", cmd, mx_strerror(rc)));
		return rc;
	}
	for (size_t i = 0; i <= IMAP_MAX_UNTAGGED; i++) {
		struct imap_response r;
		rc = read_response(s, step, &r, seen);
		if (rc < 0)
			return rc;
		if (r.kind == IMAP_TAGGED) {
			bool ours = strcmp(r.tag, tag) == 0;
			int cond = (int)r.cond;
			imap_response_clear(&r);
			if (!ours) {
				session_fail_at(
					s, step, -MX_E_BAD_REPLY,
					xasprintf("a tagged response for another command (expected tag %s)", tag));
				return -MX_E_BAD_REPLY;
			}
			return cond;
		}
		if (r.kind == IMAP_UNTAGGED && r.cond == IMAP_COND_BYE) {
			/* RFC 3501 section 7.1.5: the server is closing the connection. */
			bool logout = step == STEP_QUIT;
			if (!logout)
				session_fail_at(s, step, -MX_E_SERVICE_UNAVAILABLE, xasprintf("* BYE %s", r.text));
			imap_response_clear(&r);
			if (!logout)
				return -MX_E_SERVICE_UNAVAILABLE;
			continue;
		}
		if (caps && r.kind == IMAP_UNTAGGED && r.cond == IMAP_COND_NONE &&
		    strncasecmp(r.text, "CAPABILITY ", 11) == 0)
			imap_caps_add(r.text + 11, caps);
		imap_response_clear(&r);
	}
	session_fail_at(s, step, -MX_E_REPLY_TOO_LONG,
			xasprintf("more than %d untagged responses before the tagged one", IMAP_MAX_UNTAGGED));
	return -MX_E_REPLY_TOO_LONG;
}

static bool imap_greeting(struct session *s)
{
	struct imap_response r;
	struct strvec seen = { 0 };
	int rc = read_response(s, STEP_BANNER, &r, &seen);
	if (rc < 0) {
		strvec_clear(&seen);
		return false;
	}
	keep_lines(&s->f->banner, &seen);
	strvec_clear(&seen);
	bool ok = false;
	/* RFC 3501 section 7.1: greeting = "*" SP (resp-cond-auth / resp-cond-bye) */
	if (r.kind == IMAP_UNTAGGED && (r.cond == IMAP_COND_OK || r.cond == IMAP_COND_PREAUTH))
		ok = true;
	else if (r.kind == IMAP_UNTAGGED && r.cond == IMAP_COND_BYE)
		session_fail_at(s, STEP_BANNER, -MX_E_REJECTED, xasprintf("* BYE %s", r.text));
	else
		session_fail_at(s, STEP_BANNER, -MX_E_BAD_REPLY,
				xstrdup("the greeting is not \"* OK\" or \"* PREAUTH\""));
	imap_response_clear(&r);
	return ok;
}

static bool imap_capability(struct session *s, enum session_step step, struct reply_info *keep, struct smtp_caps *caps)
{
	struct strvec seen = { 0 };
	smtp_caps_clear(caps);
	int rc = command(s, "CAPABILITY", step, &seen, caps);
	keep_lines(keep, &seen);
	strvec_clear(&seen);
	if (rc < 0) {
		smtp_caps_clear(caps);
		return false;
	}
	if (rc != IMAP_COND_OK) {
		smtp_caps_clear(caps);
		session_fail_at(s, step, -MX_E_REJECTED,
				xasprintf("%s %s", imap_cond_name((enum imap_cond)rc), keep->text ? keep->text : ""));
		return false;
	}
	/* A tagged OK without CAPABILITY data: nothing offered, still an answer. */
	caps->valid = true;
	return true;
}

static void imap_logout(struct session *s)
{
	struct strvec seen = { 0 };
	struct session_facts *f = s->f;
	/* A failed LOGOUT is not the session's failure: keep failed_step. */
	enum session_step fs = f->failed_step;
	int rc = command(s, "LOGOUT", STEP_QUIT, &seen, NULL);
	if (fs == STEP_NONE && f->failed_step == STEP_QUIT) {
		free(f->fail_detail);
		f->fail_detail = NULL;
		f->fail_err = 0;
		f->failed_step = STEP_NONE;
	}
	if (seen.n)
		keep_lines(&f->quit, &seen);
	f->quit_ok = rc == IMAP_COND_OK;
	strvec_clear(&seen);
	tls_bye(&s->c, mono_us() + 200000);
}

static bool imap_starttls(struct session *s)
{
	struct session_facts *f = s->f;
	struct strvec seen = { 0 };
	int rc = command(s, "STARTTLS", STEP_STARTTLS, &seen, NULL);
	if (seen.n)
		keep_lines(&f->starttls_reply, &seen);
	strvec_clear(&seen);
	if (rc < 0) {
		f->starttls = rc == -MX_E_SERVICE_UNAVAILABLE ? STARTTLS_REFUSED : STARTTLS_BROKEN;
		return false;
	}
	if (rc != IMAP_COND_OK) {
		f->starttls = STARTTLS_REFUSED;
		session_fail_at(s, STEP_STARTTLS, -MX_E_REJECTED,
				xstrdup(f->starttls_reply.text ? f->starttls_reply.text : ""));
		imap_logout(s);
		return false;
	}
	f->starttls = STARTTLS_ACCEPTED;
	return true;
}

const struct dialect dialect_imap = {
	.name = "imap",
	.port = 143,
	.tls_port = 993,
	.hello = "CAPABILITY",
	.starttls_cmd = "STARTTLS",
	.starttls_ok = "a OK",
	.caps_where = "the CAPABILITY response",
	.starttls_rfc = "RFC 3501 section 6.2.1; RFC 9051 section 6.2.1",
	.smtp_family = false,
	.greeting = imap_greeting,
	.capabilities = imap_capability,
	.starttls = imap_starttls,
	.quit = imap_logout,
};
