/* \summary: TCP connection with deadlines, bounded line reader, TLS on the
 * same socket. */
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

void conn_init(struct conn *c, struct transcript *tr)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->tr = tr;
	c->last_alert = -1;
	buf_init(&c->in, CONN_MAX_LINE * 4);
}

void sockaddr_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
		snprintf(out, outlen, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
		snprintf(out, outlen, "[%s]:%u", host, port);
	} else {
		snprintf(out, outlen, "?");
	}
}

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - mono_us();
	if (left <= 0)
		return 0;
	left = (left + 999) / 1000;
	return left > 1000000 ? 1000000 : (int)left;
}

void conn_quickack(struct conn *c)
{
	int one = 1;
	if (c->fd >= 0)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

int conn_wait(struct conn *c, short events, int64_t deadline)
{
	/* Whatever arrives while we wait is acknowledged at once (conn.h). */
	if (events & POLLIN)
		conn_quickack(c);
	for (;;) {
		int ms = remaining_ms(deadline);
		if (ms == 0)
			return -MX_E_TIMEOUT;
		struct pollfd p = { .fd = c->fd, .events = events };
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r == 0)
			return -MX_E_TIMEOUT;
		if (errno != EINTR)
			return -MX_E_IO;
	}
}

static int errno_to_err(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return -MX_E_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		return -MX_E_UNREACHABLE;
	case ETIMEDOUT:
		return -MX_E_TIMEOUT;
	case ECONNRESET:
	case EPIPE:
		return -MX_E_RESET;
	default:
		return -MX_E_IO;
	}
}

int conn_connect(struct conn *c, const struct sockaddr *sa, socklen_t salen, const struct sockaddr *source,
		 socklen_t srclen, int64_t deadline)
{
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd < 0)
		return -MX_E_IO;
	/* Our lines and TLS flights leave in one send each (conn_send_line,
	 * the vectored TLS push): nothing is gained by Nagle holding them. */
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (source && bind(c->fd, source, srclen) < 0)
		return errno_to_err(errno);
	sockaddr_format(sa, c->remote, sizeof c->remote);
	if (connect(c->fd, sa, salen) < 0) {
		if (errno != EINPROGRESS)
			return errno_to_err(errno);
		int rc = conn_wait(c, POLLOUT, deadline);
		if (rc < 0)
			return rc;
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return -MX_E_IO;
		if (soerr)
			return errno_to_err(soerr);
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
		sockaddr_format((struct sockaddr *)&ss, c->local, sizeof c->local);
	return 0;
}

/* Maps a GnuTLS record-layer error to ours, remembering alerts. */
static int tls_err(struct conn *c, ssize_t r)
{
	int e = (int)r;
	if (e == GNUTLS_E_FATAL_ALERT_RECEIVED || e == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		c->last_alert = (int)gnutls_alert_get(c->tls);
		if (c->tr)
			transcript_addf(c->tr, TR_EVENT, "TLS alert received: %s (%d)",
					gnutls_alert_get_name((gnutls_alert_description_t)c->last_alert),
					c->last_alert);
		return -MX_E_TLS_ALERT;
	}
	if (e == GNUTLS_E_PREMATURE_TERMINATION || e == GNUTLS_E_PUSH_ERROR || e == GNUTLS_E_PULL_ERROR)
		return -MX_E_CLOSED;
	if (c->tr)
		transcript_addf(c->tr, TR_EVENT, "TLS error: %s", gnutls_strerror(e));
	return -MX_E_TLS;
}

/* One read into c->in: 0 got bytes, or an error. */
static int fill(struct conn *c, int64_t deadline)
{
	char tmp[4096];
	size_t room = c->in.max - c->in.len;
	if (room == 0)
		return -MX_E_LINE_TOO_LONG;
	size_t want = room < sizeof tmp ? room : sizeof tmp;
	for (;;) {
		ssize_t r;
		if (c->tls_up) {
			if (gnutls_record_check_pending(c->tls) == 0) {
				int w = conn_wait(c, POLLIN, deadline);
				if (w < 0)
					return w;
			}
			r = gnutls_record_recv(c->tls, tmp, want);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
				continue;
			if (r == 0) {
				c->eof = true;
				return -MX_E_CLOSED;
			}
			if (r < 0)
				return tls_err(c, r);
		} else {
			int w = conn_wait(c, POLLIN, deadline);
			if (w < 0)
				return w;
			r = recv(c->fd, tmp, want, 0);
			if (r > 0)
				conn_quickack(c);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r < 0)
				return errno_to_err(errno);
			if (r == 0) {
				c->eof = true;
				return -MX_E_CLOSED;
			}
		}
		if (!c->first_byte_us)
			c->first_byte_us = mono_us();
		buf_append(&c->in, tmp, (size_t)r);
		return 0;
	}
}

const char *conn_pending(const struct conn *c, size_t *len)
{
	*len = c->in.len;
	return c->in.len ? c->in.data : NULL;
}

int conn_read_line(struct conn *c, char **line, size_t *len, int64_t deadline)
{
	for (;;) {
		char *nl = c->in.len ? memchr(c->in.data, '\n', c->in.len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - c->in.data);
			size_t keep = n;
			if (keep && c->in.data[keep - 1] == '\r')
				keep--;
			if (keep > CONN_MAX_LINE)
				goto too_long;
			char *copy = xstrndup(c->in.data, keep);
			buf_consume(&c->in, n + 1);
			if (c->tr)
				transcript_add_bytes(c->tr, TR_RECV, copy, keep);
			free(c->in_line_hold);
			c->in_line_hold = copy;
			*line = copy;
			*len = keep;
			return 0;
		}
		if (c->in.len > CONN_MAX_LINE)
			goto too_long;
		int rc = fill(c, deadline);
		if (rc == -MX_E_CLOSED && c->in.len > 0 && c->tr)
			transcript_add_bytes(c->tr, TR_RECV, c->in.data, c->in.len);
		if (rc < 0)
			return rc;
	}
too_long:
	if (c->tr) {
		char *shown = str_escape(c->in.data, c->in.len < 120 ? c->in.len : 120, 200);
		transcript_addf(c->tr, TR_EVENT, "line longer than %d bytes without end of line, starting: %s",
				CONN_MAX_LINE, shown);
		free(shown);
	}
	return -MX_E_LINE_TOO_LONG;
}

int conn_write_all(struct conn *c, const void *p, size_t n, int64_t deadline)
{
	const char *s = p;
	while (n > 0) {
		ssize_t r;
		if (c->tls_up) {
			r = gnutls_record_send(c->tls, s, n);
			if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
				int w = conn_wait(c, POLLOUT, deadline);
				if (w < 0)
					return w;
				continue;
			}
			if (r < 0)
				return tls_err(c, r);
		} else {
			r = send(c->fd, s, n, MSG_NOSIGNAL);
			if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
				int w = conn_wait(c, POLLOUT, deadline);
				if (w < 0)
					return w;
				continue;
			}
			if (r < 0)
				return errno_to_err(errno);
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

int conn_send_line(struct conn *c, const char *line, const char *shown, int64_t deadline)
{
	size_t n = strlen(line);
	char *wire = xmalloc(n + 3);
	memcpy(wire, line, n);
	memcpy(wire + n, "\r\n", 3);
	if (c->tr)
		transcript_add(c->tr, TR_SENT, shown ? shown : line);
	int rc = conn_write_all(c, wire, n + 2, deadline);
	free(wire);
	return rc;
}

int conn_send_lines(struct conn *c, char *const *lines, size_t n, int64_t deadline)
{
	struct buf wire;
	buf_init(&wire, SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		if (c->tr)
			transcript_add(c->tr, TR_SENT, lines[i]);
		buf_append(&wire, lines[i], strlen(lines[i]));
		buf_append(&wire, "\r\n", 2);
	}
	int rc = conn_write_all(c, wire.data, wire.len, deadline);
	buf_clear(&wire);
	return rc;
}

size_t conn_drain_pending(struct conn *c, struct buf *out)
{
	size_t got = 0;
	if (c->in.len) {
		buf_append(out, c->in.data, c->in.len);
		got += c->in.len;
		buf_consume(&c->in, c->in.len);
	}
	char tmp[4096];
	for (;;) {
		ssize_t r = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (r <= 0)
			break;
		if (buf_append(out, tmp, (size_t)r) < 0)
			break;
		got += (size_t)r;
	}
	return got;
}

void conn_close(struct conn *c)
{
	if (c->tls) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
	if (c->tls_cred) {
		gnutls_certificate_free_credentials(c->tls_cred);
		c->tls_cred = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_clear(&c->in);
	free(c->in_line_hold);
	c->in_line_hold = NULL;
}
