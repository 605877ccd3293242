/* \summary: libFuzzer target for what an IMAP server sends: the input is
 * split into lines (LF, an optional CR before it dropped, as conn_read_line
 * does), each parsed by imap_response_parse; untagged CAPABILITY data and
 * [CAPABILITY ...] response codes go through imap_caps_add, as the
 * CAPABILITY step does.
 * specification: RFC 3501 / RFC 9051 sections 7 and 9. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/imap.h"
#include "util/err.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the one escaping rule (util.h): valid UTF-8, no C0/C1/DEL/bidi */
static void check_printable(const char *s)
{
	if (s && !str_is_safe(s, strlen(s), false))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_caps caps;
	memset(&caps, 0, sizeof caps);
	size_t pos = 0;
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - pos;
		if (len && data[pos + len - 1] == '\r')
			len--;
		char *line = malloc(len ? len : 1);
		if (!line)
			abort();
		memcpy(line, data + pos, len);
		struct imap_response r;
		int rc = imap_response_parse(line, len, &r);
		if (rc == 0) {
			if (!r.text)
				abort();
			if (r.kind == IMAP_TAGGED &&
			    (!r.tag[0] || strlen(r.tag) > IMAP_MAX_TAG ||
			     (r.cond != IMAP_COND_OK && r.cond != IMAP_COND_NO && r.cond != IMAP_COND_BAD)))
				abort();
			check_printable(r.text);
			check_printable(r.code);
			if (r.kind == IMAP_UNTAGGED && r.cond == IMAP_COND_NONE &&
			    strncasecmp(r.text, "CAPABILITY ", 11) == 0)
				imap_caps_add(r.text + 11, &caps);
			if (r.code && strncasecmp(r.code, "CAPABILITY ", 11) == 0)
				imap_caps_add(r.code + 11, &caps);
		} else if (rc != -MX_E_BAD_REPLY && rc != -MX_E_LINE_TOO_LONG) {
			abort();
		} else if (r.text || r.code) {
			abort();
		}
		imap_response_clear(&r);
		free(line);
		pos = end + 1;
	}
	for (size_t i = 0; i < caps.auth_mechs.n; i++)
		for (const char *p = caps.auth_mechs.v[i]; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				abort();
	if ((caps.starttls || caps.logindisabled || caps.auth) && !caps.lines.n)
		abort();
	smtp_caps_clear(&caps);
	return 0;
}
