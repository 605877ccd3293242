/* \summary: the dialect table, and SMTP's entry (its steps live in
 * proto/session.c, where the SMTP session always was).
 * specification: RFC 5321, RFC 3207. */
#include "proto/dialect.h"

#include <string.h>
#include <strings.h>

#include "proto/session.h"

const struct dialect dialect_smtp = {
	.name = "smtp",
	.port = 25,
	.tls_port = 465,
	.hello = "EHLO",
	.starttls_cmd = "STARTTLS",
	.starttls_ok = "220",
	.caps_where = "the EHLO reply",
	.starttls_rfc = "RFC 3207 section 4",
	.smtp_family = true,
	.greeting = session_smtp_greeting,
	.capabilities = session_smtp_hello,
	.starttls = session_smtp_starttls,
	.quit = session_smtp_quit,
};

static const struct dialect *const dialects[] = {
	&dialect_smtp, /* RFC 5321, STARTTLS RFC 3207 */
	&dialect_lmtp, /* RFC 2033: LHLO */
	&dialect_pop3, /* RFC 1939, CAPA RFC 2449, STLS RFC 2595 */
	&dialect_imap, /* RFC 3501/9051, STARTTLS */
	NULL,
};

const struct dialect *dialect_find(const char *name)
{
	if (!name)
		return &dialect_smtp;
	for (const struct dialect *const *d = dialects; *d; d++)
		if (strcasecmp((*d)->name, name) == 0)
			return *d;
	return &dialect_smtp;
}
