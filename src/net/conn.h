/* \summary: one TCP connection with deadlines, a bounded line reader, and
 * optional TLS on the same socket (GnuTLS over our own push/pull, so TLS can
 * start on a connection that already spoke plaintext).
 *
 * Every call takes an absolute deadline (mono_us() clock); nothing blocks
 * past it. Lines sent and received go into the transcript. */
#ifndef SRC_NET_CONN_H
#define SRC_NET_CONN_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "report/model.h"
#include "util/util.h"

/* RFC 5321 section 4.5.3.1.5 limits a reply line to 512 octets; real
 * servers exceed it a little, hostile ones a lot. */
#define CONN_MAX_LINE 8192

struct conn {
	int fd;
	struct transcript *tr;			   /* borrowed; may be NULL */
	struct buf in;				   /* received bytes not yet consumed (plaintext or decrypted) */
	gnutls_session_t tls;			   /* NULL until TLS is up (or being set up) */
	gnutls_certificate_credentials_t tls_cred; /* owned once TLS is up */
	bool tls_up;
	int last_alert; /* last TLS alert received, -1 if none */
	char remote[64];
	char local[64];
	bool eof;
	char *in_line_hold;    /* the last line handed out */
	int64_t first_byte_us; /* mono_us when the first byte arrived; 0 = none yet (greeting delay, tarpits) */
};

void conn_init(struct conn *c, struct transcript *tr);
/* 0, or -MX_E_REFUSED/-MX_E_TIMEOUT/-MX_E_UNREACHABLE/-MX_E_IO. The socket
 * is bound to source (if not NULL) first. */
int conn_connect(struct conn *c, const struct sockaddr *sa, socklen_t salen, const struct sockaddr *source,
		 socklen_t srclen, int64_t deadline);
/* Reads one line (LF-terminated; CR stripped). *line points into the
 * connection's buffer and is valid until the next read. The raw line is
 * also recorded in the transcript as TR_RECV (escaped).
 * 0, -MX_E_TIMEOUT, -MX_E_CLOSED, -MX_E_RESET, -MX_E_LINE_TOO_LONG, -MX_E_TLS[_ALERT]. */
int conn_read_line(struct conn *c, char **line, size_t *len, int64_t deadline);
/* The bytes received and not yet handed out as a line (a greeting that
 * trickled in without its end of line), as they are; NULL when none. */
const char *conn_pending(const struct conn *c, size_t *len);
/* Sends line + CRLF; records it (or `shown` instead, to redact secrets). */
int conn_send_line(struct conn *c, const char *line, const char *shown, int64_t deadline);
/* Sends lines[0..n), each + CRLF, in one write (one TCP segment or TLS
 * record where they fit, rather than one per line); records each line. */
int conn_send_lines(struct conn *c, char *const *lines, size_t n, int64_t deadline);
int conn_write_all(struct conn *c, const void *p, size_t n, int64_t deadline);
/* Takes whatever is buffered or already waiting on the socket, without
 * waiting for more: the bytes a server sent that it should not have. */
size_t conn_drain_pending(struct conn *c, struct buf *out);
/* Acknowledges what was received at once and leaves the kernel's
 * delayed-ACK ("pingpong") mode for the next segments (TCP_QUICKACK, which
 * Linux does not keep: tcp(7) "not permanent"). A server that sent a TLS
 * 1.3 NewSessionTicket and then our reply would otherwise hold the reply
 * (Nagle) until our delayed ACK of the ticket, some 40 ms later. Called
 * after every read from the socket and before every wait for input. */
void conn_quickack(struct conn *c);
/* Waits for fd readiness (POLLIN/POLLOUT); 0 ready, -MX_E_TIMEOUT. With
 * POLLIN, re-arms quick ACKs first (conn_quickack). */
int conn_wait(struct conn *c, short events, int64_t deadline);
void conn_close(struct conn *c);

/* Formats an address "1.2.3.4:25" / "[::1]:25" into out. */
void sockaddr_format(const struct sockaddr *sa, char *out, size_t outlen);

#endif
