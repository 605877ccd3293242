/* \summary: libFuzzer target for what a server sends: the input is split
 * into lines (LF, an optional CR before it dropped, as conn_read_line
 * does), fed to smtp_reply_feed; every complete reply goes through
 * smtp_reply_to_info and smtp_caps_parse, every refused line through
 * str_escape, as smtp_read_reply does with it.
 * specification: RFC 5321 section 4.2 and 4.1.1.1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp.h"
#include "report/model.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_caps(const struct smtp_reply *r)
{
	struct smtp_caps caps;
	memset(&caps, 0, sizeof caps);
	smtp_caps_parse(r, &caps);
	if (caps.valid) {
		/* the model's promises: a greeting, upper-case mechanisms */
		if (!caps.greeting || caps.lines.n + 1 != r->text.n)
			abort();
		for (size_t i = 0; i < caps.auth_mechs.n; i++)
			for (const char *p = caps.auth_mechs.v[i]; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					abort();
	} else if (caps.greeting || caps.lines.n || caps.auth_mechs.n || caps.unknown.n) {
		abort();
	}
	smtp_caps_clear(&caps);
}

static void finish(struct smtp_reply *r)
{
	struct reply_info info;
	memset(&info, 0, sizeof info);
	smtp_reply_to_info(r, &info);
	if (info.code < 200 || info.code > 559 || !info.text || memchr(info.enh, '\0', sizeof info.enh) == NULL)
		abort();
	reply_info_clear(&info);
	check_caps(r);
	smtp_reply_clear(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	memset(&r, 0, sizeof r);
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
		int rc = smtp_reply_feed(&r, line, len);
		if (rc == 0) {
			finish(&r);
		} else if (rc < 0) {
			if (rc != -MX_E_BAD_REPLY && rc != -MX_E_REPLY_TOO_LONG)
				abort();
			char *esc = str_escape(line, len, 300);
			free(esc);
			smtp_reply_clear(&r);
		} else if (rc != 1) {
			abort();
		}
		free(line);
		pos = end + 1;
	}
	/* an unfinished reply, as a caller holding it at a timeout might */
	if (r.code)
		check_caps(&r);
	smtp_reply_clear(&r);

	/* the enhanced code parser on its own, with every class */
	if (size > 1 && size < 64) {
		char *text = malloc(size);
		if (!text)
			abort();
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		char out[16];
		size_t n = smtp_enh_parse(text, 200 + data[0] % 360, out, sizeof out);
		if (n && (n >= sizeof out || strlen(out) != n))
			abort();
		free(text);
	}
	return 0;
}
