/* \summary: link layer, IPv4/IPv6 and TCP headers of one frame
 * (wire/packet.h), with IPv4 fragment reassembly.
 *
 * specification: RFC 791 sections 3.1-3.2, RFC 8200 sections 4-4.5, RFC
 * 9293 section 3.1, IEEE 802.1Q, tcpdump.org link types (LINKTYPE_ETHERNET,
 * LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, IPV4, IPV6). Memory: at most
 * FRAG_SLOTS datagrams of 64 KiB are held, each for FRAG_TIMEOUT_US. */
#include "wire/packet.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "wire/rd.h"

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86DD
#define ETH_VLAN	0x8100
#define ETH_QINQ	0x88A8
#define IPPROTO_TCP_	6
#define FRAG_SLOTS	16
#define FRAG_TIMEOUT_US (30 * 1000000LL) /* Linux's ipfrag_time */
#define FRAG_UNITS	(65536 / 8)

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

struct frag {
	bool used;
	uint8_t src[4], dst[4];
	uint16_t id;
	int64_t first_us;
	size_t total;		      /* payload length, known once the last fragment came; 0 before */
	uint8_t have[FRAG_UNITS / 8]; /* one bit per 8-byte unit */
	uint8_t hdr[60];
	size_t hdr_len;
	uint8_t data[65536];
};

struct frag_table {
	struct frag *slot[FRAG_SLOTS]; /* allocated at the first fragment */
	uint8_t *out;		       /* the last reassembled datagram, 64 KiB */
};

struct frag_table *frag_table_new(void)
{
	return xcalloc(1, sizeof(struct frag_table));
}

void frag_table_free(struct frag_table *ft)
{
	if (!ft)
		return;
	for (size_t i = 0; i < FRAG_SLOTS; i++)
		free(ft->slot[i]);
	free(ft->out);
	free(ft);
}

static const struct {
	int dlt;
	const char *name;
} linktypes[] = {
	{ DLT_NULL, "NULL" },		{ DLT_EN10MB, "EN10MB" },	  { DLT_RAW, "RAW" },	{ DLT_LOOP, "LOOP" },
	{ DLT_LINUX_SLL, "LINUX_SLL" }, { DLT_LINUX_SLL2, "LINUX_SLL2" }, { DLT_IPV4, "IPV4" }, { DLT_IPV6, "IPV6" },
};

bool packet_linktype_supported(int dlt)
{
	for (size_t i = 0; i < ARRAY_LEN(linktypes); i++)
		if (linktypes[i].dlt == dlt)
			return true;
	return false;
}

const char *packet_linktype_name(int dlt)
{
	for (size_t i = 0; i < ARRAY_LEN(linktypes); i++)
		if (linktypes[i].dlt == dlt)
			return linktypes[i].name;
	const char *n = pcap_datalink_val_to_name(dlt);
	return n ? n : "unknown";
}

static enum pkt_result decode_tcp(struct rd *r, struct tcp_seg *seg)
{
	seg->sport = rd_be16(r);
	seg->dport = rd_be16(r);
	seg->seq = rd_be32(r);
	rd_be32(r); /* ack */
	uint8_t off = rd_u8(r) >> 4;
	seg->flags = rd_u8(r);
	rd_bytes(r, 6); /* window, checksum, urgent */
	if (!rd_ok(r) || off < 5)
		return PKT_BAD;
	rd_bytes(r, (size_t)(off - 5) * 4); /* options */
	if (!rd_ok(r))
		return PKT_BAD;
	seg->payload = r->p + r->off;
	seg->len = rd_left(r);
	return PKT_TCP;
}

static bool frag_complete(const struct frag *f)
{
	if (!f->total)
		return false;
	size_t units = (f->total + 7) / 8;
	for (size_t u = 0; u < units; u++)
		if (!(f->have[u / 8] & (1u << (u % 8))))
			return false;
	return true;
}

static struct frag *frag_slot(struct frag_table *ft, const uint8_t *src, const uint8_t *dst, uint16_t id, int64_t ts_us)
{
	struct frag *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < FRAG_SLOTS; i++) {
		if (!ft->slot[i])
			ft->slot[i] = xcalloc(1, sizeof(struct frag));
		struct frag *f = ft->slot[i];
		if (f->used && ts_us - f->first_us > FRAG_TIMEOUT_US)
			f->used = false;
		if (f->used && f->id == id && memcmp(f->src, src, 4) == 0 && memcmp(f->dst, dst, 4) == 0)
			return f;
		if (!f->used && !free_slot)
			free_slot = f;
		if (f->used && (!oldest || f->first_us < oldest->first_us))
			oldest = f;
	}
	struct frag *f = free_slot ? free_slot : oldest;
	memset(f->have, 0, sizeof f->have);
	f->used = true;
	f->total = 0;
	f->hdr_len = 0;
	f->first_us = ts_us;
	f->id = id;
	memcpy(f->src, src, 4);
	memcpy(f->dst, dst, 4);
	return f;
}

/* RFC 791 section 3.2: holds one fragment; true with out and outlen set to
 * the whole TCP segment once every fragment is there. */
static bool frag_add(struct frag_table *ft, const uint8_t *src, const uint8_t *dst, uint16_t id, size_t off, bool more,
		     const uint8_t *p, size_t n, int64_t ts_us, const uint8_t **out, size_t *outlen)
{
	if (off + n > 65535 || (more && n % 8))
		return false;
	struct frag *f = frag_slot(ft, src, dst, id, ts_us);
	memcpy(f->data + off, p, n);
	for (size_t u = off / 8; u < (off + n + 7) / 8; u++)
		f->have[u / 8] |= (uint8_t)(1u << (u % 8));
	if (!more)
		f->total = off + n;
	if (!frag_complete(f))
		return false;
	if (!ft->out)
		ft->out = xmalloc(65536);
	memcpy(ft->out, f->data, f->total);
	*out = ft->out;
	*outlen = f->total;
	f->used = false;
	return true;
}

static enum pkt_result decode_ipv4(struct frag_table *ft, struct rd *r, int64_t ts_us, struct tcp_seg *seg)
{
	uint8_t vihl = rd_u8(r);
	rd_u8(r); /* DSCP/ECN */
	uint16_t total = rd_be16(r);
	uint16_t id = rd_be16(r);
	uint16_t frag = rd_be16(r);
	rd_u8(r); /* TTL */
	uint8_t proto = rd_u8(r);
	rd_be16(r); /* checksum */
	const uint8_t *src = rd_bytes(r, 4), *dst = rd_bytes(r, 4);
	size_t ihl = (size_t)(vihl & 0x0F) * 4;
	if (!rd_ok(r) || (vihl >> 4) != 4 || ihl < 20 || total < ihl)
		return PKT_BAD;
	rd_bytes(r, ihl - 20); /* options */
	size_t body = total - ihl;
	/* The frame may carry Ethernet padding past the datagram; a frame cut
	 * short by the snapshot length is bad. */
	if (!rd_ok(r) || rd_left(r) < body)
		return PKT_BAD;
	if (proto != IPPROTO_TCP_)
		return PKT_OTHER;
	seg->family = 4;
	memcpy(seg->src, src, 4);
	memcpy(seg->dst, dst, 4);
	size_t off = (size_t)(frag & 0x1FFF) * 8;
	bool more = frag & 0x2000;
	if (off || more) {
		const uint8_t *whole;
		size_t wlen;
		if (!frag_add(ft, src, dst, id, off, more, r->p + r->off, body, ts_us, &whole, &wlen))
			return PKT_FRAGMENT;
		struct rd t = rd_make(whole, wlen);
		return decode_tcp(&t, seg);
	}
	struct rd t = rd_make(r->p + r->off, body);
	return decode_tcp(&t, seg);
}

/* RFC 8200 section 4: skips hop-by-hop (0), routing (43), destination
 * options (60); a fragment header (44) is not reassembled: skipped. */
static enum pkt_result decode_ipv6(struct rd *r, struct tcp_seg *seg)
{
	uint8_t v = rd_u8(r);
	rd_bytes(r, 3);
	uint16_t plen = rd_be16(r);
	uint8_t next = rd_u8(r);
	rd_u8(r); /* hop limit */
	const uint8_t *src = rd_bytes(r, 16), *dst = rd_bytes(r, 16);
	if (!rd_ok(r) || (v >> 4) != 6 || rd_left(r) < plen)
		return PKT_BAD;
	struct rd b = rd_make(r->p + r->off, plen);
	for (int hops = 0; hops < 8; hops++) {
		if (next == IPPROTO_TCP_) {
			seg->family = 6;
			memcpy(seg->src, src, 16);
			memcpy(seg->dst, dst, 16);
			return decode_tcp(&b, seg);
		}
		if (next == 44)
			return PKT_OTHER;
		if (next != 0 && next != 43 && next != 60)
			return PKT_OTHER;
		next = rd_u8(&b);
		uint8_t len = rd_u8(&b);
		rd_bytes(&b, (size_t)len * 8 + 6);
		if (!rd_ok(&b))
			return PKT_BAD;
	}
	return PKT_OTHER;
}

static enum pkt_result decode_ip(struct frag_table *ft, struct rd *r, int64_t ts_us, struct tcp_seg *seg)
{
	if (!rd_need(r, 1))
		return PKT_BAD;
	switch (r->p[r->off] >> 4) {
	case 4:
		return decode_ipv4(ft, r, ts_us, seg);
	case 6:
		return decode_ipv6(r, seg);
	default:
		return PKT_OTHER;
	}
}

static enum pkt_result by_ethertype(struct frag_table *ft, struct rd *r, uint16_t type, int64_t ts_us,
				    struct tcp_seg *seg)
{
	/* 802.1Q and 802.1ad (QinQ): up to two tags. */
	for (int tags = 0; (type == ETH_VLAN || type == ETH_QINQ) && tags < 2; tags++) {
		rd_be16(r); /* TCI */
		type = rd_be16(r);
	}
	if (!rd_ok(r))
		return PKT_BAD;
	if (type == ETH_IPV4 || type == ETH_IPV6)
		return decode_ip(ft, r, ts_us, seg);
	return PKT_OTHER;
}

/* BSD loopback: AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30. */
static enum pkt_result by_family(struct frag_table *ft, struct rd *r, uint32_t af, int64_t ts_us, struct tcp_seg *seg)
{
	if (af == 2 || af == 24 || af == 28 || af == 30)
		return decode_ip(ft, r, ts_us, seg);
	return PKT_OTHER;
}

enum pkt_result packet_decode(struct frag_table *ft, int dlt, int64_t ts_us, const uint8_t *p, size_t n,
			      struct tcp_seg *seg)
{
	struct rd r = rd_make(p, n);
	memset(seg, 0, sizeof *seg);
	switch (dlt) {
	case DLT_EN10MB:
		rd_bytes(&r, 12);
		return by_ethertype(ft, &r, rd_be16(&r), ts_us, seg);
	case DLT_LINUX_SLL: /* type, ARPHRD, address length, address[8], protocol */
		rd_bytes(&r, 14);
		return by_ethertype(ft, &r, rd_be16(&r), ts_us, seg);
	case DLT_LINUX_SLL2: { /* protocol, reserved, ifindex, ARPHRD, type, address length, address[8] */
		uint16_t proto = rd_be16(&r);
		rd_bytes(&r, 18);
		return by_ethertype(ft, &r, proto, ts_us, seg);
	}
	case DLT_NULL: { /* the family in the capturing host's byte order */
		const uint8_t *b = rd_bytes(&r, 4);
		if (!b)
			return PKT_BAD;
		uint32_t le = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
		uint32_t be = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
		return by_family(ft, &r, le < 256 ? le : be, ts_us, seg);
	}
	case DLT_LOOP:
		return by_family(ft, &r, rd_be32(&r), ts_us, seg);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_ip(ft, &r, ts_us, seg);
	default:
		return PKT_OTHER;
	}
}
