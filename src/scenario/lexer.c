/* \summary: the scenario lexer (see lexer.h). Every byte of a scenario file
 * is treated as hostile: lines are bounded, NUL, control bytes and invalid
 * UTF-8 are errors with their column, expansions are bounded.
 * specification: RFC 3629 (UTF-8). */
#include "scenario/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

const struct scn_var *scn_var_find(const struct scn_vartab *vt, const char *name)
{
	for (size_t i = 0; i < vt->n; i++)
		if (strcmp(vt->v[i].name, name) == 0)
			return &vt->v[i];
	return NULL;
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	volatile char *p = s;
	while (*p)
		*p++ = 0;
	free(s);
}

int scn_var_set(struct scn_vartab *vt, const char *name, const char *value, bool secret, bool from_cli)
{
	struct scn_var *v = NULL;
	for (size_t i = 0; i < vt->n && !v; i++)
		if (strcmp(vt->v[i].name, name) == 0)
			v = &vt->v[i];
	if (v) {
		if (v->from_cli && !from_cli)
			return 0;
		wipe_free(v->value);
	} else {
		if (vt->n >= SCN_MAX_VARS)
			return -1;
		v = &vt->v[vt->n++];
		v->name = xstrdup(name);
	}
	v->value = xstrdup(value);
	v->secret = secret;
	v->from_cli = from_cli;
	return 0;
}

void scn_vartab_clear(struct scn_vartab *vt)
{
	for (size_t i = 0; i < vt->n; i++) {
		free(vt->v[i].name);
		wipe_free(vt->v[i].value);
	}
	vt->n = 0;
}

bool scn_var_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

void scn_err_set(struct scn_err *e, unsigned line, unsigned col, const char *expected, const char *got_fmt, ...)
{
	e->line = line;
	e->col = col;
	snprintf(e->expected, sizeof e->expected, "%s", expected);
	va_list ap;
	va_start(ap, got_fmt);
	vsnprintf(e->got, sizeof e->got, got_fmt, ap);
	va_end(ap);
}

void scn_quote(char *out, size_t outlen, const char *p, size_t n)
{
	struct buf b;
	buf_init(&b, 256);
	buf_append(&b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char esc[8];
		if (b.len > 56) {
			buf_append(&b, "...", 3);
			break;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			buf_append(&b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02X", c);
			buf_append(&b, esc, 4);
		} else {
			buf_append(&b, &p[i], 1);
		}
	}
	buf_append(&b, "\"", 1);
	buf_append(&b, "", 1);
	/* The one escaping rule (bytes that are not UTF-8, C1, bidi), and a
	 * cut between characters: the 56-byte cut above and outlen may fall
	 * inside a UTF-8 sequence. */
	char *safe = str_sanitize(b.data, false);
	buf_clear(&b);
	if (outlen == 0) {
		free(safe);
		return;
	}
	size_t len = strlen(safe);
	if (len >= outlen) {
		len = outlen - 1;
		while (len > 0 && ((unsigned char)safe[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(out, safe, len);
	out[len] = '\0';
	free(safe);
}

void scn_tok_clear(struct scn_tok *t)
{
	if (t->secret)
		wipe_free(t->text);
	else
		free(t->text);
	memset(t, 0, sizeof *t);
}

/* The length of the UTF-8 sequence at p (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int scn_check_line(const char *line, size_t len, unsigned lineno, struct scn_err *err)
{
	if (len > SCN_MAX_LINE) {
		scn_err_set(err, lineno, SCN_MAX_LINE + 1,
			    "a line of at most "
			    "4096"
			    " bytes",
			    "a line of %zu bytes", len);
		return -1;
	}
	const unsigned char *p = (const unsigned char *)line;
	for (size_t i = 0; i < len;) {
		unsigned col = (unsigned)i + 1;
		if (p[i] == 0) {
			scn_err_set(err, lineno, col, "text", "a NUL byte");
			return -1;
		}
		if ((p[i] < 0x20 && p[i] != '\t' && !(p[i] == '\r' && i + 1 == len)) || p[i] == 0x7f) {
			scn_err_set(err, lineno, col, "text", "control byte 0x%02X", p[i]);
			return -1;
		}
		size_t n = utf8_len(p + i, len - i);
		if (n == 0) {
			scn_err_set(err, lineno, col, "UTF-8 text", "byte 0x%02X", p[i]);
			return -1;
		}
		i += n;
	}
	return 0;
}

/* Appends to an expansion with the value limit. */
static int put(struct buf *b, const void *p, size_t n, struct scn_lexer *lx, unsigned col)
{
	if (buf_append(b, p, n) == 0)
		return 0;
	scn_err_set(lx->err, lx->lineno, col, "a value of at most 8192 bytes", "a longer value");
	return -1;
}

/* Expands ${NAME} at lx->pos (on the '$'). */
static int expand_var(struct scn_lexer *lx, struct buf *b, struct scn_tok *t)
{
	size_t start = lx->pos;
	unsigned col = (unsigned)start + 1;
	const char *name = lx->line + start + 2;
	size_t max = lx->len - start - 2, n = 0;
	while (n < max && name[n] != '}' && name[n] != '"' && name[n] != ' ' && name[n] != '\t')
		n++;
	if (n == max || name[n] != '}' || !scn_var_name_ok(name, n)) {
		char got[64];
		size_t q = n + 2 + (n < max && name[n] == '}' ? 1 : 0);
		scn_quote(got, sizeof got, lx->line + start, q < lx->len - start ? q : lx->len - start);
		scn_err_set(lx->err, lx->lineno, col, "a variable such as ${NAME}", "%s", got);
		return -1;
	}
	char key[65];
	memcpy(key, name, n);
	key[n] = '\0';
	const struct scn_var *v = scn_var_find(lx->vars, key);
	if (!v) {
		scn_err_set(lx->err, lx->lineno, col, "a variable defined by --var, set, env or secret", "${%s}", key);
		return -1;
	}
	if (v->secret)
		t->secret = true;
	lx->pos = start + 2 + n + 1;
	return put(b, v->value, strlen(v->value), lx, col);
}

static int lex_string(struct scn_lexer *lx, struct scn_tok *t, struct buf *b)
{
	size_t open = lx->pos++;
	for (;;) {
		if (lx->pos >= lx->len || (lx->line[lx->pos] == '\r' && lx->pos + 1 == lx->len)) {
			scn_err_set(lx->err, lx->lineno, (unsigned)open + 1, "a closing \"", "end of line");
			return -1;
		}
		char c = lx->line[lx->pos];
		if (c == '"')
			break;
		if (c == '\\') {
			char e = lx->pos + 1 < lx->len ? lx->line[lx->pos + 1] : '\0';
			if (e != '"' && e != '\\' && e != '$') {
				char got[16];
				scn_quote(got, sizeof got, lx->line + lx->pos, lx->pos + 1 < lx->len ? 2 : 1);
				scn_err_set(lx->err, lx->lineno, (unsigned)lx->pos + 1, "\\\", \\\\ or \\$", "%s", got);
				return -1;
			}
			if (put(b, &e, 1, lx, (unsigned)lx->pos + 1) < 0)
				return -1;
			lx->pos += 2;
			continue;
		}
		if (c == '$' && lx->pos + 1 < lx->len && lx->line[lx->pos + 1] == '{') {
			if (expand_var(lx, b, t) < 0)
				return -1;
			continue;
		}
		if (put(b, &c, 1, lx, (unsigned)lx->pos + 1) < 0)
			return -1;
		lx->pos++;
	}
	lx->pos++;
	t->kind = TOK_STRING;
	return 0;
}

static int lex_regex(struct scn_lexer *lx, struct scn_tok *t, struct buf *b)
{
	size_t open = lx->pos++;
	for (;;) {
		if (lx->pos >= lx->len || (lx->line[lx->pos] == '\r' && lx->pos + 1 == lx->len)) {
			scn_err_set(lx->err, lx->lineno, (unsigned)open + 1, "a closing / after the regular expression",
				    "end of line");
			return -1;
		}
		char c = lx->line[lx->pos];
		if (c == '/')
			break;
		if (c == '\\' && lx->pos + 1 < lx->len && lx->line[lx->pos + 1] == '/') {
			c = '/';
			lx->pos++;
		}
		if (put(b, &c, 1, lx, (unsigned)lx->pos + 1) < 0)
			return -1;
		lx->pos++;
	}
	lx->pos++;
	t->kind = TOK_REGEX;
	return 0;
}

static int lex_word(struct scn_lexer *lx, struct scn_tok *t, struct buf *b)
{
	while (lx->pos < lx->len) {
		char c = lx->line[lx->pos];
		if (c == ' ' || c == '\t' || (c == '\r' && lx->pos + 1 == lx->len))
			break;
		if (c == '"') {
			scn_err_set(lx->err, lx->lineno, (unsigned)lx->pos + 1, "a space before a string", "\"");
			return -1;
		}
		if (c == '$' && lx->pos + 1 < lx->len && lx->line[lx->pos + 1] == '{') {
			if (expand_var(lx, b, t) < 0)
				return -1;
			continue;
		}
		if (put(b, &c, 1, lx, (unsigned)lx->pos + 1) < 0)
			return -1;
		lx->pos++;
	}
	t->kind = TOK_WORD;
	return 0;
}

int scn_next(struct scn_lexer *lx, struct scn_tok *t)
{
	memset(t, 0, sizeof *t);
	while (lx->pos < lx->len && (lx->line[lx->pos] == ' ' || lx->line[lx->pos] == '\t'))
		lx->pos++;
	t->col = (unsigned)lx->pos + 1;
	if (lx->pos >= lx->len || lx->line[lx->pos] == '#' || (lx->line[lx->pos] == '\r' && lx->pos + 1 == lx->len)) {
		t->kind = TOK_END;
		t->raw = lx->line + lx->pos;
		return 0;
	}
	size_t start = lx->pos;
	struct buf b;
	buf_init(&b, SCN_MAX_VALUE);
	int rc;
	char c = lx->line[start];
	if (c == '"')
		rc = lex_string(lx, t, &b);
	else if (c == '/' && lx->regex_ok)
		rc = lex_regex(lx, t, &b);
	else
		rc = lex_word(lx, t, &b);
	if (rc == 0 && lx->pos < lx->len && t->kind != TOK_WORD && lx->line[lx->pos] != ' ' &&
	    lx->line[lx->pos] != '\t' && lx->line[lx->pos] != '#' &&
	    !(lx->line[lx->pos] == '\r' && lx->pos + 1 == lx->len)) {
		char got[64];
		scn_quote(got, sizeof got, lx->line + lx->pos, 1);
		scn_err_set(lx->err, lx->lineno, (unsigned)lx->pos + 1, "a space after the closing quote or slash",
			    "%s", got);
		rc = -1;
	}
	if (rc < 0) {
		if (t->secret && b.data)
			memset(b.data, 0, b.len);
		buf_clear(&b);
		return -1;
	}
	t->raw = lx->line + start;
	t->rawlen = lx->pos - start;
	t->text = xstrndup(b.data ? b.data : "", b.len);
	if (t->secret && b.data)
		memset(b.data, 0, b.len);
	buf_clear(&b);
	size_t rl = t->rawlen;
	const char *r = t->raw;
	if (t->kind == TOK_STRING) {
		r++;
		rl -= 2;
	}
	t->only_var = rl > 3 && r[0] == '$' && r[1] == '{' && r[rl - 1] == '}' && memchr(r + 2, '}', rl - 3) == NULL &&
		      memchr(r + 2, '$', rl - 3) == NULL;
	return 0;
}
