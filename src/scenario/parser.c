/* \summary: the scenario parser: lines into tagged statements, variables
 * expanded, regular expressions compiled, the order of statements checked
 * (a reply before expect, an EHLO before expect capability), every mistake
 * reported as FILE:LINE:COLUMN: expected X, got Y.
 * specification: docs/scenarios.md; RFC 5321 section 4.2 (reply codes),
 * RFC 3463 (enhanced status codes). */
#include "scenario/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scenario/lexer.h"
#include "util/util.h"

#define SCN_MAX_STMTS 10000

static const char *const op_names[] = {
#define SCN_OP_NAME(n, s) s,
	SCN_OPS(SCN_OP_NAME)
#undef SCN_OP_NAME
};

const char *scn_op_name(enum scn_op op)
{
	return (size_t)op < ARRAY_LEN(op_names) ? op_names[op] : "?";
}

struct parser {
	struct scenario *sc;
	struct scn_vartab vars;
	struct scn_err err;
	const struct scn_parse_opts *po;
	struct scn_lexer lx;
	bool connected;	 /* a connect came before */
	bool have_reply; /* a statement that reads a reply came before */
	bool have_ehlo;	 /* an EHLO since the last connect or starttls */
};

/* ---- tokens ---- */

/* glibc's regcomp copies the subexpression for every "+" and for every
 * count of "{m,n}", so "a++++..." or nested intervals grow it exponentially
 * (the scenario fuzzer found one that took 2 GiB). Before compiling, bound
 * the product of all expansions, as if every one were nested in the next:
 * a pattern that passes cannot cost more than REGEX_MAX_COPIES times its
 * length. */
#define REGEX_MAX_LEN	     512
#define REGEX_MAX_LEN_STR    "512"
#define REGEX_MAX_COPIES     4096
#define REGEX_MAX_COPIES_STR "4096"

static bool regex_is_bounded(const char *re)
{
	if (strlen(re) > REGEX_MAX_LEN)
		return false;
	unsigned long copies = 1;
	bool in_bracket = false;
	for (const char *c = re; *c; c++) {
		unsigned long factor = 1;
		if (*c == '\\' && c[1]) {
			c++;
			continue;
		}
		if (in_bracket) {
			in_bracket = *c != ']';
			continue;
		}
		if (*c == '[') {
			in_bracket = true;
			if (c[1] == '^')
				c++;
			if (c[1] == ']')
				c++; /* a leading ] is a literal */
			continue;
		}
		if (*c == '+') {
			factor = 2;
		} else if (*c == '{') {
			unsigned long lo = 0, hi = 0;
			const char *q = c + 1;
			while (*q >= '0' && *q <= '9' && lo < 100000)
				lo = lo * 10 + (unsigned long)(*q++ - '0');
			hi = lo;
			if (*q == ',') {
				q++;
				hi = 0;
				while (*q >= '0' && *q <= '9' && hi < 100000)
					hi = hi * 10 + (unsigned long)(*q++ - '0');
				if (hi == 0)
					hi = lo; /* {m,}: m copies and a star */
			}
			factor = hi + 1;
		}
		if (factor > REGEX_MAX_COPIES || copies * factor > REGEX_MAX_COPIES)
			return false;
		copies *= factor;
	}
	return true;
}

static void got_tok(char *out, size_t outlen, const struct scn_tok *t)
{
	if (t->kind == TOK_END)
		snprintf(out, outlen, "end of line");
	else
		scn_quote(out, outlen, t->raw, t->rawlen);
}

static int fail_tok(struct parser *p, const struct scn_tok *t, const char *expected)
{
	char got[80];
	got_tok(got, sizeof got, t);
	scn_err_set(&p->err, p->lx.lineno, t->col, expected, "%s", got);
	return -1;
}

/* The next token, which must be a word (or a string when strings is set). */
static int next_value(struct parser *p, struct scn_tok *t, bool strings, const char *expected)
{
	if (scn_next(&p->lx, t) < 0)
		return -1;
	if (t->kind == TOK_WORD || (strings && t->kind == TOK_STRING))
		return 0;
	fail_tok(p, t, expected);
	scn_tok_clear(t);
	return -1;
}

static int next_keyword(struct parser *p, const char *kw, const char *expected)
{
	struct scn_tok t;
	if (scn_next(&p->lx, &t) < 0)
		return -1;
	int rc = 0;
	if (t.kind != TOK_WORD || strcasecmp(t.text, kw) != 0)
		rc = fail_tok(p, &t, expected);
	scn_tok_clear(&t);
	return rc;
}

static int expect_end(struct parser *p)
{
	struct scn_tok t;
	if (scn_next(&p->lx, &t) < 0)
		return -1;
	int rc = 0;
	if (t.kind != TOK_END)
		rc = fail_tok(p, &t, "end of line");
	scn_tok_clear(&t);
	return rc;
}

/* A value that will be shown (sent, logged, reported): no secret in it. */
static int no_secret(struct parser *p, const struct scn_tok *t, const char *expected)
{
	if (!t->secret)
		return 0;
	scn_err_set(&p->err, p->lx.lineno, t->col, expected, "a secret variable (secrets go only into auth)");
	return -1;
}

static int no_crlf(struct parser *p, const struct scn_tok *t, const char *expected)
{
	if (!strpbrk(t->text, "\r\n"))
		return 0;
	scn_err_set(&p->err, p->lx.lineno, t->col, expected, "a value with CR or LF in it");
	return -1;
}

/* Takes a shown value into *dst. */
static int take_value(struct parser *p, char **dst, bool strings, const char *expected)
{
	struct scn_tok t;
	if (next_value(p, &t, strings, expected) < 0)
		return -1;
	if (no_secret(p, &t, expected) < 0 || no_crlf(p, &t, expected) < 0) {
		scn_tok_clear(&t);
		return -1;
	}
	*dst = t.text;
	t.text = NULL;
	scn_tok_clear(&t);
	return 0;
}

/* ---- values ---- */

static bool is_host_name(const char *s)
{
	if (!*s || strlen(s) > 255)
		return false;
	for (const unsigned char *q = (const unsigned char *)s; *q; q++)
		if (*q <= ' ' || *q >= 0x7f)
			return false;
	return true;
}

/* "250", "2xx", "25x": RFC 5321 section 4.2, first digit 2 to 5. */
static bool parse_code(const char *s, int *lo, int *hi)
{
	if (strlen(s) != 3 || s[0] < '2' || s[0] > '5')
		return false;
	bool x1 = s[1] == 'x' || s[1] == 'X', x2 = s[2] == 'x' || s[2] == 'X';
	if ((!x1 && !isdigit((unsigned char)s[1])) || (!x2 && !isdigit((unsigned char)s[2])) || (x1 && !x2))
		return false;
	int base = (s[0] - '0') * 100;
	if (x1) {
		*lo = base;
		*hi = base + 99;
	} else if (x2) {
		*lo = base + (s[1] - '0') * 10;
		*hi = *lo + 9;
	} else {
		*lo = *hi = base + (s[1] - '0') * 10 + (s[2] - '0');
	}
	return true;
}

/* RFC 3463: class "." subject "." detail, 1 to 3 digits each. */
static bool is_enh(const char *s)
{
	if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return false;
	s += 2;
	for (int part = 0; part < 2; part++) {
		size_t n = 0;
		while (isdigit((unsigned char)s[n]))
			n++;
		if (n < 1 || n > 3)
			return false;
		s += n;
		if (part == 0 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

static bool is_cap(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Finding ids follow the catalogue: area.condition, lower case. */
static bool is_finding_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 64 || !strchr(s, '.') || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '.' && c != '-')
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

static bool parse_sev(const char *s, enum severity *out, bool allow_error)
{
	if (allow_error && strcmp(s, "error") == 0) {
		*out = SEV_ERROR;
		return true;
	}
	static const struct {
		const char *name;
		enum severity sev;
	} sevs[] = { { "pass", SEV_PASS }, { "info", SEV_INFO }, { "warn", SEV_WARN }, { "fail", SEV_FAIL } };
	for (size_t i = 0; i < ARRAY_LEN(sevs); i++)
		if (strcmp(s, sevs[i].name) == 0) {
			*out = sevs[i].sev;
			return true;
		}
	return false;
}

/* SEVERITY ID "MESSAGE" */
static int parse_finding_parts(struct parser *p, enum severity *sev, char **id, char **msg, bool allow_error)
{
	struct scn_tok t;
	const char *sevs =
		allow_error ? "a severity: pass, info, warn, fail or error" : "a severity: pass, info, warn or fail";
	if (next_value(p, &t, false, sevs) < 0)
		return -1;
	if (!parse_sev(t.text, sev, allow_error)) {
		fail_tok(p, &t, sevs);
		scn_tok_clear(&t);
		return -1;
	}
	scn_tok_clear(&t);
	if (next_value(p, &t, false, "a finding id such as relay.open") < 0)
		return -1;
	if (!is_finding_id(t.text) || t.secret) {
		fail_tok(p, &t, "a finding id such as relay.open");
		scn_tok_clear(&t);
		return -1;
	}
	*id = t.text;
	t.text = NULL;
	scn_tok_clear(&t);
	if (scn_next(&p->lx, &t) < 0)
		return -1;
	if (t.kind != TOK_STRING || no_secret(p, &t, "a \"message\"") < 0) {
		if (t.kind != TOK_STRING)
			fail_tok(p, &t, "a \"message\"");
		scn_tok_clear(&t);
		return -1;
	}
	*msg = t.text;
	t.text = NULL;
	scn_tok_clear(&t);
	return 0;
}

/* [then SEV ID "MSG"] [else SEV ID "MSG" [continue]] */
static int parse_clauses(struct parser *p, struct scn_stmt *st)
{
	for (;;) {
		struct scn_tok t;
		if (scn_next(&p->lx, &t) < 0)
			return -1;
		if (t.kind == TOK_END) {
			scn_tok_clear(&t);
			return 0;
		}
		const char *exp = st->els.set	 ? "end of line or continue"
				  : st->then.set ? "else or end of line"
						 : "then, else or end of line";
		struct scn_outcome *o = NULL;
		if (t.kind == TOK_WORD && strcmp(t.text, "then") == 0 && !st->then.set && !st->els.set)
			o = &st->then;
		else if (t.kind == TOK_WORD && strcmp(t.text, "else") == 0 && !st->els.set)
			o = &st->els;
		else if (t.kind == TOK_WORD && strcmp(t.text, "continue") == 0 && st->els.set && !st->cont) {
			st->cont = true;
			scn_tok_clear(&t);
			return expect_end(p);
		}
		if (!o) {
			fail_tok(p, &t, exp);
			scn_tok_clear(&t);
			return -1;
		}
		scn_tok_clear(&t);
		if (o == &st->els) {
			/* "else continue": not meeting it is no finding */
			size_t save = p->lx.pos;
			if (scn_next(&p->lx, &t) < 0)
				return -1;
			bool quiet = t.kind == TOK_WORD && strcmp(t.text, "continue") == 0;
			scn_tok_clear(&t);
			if (quiet) {
				st->quiet = st->cont = true;
				return expect_end(p);
			}
			p->lx.pos = save;
		}
		if (parse_finding_parts(p, &o->sev, &o->id, &o->msg, o == &st->els) < 0)
			return -1;
		o->set = true;
	}
}

/* ---- statements ---- */

static int need_connect(struct parser *p, unsigned col, const char *what)
{
	if (p->connected)
		return 0;
	scn_err_set(&p->err, p->lx.lineno, col, "connect before this statement", "%s", what);
	return -1;
}

static int parse_expect(struct parser *p, struct scn_stmt *st, unsigned col)
{
	struct scn_expect *ex = &st->ex;
	struct scn_tok t;
	p->lx.regex_ok = true;
	if (scn_next(&p->lx, &t) < 0)
		return -1;
	static const char what[] = "a reply code (250, 2xx, 25x), /regex/, capability, no-capability or closed";
	int rc = 0;
	if (t.kind == TOK_WORD && strcmp(t.text, "closed") == 0) {
		ex->kind = SCN_EXPECT_CLOSED;
		rc = need_connect(p, col, "expect closed");
		goto done;
	}
	if (t.kind == TOK_WORD && (strcmp(t.text, "capability") == 0 || strcmp(t.text, "no-capability") == 0)) {
		ex->kind = t.text[0] == 'n' ? SCN_EXPECT_NO_CAP : SCN_EXPECT_CAP;
		if (!p->have_ehlo) {
			scn_err_set(&p->err, p->lx.lineno, col,
				    "ehlo before expect capability (since connect or starttls)", "%s", "no EHLO reply");
			rc = -1;
			goto done;
		}
		scn_tok_clear(&t);
		if (next_value(p, &t, false, "a capability keyword such as STARTTLS") < 0)
			return -1;
		if (!is_cap(t.text) || t.secret) {
			rc = fail_tok(p, &t, "a capability keyword such as STARTTLS");
			goto done;
		}
		ex->cap = xstrdup(t.text);
		for (char *q = ex->cap; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		goto done;
	}
	ex->kind = SCN_EXPECT_REPLY;
	if (!p->have_reply) {
		scn_err_set(&p->err, p->lx.lineno, col, "a statement that reads a reply before expect", "%s",
			    "no reply yet");
		rc = -1;
		goto done;
	}
	if (t.kind == TOK_WORD && isdigit((unsigned char)t.text[0])) {
		/* 250, 2xx, 25x, or alternatives: 4xx,5xx */
		for (const char *c = t.text;;) {
			size_t n = strcspn(c, ",");
			char one[8];
			if (n >= sizeof one || ex->ncodes == SCN_MAX_CODES || strlen(t.text) >= sizeof ex->code_src)
				n = 0;
			snprintf(one, sizeof one, "%.*s", (int)n, c);
			if (n == 0 || !parse_code(one, &ex->code_lo[ex->ncodes], &ex->code_hi[ex->ncodes])) {
				rc = fail_tok(p, &t, "a reply code such as 250, 2xx, 25x or 4xx,5xx");
				goto done;
			}
			ex->ncodes++;
			c += n;
			if (*c++ == '\0')
				break;
		}
		snprintf(ex->code_src, sizeof ex->code_src, "%s", t.text);
		scn_tok_clear(&t);
		if (scn_next(&p->lx, &t) < 0)
			return -1;
		if (t.kind == TOK_WORD && isdigit((unsigned char)t.text[0]) && strchr(t.text, '.')) {
			int cls = ex->code_lo[0] / 100;
			if (!is_enh(t.text) || t.text[0] - '0' != cls || ex->ncodes != 1) {
				char e[96];
				if (ex->ncodes != 1)
					snprintf(e, sizeof e, "one reply code before an enhanced status code");
				else
					snprintf(e, sizeof e, "an enhanced status code of class %d such as %d.7.1", cls,
						 cls);
				rc = fail_tok(p, &t, e);
				goto done;
			}
			snprintf(ex->enh, sizeof ex->enh, "%s", t.text);
			scn_tok_clear(&t);
			if (scn_next(&p->lx, &t) < 0)
				return -1;
		}
	} else if (t.kind != TOK_REGEX) {
		rc = fail_tok(p, &t, what);
		goto done;
	}
	if (t.kind == TOK_REGEX && !regex_is_bounded(t.text)) {
		char got[64];
		got_tok(got, sizeof got, &t);
		scn_err_set(&p->err, p->lx.lineno, t.col,
			    "a regular expression of at most " REGEX_MAX_LEN_STR
			    " characters whose repetitions (+, {m,n}) expand it at most " REGEX_MAX_COPIES_STR " times",
			    "%s", got);
		rc = -1;
		goto done;
	}
	if (t.kind == TOK_REGEX) {
		int r = regcomp(&ex->re, t.text, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (r != 0) {
			char msg[96], got[64];
			regerror(r, &ex->re, msg, sizeof msg);
			got_tok(got, sizeof got, &t);
			scn_err_set(&p->err, p->lx.lineno, t.col, "a POSIX extended regular expression", "%s (%s)", got,
				    msg);
			rc = -1;
			goto done;
		}
		ex->has_re = true;
		ex->re_src = t.text;
		t.text = NULL;
		scn_tok_clear(&t);
		return parse_clauses(p, st);
	}
	/* the token after the code (and enhanced code) starts the clauses */
	if (t.kind == TOK_END) {
		scn_tok_clear(&t);
		return 0;
	}
	p->lx.pos = (size_t)(t.col - 1);
	scn_tok_clear(&t);
	return parse_clauses(p, st);
done:
	scn_tok_clear(&t);
	if (rc < 0)
		return -1;
	return parse_clauses(p, st);
}

static int parse_tls(struct parser *p, struct scn_stmt *st)
{
	struct scn_tok t;
	if (next_value(p, &t, false, "sni, priority or client-cert") < 0)
		return -1;
	int rc = 0;
	if (strcmp(t.text, "sni") == 0) {
		st->op = SCN_TLS_SNI;
		scn_tok_clear(&t);
		if (next_value(p, &t, false, "a server name, or none") < 0)
			return -1;
		if (!is_host_name(t.text) || t.secret || strlen(t.text) > 253) {
			fail_tok(p, &t, "a server name, or none");
			scn_tok_clear(&t);
			return -1;
		}
		st->arg = t.text;
		t.text = NULL;
	} else if (strcmp(t.text, "priority") == 0) {
		st->op = SCN_TLS_PRIORITY;
		scn_tok_clear(&t);
		if (take_value(p, &st->arg, true, "a GnuTLS priority string") < 0)
			return -1;
	} else if (strcmp(t.text, "client-cert") == 0) {
		st->op = SCN_TLS_CLIENT_CERT;
		scn_tok_clear(&t);
		if (take_value(p, &st->arg, true, "a certificate file (PEM)") < 0 ||
		    next_keyword(p, "key", "key") < 0 || take_value(p, &st->arg2, true, "a key file (PEM)") < 0)
			return -1;
	} else {
		rc = fail_tok(p, &t, "sni, priority or client-cert");
	}
	scn_tok_clear(&t);
	if (rc < 0)
		return -1;
	return expect_end(p);
}

/* <local@domain> or <> (RFC 5321 section 4.1.2, Reverse-path). */
static int parse_path(struct parser *p, struct scn_stmt *st, bool null_ok)
{
	struct scn_tok t;
	if (next_value(p, &t, true, "an address in angle brackets such as <postmaster@example.com>") < 0)
		return -1;
	size_t n = strlen(t.text);
	bool ok = !t.secret && n >= 2 && n <= 256 && t.text[0] == '<' && t.text[n - 1] == '>' &&
		  (n > 2 ? strchr(t.text, '@') != NULL : null_ok) && !strpbrk(t.text + 1, "<\r\n");
	for (size_t i = 0; ok && i < n; i++)
		if ((unsigned char)t.text[i] <= ' ')
			ok = false;
	if (!ok) {
		fail_tok(p, &t,
			 null_ok ? "an address in angle brackets such as <postmaster@example.com> or <>"
				 : "an address in angle brackets such as <postmaster@example.com>");
		scn_tok_clear(&t);
		return -1;
	}
	st->arg = t.text;
	t.text = NULL;
	scn_tok_clear(&t);
	return expect_end(p);
}

static int parse_auth(struct parser *p, struct scn_stmt *st)
{
	if (next_keyword(p, "plain", "a mechanism: PLAIN") < 0)
		return -1;
	if (take_value(p, &st->arg, true, "a user name") < 0)
		return -1;
	struct scn_tok t;
	if (next_value(p, &t, true, "a password from a secret variable such as ${PASSWORD}") < 0)
		return -1;
	if (!t.secret || !t.only_var) {
		/* never echo a literal password */
		scn_err_set(&p->err, p->lx.lineno, t.col, "a password from a secret variable such as ${PASSWORD}", "%s",
			    t.secret ? "more than the variable" : "a value that is not a secret");
		scn_tok_clear(&t);
		return -1;
	}
	st->secret = t.text;
	t.text = NULL;
	scn_tok_clear(&t);
	return expect_end(p);
}

static int define_name(struct parser *p, char *name, size_t namelen, struct scn_tok *t)
{
	if (t->kind != TOK_WORD || !scn_var_name_ok(t->raw, t->rawlen)) {
		fail_tok(p, t, "a variable name such as SENDER");
		return -1;
	}
	snprintf(name, namelen, "%s", t->text);
	return 0;
}

static int set_var(struct parser *p, const char *name, const char *value, bool secret, unsigned col)
{
	if (scn_var_set(&p->vars, name, value, secret, false) == 0)
		return 0;
	scn_err_set(&p->err, p->lx.lineno, col, "at most 256 variables", "%s", "more");
	return -1;
}

static int parse_set(struct parser *p)
{
	struct scn_tok n, v;
	char name[65];
	if (scn_next(&p->lx, &n) < 0)
		return -1;
	int rc = define_name(p, name, sizeof name, &n);
	unsigned col = n.col;
	scn_tok_clear(&n);
	if (rc < 0 || next_value(p, &v, true, "a value") < 0)
		return -1;
	rc = set_var(p, name, v.text, v.secret, col);
	scn_tok_clear(&v);
	return rc < 0 ? -1 : expect_end(p);
}

static int parse_env(struct parser *p)
{
	struct scn_tok n;
	char name[65];
	if (scn_next(&p->lx, &n) < 0)
		return -1;
	int rc = define_name(p, name, sizeof name, &n);
	unsigned col = n.col;
	scn_tok_clear(&n);
	if (rc < 0)
		return -1;
	const char *v = p->po->no_io ? "env" : getenv(name);
	if (!v && !scn_var_find(&p->vars, name)) {
		char e[100];
		snprintf(e, sizeof e, "%s set in the environment", name);
		scn_err_set(&p->err, p->lx.lineno, col, e, "%s", "it unset");
		return -1;
	}
	if (v && set_var(p, name, v, false, col) < 0)
		return -1;
	return expect_end(p);
}

/* The first line of a small file, without its line end. */
static int read_secret_file(const char *path, char **out, char *why, size_t whylen)
{
	char *buf = NULL;
	size_t n = 0;
	if (file_read_local(path, 64 * 1024, &buf, &n, why, whylen) < 0)
		return -1;
	const char *nl = memchr(buf, '\n', n);
	size_t len = nl ? (size_t)(nl - buf) : n;
	if (len && buf[len - 1] == '\r')
		len--;
	if (len == 0 || memchr(buf, '\0', len)) {
		snprintf(why, whylen, "%s", len ? "a NUL byte" : "an empty first line");
		explicit_bzero(buf, n);
		free(buf);
		return -1;
	}
	*out = xstrndup(buf, len);
	explicit_bzero(buf, n);
	free(buf);
	return 0;
}

static int parse_secret(struct parser *p)
{
	struct scn_tok n, how, src;
	char name[65];
	if (scn_next(&p->lx, &n) < 0)
		return -1;
	int rc = define_name(p, name, sizeof name, &n);
	unsigned col = n.col;
	scn_tok_clear(&n);
	if (rc < 0 || next_value(p, &how, false, "from FILE or env VARIABLE") < 0)
		return -1;
	bool file = strcmp(how.text, "from") == 0;
	if (!file && strcmp(how.text, "env") != 0) {
		fail_tok(p, &how, "from FILE or env VARIABLE");
		scn_tok_clear(&how);
		return -1;
	}
	scn_tok_clear(&how);
	if (next_value(p, &src, true, file ? "a file name" : "an environment variable name") < 0)
		return -1;
	if (no_secret(p, &src, "a file name") < 0) {
		scn_tok_clear(&src);
		return -1;
	}
	char *value = NULL;
	rc = 0;
	if (p->po->no_io) {
		value = xstrdup("secret");
	} else if (file) {
		char why[128];
		if (read_secret_file(src.text, &value, why, sizeof why) < 0) {
			scn_err_set(&p->err, p->lx.lineno, src.col, "a readable file with the secret on its first line",
				    "%s", why);
			rc = -1;
		}
	} else {
		const char *v = getenv(src.text);
		if (v && *v) {
			value = xstrdup(v);
		} else {
			char e[100];
			snprintf(e, sizeof e, "%.64s set in the environment", src.text);
			scn_err_set(&p->err, p->lx.lineno, src.col, e, "%s", "it unset");
			rc = -1;
		}
	}
	scn_tok_clear(&src);
	if (rc == 0)
		rc = set_var(p, name, value, true, col);
	if (value) {
		memset(value, 0, strlen(value));
		free(value);
	}
	return rc < 0 ? -1 : expect_end(p);
}

static struct scn_stmt *add_stmt(struct parser *p, enum scn_op op, const char *line, size_t len)
{
	struct scenario *sc = p->sc;
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 16;
		sc->s = xrealloc(sc->s, sc->cap * sizeof *sc->s);
	}
	struct scn_stmt *st = &sc->s[sc->n++];
	memset(st, 0, sizeof *st);
	st->op = op;
	st->line = p->lx.lineno;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	st->src = xstrndup(line, len);
	return st;
}

/* The arguments of one statement, after its first word. */
static int parse_body(struct parser *p, struct scn_stmt *st, unsigned col)
{
	switch (st->op) {
	case SCN_CONNECT:
		p->connected = true;
		p->have_ehlo = false;
		return expect_end(p);
	case SCN_EHLO:
	case SCN_HELO: {
		struct scn_tok t;
		if (scn_next(&p->lx, &t) < 0)
			return -1;
		int rc = 0;
		if (t.kind == TOK_WORD && is_host_name(t.text) && !t.secret) {
			st->arg = t.text;
			t.text = NULL;
			rc = expect_end(p);
		} else if (t.kind != TOK_END) {
			rc = fail_tok(p, &t, "a host name or end of line");
		}
		scn_tok_clear(&t);
		if (st->op == SCN_EHLO)
			p->have_ehlo = true;
		return rc;
	}
	case SCN_STARTTLS:
		p->have_ehlo = false; /* RFC 3207 section 4.2: what came before TLS is forgotten */
		return parse_clauses(p, st);
	case SCN_TLS_SNI:
		return parse_tls(p, st);
	case SCN_SEND:
		if (take_value(p, &st->arg, true, "a \"line\" to send") < 0)
			return -1;
		return expect_end(p);
	case SCN_EXPECT:
		return parse_expect(p, st, col);
	case SCN_AUTH_PLAIN:
		return parse_auth(p, st);
	case SCN_MAIL:
		if (next_keyword(p, "from", "from") < 0)
			return -1;
		return parse_path(p, st, true);
	case SCN_RCPT:
		if (next_keyword(p, "to", "to") < 0)
			return -1;
		return parse_path(p, st, false);
	case SCN_DATA:
	case SCN_RSET:
	case SCN_QUIT:
		return expect_end(p);
	case SCN_FINDING:
		if (parse_finding_parts(p, &st->sev, &st->arg, &st->arg2, false) < 0)
			return -1;
		return expect_end(p);
	default:
		return -1;
	}
}

static const struct {
	const char *word;
	enum scn_op op;
	bool needs_connect;
	bool reads_reply;
} statements[] = {
	{ "connect", SCN_CONNECT, false, true }, { "ehlo", SCN_EHLO, true, true },
	{ "helo", SCN_HELO, true, true },	 { "starttls", SCN_STARTTLS, true, true },
	{ "tls", SCN_TLS_SNI, false, false },	 { "send", SCN_SEND, true, true },
	{ "expect", SCN_EXPECT, false, false },	 { "auth", SCN_AUTH_PLAIN, true, true },
	{ "mail", SCN_MAIL, true, true },	 { "rcpt", SCN_RCPT, true, true },
	{ "data", SCN_DATA, true, true },	 { "rset", SCN_RSET, true, true },
	{ "quit", SCN_QUIT, true, true },	 { "finding", SCN_FINDING, false, false },
};

#define STATEMENT_LIST                                                                                        \
	"a statement (connect, ehlo, helo, starttls, tls, send, expect, auth, mail, rcpt, data, rset, quit, " \
	"finding, set, env, secret, title)"

static int parse_statement(struct parser *p, const char *line, size_t len)
{
	struct scn_tok t;
	if (scn_next(&p->lx, &t) < 0)
		return -1;
	if (t.kind == TOK_END) {
		scn_tok_clear(&t);
		return 0;
	}
	unsigned col = t.col;
	if (t.kind == TOK_WORD && memchr(t.raw, '$', t.rawlen) == NULL) {
		const char *w = t.text;
		int rc = -2;
		if (strcmp(w, "set") == 0)
			rc = parse_set(p);
		else if (strcmp(w, "env") == 0)
			rc = parse_env(p);
		else if (strcmp(w, "secret") == 0)
			rc = parse_secret(p);
		else if (strcmp(w, "title") == 0) {
			char *title = NULL;
			rc = take_value(p, &title, true, "a \"title\"");
			if (rc == 0) {
				free(p->sc->title);
				p->sc->title = title;
				rc = expect_end(p);
			}
		}
		if (rc != -2) {
			scn_tok_clear(&t);
			return rc;
		}
		for (size_t i = 0; i < ARRAY_LEN(statements); i++) {
			if (strcmp(w, statements[i].word) != 0)
				continue;
			scn_tok_clear(&t);
			if (p->sc->n >= SCN_MAX_STMTS) {
				scn_err_set(&p->err, p->lx.lineno, col, "at most 10000 statements", "%s", "more");
				return -1;
			}
			if (statements[i].needs_connect && need_connect(p, col, statements[i].word) < 0)
				return -1;
			struct scn_stmt *st = add_stmt(p, statements[i].op, line, len);
			if (parse_body(p, st, col) < 0)
				return -1;
			if (statements[i].reads_reply)
				p->have_reply = true;
			return 0;
		}
	}
	fail_tok(p, &t, STATEMENT_LIST);
	scn_tok_clear(&t);
	return -1;
}

/* ---- files ---- */

static void stmt_clear(struct scn_stmt *st)
{
	free(st->src);
	free(st->arg);
	free(st->arg2);
	if (st->secret) {
		memset(st->secret, 0, strlen(st->secret));
		free(st->secret);
	}
	if (st->ex.has_re)
		regfree(&st->ex.re);
	free(st->ex.re_src);
	free(st->ex.cap);
	free(st->then.id);
	free(st->then.msg);
	free(st->els.id);
	free(st->els.msg);
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n; i++)
		stmt_clear(&sc->s[i]);
	free(sc->s);
	free(sc->file);
	free(sc->name);
	free(sc->title);
	free(sc);
}

/* "scenarios/relay-check.scn" -> "relay-check" */
static char *base_name(const char *file)
{
	const char *b = strrchr(file, '/');
	b = b ? b + 1 : file;
	size_t n = strlen(b);
	if (n > 4 && strcmp(b + n - 4, ".scn") == 0)
		n -= 4;
	char *out = xstrndup(*b ? b : "scenario", *b ? n : 8);
	for (char *q = out; *q; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
			*q = '_';
	return out;
}

static int cli_vars(struct parser *p, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->po->nvars; i++) {
		const char *v = p->po->vars[i];
		const char *eq = strchr(v, '=');
		if (!eq || !scn_var_name_ok(v, (size_t)(eq - v))) {
			snprintf(err, errlen, "--var '%.64s': expected NAME=VALUE", v);
			return -1;
		}
		char name[65];
		snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
		if (scn_var_set(&p->vars, name, eq + 1, false, true) < 0) {
			snprintf(err, errlen, "--var: at most %d variables", SCN_MAX_VARS);
			return -1;
		}
	}
	return 0;
}

int scenario_parse(const char *file, const char *text, size_t len, const struct scn_parse_opts *po,
		   struct scenario **out, char *err, size_t errlen)
{
	static const struct scn_parse_opts none = { 0 };
	struct parser p;
	memset(&p, 0, sizeof p);
	p.po = po ? po : &none;
	p.sc = xcalloc(1, sizeof *p.sc);
	p.sc->file = xstrdup(file);
	p.sc->name = base_name(file);
	p.lx.vars = &p.vars;
	p.lx.err = &p.err;
	*out = NULL;
	int rc = cli_vars(&p, err, errlen);
	if (rc < 0)
		goto out;
	if (len > SCN_MAX_FILE) {
		scn_err_set(&p.err, 1, 1, "a file of at most 1 MiB", "%zu bytes", len);
		rc = -1;
		goto fmt;
	}
	size_t pos = 0;
	unsigned lineno = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		lineno++;
		if (scn_check_line(text + pos, end - pos, lineno, &p.err) < 0) {
			rc = -1;
			goto fmt;
		}
		p.lx.line = text + pos;
		p.lx.len = end - pos;
		p.lx.pos = 0;
		p.lx.lineno = lineno;
		p.lx.regex_ok = false;
		if (parse_statement(&p, text + pos, end - pos) < 0) {
			rc = -1;
			goto fmt;
		}
		pos = end + 1;
	}
	if (p.sc->n == 0) {
		scn_err_set(&p.err, lineno ? lineno : 1, 1, "at least one statement", "%s", "none");
		rc = -1;
		goto fmt;
	}
	*out = p.sc;
	p.sc = NULL;
	goto out;
fmt:
	snprintf(err, errlen, "%s:%u:%u: expected %s, got %s", file, p.err.line, p.err.col, p.err.expected, p.err.got);
out:
	scenario_free(p.sc);
	scn_vartab_clear(&p.vars);
	return rc;
}

int scenario_load(const char *path, const struct scn_parse_opts *po, struct scenario **out, char *err, size_t errlen)
{
	*out = NULL;
	char *data = NULL, why[128];
	size_t len = 0;
	/* A regular file of at most SCN_MAX_FILE bytes: a FIFO or a device
	 * is refused at once instead of blocking or growing without end. */
	if (file_read_local(path, SCN_MAX_FILE, &data, &len, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s (a scenario is a regular file of at most 1 MiB)", path, why);
		return -1;
	}
	int rc = scenario_parse(path, data, len, po, out, err, errlen);
	free(data);
	return rc;
}
