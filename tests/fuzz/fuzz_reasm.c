/* \summary: libFuzzer target for TCP reassembly: the input is a list of
 * segments, each [direction+flags byte][sequence offset, 2 bytes][length
 * byte][payload], fed to reasm_segment with a small hold cap so the cap
 * and its gaps are reached. What comes out must be in order: every byte
 * delivered or reported missing once, in order, and never invented.
 * specification: RFC 9293 section 3.4, wire/reasm.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPAN 70000

struct sink_state {
	uint64_t out[2];	   /* bytes delivered + gaps per direction */
	uint8_t sent[2][SPAN][32]; /* which byte values were sent at each position */
};

static void deliver(void *user, int dir, const uint8_t *p, size_t n)
{
	struct sink_state *s = user;
	if (n == 0)
		abort();
	/* every byte delivered was sent at that position: none invented */
	for (size_t i = 0; i < n; i++) {
		uint64_t at = s->out[dir] + i;
		if (at < SPAN && !(s->sent[dir][at][p[i] / 8] & (1u << (p[i] % 8))))
			abort();
	}
	s->out[dir] += n;
}

static void gap(void *user, int dir, uint64_t n)
{
	struct sink_state *s = user;
	if (n == 0 || n > 0x80000000u)
		abort();
	s->out[dir] += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sink_state st;
	memset(&st, 0, sizeof st);
	struct reasm_dir d[2];
	memset(d, 0, sizeof d);
	struct reasm_sink sink = { deliver, gap, &st };
	const uint32_t isn[2] = { 1000, 0xFFFFFF00u }; /* one stream wraps around 2^32 */
	size_t pos = 0;
	bool synced[2] = { false, false };
	while (pos + 4 <= size) {
		uint8_t ctl = data[pos];
		int dir = ctl & 1;
		bool syn = (ctl & 2) != 0, fin = (ctl & 4) != 0;
		uint32_t off = (uint32_t)((data[pos + 1] << 8) | data[pos + 2]);
		size_t len = data[pos + 3];
		pos += 4;
		if (len > size - pos)
			len = size - pos;
		if (!synced[dir]) {
			/* the first segment of a direction is its SYN: offsets count from it */
			syn = true;
			off = 0;
			synced[dir] = true;
		} else {
			syn = false;
			off += 1;
		}
		for (size_t i = 0; !syn && i < len; i++) {
			size_t at = (size_t)off - 1 + i;
			if (at < SPAN)
				st.sent[dir][at][data[pos + i] / 8] |= (uint8_t)(1u << (data[pos + i] % 8));
		}
		reasm_segment(&d[dir], &sink, dir, isn[dir] + off, syn, fin, data + pos, syn ? 0 : len, 512);
		pos += len;
	}
	for (int dir = 0; dir < 2; dir++) {
		reasm_flush(&d[dir], &sink, dir);
		if (d[dir].ooo_bytes != 0)
			abort();
		/* delivered + missing = all the stream up to the next byte expected */
		if (synced[dir] && st.out[dir] != (uint32_t)(d[dir].next - isn[dir] - 1))
			abort();
		reasm_clear(&d[dir]);
	}
	return 0;
}
