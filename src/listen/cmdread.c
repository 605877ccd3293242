/* \summary: mxprobe listen's command and DATA reader (cmdread.h).
 * specification: RFC 5321 sections 2.3.8, 2.4, 4.1.1, 4.1.2, 4.5.2. */
#include "listen/cmdread.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LSN_ESCAPE_MAX 600 /* a command line is 512 at most; its escape a little more */

int lsn_line_take(struct buf *in, size_t max, char **line, size_t *len, bool *bare_lf)
{
	size_t scan = in->len < max ? in->len : max;
	const char *nl = scan ? memchr(in->data, '\n', scan) : NULL;
	if (!nl)
		return in->len >= max ? -1 : 0;
	size_t n = (size_t)(nl - in->data);
	*bare_lf = !(n > 0 && in->data[n - 1] == '\r');
	size_t body = *bare_lf ? n : n - 1;
	*line = xmalloc(body + 1); /* not xstrndup: a NUL is a byte of the line */
	memcpy(*line, in->data, body);
	(*line)[body] = '\0';
	*len = body;
	buf_consume(in, n + 1);
	return 1;
}

static const struct {
	enum lsn_verb verb;
	const char *name;
} verbs[] = {
	{ LSN_EHLO, "EHLO" },  { LSN_HELO, "HELO" }, { LSN_STARTTLS, "STARTTLS" },
	{ LSN_MAIL, "MAIL" },  { LSN_RCPT, "RCPT" }, { LSN_DATA, "DATA" },
	{ LSN_BDAT, "BDAT" },  { LSN_RSET, "RSET" }, { LSN_NOOP, "NOOP" },
	{ LSN_QUIT, "QUIT" },  { LSN_VRFY, "VRFY" }, { LSN_EXPN, "EXPN" },
	{ LSN_HELP, "HELP" },  { LSN_AUTH, "AUTH" }, { LSN_EMPTY, "" },
	{ LSN_UNKNOWN, NULL },
};

const char *lsn_verb_name(enum lsn_verb v)
{
	for (size_t i = 0; verbs[i].name; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

/* "FROM:<a@b> SIZE=10" after "MAIL ": the path between the brackets. RFC
 * 5321 4.1.2 wants the brackets; a space after the colon is tolerated as
 * most servers do. */
static char *parse_path(const char *arg, size_t len, const char *keyword)
{
	size_t kl = strlen(keyword);
	if (len < kl || strncasecmp(arg, keyword, kl) != 0)
		return NULL;
	size_t i = kl;
	while (i < len && arg[i] == ' ')
		i++;
	if (i >= len || arg[i] != '<')
		return NULL;
	const char *end = memchr(arg + i + 1, '>', len - i - 1);
	if (!end)
		return NULL;
	size_t plen = (size_t)(end - (arg + i + 1));
	if (plen > 256) /* RFC 5321 4.5.3.1.3: a path is 256 octets at most */
		return NULL;
	return str_escape(arg + i + 1, plen, LSN_ESCAPE_MAX);
}

void lsn_cmd_parse(const char *line, size_t len, struct lsn_cmd *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			out->has_nul = true;
	size_t vlen = 0;
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	out->verb_text = str_escape(line, vlen < 32 ? vlen : 32, 40);
	const char *arg = vlen < len ? line + vlen + 1 : line + len;
	size_t alen = vlen < len ? len - vlen - 1 : 0;
	out->arg = str_escape(arg, alen, LSN_ESCAPE_MAX);
	out->verb = LSN_UNKNOWN;
	if (len == 0) {
		out->verb = LSN_EMPTY;
		return;
	}
	for (size_t i = 0; verbs[i].name; i++) {
		size_t nl = strlen(verbs[i].name);
		if (nl && nl == vlen && strncasecmp(line, verbs[i].name, nl) == 0) {
			out->verb = verbs[i].verb;
			break;
		}
	}
	switch (out->verb) {
	case LSN_EHLO:
	case LSN_HELO:
		/* a domain or an address literal; one word, printable */
		out->syntax_ok = alen > 0 && alen <= 255 && !out->has_nul && !memchr(arg, ' ', alen);
		break;
	case LSN_MAIL:
		out->path = parse_path(arg, alen, "FROM:");
		out->syntax_ok = out->path != NULL && !out->has_nul;
		break;
	case LSN_RCPT:
		out->path = parse_path(arg, alen, "TO:");
		out->syntax_ok = out->path != NULL && out->path[0] != '\0' && !out->has_nul;
		break;
	case LSN_STARTTLS:
	case LSN_DATA:
	case LSN_RSET:
	case LSN_QUIT:
		/* RFC 3207 4 / RFC 5321 4.1.1: no parameters */
		out->syntax_ok = alen == 0;
		break;
	default:
		out->syntax_ok = !out->has_nul;
		break;
	}
}

void lsn_cmd_clear(struct lsn_cmd *c)
{
	free(c->verb_text);
	free(c->arg);
	free(c->path);
	memset(c, 0, sizeof *c);
}

char *lsn_path_domain(const char *path)
{
	if (!path)
		return NULL;
	const char *at = strrchr(path, '@');
	if (!at || !at[1])
		return NULL;
	char *d = xstrdup(at + 1);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

void lsn_msg_init(struct lsn_msg *m, size_t max_size, size_t max_headers)
{
	memset(m, 0, sizeof *m);
	m->max_size = max_size;
	m->max_headers = max_headers;
	m->in_headers = true;
	buf_init(&m->headers, max_headers);
}

void lsn_msg_clear(struct lsn_msg *m)
{
	buf_clear(&m->headers);
}

int lsn_msg_line(struct lsn_msg *m, const char *line, size_t len, bool bare_lf)
{
	if (len == 1 && line[0] == '.')
		return 1;
	if (len > 0 && line[0] == '.') { /* RFC 5321 4.5.2: remove the first dot */
		line++;
		len--;
	}
	m->lines++;
	if (bare_lf)
		m->bad_line_end = true;
	m->size += len + 2;
	if (m->size > m->max_size)
		m->too_big = true;
	if (!m->in_headers)
		return 0;
	if (len == 0) {
		m->in_headers = false;
		return 0;
	}
	if (m->headers_cut)
		return 0;
	if (buf_append(&m->headers, line, len) < 0 || buf_append(&m->headers, "\r\n", 2) < 0)
		m->headers_cut = true;
	return 0;
}
