/* \summary: TCP reassembly of one direction of a connection: segments in
 * sequence order, retransmissions and overlaps dropped (the first copy of
 * a byte wins), out-of-order segments held up to a cap, missing data
 * reported as a gap and never guessed.
 *
 * specification: RFC 9293 section 3.4 (sequence numbers, modulo 2^32). */
#ifndef SRC_WIRE_REASM_H
#define SRC_WIRE_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reasm_seg;

/* Where the ordered bytes go. gap: n bytes are missing before the next
 * delivery. Both are called from within reasm_segment/reasm_flush. */
struct reasm_sink {
	void (*deliver)(void *user, int dir, const uint8_t *p, size_t n);
	void (*gap)(void *user, int dir, uint64_t n);
	void *user;
};

struct reasm_dir {
	bool started;
	uint32_t next;	       /* the next sequence number we expect */
	struct reasm_seg *ooo; /* held segments, sorted by sequence number */
	size_t ooo_bytes;
	bool fin;
	bool truncated; /* the hold cap forced a gap */
};

/* Feeds one segment of direction dir (0 client to server, 1 back). A SYN
 * fixes the initial sequence number; without one the first segment seen
 * starts the stream. max_hold caps the out-of-order bytes held: past it
 * the stream skips to the held data and reports the hole as a gap. */
void reasm_segment(struct reasm_dir *d, const struct reasm_sink *sink, int dir, uint32_t seq, bool syn, bool fin,
		   const uint8_t *p, size_t n, size_t max_hold);

/* At the end of the connection: what is still held is delivered after
 * gaps for the holes before it. */
void reasm_flush(struct reasm_dir *d, const struct reasm_sink *sink, int dir);

/* Frees what is held. */
void reasm_clear(struct reasm_dir *d);

#endif
