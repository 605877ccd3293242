/* \summary: SMTP replies and EHLO capabilities.
 * specification: RFC 5321 section 4.2, RFC 3463, RFC 2034. */
#include "proto/smtp.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

void smtp_reply_clear(struct smtp_reply *r)
{
	strvec_clear(&r->text);
	memset(r, 0, sizeof *r);
}

size_t smtp_enh_parse(const char *text, int code, char *out, size_t outlen)
{
	/* RFC 3463 section 2: class "." subject "." detail; class is 2, 4
	 * or 5, subject and detail are 1 to 3 digits. */
	const char *p = text;
	if (*p < '2' || *p > '5' || *p == '3' || *p - '0' != code / 100 || p[1] != '.')
		return 0;
	p += 2;
	for (int part = 0; part < 2; part++) {
		size_t digits = 0;
		while (isdigit((unsigned char)*p) && digits < 4) {
			p++;
			digits++;
		}
		if (digits == 0 || digits > 3)
			return 0;
		if (part == 0 && *p++ != '.')
			return 0;
	}
	if (*p != '\0' && *p != ' ')
		return 0;
	size_t n = (size_t)(p - text);
	if (n + 1 > outlen)
		return 0;
	memcpy(out, text, n);
	out[n] = '\0';
	return n;
}

int smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	/* RFC 5321 section 4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
	    !isdigit((unsigned char)line[2]))
		return -MX_E_BAD_REPLY;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -MX_E_BAD_REPLY;
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\0')
			return -MX_E_BAD_REPLY;
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	/* "If a multi-line reply is sent, all lines MUST use the same code." */
	if (r->code && code != r->code)
		return -MX_E_BAD_REPLY;
	if (r->text.n >= SMTP_MAX_REPLY_LINES)
		return -MX_E_REPLY_TOO_LONG;
	bool first = r->code == 0;
	r->code = code;
	char *text = xstrndup(len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0);
	char enh[16];
	size_t el = smtp_enh_parse(text, code, enh, sizeof enh);
	if (el) {
		if (first)
			memcpy(r->enh, enh, sizeof r->enh);
		size_t skip = el + (text[el] == ' ' ? 1 : 0);
		memmove(text, text + skip, strlen(text + skip) + 1);
	}
	strvec_push_owned(&r->text, text);
	r->done = len == 3 || line[3] == ' ';
	return r->done ? 0 : 1;
}

void smtp_reply_to_info(const struct smtp_reply *r, struct reply_info *out)
{
	reply_info_clear(out);
	out->code = r->code;
	memcpy(out->enh, r->enh, sizeof out->enh);
	out->text = strvec_join(&r->text, "\n");
}

int smtp_read_reply(struct conn *c, struct smtp_reply *r, int64_t deadline, char **bad)
{
	smtp_reply_clear(r);
	if (bad)
		*bad = NULL;
	for (;;) {
		char *line;
		size_t len;
		int rc = conn_read_line(c, &line, &len, deadline);
		if (rc < 0)
			return rc;
		rc = smtp_reply_feed(r, line, len);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			if (bad)
				*bad = str_escape(line, len, 300);
			return rc;
		}
	}
}

/* ---- capabilities ---- */

static const struct {
	const char *kw;
	size_t off;
} flag_kws[] = {
	{ "STARTTLS", offsetof(struct smtp_caps, starttls) },
	{ "PIPELINING", offsetof(struct smtp_caps, pipelining) },
	{ "8BITMIME", offsetof(struct smtp_caps, eightbitmime) },
	{ "CHUNKING", offsetof(struct smtp_caps, chunking) },
	{ "BINARYMIME", offsetof(struct smtp_caps, binarymime) },
	{ "SMTPUTF8", offsetof(struct smtp_caps, smtputf8) },
	{ "DSN", offsetof(struct smtp_caps, dsn) },
	{ "ENHANCEDSTATUSCODES", offsetof(struct smtp_caps, enhancedstatuscodes) },
	{ "REQUIRETLS", offsetof(struct smtp_caps, requiretls) },
	{ "ETRN", offsetof(struct smtp_caps, etrn) },
	{ NULL, 0 },
};

static void add_auth_mechs(struct smtp_caps *caps, const char *params)
{
	const char *p = params;
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

static void parse_cap_line(struct smtp_caps *caps, const char *line)
{
	size_t kwlen = strcspn(line, " =");
	if (kwlen == 0)
		return;
	char kw[64];
	if (kwlen >= sizeof kw) {
		strvec_push(&caps->unknown, line);
		return;
	}
	for (size_t i = 0; i < kwlen; i++)
		kw[i] = (char)toupper((unsigned char)line[i]);
	kw[kwlen] = '\0';
	const char *params = line + kwlen;
	if (*params)
		params++;

	for (size_t i = 0; flag_kws[i].kw; i++) {
		if (strcmp(kw, flag_kws[i].kw) == 0) {
			*(bool *)((char *)caps + flag_kws[i].off) = true;
			return;
		}
	}
	if (strcmp(kw, "AUTH") == 0) {
		/* "AUTH=LOGIN PLAIN" is the pre-RFC 4954 spelling some servers still send. */
		caps->auth = true;
		add_auth_mechs(caps, params);
		return;
	}
	if (strcmp(kw, "SIZE") == 0) {
		caps->size_present = true;
		char *end;
		uintmax_t v = strtoumax(params, &end, 10);
		/* strtoumax takes "-1" as a huge number: only digits count. */
		bool digits = *params >= '0' && *params <= '9';
		caps->size = (digits && (*end == '\0' || *end == ' ')) ? (uint64_t)v : 0;
		return;
	}
	strvec_push(&caps->unknown, line);
}

void smtp_caps_parse(const struct smtp_reply *r, struct smtp_caps *caps)
{
	smtp_caps_clear(caps);
	if (r->code != 250 || r->text.n == 0)
		return;
	caps->valid = true;
	caps->greeting = xstrdup(r->text.v[0]);
	for (size_t i = 1; i < r->text.n; i++) {
		strvec_push(&caps->lines, r->text.v[i]);
		parse_cap_line(caps, r->text.v[i]);
	}
}
