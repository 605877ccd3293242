/* \summary: a small scripted SMTP server on GnuTLS that misbehaves on
 * purpose, for the lab (`mxprobe lab`) and the test server (mxtestsrv).
 *
 * specification: RFC 5321 (SMTP), RFC 3207 (STARTTLS). The `good`
 * behaviour follows them; every other behaviour breaks one rule the way
 * real servers, firewalls or attackers do.
 *
 * The server runs in its own thread and handles one connection at a time.
 * Every wait (accept, each read, each write, each pause) also watches a stop
 * pipe and has a deadline, so a stuck client never blocks fakesrv_stop(). */
#ifndef SRC_LAB_FAKESRV_H
#define SRC_LAB_FAKESRV_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

/* X(enum suffix, name, one-line description) */
#define FAKESRV_BEHAVIOURS(X)                                                                                   \
	X(GOOD, "good", "well-behaved ESMTP server with STARTTLS, AUTH only after TLS")                         \
	X(NO_STARTTLS, "no-starttls", "EHLO never lists STARTTLS; STARTTLS answered 502")                       \
	X(STARTTLS_454, "starttls-454", "STARTTLS offered but answered 454 4.7.0")                              \
	X(GARBAGE_BANNER, "garbage-banner", "banner is binary garbage without a reply code")                    \
	X(ENDLESS_LINE, "endless-line", "sends 1 MiB without CRLF instead of a banner")                         \
	X(SILENT, "silent", "accepts the connection and never sends anything")                                  \
	X(CLOSE_MID_HANDSHAKE, "close-mid-handshake", "answers STARTTLS 220, reads the ClientHello and closes") \
	X(BANNER_421, "banner-421", "greets with 421 4.3.2 and closes")                                         \
	X(PLAINTEXT_AFTER_STARTTLS, "plaintext-after-starttls",                                                 \
	  "sends a plaintext line behind the STARTTLS 220 (injection)")                                         \
	X(TARPIT, "tarpit", "sends the banner one byte at a time, then behaves well")                           \
	X(EHLO_REFUSED, "ehlo-refused", "EHLO answered 502, HELO works, no STARTTLS")                           \
	X(STARTTLS_GARBAGE, "starttls-garbage", "answers STARTTLS with a line without a code")                  \
	X(INJECTION_VULNERABLE, "injection-vulnerable",                                                         \
	  "keeps commands pipelined behind STARTTLS and answers them inside TLS (CVE-2011-0411)")               \
	X(STRIP_STARTTLS, "strip-starttls",                                                                     \
	  "EHLO shows 250-XXXXXXXA instead of STARTTLS, STARTTLS gets 502 (Cisco ESMTP inspection)")            \
	X(STARTTLS_BY_NAME, "starttls-by-name",                                                                 \
	  "offers STARTTLS only to an address-literal EHLO name such as [127.0.0.1]")                           \
	X(AUTH_ECHO, "auth-echo",                                                                               \
	  "refuses AUTH PLAIN/LOGIN inside TLS with a 535 that echoes the credentials, raw and base64")         \
	X(HOSTILE_TEXT, "hostile-text",                                                                         \
	  "banner, EHLO and a 454 to STARTTLS carrying C1, bidi, ESC, DEL and invalid UTF-8 bytes")             \
	X(EXCHANGE_AUTH, "exchange-auth",                                                                       \
	  "AUTH NTLM GSSAPI before TLS, PLAIN and LOGIN only inside TLS (a stock Exchange front end)")          \
	X(EHLO_421, "ehlo-421", "greets with 220, answers EHLO 421 4.7.0 (rate limit) and closes")              \
	X(HELO_CHECK_RELAY, "helo-check-relay",                                                                 \
	  "550 to EHLO/HELO with an address literal or a .invalid name; relays to any domain otherwise")        \
	X(STARTTLS_ALERT, "starttls-alert", "answers STARTTLS 220, reads the ClientHello, sends a fatal alert") \
	X(LEGACY_SSL, "legacy-ssl",                                                                             \
	  "after STARTTLS answers an SSLv2 hello with SSLv2 and any other with an SSLv3 ServerHello")           \
	X(RESET, "reset", "accepts the connection and resets it at once (TCP RST)")

enum fakesrv_behaviour {
#define FAKESRV_ENUM(e, name, desc) FAKESRV_##e,
	FAKESRV_BEHAVIOURS(FAKESRV_ENUM)
#undef FAKESRV_ENUM
	FAKESRV__COUNT
};

/* { value, "name" } ... { 0, NULL } (tcpdump's tok tables). */
struct fakesrv_tok {
	int value;
	const char *name;
};
extern const struct fakesrv_tok fakesrv_behaviour_names[];

/* The behaviour for a name, or -1. */
int fakesrv_behaviour_parse(const char *name);
/* "good", ...; "?" for an unknown value. */
const char *fakesrv_behaviour_name(int b);
/* One line saying what the behaviour does; "" for an unknown value. */
const char *fakesrv_behaviour_desc(int b);

/* Called with one printable line per event (connection, command, reply
 * summary); from the server thread. */
typedef void (*fakesrv_log_fn)(void *user, const char *line);

struct fakesrv_cfg {
	const char *addr; /* numeric: "127.0.0.1", "::1" */
	uint16_t port;	  /* 0 = ephemeral */
	enum fakesrv_behaviour behaviour;
	const char *hostname;		       /* banner and EHLO name; NULL = "mail.lab.example" */
	gnutls_certificate_credentials_t cred; /* borrowed; must outlive the server */
	const char *priority;		       /* NULL = "NORMAL" */
	unsigned banner_delay_ms;	       /* pause before the banner (postscreen-like); 0 = none */
	unsigned tarpit_byte_ms;	       /* tarpit: pause per banner byte; 0 = 200 */
	unsigned read_timeout_ms;	       /* deadline of each read; 0 = 5000 */
	unsigned hold_ms;		       /* silent / endless-line / garbage holds; 0 = their default */
	fakesrv_log_fn log;		       /* may be NULL */
	void *log_user;
};

struct fakesrv;

/* Binds, listens and starts the server thread. NULL with a message in err.
 * The configuration's strings are copied; cred is borrowed. */
struct fakesrv *fakesrv_start(const struct fakesrv_cfg *cfg, char *err, size_t errlen);
/* The port actually bound. */
uint16_t fakesrv_port(const struct fakesrv *srv);
/* Connections accepted so far. */
unsigned fakesrv_connections(const struct fakesrv *srv);
/* Stops the thread (ending any connection at its next wait), joins it and
 * frees the server. NULL is a no-op. */
void fakesrv_stop(struct fakesrv *srv);

#endif
