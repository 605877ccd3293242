/* \summary: SMTP replies and EHLO capabilities.
 * specification: RFC 5321 section 4.2 (replies, multi-line replies),
 * RFC 3463 and RFC 2034 (enhanced status codes), RFC 5321 section 4.1.1.1
 * and the extensions' RFCs (capabilities). */
#ifndef SRC_PROTO_SMTP_H
#define SRC_PROTO_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "net/conn.h"
#include "report/model.h"
#include "util/util.h"

/* A multi-line reply may not go on forever. */
#define SMTP_MAX_REPLY_LINES 256

struct smtp_reply {
	int code;	    /* 0 until the first line */
	char enh[16];	    /* enhanced status code of the first line, "" if none */
	struct strvec text; /* each line's text, without code, separator and enhanced code */
	bool done;
};

/* Feeds one received line (without CRLF).
 * Returns 1 when more lines are expected, 0 when the reply is complete,
 * -MX_E_BAD_REPLY for a line that is not a reply line (or changes the
 * code inside a multi-line reply), -MX_E_REPLY_TOO_LONG. */
int smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len);
void smtp_reply_clear(struct smtp_reply *r);
/* Copies into the model's form (text lines joined with "\n"). */
void smtp_reply_to_info(const struct smtp_reply *r, struct reply_info *out);

/* Parses an enhanced status code "c.sss.ddd" at the start of text whose
 * class must match the reply's first digit. Returns its length (without
 * the following space) or 0. */
size_t smtp_enh_parse(const char *text, int code, char *out, size_t outlen);

/* Reads one complete reply with the deadline. 0 or a negative error. On
 * -MX_E_BAD_REPLY, *bad holds the offending line (escaped, owned). */
int smtp_read_reply(struct conn *c, struct smtp_reply *r, int64_t deadline, char **bad);

/* Parses the capabilities of a 250 reply to EHLO. */
void smtp_caps_parse(const struct smtp_reply *r, struct smtp_caps *caps);

#endif
