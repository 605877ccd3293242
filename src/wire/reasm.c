/* \summary: TCP reassembly per direction (wire/reasm.h).
 *
 * specification: RFC 9293 section 3.4. Sequence numbers compare modulo
 * 2^32 (seq_lt). Memory per direction: at most max_hold bytes held. */
#include "wire/reasm.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct reasm_seg {
	struct reasm_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* Delivers p[0..n) that starts at sequence number seq, less what was
 * already delivered. */
static void deliver_from(struct reasm_dir *d, const struct reasm_sink *s, int dir, uint32_t seq, const uint8_t *p,
			 size_t n)
{
	int64_t skip = -(int64_t)seq_diff(seq, d->next);
	if (skip < 0 || (uint64_t)skip >= n)
		return;
	s->deliver(s->user, dir, p + skip, n - (size_t)skip);
	d->next += (uint32_t)(n - (size_t)skip);
}

static void drain(struct reasm_dir *d, const struct reasm_sink *s, int dir)
{
	while (d->ooo && seq_diff(d->ooo->seq, d->next) <= 0) {
		struct reasm_seg *g = d->ooo;
		d->ooo = g->next;
		d->ooo_bytes -= g->len;
		deliver_from(d, s, dir, g->seq, g->data, g->len);
		free(g);
	}
}

/* Skips the hole before the first held segment: a gap, then the data. */
static void skip_hole(struct reasm_dir *d, const struct reasm_sink *s, int dir)
{
	if (!d->ooo)
		return;
	int32_t hole = seq_diff(d->ooo->seq, d->next);
	if (hole > 0) {
		s->gap(s->user, dir, (uint64_t)hole);
		d->next = d->ooo->seq;
	}
	drain(d, s, dir);
}

static void hold(struct reasm_dir *d, uint32_t seq, const uint8_t *p, size_t n)
{
	struct reasm_seg **pp = &d->ooo;
	while (*pp && seq_diff((*pp)->seq, seq) < 0)
		pp = &(*pp)->next;
	if (*pp && (*pp)->seq == seq && (*pp)->len >= n)
		return; /* a retransmission of a held segment */
	struct reasm_seg *g = xmalloc(sizeof *g + n);
	g->seq = seq;
	g->len = (uint32_t)n;
	memcpy(g->data, p, n);
	g->next = *pp;
	*pp = g;
	d->ooo_bytes += n;
}

void reasm_segment(struct reasm_dir *d, const struct reasm_sink *s, int dir, uint32_t seq, bool syn, bool fin,
		   const uint8_t *p, size_t n, size_t max_hold)
{
	if (syn) {
		/* A retransmitted SYN must not rewind a started stream. */
		if (!d->started) {
			d->started = true;
			d->next = seq + 1;
		}
		seq++;
	} else if (!d->started) {
		d->started = true; /* the capture began mid-connection */
		d->next = seq;
	}
	if (fin)
		d->fin = true;
	if (n == 0 || n > UINT32_MAX / 2)
		return;
	int32_t off = seq_diff(seq, d->next);
	if ((int64_t)off + (int64_t)n <= 0)
		return; /* all of it was delivered already */
	if (off <= 0) {
		deliver_from(d, s, dir, seq, p, n);
		drain(d, s, dir);
		return;
	}
	if (d->ooo_bytes + n > max_hold) {
		/* The cap: what is held goes out after a gap; then this. */
		d->truncated = true;
		while (d->ooo)
			skip_hole(d, s, dir);
		if (seq_diff(seq, d->next) > 0) {
			s->gap(s->user, dir, (uint64_t)seq_diff(seq, d->next));
			d->next = seq;
		}
		deliver_from(d, s, dir, seq, p, n);
		return;
	}
	hold(d, seq, p, n);
}

void reasm_flush(struct reasm_dir *d, const struct reasm_sink *s, int dir)
{
	while (d->ooo)
		skip_hole(d, s, dir);
}

void reasm_clear(struct reasm_dir *d)
{
	while (d->ooo) {
		struct reasm_seg *g = d->ooo;
		d->ooo = g->next;
		free(g);
	}
	d->ooo_bytes = 0;
}
