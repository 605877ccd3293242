/* \summary: libFuzzer target for mxprobe listen's command reader, the way
 * a session uses it: the input arrives in chunks (its first byte picks
 * the chunk size), lines are taken under the command-line limit and
 * parsed; after a DATA command the lines go to the DATA reader under the
 * text-line limit until the end mark. Properties: a line holds no LF and
 * is shorter than the limit; every string kept obeys the escaping rule;
 * the kept headers never exceed their bound; a name compared with the
 * partner domain never reads past its end.
 * specification: RFC 5321 sections 2.3.8, 4.1.1, 4.1.2, 4.5.2, 4.5.3.1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listen/cmdread.h"
#include "listen/verdict.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void safe(const char *s)
{
	if (s && !str_is_safe(s, strlen(s), false))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 256 * 1024)
		return 0;
	size_t chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	struct buf in;
	buf_init(&in, LSN_TEXT_LINE_MAX + 8192);
	struct lsn_msg m;
	lsn_msg_init(&m, 4096, 512);
	bool in_data = false;
	for (size_t off = 0; off < size;) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (buf_append(&in, data + off, n) < 0)
			break;
		off += n;
		for (;;) {
			size_t max = in_data ? LSN_TEXT_LINE_MAX : LSN_CMD_LINE_MAX;
			char *line;
			size_t len;
			bool bare;
			int r = lsn_line_take(&in, max, &line, &len, &bare);
			if (r < 0) { /* too long: the session drops it (DATA) or ends */
				buf_consume(&in, in.len);
				break;
			}
			if (r == 0)
				break;
			if (len >= max || memchr(line, '\n', len))
				abort();
			if (in_data) {
				if (lsn_msg_line(&m, line, len, bare))
					in_data = false;
				if (m.headers.len > m.max_headers)
					abort();
			} else {
				struct lsn_cmd c;
				lsn_cmd_parse(line, len, &c);
				safe(c.verb_text);
				safe(c.arg);
				safe(c.path);
				if (c.path && strlen(c.path) > 600 + 3)
					abort();
				char *d = lsn_path_domain(c.path);
				(void)lsn_name_covers(d, "partner.example");
				(void)lsn_name_covers(c.arg, "partner.example");
				free(d);
				if (c.verb == LSN_DATA && c.syntax_ok)
					in_data = true;
				lsn_cmd_clear(&c);
			}
			free(line);
		}
	}
	lsn_msg_clear(&m);
	buf_clear(&in);
	return 0;
}
