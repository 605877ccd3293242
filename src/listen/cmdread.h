/* \summary: mxprobe listen's reading of what a sending MTA says: command
 * lines cut from a byte stream under a length limit, SMTP commands and
 * their arguments, and the DATA section (dot-unstuffing, the end mark, the
 * header section kept up to a bound). Pure functions over bytes: no I/O,
 * so the fuzz target and the unit tests reach all of it.
 *
 * specification: RFC 5321 sections 2.3.8 (lines end in CRLF), 4.1.1
 * (commands), 4.1.2 (paths), 4.5.2 (transparency), 4.5.3.1.4 and
 * 4.5.3.1.6 (512-octet command lines, 1000-octet text lines); RFC 3207
 * (STARTTLS); RFC 5322 section 2.2 (header section). */
#ifndef SRC_LISTEN_CMDREAD_H
#define SRC_LISTEN_CMDREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* RFC 5321 4.5.3.1.4: 512 octets for a command line; 4.5.3.1.6: 1000 for a
 * text line. Both include the CRLF. */
#define LSN_CMD_LINE_MAX  512
#define LSN_TEXT_LINE_MAX 1000

/* Takes one line ending in LF (CRLF or a bare LF) from the front of in.
 * Returns 1 with *line (owned, NUL-terminated, without the line end; a NUL
 * inside stays a byte of *len) and consumes it; 0 when no complete line is
 * there yet and in holds fewer than max bytes; -1 when max bytes hold no
 * line end (the line is too long: in is left as it was). *bare_lf tells a
 * line that ended in LF alone (RFC 5321 2.3.8 wants CRLF). */
int lsn_line_take(struct buf *in, size_t max, char **line, size_t *len, bool *bare_lf);

enum lsn_verb {
	LSN_UNKNOWN = 0,
	LSN_EHLO,
	LSN_HELO,
	LSN_STARTTLS,
	LSN_MAIL,
	LSN_RCPT,
	LSN_DATA,
	LSN_BDAT,
	LSN_RSET,
	LSN_NOOP,
	LSN_QUIT,
	LSN_VRFY,
	LSN_EXPN,
	LSN_HELP,
	LSN_AUTH,
	LSN_EMPTY, /* an empty line */
};

struct lsn_cmd {
	enum lsn_verb verb;
	char *verb_text; /* the verb as sent, escaped (for the unknown ones), owned */
	char *arg;	 /* the rest after one space, escaped, owned; "" if none */
	/* MAIL FROM:<path> / RCPT TO:<path>: the path without brackets,
	 * escaped, owned (NULL if the syntax was wrong); "" is the null
	 * reverse-path <>. */
	char *path;
	bool syntax_ok; /* the arguments the verb needs are there and well formed */
	bool has_nul;	/* the line held a NUL or another control byte */
};

/* Parses one command line (without its line end). Verbs are
 * case-insensitive (RFC 5321 2.4). Never fails: what it cannot read is
 * LSN_UNKNOWN or syntax_ok false. Free with lsn_cmd_clear. */
void lsn_cmd_parse(const char *line, size_t len, struct lsn_cmd *out);
void lsn_cmd_clear(struct lsn_cmd *c);
const char *lsn_verb_name(enum lsn_verb v); /* "EHLO", ..., "?" */

/* The domain of a mailbox ("user@Example.COM" -> "example.com", lower
 * case, owned); NULL for the null path or a mailbox without one. */
char *lsn_path_domain(const char *path);

/* The DATA section as it arrives, line by line. */
struct lsn_msg {
	size_t max_size;     /* the message size limit (bytes, after unstuffing) */
	size_t max_headers;  /* the header section kept, at most (bytes) */
	size_t size;	     /* bytes of message read (counted even past max_size) */
	bool too_big;	     /* size passed max_size: 552 at the end */
	bool in_headers;     /* still in the header section */
	bool headers_cut;    /* the header section was longer than max_headers */
	bool bad_line_end;   /* a line ended in LF alone */
	unsigned long lines; /* lines read */
	struct buf headers;  /* the header section, CRLF-separated, as sent */
};

void lsn_msg_init(struct lsn_msg *m, size_t max_size, size_t max_headers);
void lsn_msg_clear(struct lsn_msg *m);
/* One line of the DATA section (without its line end). Returns 1 when it
 * is the end mark "." (RFC 5321 4.5.2: a line of one dot), else 0; a
 * leading dot of any other line is removed before counting. */
int lsn_msg_line(struct lsn_msg *m, const char *line, size_t len, bool bare_lf);

#endif
