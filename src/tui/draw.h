/* \summary: drawing for the TUI: the colour/monochrome theme, line-drawing
 * characters (Unicode or ASCII by locale), and the one function that puts
 * text on the screen, which makes every byte safe first: control bytes,
 * invalid UTF-8 and unprintable characters become '?', so nothing a server
 * sent can reach the terminal as a control sequence. */
#ifndef SRC_TUI_DRAW_H
#define SRC_TUI_DRAW_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"
#include "tui/doc.h"
#include "tui/tui_curses.h"

struct tui_theme {
	bool color; /* colours in use (a colour terminal, no NO_COLOR / --no-color) */
	bool utf8;  /* the locale's codeset is UTF-8: Unicode lines and marks */
	attr_t a[TC__COUNT];
	const char *hline;   /* "─" or "-" */
	const char *bar_in;  /* validity bar inside notBefore..notAfter */
	const char *bar_out; /* outside it */
	const char *now;     /* the now mark */
	const char *up;	     /* the caret under the bar */
	const char *const *spinner;
	size_t nspinner;
	const char *sev_mark[5]; /* per severity: a glyph */
};

/* After initscr: colours when the terminal has them and want_color. */
void theme_init(struct tui_theme *th, bool want_color, bool utf8);

enum tui_class theme_sev_class(enum severity s);

/* Puts s at (y, x), at most maxw columns, in attribute a; returns the
 * columns used. Unsafe bytes are drawn as '?'. When hl is non-empty, its
 * case-insensitive occurrences are drawn in the match attribute. */
int draw_text(const struct tui_theme *th, int y, int x, int maxw, attr_t a, const char *s, const char *hl);
/* A line of spans; the rest of the row up to x + w is cleared with fill. */
void draw_line(const struct tui_theme *th, int y, int x, int w, const struct tui_line *l, attr_t extra, attr_t fill,
	       const char *hl);
/* A horizontal rule with an optional title. */
void draw_rule(const struct tui_theme *th, int y, int x, int w, const char *title);

#endif
