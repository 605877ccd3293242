/* \summary: libFuzzer target for what a POP3 server sends: the input is
 * split into lines (LF, an optional CR before it dropped, as conn_read_line
 * does); the first line goes to pop3_status_parse, and after a +OK the
 * following lines to pop3_multi_feed until the "." or an error, as the CAPA
 * step does; a complete body goes through pop3_caps_parse. Then it starts
 * over with the next line.
 * specification: RFC 1939 section 3, RFC 2449. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3.h"
#include "util/err.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_caps(const struct pop3_multi *m)
{
	struct smtp_caps caps;
	memset(&caps, 0, sizeof caps);
	pop3_caps_parse("x", &m->lines, &caps);
	if (!caps.valid || caps.lines.n != m->lines.n || caps.logindisabled)
		abort();
	for (size_t i = 0; i < caps.auth_mechs.n; i++)
		for (const char *p = caps.auth_mechs.v[i]; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				abort();
	/* the model's strings are printable */
	for (size_t i = 0; i < caps.lines.n; i++)
		if (!str_is_safe(caps.lines.v[i], strlen(caps.lines.v[i]), false))
			abort();
	smtp_caps_clear(&caps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_multi m;
	memset(&m, 0, sizeof m);
	bool in_body = false;
	size_t pos = 0;
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - pos;
		if (len && data[pos + len - 1] == '\r')
			len--;
		/* an exactly sized copy: a read past len is an ASan report */
		char *line = malloc(len ? len : 1);
		if (!line)
			abort();
		memcpy(line, data + pos, len);
		if (!in_body) {
			size_t off = 0;
			int rc = pop3_status_parse(line, len, &off);
			if (rc != 1 && rc != 0 && rc != -MX_E_BAD_REPLY && rc != -MX_E_LINE_TOO_LONG)
				abort();
			if (rc >= 0 && off > len)
				abort();
			in_body = rc == 1;
		} else {
			int rc = pop3_multi_feed(&m, line, len);
			if (rc == 0) {
				check_caps(&m);
				pop3_multi_clear(&m);
				in_body = false;
			} else if (rc < 0) {
				if (rc != -MX_E_BAD_REPLY && rc != -MX_E_LINE_TOO_LONG && rc != -MX_E_REPLY_TOO_LONG)
					abort();
				pop3_multi_clear(&m);
				in_body = false;
			} else if (rc != 1) {
				abort();
			}
		}
		free(line);
		pos = end + 1;
	}
	/* an unterminated CAPA, as a caller holding it at a timeout might */
	if (m.lines.n)
		check_caps(&m);
	pop3_multi_clear(&m);
	return 0;
}
