/* \summary: live capture of one target's connections with libpcap into a
 * pcap file, on a thread of its own (FACTS.md: non-blocking handle and
 * poll(), TPACKET_V3 can otherwise block forever). */
#ifndef SRC_WIRE_CAPTURE_H
#define SRC_WIRE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_capture;

/* Captures TCP to and from host (a name or an address) on port, on the
 * interface the route to host uses ("lo" for loopback), into path. NULL on
 * failure with err set; *no_rights tells a permission problem (not root,
 * no CAP_NET_RAW) from others. */
struct wire_capture *wire_capture_start(const char *host, uint16_t port, const char *path, char *err, size_t errlen,
					bool *no_rights);

/* Stops after the packets already queued are written; closes the file.
 * Returns the number of packets written. Frees c. */
uint64_t wire_capture_stop(struct wire_capture *c);

#endif
