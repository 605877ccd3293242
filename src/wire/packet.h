/* \summary: one captured frame down to its TCP segment: link layer
 * (Ethernet with 802.1Q/802.1ad tags, Linux cooked v1/v2, BSD loopback
 * NULL/LOOP, raw IPv4/IPv6), IPv4 (with fragment reassembly) and IPv6
 * (extension headers), then TCP.
 *
 * specification: RFC 791 sections 3.1-3.2 (IPv4, fragments), RFC 8200
 * sections 4-4.5 (IPv6 extension headers), RFC 9293 section 3.1 (TCP
 * header), IEEE 802.1Q; the link types of https://www.tcpdump.org/linktypes.html. */
#ifndef SRC_WIRE_PACKET_H
#define SRC_WIRE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_seg {
	int family;		  /* 4 or 6 */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t flags; /* TCP_F_* */
	const uint8_t *payload;
	size_t len;
};

#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_ACK 0x10

enum pkt_result {
	PKT_TCP,      /* seg is filled */
	PKT_OTHER,    /* not TCP over IP: skipped */
	PKT_FRAGMENT, /* an IPv4 fragment held for reassembly */
	PKT_BAD,      /* malformed or cut by the snapshot length */
};

struct frag_table;
struct frag_table *frag_table_new(void);
void frag_table_free(struct frag_table *ft);

/* Is this pcap link type (DLT_*) one packet_decode reads? */
bool packet_linktype_supported(int dlt);
/* "EN10MB", "LINUX_SLL2", ... for a link type. */
const char *packet_linktype_name(int dlt);

/* Decodes one frame of link type dlt. A completed IPv4 datagram from
 * fragments is decoded from the table's buffer: seg->payload then stays
 * valid until the next call. ts_us drives fragment expiry. */
enum pkt_result packet_decode(struct frag_table *ft, int dlt, int64_t ts_us, const uint8_t *p, size_t n,
			      struct tcp_seg *seg);

#endif
