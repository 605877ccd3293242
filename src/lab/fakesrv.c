/* \summary: a scripted SMTP server that misbehaves on purpose.
 *
 * specification: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 3030 (CHUNKING).
 *
 * One thread accepts and serves one connection at a time. Every wait goes
 * through wait_fd(), which polls the connection and the stop pipe with a
 * deadline; GnuTLS runs over push/pull functions built on the same waits,
 * so fakesrv_stop() ends a connection at its next wait, TLS or not. */
#include "lab/fakesrv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

#define FAKESRV_LINE_MAX      4096 /* RFC 5321 asks for 512; we are lenient */
#define FAKESRV_DEFAULT_HOST  "mail.lab.example"
#define FAKESRV_ENDLESS_BYTES (1024 * 1024)
#define FAKESRV_ENDLESS_CHUNK 16384
#define FAKESRV_BDAT_MAX      (16 * 1024 * 1024)

/* hostile-text: what a terminal or a JSON consumer must never get raw:
 * C1 CSI (U+009B) as UTF-8, RIGHT-TO-LEFT OVERRIDE (U+202E), LEFT-TO-RIGHT
 * ISOLATE (U+2066), ESC, BEL, DEL, invalid UTF-8 (0xFF, a lone 0xC3, an
 * overlong NUL), LINE SEPARATOR (U+2028). */
#define HOSTILE_TEXT                                              \
	"c1:\xC2\x9B"                                             \
	"31m bidi:\xE2\x80\xAE"                                   \
	"gnp.exe iso:\xE2\x81\xA6 esc:\x1B]0;pwned\x07 del:\x7F " \
	"bad:\xFF\xC3 overlong:\xC0\x80 ls:\xE2\x80\xA8 ok:caf\xC3\xA9"

const struct fakesrv_tok fakesrv_behaviour_names[] = {
#define FAKESRV_TOK(e, name, desc) { FAKESRV_##e, name },
	FAKESRV_BEHAVIOURS(FAKESRV_TOK)
#undef FAKESRV_TOK
		{ 0, NULL },
};

static const char *const behaviour_desc[] = {
#define FAKESRV_DESC(e, name, desc) [FAKESRV_##e] = desc,
	FAKESRV_BEHAVIOURS(FAKESRV_DESC)
#undef FAKESRV_DESC
};

struct fakesrv {
	struct fakesrv_cfg cfg; /* strings point to the copies below */
	char *addr, *hostname, *priority;
	int lfd;
	int stop_rd, stop_wr;
	uint16_t port;
	pthread_t thread;
	atomic_uint nconn;
};

/* One client connection. */
struct conn {
	struct fakesrv *srv;
	int fd;
	char peer[80];
	gnutls_session_t tls; /* NULL until STARTTLS succeeded */
	int64_t deadline;     /* of the current TLS operation (mono_us) */
	bool stopped;	      /* the stop pipe fired */
	char buf[FAKESRV_LINE_MAX + 1];
	size_t len;
	bool greeted;		 /* HELO/EHLO seen (since TLS started) */
	bool in_mail, have_rcpt; /* mail transaction state */
	bool ehlo_literal;	 /* starttls-by-name: the last EHLO name was an address literal */
};

/* Handler result: go on reading commands, or end the connection. */
enum cmd_next {
	CMD_CONTINUE,
	CMD_CLOSE
};

/* ---- names --------------------------------------------------------- */

int fakesrv_behaviour_parse(const char *name)
{
	for (const struct fakesrv_tok *t = fakesrv_behaviour_names; name && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t->value;
	return -1;
}

const char *fakesrv_behaviour_name(int b)
{
	for (const struct fakesrv_tok *t = fakesrv_behaviour_names; t->name; t++)
		if (t->value == b)
			return t->name;
	return "?";
}

const char *fakesrv_behaviour_desc(int b)
{
	if (b < 0 || b >= FAKESRV__COUNT)
		return "";
	return behaviour_desc[b];
}

/* ---- logging ------------------------------------------------------- */

static void srv_log(const struct fakesrv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void srv_log(const struct fakesrv *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!s->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.log_user, line);
}

/* Logs untrusted bytes escaped, with a direction marker. */
static void log_bytes(const struct conn *c, const char *dir, const void *p, size_t n)
{
	if (!c->srv->cfg.log)
		return;
	char *esc = str_escape(p, n, 200);
	srv_log(c->srv, "%s %s %s", c->peer, dir, esc);
	free(esc);
}

/* ---- waiting ------------------------------------------------------- */

static int ms_until(int64_t deadline)
{
	int64_t d = deadline - mono_us();
	if (d <= 0)
		return 0;
	d = (d + 999) / 1000;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static int64_t after_ms(unsigned ms)
{
	return mono_us() + (int64_t)ms * 1000;
}

static unsigned read_timeout_ms(const struct fakesrv *s)
{
	return s->cfg.read_timeout_ms ? s->cfg.read_timeout_ms : 5000;
}

/* 1 when fd is ready for events, 0 at the deadline, -1 when stopped or on
 * a poll error. */
static int wait_fd(struct conn *c, short events, int64_t deadline)
{
	struct pollfd p[2] = {
		{ .fd = c->fd, .events = events },
		{ .fd = c->srv->stop_rd, .events = POLLIN },
	};

	for (;;) {
		int r = poll(p, 2, ms_until(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (p[1].revents) {
			c->stopped = true;
			return -1;
		}
		if (p[0].revents)
			return 1;
		if (mono_us() >= deadline)
			return 0;
	}
}

/* Sleeps ms unless stopped; -1 when stopped. */
static int pause_ms(struct conn *c, unsigned ms)
{
	struct pollfd p = { .fd = c->srv->stop_rd, .events = POLLIN };
	int64_t deadline = after_ms(ms);

	for (;;) {
		int r = poll(&p, 1, ms_until(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0) {
			c->stopped = true;
			return -1;
		}
		if (mono_us() >= deadline)
			return 0;
	}
}

/* ---- plaintext I/O ------------------------------------------------- */

/* Acknowledges what arrived at once (TCP_QUICKACK, which Linux does not
 * keep: re-armed after every read), so a client whose reply sits behind
 * Nagle waiting for our ACK is not held up by our delayed ACK. */
static void quickack(const struct conn *c)
{
	int one = 1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Sends all of p; -1 if the client went away, the stop pipe fired or the
 * client did not read for a read timeout. */
static int raw_send(struct conn *c, const void *p, size_t n)
{
	const char *q = p;
	int64_t deadline = after_ms(read_timeout_ms(c->srv));

	while (n > 0) {
		ssize_t w = send(c->fd, q, n, MSG_NOSIGNAL);
		if (w > 0) {
			q += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(c, POLLOUT, deadline) == 1)
			continue;
		return -1;
	}
	return 0;
}

/* >0 bytes, 0 at EOF, -1 on error, timeout or stop. */
static ssize_t raw_recv(struct conn *c, void *p, size_t n, int64_t deadline)
{
	for (;;) {
		if (wait_fd(c, POLLIN, deadline) != 1)
			return -1;
		ssize_t r = recv(c->fd, p, n, 0);
		if (r > 0)
			quickack(c);
		if (r >= 0)
			return r;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
	}
}

/* Keeps the connection open, discarding input, until the client closes,
 * ms pass or the server stops. */
static void hold(struct conn *c, unsigned ms)
{
	char sink[4096];
	int64_t deadline = after_ms(ms);

	for (;;) {
		ssize_t r = raw_recv(c, sink, sizeof sink, deadline);
		if (r == 0) {
			srv_log(c->srv, "%s closed the connection during the hold", c->peer);
			return;
		}
		if (r < 0) {
			srv_log(c->srv, "%s hold ended", c->peer);
			return;
		}
		log_bytes(c, "<", sink, (size_t)r);
	}
}

/* ---- GnuTLS transport over the same waits -------------------------- */

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct conn *c = ptr;
	int w = wait_fd(c, POLLIN, c->deadline);

	if (w != 1) {
		gnutls_transport_set_errno(c->tls, w == 0 ? ETIMEDOUT : ECANCELED);
		return -1;
	}
	ssize_t r = recv(c->fd, data, len, 0);
	if (r > 0)
		quickack(c);
	if (r < 0)
		gnutls_transport_set_errno(c->tls, errno);
	return r;
}

static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct conn *c = ptr;
	int64_t deadline = c->deadline;

	if (ms != GNUTLS_INDEFINITE_TIMEOUT && after_ms(ms) < deadline)
		deadline = after_ms(ms);
	int w = wait_fd(c, POLLIN, deadline);
	return w < 0 ? -1 : w;
}

/* Vectored: a whole flight (ServerHello to Finished) leaves in one
 * sendmsg, as the client's does (tls/tls.c). */
static ssize_t tls_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct conn *c = ptr;
	struct msghdr m = { .msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)iovcnt };

	for (;;) {
		ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (w >= 0)
			return w;
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(c, POLLOUT, c->deadline) == 1)
			continue;
		gnutls_transport_set_errno(c->tls, errno);
		return -1;
	}
}

/* Whether a GnuTLS call that returned ret should be repeated. */
static bool tls_again(const struct conn *c, int ret)
{
	return (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) && !c->stopped && mono_us() < c->deadline;
}

/* ---- connection I/O: plaintext or TLS ------------------------------ */

static int conn_send(struct conn *c, const void *p, size_t n)
{
	const char *q = p;

	if (!c->tls)
		return raw_send(c, p, n);
	c->deadline = after_ms(read_timeout_ms(c->srv));
	while (n > 0) {
		ssize_t w = gnutls_record_send(c->tls, q, n);
		if (w > 0) {
			q += w;
			n -= (size_t)w;
			continue;
		}
		if (!tls_again(c, (int)w))
			return -1;
	}
	return 0;
}

/* >0 bytes, 0 at EOF, -1 on error, timeout or stop. */
static ssize_t conn_recv(struct conn *c, void *p, size_t n)
{
	c->deadline = after_ms(read_timeout_ms(c->srv));
	if (!c->tls)
		return raw_recv(c, p, n, c->deadline);
	for (;;) {
		ssize_t r = gnutls_record_recv(c->tls, p, n);
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (!tls_again(c, (int)r)) {
			srv_log(c->srv, "%s TLS read: %s", c->peer, gnutls_strerror((int)r));
			return -1;
		}
	}
}

/* A reply or several, formatted, sent in one write. */
static int reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(s);
	log_bytes(c, ">", s, n);
	int rc = conn_send(c, s, n);
	free(s);
	return rc;
}

enum {
	LINE_EOF = -1,
	LINE_TOO_LONG = -2,
	LINE_TIMEOUT = -3
};

/* Next line without CRLF into line (cap >= FAKESRV_LINE_MAX + 1): its
 * length, or LINE_EOF (closed, error, stopped), LINE_TOO_LONG,
 * LINE_TIMEOUT. */
static ssize_t read_line(struct conn *c, char *line)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			size_t used = n + 1;
			if (n > 0 && c->buf[n - 1] == '\r')
				n--;
			memcpy(line, c->buf, n);
			line[n] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return (ssize_t)n;
		}
		if (c->len >= FAKESRV_LINE_MAX)
			return LINE_TOO_LONG;
		int64_t started = mono_us();
		ssize_t r = conn_recv(c, c->buf + c->len, FAKESRV_LINE_MAX - c->len);
		if (r <= 0) {
			bool timed_out =
				r < 0 && !c->stopped && mono_us() - started >= (int64_t)read_timeout_ms(c->srv) * 1000;
			return timed_out ? LINE_TIMEOUT : LINE_EOF;
		}
		c->len += (size_t)r;
	}
}

/* ---- the SMTP dialogue --------------------------------------------- */

static const char *host(const struct conn *c)
{
	return c->srv->cfg.hostname;
}

static enum fakesrv_behaviour behaviour(const struct conn *c)
{
	return c->srv->cfg.behaviour;
}

static bool offers_starttls(const struct conn *c)
{
	switch (behaviour(c)) {
	case FAKESRV_NO_STARTTLS:
	case FAKESRV_EHLO_REFUSED:
	case FAKESRV_STRIP_STARTTLS:
		return false;
	case FAKESRV_STARTTLS_BY_NAME:
		return !c->tls && c->ehlo_literal;
	default:
		return !c->tls;
	}
}

static void transaction_reset(struct conn *c)
{
	c->in_mail = false;
	c->have_rcpt = false;
}

/* helo-check-relay: Postfix's reject_non_fqdn_helo_hostname and
 * reject_unknown_helo_hostname refuse such names with a 5xx. */
static bool helo_name_refused(const struct conn *c, const char *arg)
{
	size_t n = strlen(arg);
	return behaviour(c) == FAKESRV_HELO_CHECK_RELAY &&
	       (arg[0] == '[' || !strchr(arg, '.') || (n >= 8 && strcasecmp(arg + n - 8, ".invalid") == 0));
}

/* The AUTH line of an EHLO reply: none before TLS, but for exchange-auth. */
static const char *auth_line(const struct conn *c)
{
	if (behaviour(c) == FAKESRV_EXCHANGE_AUTH)
		return c->tls ? "250-AUTH NTLM GSSAPI PLAIN LOGIN\r\n" : "250-AUTH NTLM GSSAPI\r\n";
	return c->tls ? "250-AUTH PLAIN LOGIN\r\n" : "";
}

static enum cmd_next cmd_ehlo(struct conn *c, const char *arg)
{
	if (behaviour(c) == FAKESRV_EHLO_REFUSED)
		return reply(c, "502 5.5.2 Error: command not recognized\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	if (!*arg)
		return reply(c, "501 5.5.4 Syntax: EHLO hostname\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	if (behaviour(c) == FAKESRV_EHLO_421) {
		reply(c, "421 4.7.0 %s Error: too many connections from your address, try again later\r\n", host(c));
		return CMD_CLOSE;
	}
	if (helo_name_refused(c, arg))
		return reply(c, "550 5.7.1 <%s>: Helo command rejected: need fully-qualified hostname\r\n", arg)
			       ? CMD_CLOSE
			       : CMD_CONTINUE;
	c->greeted = true;
	c->ehlo_literal = arg[0] == '[';
	transaction_reset(c);
	/* strip-starttls: what a Cisco ASA with ESMTP inspection leaves of
	 * 250-STARTTLS. */
	const char *tls_line = offers_starttls(c)				   ? "250-STARTTLS\r\n"
			       : behaviour(c) == FAKESRV_STRIP_STARTTLS && !c->tls ? "250-XXXXXXXA\r\n"
										   : "";
	/* No AUTH before TLS: a password must never cross in the clear. */
	if (behaviour(c) == FAKESRV_HOSTILE_TEXT)
		return reply(c, "250-%s %s\r\n250-X-EVIL %s\r\n250-STARTTLS\r\n250 8BITMIME\r\n", host(c), HOSTILE_TEXT,
			     HOSTILE_TEXT)
			       ? CMD_CLOSE
			       : CMD_CONTINUE;
	return reply(c,
		     "250-%s\r\n"
		     "250-PIPELINING\r\n"
		     "250-SIZE 10240000\r\n"
		     "%s"
		     "%s"
		     "250-ENHANCEDSTATUSCODES\r\n"
		     "250-8BITMIME\r\n"
		     "250-CHUNKING\r\n"
		     "250 SMTPUTF8\r\n",
		     host(c), tls_line, auth_line(c))
		       ? CMD_CLOSE
		       : CMD_CONTINUE;
}

static enum cmd_next cmd_helo(struct conn *c, const char *arg)
{
	if (!*arg)
		return reply(c, "501 5.5.4 Syntax: HELO hostname\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	if (helo_name_refused(c, arg))
		return reply(c, "550 5.7.1 <%s>: Helo command rejected: need fully-qualified hostname\r\n", arg)
			       ? CMD_CLOSE
			       : CMD_CONTINUE;
	c->greeted = true;
	transaction_reset(c);
	return reply(c, "250 %s\r\n", host(c)) ? CMD_CLOSE : CMD_CONTINUE;
}

static enum cmd_next tls_handshake(struct conn *c)
{
	const struct fakesrv_cfg *cfg = &c->srv->cfg;
	int ret;

	/* Whatever the client pipelined behind STARTTLS was sent in the clear
	 * and must not be read as if it came through TLS (CVE-2011-0411);
	 * injection-vulnerable keeps it, as the vulnerable servers did. */
	if (c->len && behaviour(c) == FAKESRV_INJECTION_VULNERABLE) {
		srv_log(c->srv, "%s keeping %zu plaintext bytes sent behind STARTTLS (vulnerable)", c->peer, c->len);
	} else if (c->len) {
		srv_log(c->srv, "%s discarding %zu plaintext bytes sent behind STARTTLS", c->peer, c->len);
		c->len = 0;
	}
	if ((ret = gnutls_init(&c->tls, GNUTLS_SERVER)) < 0)
		goto fail;
	if ((ret = gnutls_priority_set_direct(c->tls, cfg->priority, NULL)) < 0)
		goto fail;
	if ((ret = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cfg->cred)) < 0)
		goto fail;
	gnutls_transport_set_ptr(c->tls, c);
	gnutls_transport_set_vec_push_function(c->tls, tls_push);
	gnutls_transport_set_pull_function(c->tls, tls_pull);
	gnutls_transport_set_pull_timeout_function(c->tls, tls_pull_timeout);
	gnutls_handshake_set_timeout(c->tls, 0); /* our deadline is in the pull function */
	c->deadline = after_ms(read_timeout_ms(c->srv));
	do
		ret = gnutls_handshake(c->tls);
	while (ret < 0 &&
	       (tls_again(c, ret) || (!gnutls_error_is_fatal(ret) && !c->stopped && mono_us() < c->deadline)));
	if (ret < 0)
		goto fail;
	if (c->srv->cfg.log) {
		char *desc = gnutls_session_get_desc(c->tls);
		srv_log(c->srv, "%s TLS up: %s", c->peer, desc ? desc : "?");
		gnutls_free(desc);
	}
	/* RFC 3207 section 4.2: "The server MUST discard any knowledge obtained
	 * from the client, such as the argument to the EHLO command, which was
	 * not obtained from the TLS negotiation itself." */
	c->greeted = false;
	transaction_reset(c);
	return CMD_CONTINUE;
fail:
	srv_log(c->srv, "%s TLS handshake failed: %s", c->peer, gnutls_strerror(ret));
	if (c->tls) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
	return CMD_CLOSE;
}

/* starttls-alert: take the ClientHello, answer with a fatal
 * handshake_failure alert (RFC 8446 section 6: level 2, description 40)
 * in a TLS 1.2 record, and hang up: no ServerHello, no CertificateRequest. */
static enum cmd_next read_hello_and_alert(struct conn *c)
{
	static const unsigned char alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
	char hello[4096];
	ssize_t r = raw_recv(c, hello, sizeof hello, after_ms(read_timeout_ms(c->srv)));

	srv_log(c->srv, "%s read %zd bytes of ClientHello, sending alert handshake_failure", c->peer, r);
	if (r > 0)
		raw_send(c, alert, sizeof alert);
	return CMD_CLOSE;
}

/* close-mid-handshake: take the first bytes of the ClientHello, then hang up. */
static enum cmd_next read_hello_and_close(struct conn *c)
{
	char hello[4096];
	ssize_t r = raw_recv(c, hello, sizeof hello, after_ms(read_timeout_ms(c->srv)));

	srv_log(c->srv, "%s read %zd bytes of ClientHello, closing", c->peer, r);
	return CMD_CLOSE;
}

/* legacy-ssl: what a server of the 1990s answers, no more than the first
 * flight (no key exchange: the client never gets that far). An SSLv2
 * CLIENT-HELLO gets an SSLv2 SERVER-HELLO with the kinds both sides have
 * (DES-CBC3-MD5, RC4-MD5); any other hello an SSLv3 ServerHello with the
 * first of DES-CBC3-SHA, RC4-SHA the client offers, or handshake_failure.
 * specification: draft-hickman-netscape-ssl-00, RFC 6101 section 5.6.1. */
static enum cmd_next answer_legacy_ssl(struct conn *c)
{
	static const uint32_t v2_kinds[] = { 0x0700C0, 0x010080 };
	static const unsigned v3_suites[] = { 0x000A, 0x0005 };
	static const unsigned char alert[] = { 0x15, 0x03, 0x00, 0x00, 0x02, 0x02, 0x28 };
	unsigned char in[4096], out[128];
	size_t n = 0, o = 0;
	while (n < 5) { /* enough to know the record's length */
		ssize_t r = raw_recv(c, in + n, sizeof in - n, after_ms(read_timeout_ms(c->srv)));
		if (r <= 0)
			return CMD_CLOSE;
		n += (size_t)r;
	}
	if (in[0] & 0x80) { /* SSLv2: 2-byte header, CLIENT-HELLO */
		size_t len = (size_t)(in[0] & 0x7f) << 8 | in[1];
		if (len < 9 || len + 2 > n || in[2] != 1)
			return CMD_CLOSE;
		size_t speclen = (size_t)in[5] << 8 | in[6];
		const unsigned char *spec = in + 2 + 9;
		if (9 + speclen > len)
			return CMD_CLOSE;
		unsigned char kinds[6];
		size_t nk = 0;
		for (size_t k = 0; k < 2; k++)
			for (size_t i = 0; i + 3 <= speclen; i += 3)
				if (((uint32_t)spec[i] << 16 | (uint32_t)spec[i + 1] << 8 | spec[i + 2]) ==
				    v2_kinds[k]) {
					kinds[nk++] = (unsigned char)(v2_kinds[k] >> 16);
					kinds[nk++] = (unsigned char)(v2_kinds[k] >> 8);
					kinds[nk++] = (unsigned char)v2_kinds[k];
					break;
				}
		/* SERVER-HELLO: no certificate (the client stops here), the
		 * kinds, a 16-byte connection id. */
		size_t body = 11 + nk + 16;
		out[o++] = (unsigned char)(0x80 | body >> 8);
		out[o++] = (unsigned char)body;
		const unsigned char head[] = { 4, 0, 1, 0x00, 0x02, 0, 0, 0, (unsigned char)nk, 0, 16 };
		memcpy(out + o, head, sizeof head);
		o += sizeof head;
		memcpy(out + o, kinds, nk);
		o += nk;
		memset(out + o, 0x5a, 16);
		o += 16;
		raw_send(c, out, o);
		hold(c, 200);
		return CMD_CLOSE;
	}
	/* TLS record: handshake, ClientHello; the suites are what matters. */
	size_t rlen = (size_t)in[3] << 8 | in[4];
	while (n < 5 + rlen && n < sizeof in) {
		ssize_t r = raw_recv(c, in + n, sizeof in - n, after_ms(read_timeout_ms(c->srv)));
		if (r <= 0)
			return CMD_CLOSE;
		n += (size_t)r;
	}
	if (in[0] != 22 || n < 5 + rlen || rlen < 4 + 2 + 32 + 1 || in[5] != 1)
		return CMD_CLOSE;
	const unsigned char *p = in + 9, *end = in + 5 + rlen;
	p += 2 + 32;
	p += 1 + p[0];
	if (p + 2 > end)
		return CMD_CLOSE;
	size_t cslen = (size_t)p[0] << 8 | p[1];
	p += 2;
	if (p + cslen > end)
		return CMD_CLOSE;
	unsigned pick = 0;
	for (size_t k = 0; k < 2 && !pick; k++)
		for (size_t i = 0; i + 2 <= cslen; i += 2)
			if (((unsigned)p[i] << 8 | p[i + 1]) == v3_suites[k])
				pick = v3_suites[k];
	if (!pick) {
		raw_send(c, alert, sizeof alert);
		return CMD_CLOSE;
	}
	/* ServerHello (SSL 3.0, 32-byte random, no session id, no
	 * extensions) and ServerHelloDone, one record. */
	const unsigned char rec[] = { 22, 3, 0, 0, 4 + 38 + 4, 2, 0, 0, 38, 3, 0 };
	memcpy(out, rec, sizeof rec);
	o = sizeof rec;
	memset(out + o, 0x42, 32);
	o += 32;
	out[o++] = 0;
	out[o++] = (unsigned char)(pick >> 8);
	out[o++] = (unsigned char)pick;
	out[o++] = 0;
	const unsigned char done[] = { 14, 0, 0, 0 };
	memcpy(out + o, done, sizeof done);
	o += sizeof done;
	raw_send(c, out, o);
	hold(c, 200);
	return CMD_CLOSE;
}

static unsigned hold_ms(const struct conn *c, unsigned dflt)
{
	return c->srv->cfg.hold_ms ? c->srv->cfg.hold_ms : dflt;
}

static enum cmd_next cmd_starttls(struct conn *c, const char *arg)
{
	static const char ready[] = "220 2.0.0 Ready to start TLS\r\n";
	static const char injected[] = "220 2.0.0 Ready to start TLS\r\n250 injected plaintext\r\n";

	if (c->tls)
		return reply(c, "554 5.5.1 Error: TLS already active\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	/* RFC 3207 section 4: "The STARTTLS keyword is used to tell the SMTP
	 * client that the SMTP server is currently able to negotiate the use
	 * of TLS. It takes no parameters." */
	if (*arg)
		return reply(c, "501 5.5.4 Syntax: STARTTLS\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	switch (behaviour(c)) {
	case FAKESRV_NO_STARTTLS:
	case FAKESRV_EHLO_REFUSED:
		return reply(c, "502 5.5.1 STARTTLS not available\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	case FAKESRV_STRIP_STARTTLS:
		/* The inspection turned the command into XXXXXXXX on the way. */
		return reply(c, "502 5.5.2 Error: command not recognized\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	case FAKESRV_STARTTLS_454:
		return reply(c, "454 4.7.0 TLS not available due to local problem\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	case FAKESRV_HOSTILE_TEXT:
		return reply(c, "454 4.7.0 %s\r\n", HOSTILE_TEXT) ? CMD_CLOSE : CMD_CONTINUE;
	case FAKESRV_STARTTLS_GARBAGE:
		if (reply(c, "TLS GO\r\n") == 0)
			hold(c, hold_ms(c, 10000));
		return CMD_CLOSE;
	case FAKESRV_CLOSE_MID_HANDSHAKE:
		if (reply(c, "%s", ready))
			return CMD_CLOSE;
		return read_hello_and_close(c);
	case FAKESRV_STARTTLS_ALERT:
		if (reply(c, "%s", ready))
			return CMD_CLOSE;
		return read_hello_and_alert(c);
	case FAKESRV_LEGACY_SSL:
		if (reply(c, "%s", ready))
			return CMD_CLOSE;
		return answer_legacy_ssl(c);
	case FAKESRV_PLAINTEXT_AFTER_STARTTLS:
		/* Both lines in one write, as a man in the middle injecting a
		 * reply would make them arrive (curl's test980). */
		if (reply(c, "%s", injected))
			return CMD_CLOSE;
		return tls_handshake(c);
	default:
		if (!c->srv->cfg.cred)
			return reply(c, "454 4.7.0 TLS not available: no certificate\r\n") ? CMD_CLOSE : CMD_CONTINUE;
		if (reply(c, "%s", ready))
			return CMD_CLOSE;
		return tls_handshake(c);
	}
}

static enum cmd_next cmd_mail(struct conn *c, const char *arg)
{
	const char *r;

	if (!c->greeted)
		r = "503 5.5.1 Error: send HELO/EHLO first\r\n";
	else if (c->in_mail)
		r = "503 5.5.1 Error: nested MAIL command\r\n";
	else if (!str_has_prefix_ci(arg, "FROM:"))
		r = "501 5.5.4 Syntax: MAIL FROM:<address>\r\n";
	else {
		c->in_mail = true;
		r = "250 2.1.0 Ok\r\n";
	}
	return reply(c, "%s", r) ? CMD_CLOSE : CMD_CONTINUE;
}

/* Whether a recipient domain is ours: the host name or a parent of it
 * ("lab.example" for "mail.lab.example"). Anything else would be relaying. */
static bool domain_is_local(const struct conn *c, const char *dom, size_t n)
{
	const char *h = host(c);
	size_t hl = strlen(h);

	if (n == hl && strncasecmp(h, dom, n) == 0)
		return true;
	return n > 0 && n < hl && h[hl - n - 1] == '.' && strncasecmp(h + hl - n, dom, n) == 0;
}

static enum cmd_next cmd_rcpt(struct conn *c, const char *arg)
{
	const char *lt = strchr(arg, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;

	if (!c->in_mail)
		return reply(c, "503 5.5.1 Error: need MAIL command\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	if (!str_has_prefix_ci(arg, "TO:") || !gt)
		return reply(c, "501 5.5.4 Syntax: RCPT TO:<address>\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	const char *at = memchr(lt, '@', (size_t)(gt - lt));
	/* RFC 5321 section 4.5.1: <postmaster> without a domain must work.
	 * helo-check-relay relays for anyone it let past HELO. */
	if (at && behaviour(c) != FAKESRV_HELO_CHECK_RELAY && !domain_is_local(c, at + 1, (size_t)(gt - at - 1)))
		return reply(c, "554 5.7.1 <%.*s>: Relay access denied\r\n", (int)(gt - lt - 1), lt + 1) ? CMD_CLOSE
													 : CMD_CONTINUE;
	c->have_rcpt = true;
	return reply(c, "250 2.1.5 Ok\r\n") ? CMD_CLOSE : CMD_CONTINUE;
}

static enum cmd_next cmd_data(struct conn *c, const char *arg)
{
	(void)arg;
	transaction_reset(c);
	return reply(c, "554 5.7.1 Error: this lab server accepts no mail\r\n") ? CMD_CLOSE : CMD_CONTINUE;
}

/* RFC 3030 section 2: BDAT carries exactly n octets after the command line;
 * read them past so they are not taken for commands. */
static enum cmd_next cmd_bdat(struct conn *c, const char *arg)
{
	char *end;
	unsigned long long n = strtoull(arg, &end, 10);

	/* Without a size we cannot tell the data from the next command: hang up. */
	if (end == arg || n > FAKESRV_BDAT_MAX) {
		reply(c, "501 5.5.4 Syntax: BDAT count [LAST]\r\n");
		return CMD_CLOSE;
	}
	while (n > 0) {
		if (c->len == 0) {
			ssize_t r = conn_recv(c, c->buf, sizeof c->buf - 1);
			if (r <= 0)
				return CMD_CLOSE;
			c->len = (size_t)r;
		}
		size_t take = c->len < n ? c->len : (size_t)n;
		memmove(c->buf, c->buf + take, c->len - take);
		c->len -= take;
		n -= take;
	}
	return cmd_data(c, "");
}

static enum cmd_next cmd_rset(struct conn *c, const char *arg)
{
	(void)arg;
	transaction_reset(c);
	return reply(c, "250 2.0.0 Ok\r\n") ? CMD_CLOSE : CMD_CONTINUE;
}

static enum cmd_next cmd_noop(struct conn *c, const char *arg)
{
	(void)arg;
	return reply(c, "250 2.0.0 Ok\r\n") ? CMD_CLOSE : CMD_CONTINUE;
}

static enum cmd_next cmd_vrfy(struct conn *c, const char *arg)
{
	(void)arg;
	return reply(c, "252 2.0.0 Cannot VRFY user, but will accept message\r\n") ? CMD_CLOSE : CMD_CONTINUE;
}

/* base64 text -> bytes (NUL-terminated copy), NULL if it is not base64. */
static char *b64_decode(const char *s, size_t *len)
{
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)s, (unsigned)strlen(s) }, out = { NULL, 0 };
	if (gnutls_base64_decode2(&in, &out) < 0)
		return NULL;
	char *r = xmalloc(out.size + 1);
	memcpy(r, out.data, out.size);
	r[out.size] = '\0';
	*len = out.size;
	gnutls_free(out.data);
	return r;
}

static char *b64_encode(const char *p, size_t n)
{
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)p, (unsigned)n }, out = { NULL, 0 };
	if (gnutls_base64_encode2(&in, &out) < 0)
		return xstrdup("");
	char *r = xstrndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return r;
}

/* auth-echo: what a hostile or careless server may do with credentials:
 * send them back, in every form it got them and decoded (issue 8). */
static enum cmd_next auth_echo(struct conn *c, const char *arg)
{
	char line[FAKESRV_LINE_MAX + 1], user_line[FAKESRV_LINE_MAX + 1] = "";
	const char *blob = NULL;
	bool login = str_has_prefix_ci(arg, "LOGIN");
	if (str_has_prefix_ci(arg, "PLAIN ")) {
		blob = arg + 6;
	} else if (str_has_prefix_ci(arg, "PLAIN") || login) {
		if (login) {
			if (reply(c, "334 VXNlcm5hbWU6\r\n") || read_line(c, user_line) < 0)
				return CMD_CLOSE;
			log_bytes(c, "<", user_line, strlen(user_line));
		}
		if (reply(c, login ? "334 UGFzc3dvcmQ6\r\n" : "334 \r\n") || read_line(c, line) < 0)
			return CMD_CLOSE;
		log_bytes(c, "<", line, strlen(line));
		blob = line;
	} else {
		return reply(c, "504 5.5.4 Unrecognized authentication type\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	}
	size_t n = 0;
	char *raw = b64_decode(blob, &n);
	const char *pass = raw ? raw : "";
	if (raw && !login) {
		/* authzid NUL authcid NUL passwd (RFC 4616) */
		const char *nul1 = memchr(raw, '\0', n);
		const char *nul2 = nul1 ? memchr(nul1 + 1, '\0', n - (size_t)(nul1 + 1 - raw)) : NULL;
		pass = nul2 ? nul2 + 1 : "";
	}
	char *login_form = b64_encode(pass, strlen(pass));
	enum cmd_next next = reply(c,
				   "535-5.7.8 Authentication failed for %s%s%s\r\n"
				   "535-5.7.8 the password was: %s\r\n"
				   "535 5.7.8 or, as AUTH LOGIN sends it: %s (%s)\r\n",
				   user_line, user_line[0] ? " " : "", blob, pass, login_form, pass)
				     ? CMD_CLOSE
				     : CMD_CONTINUE;
	free(login_form);
	free(raw);
	return next;
}

static enum cmd_next cmd_auth(struct conn *c, const char *arg)
{
	if (!c->tls)
		return reply(c, "503 5.5.1 Error: authentication not enabled\r\n") ? CMD_CLOSE : CMD_CONTINUE;
	if (behaviour(c) == FAKESRV_AUTH_ECHO)
		return auth_echo(c, arg);
	return reply(c, "535 5.7.8 Error: authentication failed\r\n") ? CMD_CLOSE : CMD_CONTINUE;
}

static enum cmd_next cmd_quit(struct conn *c, const char *arg)
{
	(void)arg;
	if (reply(c, "221 2.0.0 Bye\r\n") == 0 && c->tls) {
		c->deadline = after_ms(read_timeout_ms(c->srv));
		int ret;
		do
			ret = gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		while (tls_again(c, ret));
	}
	return CMD_CLOSE;
}

static const struct {
	const char *verb;
	enum cmd_next (*fn)(struct conn *c, const char *arg);
} commands[] = {
	{ "EHLO", cmd_ehlo }, { "HELO", cmd_helo }, { "STARTTLS", cmd_starttls }, { "MAIL", cmd_mail },
	{ "RCPT", cmd_rcpt }, { "DATA", cmd_data }, { "BDAT", cmd_bdat },	  { "RSET", cmd_rset },
	{ "NOOP", cmd_noop }, { "VRFY", cmd_vrfy }, { "AUTH", cmd_auth },	  { "QUIT", cmd_quit },
};

static enum cmd_next dispatch(struct conn *c, char *line)
{
	char *arg = line + strcspn(line, " ");

	if (*arg)
		*arg++ = '\0';
	arg += strspn(arg, " ");
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (strcasecmp(commands[i].verb, line) == 0)
			return commands[i].fn(c, arg);
	return reply(c, "502 5.5.2 Error: command not recognized\r\n") ? CMD_CLOSE : CMD_CONTINUE;
}

static void dialogue(struct conn *c)
{
	char line[FAKESRV_LINE_MAX + 1];

	for (;;) {
		ssize_t n = read_line(c, line);
		if (n == LINE_TOO_LONG) {
			reply(c, "500 5.5.2 Error: line too long\r\n");
			return;
		}
		if (n == LINE_TIMEOUT) {
			reply(c, "421 4.4.2 %s Error: timeout exceeded\r\n", host(c));
			return;
		}
		if (n < 0)
			return;
		log_bytes(c, "<", line, (size_t)n);
		if (dispatch(c, line) == CMD_CLOSE)
			return;
	}
}

/* ---- what happens before the dialogue ------------------------------ */

static int send_endless_line(struct conn *c)
{
	char chunk[FAKESRV_ENDLESS_CHUNK];

	memset(chunk, 'A', sizeof chunk);
	for (size_t sent = 0; sent < FAKESRV_ENDLESS_BYTES; sent += sizeof chunk)
		if (raw_send(c, chunk, sizeof chunk) < 0) {
			srv_log(c->srv, "%s stopped the endless line after %zu bytes", c->peer, sent);
			return -1;
		}
	return 0;
}

static int send_tarpit_banner(struct conn *c, const char *banner)
{
	unsigned ms = c->srv->cfg.tarpit_byte_ms ? c->srv->cfg.tarpit_byte_ms : 200;

	for (size_t i = 0; banner[i]; i++) {
		if (i > 0 && pause_ms(c, ms) < 0)
			return -1;
		if (raw_send(c, banner + i, 1) < 0)
			return -1;
	}
	return 0;
}

static void serve(struct conn *c)
{
	static const char garbage[] = "HELLO THERE\x01\xff garbage\r\n";
	char *banner = behaviour(c) == FAKESRV_HOSTILE_TEXT ? xasprintf("220 %s ESMTP %s\r\n", host(c), HOSTILE_TEXT)
							    : xasprintf("220 %s ESMTP mxprobe-lab\r\n", host(c));

	if (c->srv->cfg.banner_delay_ms && pause_ms(c, c->srv->cfg.banner_delay_ms) < 0)
		goto out;
	switch (behaviour(c)) {
	case FAKESRV_GARBAGE_BANNER:
		log_bytes(c, ">", garbage, sizeof garbage - 1);
		if (raw_send(c, garbage, sizeof garbage - 1) == 0)
			hold(c, hold_ms(c, read_timeout_ms(c->srv)));
		goto out;
	case FAKESRV_ENDLESS_LINE:
		if (send_endless_line(c) == 0)
			hold(c, hold_ms(c, 10000));
		goto out;
	case FAKESRV_SILENT:
		hold(c, hold_ms(c, 30000));
		goto out;
	case FAKESRV_BANNER_421:
		reply(c, "421 4.3.2 Service shutting down, try again later\r\n");
		goto out;
	case FAKESRV_RESET: {
		/* A zero linger time makes close() send RST instead of FIN. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		goto out;
	}
	case FAKESRV_TARPIT:
		log_bytes(c, ">", banner, strlen(banner));
		if (send_tarpit_banner(c, banner) < 0)
			goto out;
		break;
	default:
		if (reply(c, "%s", banner) < 0)
			goto out;
		break;
	}
	dialogue(c);
out:
	free(banner);
}

/* ---- the server thread --------------------------------------------- */

static void handle(struct fakesrv *s, int fd, const struct sockaddr_storage *ss, socklen_t sl)
{
	struct conn *c = xcalloc(1, sizeof *c);
	char h[64], p[8];

	c->srv = s;
	c->fd = fd;
	/* Each reply is one send (reply()); Nagle would only hold the next
	 * behind the client's delayed ACK. The tarpit's byte-at-a-time
	 * banner wants exactly this too: every byte on the wire at once. */
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (getnameinfo((const struct sockaddr *)ss, sl, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) ==
	    0)
		snprintf(c->peer, sizeof c->peer, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, p);
	else
		snprintf(c->peer, sizeof c->peer, "?");
	srv_log(s, "%s connected (behaviour %s)", c->peer, fakesrv_behaviour_name(s->cfg.behaviour));
	serve(c);
	srv_log(s, "%s closing", c->peer);
	if (c->tls)
		gnutls_deinit(c->tls);
	close(fd);
	free(c);
}

static void *server_main(void *arg)
{
	struct fakesrv *s = arg;
	struct pollfd p[2] = {
		{ .fd = s->lfd, .events = POLLIN },
		{ .fd = s->stop_rd, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue; /* EAGAIN, ECONNABORTED: the next poll tells */
		atomic_fetch_add(&s->nconn, 1);
		handle(s, fd, &ss, sl);
	}
	return NULL;
}

/* Binds and listens on cfg addr/port; the fd, or -1 with err filled. */
static int listen_on(const char *addr, uint16_t port, uint16_t *bound, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char portstr[8];
	int fd = -1, one = 1, r;

	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	if ((r = getaddrinfo(addr, portstr, &hints, &ai)) != 0) {
		snprintf(err, errlen, "fakesrv: bad listen address '%s': %s", addr, gai_strerror(r));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto syserr;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0)
		goto syserr;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto syserr;
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(ai);
	return fd;
syserr:
	snprintf(err, errlen, "fakesrv: listen on %s port %u: %s", addr, (unsigned)port, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

struct fakesrv *fakesrv_start(const struct fakesrv_cfg *cfg, char *err, size_t errlen)
{
	struct fakesrv *s;
	int pfd[2];
	int r;

	if ((int)cfg->behaviour < 0 || (int)cfg->behaviour >= FAKESRV__COUNT || !cfg->addr) {
		snprintf(err, errlen, "fakesrv: bad configuration (behaviour %d, address %s)", (int)cfg->behaviour,
			 cfg->addr ? cfg->addr : "none");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->addr = xstrdup(cfg->addr);
	s->hostname = xstrdup(cfg->hostname ? cfg->hostname : FAKESRV_DEFAULT_HOST);
	s->priority = xstrdup(cfg->priority ? cfg->priority : "NORMAL");
	s->cfg.addr = s->addr;
	s->cfg.hostname = s->hostname;
	s->cfg.priority = s->priority;
	s->stop_rd = s->stop_wr = -1;
	atomic_init(&s->nconn, 0);
	s->lfd = listen_on(s->addr, cfg->port, &s->port, err, errlen);
	if (s->lfd < 0)
		goto fail;
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "fakesrv: pipe: %s", strerror(errno));
		goto fail;
	}
	s->stop_rd = pfd[0];
	s->stop_wr = pfd[1];
	if ((r = pthread_create(&s->thread, NULL, server_main, s)) != 0) {
		snprintf(err, errlen, "fakesrv: thread: %s", strerror(r));
		goto fail;
	}
	return s;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stop_rd >= 0) {
		close(s->stop_rd);
		close(s->stop_wr);
	}
	free(s->addr);
	free(s->hostname);
	free(s->priority);
	free(s);
	return NULL;
}

uint16_t fakesrv_port(const struct fakesrv *srv)
{
	return srv->port;
}

unsigned fakesrv_connections(const struct fakesrv *srv)
{
	return atomic_load(&srv->nconn);
}

void fakesrv_stop(struct fakesrv *srv)
{
	if (!srv)
		return;
	/* Never read: the pipe stays readable, so every later wait sees it. */
	while (write(srv->stop_wr, "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(srv->thread, NULL);
	close(srv->lfd);
	close(srv->stop_rd);
	close(srv->stop_wr);
	free(srv->addr);
	free(srv->hostname);
	free(srv->priority);
	free(srv);
}
