/* \summary: IMAP responses, CAPABILITY, and the imap dialect of the
 * standard session (greeting, CAPABILITY, STARTTLS, LOGOUT).
 * specification: RFC 3501 / RFC 9051 section 7 (tagged, untagged and
 * continuation responses, response codes), section 6.1.1 (CAPABILITY),
 * section 6.2.1 (STARTTLS), section 6.2.3 (LOGINDISABLED), section 9
 * (tag and atom grammar); RFC 8314 (IMAPS, 993). */
#ifndef SRC_PROTO_IMAP_H
#define SRC_PROTO_IMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "report/model.h"

/* RFC 7162 section 4 asks clients to take lines of 8192 octets. */
#define IMAP_MAX_LINE	  8192
#define IMAP_MAX_TAG	  32
/* Untagged lines before the tagged one we wait for. */
#define IMAP_MAX_UNTAGGED 64

enum imap_kind {
	IMAP_UNTAGGED,
	IMAP_TAGGED,
	IMAP_CONTINUATION
};
enum imap_cond {
	IMAP_COND_NONE,
	IMAP_COND_OK,
	IMAP_COND_NO,
	IMAP_COND_BAD,
	IMAP_COND_BYE,
	IMAP_COND_PREAUTH
};

struct imap_response {
	enum imap_kind kind;
	char tag[IMAP_MAX_TAG + 1]; /* tagged only */
	enum imap_cond cond;	    /* NONE for untagged data ("* CAPABILITY ...") */
	char *code;		    /* response code without brackets, NULL if none (owned) */
	char *text;		    /* the rest: text after cond/code, or the data itself (owned) */
};

/* Parses one line (without CRLF). 0, or -MX_E_LINE_TOO_LONG past
 * IMAP_MAX_LINE, -MX_E_BAD_REPLY: NUL byte, a missing or invalid tag, a
 * tagged line without OK/NO/BAD, an unclosed response code, a literal
 * ("{n}" at the end: not expected where we read). */
int imap_response_parse(const char *line, size_t len, struct imap_response *r);
void imap_response_clear(struct imap_response *r);
const char *imap_cond_name(enum imap_cond c); /* "OK", ... "" for NONE */

/* The atoms of a CAPABILITY list ("IMAP4rev1 STARTTLS AUTH=PLAIN"):
 * STARTTLS -> starttls, LOGINDISABLED -> logindisabled, AUTH=x -> auth +
 * auth_mechs; every atom into lines, the others into unknown. Adds to
 * caps (valid set). */
void imap_caps_add(const char *atoms, struct smtp_caps *caps);

#endif
