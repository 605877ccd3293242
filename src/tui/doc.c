/* \summary: styled lines for the TUI's panes (plain data, no curses). */
#include "tui/doc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

static struct tui_line *new_line(struct tui_doc *d, long tag)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->l = xrealloc(d->l, d->cap * sizeof *d->l);
	}
	struct tui_line *l = &d->l[d->n++];
	memset(l, 0, sizeof *l);
	l->tag = tag;
	return l;
}

static void add_span(struct tui_line *l, enum tui_class c, char *owned)
{
	l->s = xrealloc(l->s, (l->n + 1) * sizeof *l->s);
	l->s[l->n].c = c;
	l->s[l->n].text = owned;
	l->n++;
}

void doc_line(struct tui_doc *d, enum tui_class c, long tag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_span(new_line(d, tag), c, xvasprintf(fmt, ap));
	va_end(ap);
}

void doc_span(struct tui_doc *d, enum tui_class c, const char *fmt, ...)
{
	struct tui_line *l = d->n ? &d->l[d->n - 1] : new_line(d, -1);
	va_list ap;
	va_start(ap, fmt);
	add_span(l, c, xvasprintf(fmt, ap));
	va_end(ap);
}

/* Columns of a UTF-8 string, counting each character as one (what the
 * pane uses to break lines; wide characters are rare in mail data). */
static size_t cols(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Bytes of s that fit in w columns, never splitting a character. */
static size_t fit(const char *s, size_t n, size_t w)
{
	size_t c = 0, i = 0;
	for (; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (c == w)
				break;
			c++;
		}
	}
	return i;
}

void doc_wrap(struct tui_doc *d, enum tui_class c, long tag, int indent, int width, const char *text)
{
	size_t w = width - indent > 10 ? (size_t)(width - indent) : 10;
	const char *p = text ? text : "";
	do {
		size_t para = strcspn(p, "\n");
		const char *q = p;
		size_t left = para;
		do {
			size_t take = left;
			if (cols(q, left) > w) {
				take = fit(q, left, w);
				size_t sp = take;
				while (sp > 0 && q[sp] != ' ')
					sp--;
				if (sp > 0)
					take = sp;
			}
			doc_line(d, c, tag, "%*s%.*s", indent, "", (int)take, q);
			q += take;
			left -= take;
			while (left && *q == ' ') {
				q++;
				left--;
			}
		} while (left);
		p += para;
	} while (*p++ == '\n');
}

char *doc_line_text(const struct tui_line *l)
{
	size_t n = 1;
	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->s[i].text);
	char *out = xmalloc(n);
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		strcat(out, l->s[i].text);
	return out;
}

long doc_find(const struct tui_doc *d, const char *needle, long from, int dir)
{
	if (!needle || !*needle || d->n == 0)
		return -1;
	for (long i = from; i >= 0 && (size_t)i<d->n; i += dir> 0 ? 1 : -1) {
		char *t = doc_line_text(&d->l[i]);
		bool hit = strcasestr(t, needle) != NULL;
		free(t);
		if (hit)
			return i;
	}
	return -1;
}

void doc_clear(struct tui_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		for (size_t k = 0; k < d->l[i].n; k++)
			free(d->l[i].s[k].text);
		free(d->l[i].s);
	}
	free(d->l);
	memset(d, 0, sizeof *d);
}
