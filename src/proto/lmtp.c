/* \summary: LMTP is SMTP with LHLO instead of EHLO, and no HELO to fall
 * back to; replies, STARTTLS and QUIT are SMTP's.
 * specification: RFC 2033 section 4.1 ("The LHLO command is identical to
 * the EHLO command", "there is no HELO"), RFC 3207 (STARTTLS). */
#include "proto/dialect.h"
#include "proto/session.h"

const struct dialect dialect_lmtp = {
	.name = "lmtp",
	.port = 24,
	.tls_port = 0,
	.hello = "LHLO",
	.starttls_cmd = "STARTTLS",
	.starttls_ok = "220",
	.caps_where = "the LHLO reply",
	.starttls_rfc = "RFC 3207 section 4",
	.smtp_family = true,
	.greeting = session_smtp_greeting,
	.capabilities = session_smtp_hello,
	.starttls = session_smtp_starttls,
	.quit = session_smtp_quit,
};
