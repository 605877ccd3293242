/* \summary: what a TUI pane shows, as plain data: lines of styled spans
 * (no curses here). Builders fill a doc from the model; the pager draws,
 * scrolls and searches any doc. Span text is kept as the model has it and
 * only made safe when drawn (tui/draw.c). */
#ifndef SRC_TUI_DOC_H
#define SRC_TUI_DOC_H

#include <stdbool.h>
#include <stddef.h>

enum tui_class {
	TC_NORMAL,
	TC_DIM,
	TC_BOLD,
	TC_HEAD, /* section headings */
	TC_PASS,
	TC_INFO,
	TC_WARN,
	TC_FAIL,
	TC_ERROR,
	TC_MATCH, /* search hits, the matched certificate name */
	TC_NOW,	  /* the "now" mark on a validity bar */
	TC_BAR,	  /* the header and status bars */
	TC_KEY,	  /* a key in the status line */
	TC_SEL,	  /* the selected row */
	TC__COUNT
};

struct tui_span {
	enum tui_class c;
	char *text;
};

struct tui_line {
	struct tui_span *s;
	size_t n;
	long tag; /* what the line belongs to (a finding's number), -1 for none */
};

struct tui_doc {
	struct tui_line *l;
	size_t n, cap;
};

/* Starts a new line with one span (printf-style). */
void doc_line(struct tui_doc *d, enum tui_class c, long tag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Appends a span to the last line (starts one if there is none). */
void doc_span(struct tui_doc *d, enum tui_class c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds text as lines of at most width columns, broken at spaces (and at
 * its own newlines), each indented by indent spaces. */
void doc_wrap(struct tui_doc *d, enum tui_class c, long tag, int indent, int width, const char *text);
/* The whole line's text, concatenated; the caller frees it. */
char *doc_line_text(const struct tui_line *l);
/* The next line at or after from (dir > 0) or at or before from (dir < 0)
 * that contains needle, case-insensitively; -1 when none. */
long doc_find(const struct tui_doc *d, const char *needle, long from, int dir);
void doc_clear(struct tui_doc *d);

#endif
