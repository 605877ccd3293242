/* \summary: libFuzzer target for the socket line reader itself
 * (conn_read_line over a real socketpair, as a server's bytes arrive): the
 * input is written to one end, which is then closed; lines are read until
 * an error. Properties: a line holds no LF, is at most
 * CONN_MAX_LINE bytes; every error is one the reader documents; every
 * transcript entry obeys the escaping rule.
 * specification: RFC 5321 section 2.3.8 (CRLF), 4.5.3.1.5 (line length). */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/conn.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size > 64 * 1024 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	int sz = 256 * 1024;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(sv[1], data + off, size - off);
		if (w <= 0)
			abort(); /* the buffers hold 64 KiB */
		off += (size_t)w;
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);

	struct transcript tr;
	transcript_init(&tr);
	struct conn c;
	conn_init(&c, &tr);
	c.fd = sv[0];
	for (int lines = 0;; lines++) {
		char *line;
		size_t len;
		int rc = conn_read_line(&c, &line, &len, mono_us() + 1000000);
		if (rc < 0) {
			if (rc != -MX_E_CLOSED && rc != -MX_E_LINE_TOO_LONG)
				abort();
			break;
		}
		if (len > CONN_MAX_LINE || memchr(line, '\n', len) || lines > (int)size)
			abort();
	}
	for (size_t i = 0; i < tr.n; i++)
		if (!str_is_safe(tr.e[i].text, strlen(tr.e[i].text), false))
			abort();
	conn_close(&c);
	transcript_clear(&tr);
	return 0;
}
