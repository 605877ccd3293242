/* \summary: a bounds-checked reader over untrusted bytes (tcpdump's GET_
 * accessors without the longjmp): every read past the end returns 0 and
 * sets a sticky flag, so a dissector reads straight through and checks
 * rd_ok() once at its one "invalid" exit. */
#ifndef SRC_WIRE_RD_H
#define SRC_WIRE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t n, off;
	bool bad; /* a read went past the end */
};

static inline struct rd rd_make(const void *p, size_t n)
{
	struct rd r = { .p = p, .n = n, .off = 0, .bad = false };
	return r;
}

static inline size_t rd_left(const struct rd *r)
{
	return r->n - r->off;
}

static inline bool rd_ok(const struct rd *r)
{
	return !r->bad;
}

/* Marks the reader bad when fewer than k bytes remain. */
static inline bool rd_need(struct rd *r, size_t k)
{
	if (r->bad || rd_left(r) < k) {
		r->bad = true;
		r->off = r->n;
		return false;
	}
	return true;
}

static inline uint8_t rd_u8(struct rd *r)
{
	return rd_need(r, 1) ? r->p[r->off++] : 0;
}

static inline uint16_t rd_be16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
	r->off += 2;
	return v;
}

static inline uint32_t rd_be24(struct rd *r)
{
	if (!rd_need(r, 3))
		return 0;
	uint32_t v = ((uint32_t)r->p[r->off] << 16) | ((uint32_t)r->p[r->off + 1] << 8) | r->p[r->off + 2];
	r->off += 3;
	return v;
}

static inline uint32_t rd_be32(struct rd *r)
{
	if (!rd_need(r, 4))
		return 0;
	uint32_t v = ((uint32_t)r->p[r->off] << 24) | ((uint32_t)r->p[r->off + 1] << 16) |
		     ((uint32_t)r->p[r->off + 2] << 8) | r->p[r->off + 3];
	r->off += 4;
	return v;
}

/* A pointer to the next k bytes (NULL past the end), consumed. */
static inline const uint8_t *rd_bytes(struct rd *r, size_t k)
{
	if (!rd_need(r, k))
		return NULL;
	const uint8_t *q = r->p + r->off;
	r->off += k;
	return q;
}

/* A sub-reader over the next k bytes (a length-prefixed vector), consumed;
 * a bad sub-reader when they are not there. */
static inline struct rd rd_sub(struct rd *r, size_t k)
{
	const uint8_t *q = rd_bytes(r, k);
	struct rd s = rd_make(q, q ? k : 0);
	s.bad = q == NULL;
	return s;
}

#endif
