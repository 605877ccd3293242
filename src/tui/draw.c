/* \summary: safe text, colours and line drawing for the TUI. */
#include "tui/draw.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <wctype.h>

enum {
	PAIR_PASS = 1,
	PAIR_INFO,
	PAIR_WARN,
	PAIR_FAIL,
	PAIR_ERROR,
	PAIR_BAR,
	PAIR_HEAD,
	PAIR_NOW,
	PAIR_MATCH
};

static const char *const spin_utf8[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };
static const char *const spin_ascii[] = { "|", "/", "-", "\\" };

void theme_init(struct tui_theme *th, bool want_color, bool utf8)
{
	memset(th, 0, sizeof *th);
	th->utf8 = utf8;
	th->color = want_color && has_colors();
	if (th->color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_PASS, COLOR_GREEN, -1);
		init_pair(PAIR_INFO, COLOR_CYAN, -1);
		init_pair(PAIR_WARN, COLOR_YELLOW, -1);
		init_pair(PAIR_FAIL, COLOR_RED, -1);
		init_pair(PAIR_ERROR, COLOR_MAGENTA, -1);
		init_pair(PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_HEAD, COLOR_BLUE, -1);
		init_pair(PAIR_NOW, COLOR_WHITE, COLOR_RED);
		init_pair(PAIR_MATCH, COLOR_BLACK, COLOR_YELLOW);
		th->a[TC_PASS] = COLOR_PAIR(PAIR_PASS);
		th->a[TC_INFO] = COLOR_PAIR(PAIR_INFO);
		th->a[TC_WARN] = COLOR_PAIR(PAIR_WARN) | A_BOLD;
		th->a[TC_FAIL] = COLOR_PAIR(PAIR_FAIL) | A_BOLD;
		th->a[TC_ERROR] = COLOR_PAIR(PAIR_ERROR) | A_BOLD;
		th->a[TC_BAR] = COLOR_PAIR(PAIR_BAR);
		th->a[TC_HEAD] = COLOR_PAIR(PAIR_HEAD) | A_BOLD;
		th->a[TC_NOW] = COLOR_PAIR(PAIR_NOW) | A_BOLD;
		th->a[TC_MATCH] = COLOR_PAIR(PAIR_MATCH);
	} else {
		/* Monochrome: severities are told apart by their words and
		 * marks; emphasis by bold, underline and reverse. */
		th->a[TC_PASS] = A_NORMAL;
		th->a[TC_INFO] = A_NORMAL;
		th->a[TC_WARN] = A_BOLD;
		th->a[TC_FAIL] = A_BOLD | A_UNDERLINE;
		th->a[TC_ERROR] = A_BOLD | A_UNDERLINE;
		th->a[TC_BAR] = A_REVERSE;
		th->a[TC_HEAD] = A_BOLD;
		th->a[TC_NOW] = A_REVERSE | A_BOLD;
		th->a[TC_MATCH] = A_REVERSE | A_UNDERLINE;
	}
	th->a[TC_NORMAL] = A_NORMAL;
	th->a[TC_DIM] = A_DIM;
	th->a[TC_BOLD] = A_BOLD;
	th->a[TC_KEY] = A_BOLD | (th->color ? COLOR_PAIR(PAIR_BAR) : A_REVERSE);
	th->a[TC_SEL] = A_REVERSE;
	if (utf8) {
		th->hline = "─";
		th->bar_in = "█";
		th->bar_out = "·";
		th->now = "▼";
		th->up = "▲";
		th->spinner = spin_utf8;
		th->nspinner = ARRAY_LEN(spin_utf8);
		static const char *const marks[5] = { "✓", "i", "!", "✗", "?" };
		memcpy(th->sev_mark, marks, sizeof marks);
	} else {
		th->hline = "-";
		th->bar_in = "#";
		th->bar_out = ".";
		th->now = "v";
		th->up = "^";
		th->spinner = spin_ascii;
		th->nspinner = ARRAY_LEN(spin_ascii);
		static const char *const marks[5] = { "+", "i", "!", "x", "?" };
		memcpy(th->sev_mark, marks, sizeof marks);
	}
}

enum tui_class theme_sev_class(enum severity s)
{
	static const enum tui_class c[] = { TC_PASS, TC_INFO, TC_WARN, TC_FAIL, TC_ERROR };
	return (unsigned)s < ARRAY_LEN(c) ? c[s] : TC_ERROR;
}

/* One character of s at *i made safe: its wide character and width. */
static wchar_t next_char(const struct tui_theme *th, const char *s, size_t len, size_t *i, mbstate_t *st, int *w)
{
	unsigned char b = (unsigned char)s[*i];
	*w = 1;
	if (!th->utf8) {
		(*i)++;
		return b >= 0x20 && b < 0x7f ? (wchar_t)b : L'?';
	}
	wchar_t wc;
	size_t n = mbrtowc(&wc, s + *i, len - *i, st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(st, 0, sizeof *st);
		(*i)++;
		return L'?';
	}
	*i += n;
	int cw = wcwidth(wc);
	if (!iswprint((wint_t)wc) || cw < 1) {
		return L'?';
	}
	*w = cw;
	return wc;
}

/* Draws n bytes of s from column x; returns the new column. */
static int put_run(const struct tui_theme *th, int y, int x, int xmax, attr_t a, const char *s, size_t n)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t i = 0;
	while (i < n && x < xmax) {
		int w;
		wchar_t wc = next_char(th, s, n, &i, &st, &w);
		if (x + w > xmax)
			break;
		cchar_t cc;
		wchar_t str[2] = { wc, L'\0' };
		setcchar(&cc, str, a, (short)PAIR_NUMBER(a), NULL);
		mvadd_wch(y, x, &cc);
		x += w;
	}
	return x;
}

int draw_text(const struct tui_theme *th, int y, int x, int maxw, attr_t a, const char *s, const char *hl)
{
	if (!s || maxw <= 0)
		return 0;
	int x0 = x, xmax = x + maxw;
	size_t hlen = hl ? strlen(hl) : 0;
	const char *p = s;
	while (*p && x < xmax) {
		const char *m = hlen ? strcasestr(p, hl) : NULL;
		size_t before = m ? (size_t)(m - p) : strlen(p);
		x = put_run(th, y, x, xmax, a, p, before);
		if (!m)
			break;
		x = put_run(th, y, x, xmax, th->a[TC_MATCH], m, hlen);
		p = m + hlen;
	}
	return x - x0;
}

void draw_line(const struct tui_theme *th, int y, int x, int w, const struct tui_line *l, attr_t extra, attr_t fill,
	       const char *hl)
{
	int used = 0;
	for (size_t i = 0; l && i < l->n && used < w; i++)
		used += draw_text(th, y, x + used, w - used, th->a[l->s[i].c] | extra, l->s[i].text, hl);
	attrset(fill);
	for (; used < w; used++)
		mvaddch(y, x + used, ' ');
	attrset(A_NORMAL);
}

void draw_rule(const struct tui_theme *th, int y, int x, int w, const char *title)
{
	int used = 0;
	attrset(th->a[TC_HEAD]);
	for (int i = 0; i < 2 && used < w; i++, used++)
		mvaddstr(y, x + used, th->hline);
	if (title && *title) {
		used += draw_text(th, y, x + used, w - used, th->a[TC_HEAD], " ", NULL);
		used += draw_text(th, y, x + used, w - used, th->a[TC_HEAD], title, NULL);
		used += draw_text(th, y, x + used, w - used, th->a[TC_HEAD], " ", NULL);
	}
	attrset(th->a[TC_HEAD]);
	for (; used < w; used++)
		mvaddstr(y, x + used, th->hline);
	attrset(A_NORMAL);
}
