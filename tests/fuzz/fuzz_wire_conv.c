/* \summary: libFuzzer target for the wire analyzer's conversation side:
 * the input is a TCP connection's payload, cut into chunks [direction and
 * length byte][bytes], sent as raw IPv4 frames (DLT_RAW) after a
 * three-way handshake to a port the first byte chooses (25, 110, 143,
 * 465, 993); reordering when the direction byte asks. So the SMTP, POP3,
 * IMAP, STARTTLS, SASL and TLS record paths get bytes in any order.
 * specification: wire/analyzer.h. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/model.h"
#include "report/wire_model.h"
#include "wire/analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void frame(struct wire_analyzer *a, int64_t *ts, int dir, uint16_t sport, uint32_t seq, uint8_t flags,
		  const uint8_t *p, size_t n)
{
	uint8_t f[40 + 255];
	memset(f, 0, 40);
	size_t total = 40 + n;
	f[0] = 0x45;
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	f[8] = 64;
	f[9] = 6;
	uint8_t cl[4] = { 10, 0, 0, 1 }, sv[4] = { 10, 0, 0, 2 };
	memcpy(f + 12, dir ? sv : cl, 4);
	memcpy(f + 16, dir ? cl : sv, 4);
	uint16_t cport = 40000;
	uint16_t src = dir ? sport : cport, dst = dir ? cport : sport;
	f[20] = (uint8_t)(src >> 8);
	f[21] = (uint8_t)src;
	f[22] = (uint8_t)(dst >> 8);
	f[23] = (uint8_t)dst;
	f[24] = (uint8_t)(seq >> 24);
	f[25] = (uint8_t)(seq >> 16);
	f[26] = (uint8_t)(seq >> 8);
	f[27] = (uint8_t)seq;
	f[32] = 0x50;
	f[33] = flags;
	if (n)
		memcpy(f + 40, p, n);
	*ts += 1000;
	wire_analyzer_packet(a, DLT_RAW, *ts, f, total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 25, 110, 143, 465, 993, 24, 587, 995 };
	if (size < 1)
		return 0;
	uint16_t port = ports[data[0] % 8];
	struct wire_summary *w = wire_summary_new();
	struct probe_result pr;
	memset(&pr, 0, sizeof pr);
	struct wire_analyzer *a = wire_analyzer_new(w, &pr, SEV_WARN);
	int64_t ts = 1700000000000000LL;
	uint32_t seq[2] = { 100, 5000 };
	frame(a, &ts, 0, port, seq[0]++, 0x02, NULL, 0);
	frame(a, &ts, 1, port, seq[1]++, 0x12, NULL, 0);
	size_t pos = 1;
	const uint8_t *held = NULL;
	size_t held_n = 0;
	int held_dir = 0;
	uint32_t held_seq = 0;
	while (pos < size) {
		uint8_t ctl = data[pos++];
		int dir = ctl & 1;
		size_t n = (ctl >> 2) + 1;
		if (n > size - pos)
			n = size - pos;
		/* bit 1: hold this chunk and send it after the next (reordering) */
		if ((ctl & 2) && !held) {
			held = data + pos;
			held_n = n;
			held_dir = dir;
			held_seq = seq[dir];
		} else {
			frame(a, &ts, dir, port, seq[dir], 0x18, data + pos, n);
			if (held) {
				frame(a, &ts, held_dir, port, held_seq, 0x18, held, held_n);
				held = NULL;
			}
		}
		seq[dir] += (uint32_t)n;
		pos += n;
	}
	if (held)
		frame(a, &ts, held_dir, port, held_seq, 0x18, held, held_n);
	frame(a, &ts, 0, port, seq[0], 0x11, NULL, 0);
	frame(a, &ts, 1, port, seq[1], 0x11, NULL, 0);
	wire_analyzer_finish(a);
	wire_analyzer_free(a);
	for (size_t i = 0; i < w->n; i++)
		for (size_t k = 0; k < w->s[i].credentials.n; k++)
			if (strstr(w->s[i].credentials.v[k], "\n"))
				abort();
	if (w->tcp_connections != 1 || w->n > 1)
		abort();
	probe_result_clear(&pr);
	wire_summary_free(w);
	return 0;
}
