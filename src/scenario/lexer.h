/* \summary: the scenario lexer: one line at a time into words, "strings"
 * and /regexes/, with ${NAME} expanded in words and strings; the checks
 * every line passes first (length, NUL, control bytes, UTF-8). Internal to
 * src/scenario/. */
#ifndef SRC_SCENARIO_LEXER_H
#define SRC_SCENARIO_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario/scenario.h"

/* An expanded value may be longer than its line, not without bound. */
#define SCN_MAX_VALUE (2 * SCN_MAX_LINE)

struct scn_var {
	char *name;
	char *value;
	bool secret;
	bool from_cli; /* --var: the file's set/env do not replace it */
};

struct scn_vartab {
	struct scn_var v[SCN_MAX_VARS];
	size_t n;
};

const struct scn_var *scn_var_find(const struct scn_vartab *vt, const char *name);
/* Defines or replaces (unless the old one came from the command line).
 * -1 when the table is full. */
int scn_var_set(struct scn_vartab *vt, const char *name, const char *value, bool secret, bool from_cli);
void scn_vartab_clear(struct scn_vartab *vt);
bool scn_var_name_ok(const char *s, size_t n);

/* Where parsing stopped and why: becomes "FILE:LINE:COL: expected X, got Y". */
struct scn_err {
	unsigned line, col;
	char expected[160];
	char got[160];
};
void scn_err_set(struct scn_err *e, unsigned line, unsigned col, const char *expected, const char *got_fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Quotes and escapes source bytes for a message: "\"abc\"", cut to fit. */
void scn_quote(char *out, size_t outlen, const char *p, size_t n);

enum scn_tok_kind {
	TOK_END,
	TOK_WORD,
	TOK_STRING,
	TOK_REGEX
};

struct scn_tok {
	enum scn_tok_kind kind;
	unsigned col;	 /* 1-based byte column of the first byte */
	const char *raw; /* the source bytes (for messages: never holds a secret) */
	size_t rawlen;
	char *text;    /* expanded (word, string) or unescaped (regex); owned */
	bool secret;   /* a secret variable went into text */
	bool only_var; /* the token is exactly one ${NAME} */
};
void scn_tok_clear(struct scn_tok *t);

struct scn_lexer {
	const char *line;
	size_t len, pos;
	unsigned lineno;
	const struct scn_vartab *vars;
	struct scn_err *err;
	bool regex_ok; /* a leading / starts a /regex/ (in expect), else a word such as a path */
};

/* Checks a raw line (without its LF; a CR before it is allowed and
 * ignored by the caller). 0 or -1 with err set. */
int scn_check_line(const char *line, size_t len, unsigned lineno, struct scn_err *err);
/* The next token; TOK_END at the end of the line or at a # comment.
 * 0 or -1 with the lexer's err set. */
int scn_next(struct scn_lexer *lx, struct scn_tok *t);

#endif
