/* \summary: POP3 responses, CAPA, and the pop3 dialect of the standard
 * session (greeting, CAPA, STLS, QUIT).
 * specification: RFC 1939 section 3 (+OK / -ERR status lines, multi-line
 * responses ended by "." with byte-stuffing), RFC 2449 (CAPA: USER, SASL,
 * STLS; "a response line ... MUST NOT exceed 512 octets"), RFC 2595
 * section 4 (STLS), RFC 8314 (POP3S, 995). */
#ifndef SRC_PROTO_POP3_H
#define SRC_PROTO_POP3_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"
#include "util/util.h"

/* RFC 2449 section 4 allows 512 octets with CRLF; servers stretch that a
 * little, a hostile one a lot. */
#define POP3_MAX_LINE	    1024
/* A CAPA list may not go on forever. */
#define POP3_MAX_CAPA_LINES 128

/* A status line. Returns 1 for +OK, 0 for -ERR (case-insensitive, then a
 * space or the end), -MX_E_BAD_REPLY for anything else or a NUL byte,
 * -MX_E_LINE_TOO_LONG past POP3_MAX_LINE. *text_off: where the text starts. */
int pop3_status_parse(const char *line, size_t len, size_t *text_off);

/* The body of a multi-line response (after its +OK line). */
struct pop3_multi {
	struct strvec lines; /* un-stuffed, printable */
	bool done;
};
/* Feeds one line (without CRLF): 1 more expected, 0 the terminating "."
 * came, -MX_E_BAD_REPLY (NUL byte, or a line after the end),
 * -MX_E_LINE_TOO_LONG, -MX_E_REPLY_TOO_LONG. */
int pop3_multi_feed(struct pop3_multi *m, const char *line, size_t len);
void pop3_multi_clear(struct pop3_multi *m);

/* The capabilities of a CAPA body: STLS -> starttls, USER -> pop3_user,
 * SASL mechs -> auth + auth_mechs; every line into lines, others into
 * unknown. greeting: the +OK text (may be NULL). */
void pop3_caps_parse(const char *greeting, const struct strvec *lines, struct smtp_caps *caps);

#endif
