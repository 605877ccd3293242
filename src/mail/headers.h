/* \summary: mxprobe headers: one delivered message in the results model:
 * its Received chain hop by hop (received.h) and the headers.* findings
 * judged under the policy (docs/findings.md).
 *
 * specification: RFC 5321 section 4.4, RFC 3848, RFC 8996 (TLS 1.0/1.1),
 * RFC 7525 (weak suites). The report owns it (report_clear frees it). */
#ifndef SRC_MAIL_HEADERS_H
#define SRC_MAIL_HEADERS_H

#include <stdio.h>

#include "core/options.h"
#include "mail/received.h"
#include "report/model.h"

struct message_result {
	char *source; /* the file name as given, "-" for standard input; escaped */
	struct mail_headers h;
	struct probe_result checks; /* headers.* findings */
};

/* Reads the header section of a message from f (a file or standard input):
 * up to the first empty line, at most MAIL_MAX_HEADER_BYTES (then
 * *truncated is set). *out is owned by the caller, NUL-terminated. 0, or -1
 * with the reason in err (a read error, nothing read). */
int mail_read_headers(FILE *f, char **out, size_t *len, bool *truncated, char *err, size_t errlen);

/* Opens path for mail_read_headers: "-" is standard input; a path must be a
 * regular file (a directory, a FIFO or a device is refused without
 * blocking). Fail closed: 0, or -1 with the reason in err. *out as above. */
int mail_load(const char *path, char **out, size_t *len, bool *truncated, char *err, size_t errlen);

/* Parses the header section p and adds one message to the report with its
 * findings under policy. -1 (err set) when p holds no header field at all. */
int mail_check(struct report *rep, const char *source, const char *p, size_t len, bool truncated, enum policy policy,
	       char *err, size_t errlen);

/* Judges a parsed message into m->checks (exposed for the unit tests). */
void mail_judge(struct message_result *m, enum policy policy);

struct message_result *report_add_message(struct report *r, const char *source);
void report_messages_clear(struct report *r);

/* Exit status over the messages (as engine_exit_code: 1 a failed finding,
 * 3 an error finding), folded into status. */
int mail_exit_code(const struct report *r, int status);

#endif
