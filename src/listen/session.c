/* \summary: one mxprobe listen session: the SMTP server side with a
 * deadline on every read and write, STARTTLS or implicit TLS over our own
 * transport functions (so the ClientHello's bytes are kept for
 * tls_hello_parse), the client certificate requested and judged after the
 * handshake, DATA refused or read and dropped.
 * specification: RFC 5321 sections 3, 4.1, 4.2, 4.5.3; RFC 3207 sections
 * 4 and 4.2 (state reset after TLS, no pipelining across STARTTLS);
 * RFC 8314 section 3.3; RFC 5246 section 7.4.6, RFC 8446 section 4.4.2. */
#include "listen/internal.h"

#include <errno.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "listen/cmdread.h"
#include "pki/certinfo.h"
#include "pki/names.h"
#include "pki/revocation.h"
#include "tls/identity.h"
#include "util/util.h"
#include "wire/tlsparse.h"

#define LSN_MAX_ERRORS 10 /* bad commands before 421 (Postfix: smtpd_hard_error_limit 20) */
#define LSN_MAX_RCPTS  100
#define LSN_IN_MAX     (LSN_TEXT_LINE_MAX + 8192)

struct io {
	int fd;
	gnutls_session_t tls;
	struct lsn_shared *sh;
	struct lsn_session *s;
	int64_t session_end_us; /* monotonic */
	struct buf in;		/* received text not yet taken as lines */
	bool capture;		/* keep the raw bytes (the ClientHello) */
	struct buf raw;
	bool handshaking; /* a TLS handshake begun and not complete: no SMTP reply can be sent */
	const char *fail; /* why the session's I/O ended */
	char fail_buf[160];
};

/* -- the transcript ----------------------------------------------------- */

static void note(struct lsn_session *s, char mark, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(struct lsn_session *s, char mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	size_t len = strlen(text);
	if (s->nlines >= LSN_TRANSCRIPT_MAX_LINES || s->line_bytes + len > LSN_TRANSCRIPT_MAX_BYTES) {
		s->transcript_cut = true;
		free(text);
		return;
	}
	s->lines = xrealloc(s->lines, (s->nlines + 1) * sizeof *s->lines);
	s->lines[s->nlines++] = (struct lsn_line){ mark, text, wall_us() };
	s->line_bytes += len;
}

/* -- waiting with deadlines --------------------------------------------- */

/* Waits until fd is ready for events, the read timeout, the session's
 * end, or the listener's stop. 0, or -1 with io->fail set. */
static int wait_fd(struct io *io, short events)
{
	int64_t now = mono_us();
	int64_t left_ms = (io->session_end_us - now) / 1000;
	if (left_ms <= 0) {
		io->fail = "session time limit";
		return -1;
	}
	unsigned rt = io->sh->cfg->read_timeout_ms;
	bool by_read = (int64_t)rt < left_ms;
	int timeout = (int)(by_read ? (int64_t)rt : left_ms);
	struct pollfd p[2] = { { io->fd, events, 0 }, { io->sh->stop_fd, POLLIN, 0 } };
	for (;;) {
		int r = poll(p, 2, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			io->fail = "poll error";
			return -1;
		}
		if (r == 0) {
			io->fail = by_read ? "read timeout" : "session time limit";
			return -1;
		}
		if (p[1].revents) {
			io->fail = "listener stopping";
			return -1;
		}
		return 0;
	}
}

/* -- transport for GnuTLS: our socket, the ClientHello kept -------------- */

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct io *io = ptr;
	ssize_t n = recv(io->fd, data, len, 0);
	if (n < 0) {
		gnutls_transport_set_errno(io->tls, errno);
		return -1;
	}
	if (n > 0 && io->capture) {
		size_t room = io->raw.max - io->raw.len;
		buf_append(&io->raw, data, (size_t)n < room ? (size_t)n : room);
	}
	return n;
}

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct io *io = ptr;
	ssize_t n = send(io->fd, data, len, MSG_NOSIGNAL);
	if (n < 0) {
		gnutls_transport_set_errno(io->tls, errno);
		return -1;
	}
	return n;
}

static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct io *io = ptr;
	struct pollfd p = { io->fd, POLLIN, 0 };
	int r = poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? 0 : (int)ms);
	return r < 0 ? -1 : r;
}

/* -- reading and writing ------------------------------------------------ */

static int send_all(struct io *io, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n;
		if (io->tls) {
			n = gnutls_record_send(io->tls, p, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				if (wait_fd(io, POLLOUT) < 0)
					return -1;
				/* GnuTLS wants the same call again (or NULL, 0) */
				continue;
			}
			if (n < 0) {
				snprintf(io->fail_buf, sizeof io->fail_buf, "TLS write error: %s",
					 gnutls_strerror((int)n));
				io->fail = io->fail_buf;
				return -1;
			}
		} else {
			n = send(io->fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_fd(io, POLLOUT) < 0)
					return -1;
				continue;
			}
			if (n < 0) {
				io->fail = "client closed";
				return -1;
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A reply: each line recorded with '>' as a receive log has it. */
static int reply(struct io *io, const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		note(io->s, '>', "%.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
	/* text lines are joined by \n here; CRLF on the wire */
	char *wire = xmalloc(strlen(text) * 2 + 3);
	size_t w = 0;
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			wire[w++] = '\r';
		wire[w++] = *p;
	}
	wire[w++] = '\r';
	wire[w++] = '\n';
	int rc = send_all(io, wire, w);
	free(wire);
	return rc;
}

static int read_more(struct io *io)
{
	char tmp[4096];
	for (;;) {
		ssize_t n;
		if (io->tls) {
			n = gnutls_record_recv(io->tls, tmp, sizeof tmp);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				if (gnutls_record_check_pending(io->tls) == 0 && wait_fd(io, POLLIN) < 0)
					return -1;
				continue;
			}
			if (n == GNUTLS_E_PREMATURE_TERMINATION || n == 0) {
				io->fail = "client closed";
				return -1;
			}
			if (n < 0) {
				snprintf(io->fail_buf, sizeof io->fail_buf, "TLS read error: %s",
					 gnutls_strerror((int)n));
				io->fail = io->fail_buf;
				return -1;
			}
		} else {
			n = recv(io->fd, tmp, sizeof tmp, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_fd(io, POLLIN) < 0)
					return -1;
				continue;
			}
			if (n <= 0) {
				io->fail = n == 0 ? "client closed" : "connection reset";
				return -1;
			}
		}
		if (buf_append(&io->in, tmp, (size_t)n) < 0) {
			io->fail = "line too long";
			return -1;
		}
		return 0;
	}
}

/* 0 with a line, -1 when the session's I/O ended, -2 when the line is
 * longer than max (the bytes stay in io->in). */
static int read_line(struct io *io, size_t max, char **line, size_t *len, bool *bare_lf)
{
	for (;;) {
		int r = lsn_line_take(&io->in, max, line, len, bare_lf);
		if (r == 1)
			return 0;
		if (r < 0)
			return -2;
		if (read_more(io) < 0)
			return -1;
	}
}

/* -- TLS ---------------------------------------------------------------- */

static void hello_from_raw(struct io *io)
{
	struct lsn_session *s = io->s;
	/* handshake records from the front of the stream until the first
	 * handshake message (the ClientHello) is whole */
	struct buf hs;
	buf_init(&hs, LSN_HELLO_MAX);
	const uint8_t *p = (const uint8_t *)io->raw.data;
	size_t left = io->raw.len;
	while (left >= TLS_RECORD_HEADER) {
		size_t rlen;
		if (!tls_record_header_ok(p, &rlen) || p[0] != TLS_CT_HANDSHAKE) {
			s->hello_error = xstrdup("the client's first bytes are not a TLS handshake record");
			break;
		}
		size_t take = rlen < left - TLS_RECORD_HEADER ? rlen : left - TLS_RECORD_HEADER;
		if (buf_append(&hs, p + TLS_RECORD_HEADER, take) < 0)
			break;
		p += TLS_RECORD_HEADER + take;
		left -= TLS_RECORD_HEADER + take;
		if (hs.len >= 4) {
			const uint8_t *h = (const uint8_t *)hs.data;
			size_t mlen = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
			if (hs.len >= 4 + mlen) {
				uint16_t sel = 0, suite = 0;
				if (h[0] != TLS_HS_CLIENT_HELLO)
					s->hello_error = xstrdup("the first handshake message is not a ClientHello");
				else if (tls_hello_parse(h + 4, mlen, true, &s->hello, &sel, &suite) < 0)
					s->hello_error = xstrdup("the ClientHello is malformed");
				else
					s->hello_parsed = true;
				break;
			}
		}
	}
	if (!s->hello_parsed && !s->hello_error)
		s->hello_error = xstrdup("no whole ClientHello was received");
	buf_clear(&hs);
}

static bool eku_allows_client(const struct cert_info *leaf)
{
	gnutls_x509_crt_t crt;
	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	gnutls_datum_t d = { leaf->der, (unsigned)leaf->der_len };
	bool ok = false, any = false;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) >= 0) {
		for (unsigned i = 0;; i++) {
			char oid[128];
			size_t len = sizeof oid;
			int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &len, NULL);
			if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				break;
			if (rc < 0)
				continue;
			any = true;
			if (strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0 || strcmp(oid, GNUTLS_KP_ANY) == 0)
				ok = true;
			if (i > 64)
				break;
		}
	}
	gnutls_x509_crt_deinit(crt);
	return ok || !any; /* no EKU: any purpose (RFC 5280 4.2.1.12) */
}

/* A client's certificate is bytes from outside: its printed names obey
 * the escaping rule before they reach a report (util.h). */
static void sanitize_one(char **p)
{
	if (*p) {
		char *t = str_sanitize(*p, false);
		free(*p);
		*p = t;
	}
}

static void sanitize_cert(struct cert_info *c)
{
	sanitize_one(&c->subject);
	sanitize_one(&c->issuer);
	for (size_t i = 0; i < c->san_dns.n; i++)
		sanitize_one(&c->san_dns.v[i]);
}

/* The leaf against --crl-file's CRLs (nothing is fetched: a partner's
 * CRL distribution point is for it to serve, and the listener does not
 * reach out while a session waits). RFC 5280 section 6.3. */
static void check_revocation(struct lsn_shared *sh, struct lsn_session *s)
{
	s->revocation = "not-checked";
	if (!sh->cfg->crls) {
		s->revocation_why = "no --crl-file given";
		return;
	}
	unsigned char *issuer = NULL;
	size_t ilen = 0;
	if (verify_find_issuer(sh->ts, &sh->opt, s->chain, s->chain_len, 0, &issuer, &ilen) < 0) {
		s->revocation_why = rev_why_text(REV_WHY_NO_ISSUER);
		return;
	}
	struct rev_inputs in = {
		.cert = s->chain[0].der,
		.cert_len = s->chain[0].der_len,
		.issuer = issuer,
		.issuer_len = ilen,
		.files = sh->cfg->crls,
		.at = (int64_t)time(NULL),
	};
	struct rev_cert rc = { 0 };
	rev_check_cert(&in, 0, &rc);
	switch (rc.outcome) {
	case REV_GOOD:
		s->revocation = "good";
		break;
	case REV_REVOKED:
		s->revocation = "revoked";
		break;
	case REV_UNKNOWN:
		s->revocation = "unknown";
		break;
	case REV_UNCHECKED:
	default:
		s->revocation_why = rev_why_text(rc.why);
		break;
	}
	rev_cert_clear(&rc);
	free(issuer);
}

static void after_handshake(struct io *io)
{
	struct lsn_session *s = io->s;
	gnutls_session_t t = io->tls;
	s->tls = true;
	s->version = xstrdup(gnutls_protocol_get_name(gnutls_protocol_get_version(t)));
	const char *suite = gnutls_ciphersuite_get(t);
	s->suite = xstrdup(suite ? suite : "?");
	s->cipher_bits = (unsigned)gnutls_cipher_get_key_size(gnutls_cipher_get(t)) * 8;
	gnutls_group_t g = gnutls_group_get(t);
	if (g)
		s->group = xstrdup(gnutls_group_get_name(g));
	char sni[256];
	size_t snil = sizeof sni;
	unsigned type;
	if (gnutls_server_name_get(t, sni, &snil, &type, 0) == 0 && type == GNUTLS_NAME_DNS)
		s->sni_negotiated = str_escape(sni, strnlen(sni, sizeof sni), 300);
	s->cert_requested = true;
	s->ca_names_sent = io->sh->ca_names;
	note(s, '*', "TLS handshake complete: %s, %s (%u bits)", s->version, s->suite, s->cipher_bits);

	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(t, &n);
	if (n > LSN_CHAIN_MAX)
		n = LSN_CHAIN_MAX;
	if (certs && n) {
		s->chain = xcalloc(n, sizeof *s->chain);
		for (unsigned i = 0; i < n; i++)
			if (cert_info_from_der(certs[i].data, certs[i].size, &s->chain[s->chain_len]) == 0)
				sanitize_cert(&s->chain[s->chain_len++]);
	}
	if (s->chain_len == 0) {
		note(s, '*', "the client sent no certificate");
		return;
	}
	struct verify_result vr = { 0 };
	if (verify_chain(io->sh->ts, &io->sh->opt, s->chain, s->chain_len, &vr) == 0 && !vr.error) {
		s->chain_checked = true;
		s->chain_trusted = vr.trusted;
		if (vr.path_complete && !vr.path_in_time) {
			s->chain_expired = vr.time_break_expired;
			s->chain_not_yet = !vr.time_break_expired;
		}
		if (!vr.trusted && vr.status_text)
			s->chain_status = xstrdup(vr.status_text);
		if (vr.store)
			s->chain_store = xstrdup(vr.store);
	} else {
		s->chain_status = xstrdup(vr.error ? vr.error : "the chain could not be verified");
	}
	verify_result_clear(&vr);
	check_revocation(io->sh, s);
	s->eku_client_ok = eku_allows_client(&s->chain[0]);
	s->leaf_days_left = (s->chain[0].not_after - (int64_t)time(NULL)) / 86400;
	note(s, '*', "client certificate: %s; %s", s->chain[0].subject ? s->chain[0].subject : "?",
	     s->chain_trusted ? "chain valid" : "chain NOT valid");
}

int lsn_retrieve_cert(gnutls_session_t t, const gnutls_datum_t *req_ca_rdn, int nreqs,
		      const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
		      unsigned int *pcert_length, gnutls_privkey_t *key)
{
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	struct io *io = gnutls_session_get_ptr(t);
	tls_identity_gnutls(io->sh->cfg->id, pcert, pcert_length, key);
	return 0;
}

/* The server handshake. 0, or -1 (the reason recorded). */
static int handshake(struct io *io)
{
	struct lsn_session *s = io->s;
	int rc = gnutls_init(&io->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK);
	if (rc < 0)
		goto fail;
	gnutls_session_set_ptr(io->tls, io);
	if ((rc = gnutls_priority_set(io->tls, io->sh->prio)) < 0 ||
	    (rc = gnutls_credentials_set(io->tls, GNUTLS_CRD_CERTIFICATE, io->sh->cred)) < 0)
		goto fail;
	/* request, never require: a partner without one is reported, not cut off */
	gnutls_certificate_server_set_request(io->tls, GNUTLS_CERT_REQUEST);
	gnutls_transport_set_ptr(io->tls, io);
	gnutls_transport_set_pull_function(io->tls, tls_pull);
	gnutls_transport_set_push_function(io->tls, tls_push);
	gnutls_transport_set_pull_timeout_function(io->tls, tls_pull_timeout);
	io->capture = true;
	buf_init(&io->raw, LSN_HELLO_MAX);
	io->handshaking = true;
	for (;;) {
		rc = gnutls_handshake(io->tls);
		if (rc == 0)
			break;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			if (wait_fd(io, gnutls_record_get_direction(io->tls) ? POLLOUT : POLLIN) < 0) {
				io->capture = false;
				hello_from_raw(io);
				s->tls_error = xasprintf("handshake: %s", io->fail);
				note(s, '*', "TLS handshake failed: %s", io->fail);
				return -1;
			}
			continue;
		}
		if (!gnutls_error_is_fatal(rc))
			continue;
		goto fail;
	}
	io->capture = false;
	io->handshaking = false;
	hello_from_raw(io);
	buf_clear(&io->raw);
	after_handshake(io);
	return 0;
fail:
	io->capture = false;
	if (io->raw.max)
		hello_from_raw(io);
	buf_clear(&io->raw);
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED && io->tls)
		s->tls_error = xasprintf("the client sent alert %s", gnutls_alert_get_name(gnutls_alert_get(io->tls)));
	else
		s->tls_error = xstrdup(gnutls_strerror(rc));
	note(s, '*', "TLS handshake failed: %s", s->tls_error);
	io->fail = "TLS handshake failed";
	return -1;
}

/* -- the SMTP dialogue -------------------------------------------------- */

struct txn {
	bool helo, mail;
	unsigned rcpts;
};

static void txn_reset(struct txn *t, bool keep_helo)
{
	bool h = keep_helo && t->helo;
	*t = (struct txn){ .helo = h };
}

static char *queue_id(struct lsn_shared *sh, const struct lsn_session *s)
{
	pthread_mutex_lock(&sh->lock);
	unsigned long q = ++sh->queue_seq;
	pthread_mutex_unlock(&sh->lock);
	return xasprintf("%08llX%04lX", (unsigned long long)(s->start_wall_us / 1000000) & 0xffffffffULL, q & 0xffff);
}

/* DATA with --accept-data: 354, the lines to the end mark, 250 or 552. */
static int read_message(struct io *io, struct txn *t)
{
	struct lsn_session *s = io->s;
	const struct lsn_config *cfg = io->sh->cfg;
	if (reply(io, "354 End data with <CR><LF>.<CR><LF>") < 0)
		return -1;
	struct lsn_msg m;
	lsn_msg_init(&m, cfg->max_size, LSN_HEADERS_MAX);
	bool long_line = false, in_long = false;
	int rc = 0;
	for (;;) {
		char *line = NULL;
		size_t len = 0;
		bool bare = false;
		int r = read_line(io, LSN_TEXT_LINE_MAX, &line, &len, &bare);
		if (r == -2) {
			/* a text line over 1000 octets: counted, not kept. Only up
			 * to its own line end: the lines behind it (the final "."
			 * too) may already be in the buffer. */
			long_line = true;
			const char *nl = memchr(io->in.data, '\n', io->in.len);
			size_t take = nl ? (size_t)(nl - io->in.data) + 1 : io->in.len;
			m.size += take;
			if (m.size > m.max_size)
				m.too_big = true;
			buf_consume(&io->in, take);
			in_long = !nl;
			if (nl)
				continue;
			if (read_more(io) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (r < 0) {
			rc = -1;
			break;
		}
		if (in_long) { /* the end of an over-long line */
			in_long = false;
			m.size += len + 2;
			free(line);
			continue;
		}
		int end = lsn_msg_line(&m, line, len, bare);
		free(line);
		if (end)
			break;
	}
	s->message_size = m.size;
	s->headers_cut = m.headers_cut;
	if (m.headers.len) {
		/* LF line ends in the report; every other control byte escaped */
		char *hd = xmalloc(4 * m.headers.len + 1);
		size_t w = 0;
		for (size_t i = 0; i < m.headers.len; i++) {
			if (m.headers.data[i] == '\r' && i + 1 < m.headers.len && m.headers.data[i + 1] == '\n')
				continue;
			if (m.headers.data[i] == '\0') { /* shown as the transcript shows it, not dropped */
				memcpy(hd + w, "\\x00", 4);
				w += 4;
			} else {
				hd[w++] = m.headers.data[i];
			}
		}
		hd[w] = '\0';
		free(s->headers);
		s->headers = str_sanitize(hd, true);
		free(hd);
	}
	note(s, '*', "message: %zu bytes, %lu lines%s%s%s", m.size, m.lines, m.headers_cut ? ", headers cut" : "",
	     long_line ? ", lines over 1000 octets" : "", m.bad_line_end ? ", bare LF line ends" : "");
	lsn_msg_clear(&m);
	if (rc < 0)
		return -1;
	s->messages++;
	char *text;
	if (m.too_big) {
		text = xasprintf("552 5.3.4 Message size exceeds fixed limit (%zu bytes)", cfg->max_size);
	} else {
		free(s->queue_id);
		s->queue_id = queue_id(io->sh, s);
		text = xasprintf("250 2.0.0 Ok: queued as %s (discarded: mxprobe listen keeps only the headers)",
				 s->queue_id);
	}
	free(s->data_reply);
	s->data_reply = xstrdup(text);
	rc = reply(io, text);
	free(text);
	txn_reset(t, true);
	return rc;
}

static int ehlo_reply(struct io *io, bool esmtp)
{
	struct lsn_session *s = io->s;
	const struct lsn_config *cfg = io->sh->cfg;
	if (!esmtp) {
		char *t = xasprintf("250 %s", cfg->hostname);
		int rc = reply(io, t);
		free(t);
		return rc;
	}
	bool offer = io->sh->cred && !s->tls && !cfg->implicit;
	if (offer)
		s->starttls_offered = true;
	char *t = xasprintf("250-%s Hello [%s]\n250-SIZE %zu\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n%s250 "
			    "SMTPUTF8",
			    cfg->hostname, s->client_addr, cfg->max_size, offer ? "250-STARTTLS\n" : "");
	int rc = reply(io, t);
	free(t);
	return rc;
}

/* MAIL FROM's SIZE=n (RFC 1870), 0 when absent or unreadable. */
static unsigned long long size_param(const char *arg)
{
	for (const char *p = arg; (p = strchr(p, ' ')) != NULL; p++)
		if (strncasecmp(p + 1, "SIZE=", 5) == 0)
			return strtoull(p + 6, NULL, 10);
	return 0;
}

/* One command; 1 to go on, 0 when the session ends, -1 on I/O failure. */
static int command(struct io *io, struct txn *t, const struct lsn_cmd *c)
{
	struct lsn_session *s = io->s;
	const struct lsn_config *cfg = io->sh->cfg;
	if (c->has_nul && c->verb != LSN_UNKNOWN) {
		s->errors++;
		return reply(io, "500 5.5.2 Error: bad characters in the command") < 0 ? -1 : 1;
	}
	switch (c->verb) {
	case LSN_EHLO:
	case LSN_HELO:
		if (!c->syntax_ok) {
			s->errors++;
			return reply(io, "501 5.5.4 Syntax: EHLO hostname") < 0 ? -1 : 1;
		}
		free(s->ehlo);
		s->ehlo = xstrdup(c->arg);
		s->esmtp = c->verb == LSN_EHLO;
		txn_reset(t, false);
		t->helo = true;
		return ehlo_reply(io, s->esmtp) < 0 ? -1 : 1;
	case LSN_STARTTLS:
		if (s->tls) { /* as Postfix: a second STARTTLS is a sequence error, not an unknown verb */
			s->errors++;
			return reply(io, "554 5.5.1 Error: TLS already active") < 0 ? -1 : 1;
		}
		if (!io->sh->cred || cfg->implicit) {
			s->errors++;
			return reply(io, "502 5.5.1 Error: command not implemented") < 0 ? -1 : 1;
		}
		if (!c->syntax_ok) {
			s->errors++;
			return reply(io, "501 5.5.4 Syntax: STARTTLS") < 0 ? -1 : 1;
		}
		if (reply(io, "220 2.0.0 Ready to start TLS") < 0)
			return -1;
		if (io->in.len) {
			/* RFC 3207 section 4.2 / CVE-2011-0411: bytes sent
			 * behind STARTTLS before the handshake are dropped */
			note(s, '*', "%zu bytes pipelined after STARTTLS dropped", io->in.len);
			buf_consume(&io->in, io->in.len);
		}
		s->tls_mode = "starttls";
		if (handshake(io) < 0)
			return -1;
		txn_reset(t, false); /* RFC 3207 4.2: forget what came before */
		return 1;
	case LSN_MAIL:
		if (!t->helo) {
			s->errors++;
			return reply(io, "503 5.5.1 Error: send HELO/EHLO first") < 0 ? -1 : 1;
		}
		if (t->mail) {
			s->errors++;
			return reply(io, "503 5.5.1 Error: nested MAIL command") < 0 ? -1 : 1;
		}
		if (!c->syntax_ok) {
			s->errors++;
			return reply(io, "501 5.5.4 Syntax: MAIL FROM:<address>") < 0 ? -1 : 1;
		}
		if (size_param(c->arg) > cfg->max_size) {
			/* RFC 1870 section 6.2: refused at MAIL when declared too big */
			return reply(io, "552 5.3.4 Message size exceeds fixed limit") < 0 ? -1 : 1;
		}
		free(s->mail_from);
		s->mail_from = xstrdup(c->path);
		t->mail = true;
		return reply(io, "250 2.1.0 Ok") < 0 ? -1 : 1;
	case LSN_RCPT:
		if (!t->mail) {
			s->errors++;
			return reply(io, "503 5.5.1 Error: need MAIL command") < 0 ? -1 : 1;
		}
		if (!c->syntax_ok) {
			s->errors++;
			return reply(io, "501 5.5.4 Syntax: RCPT TO:<address>") < 0 ? -1 : 1;
		}
		if (t->rcpts >= LSN_MAX_RCPTS)
			return reply(io, "452 4.5.3 Error: too many recipients") < 0 ? -1 : 1;
		t->rcpts++;
		if (s->rcpts.n < LSN_MAX_RCPTS)
			strvec_push(&s->rcpts, c->path);
		return reply(io, "250 2.1.5 Ok") < 0 ? -1 : 1;
	case LSN_DATA:
		if (!t->rcpts) {
			s->errors++;
			return reply(io, t->mail ? "554 5.5.1 Error: no valid recipients"
						 : "503 5.5.1 Error: need RCPT command") < 0
				       ? -1
				       : 1;
		}
		if (!c->syntax_ok) {
			s->errors++;
			return reply(io, "501 5.5.4 Syntax: DATA") < 0 ? -1 : 1;
		}
		if (cfg->accept_data)
			return read_message(io, t) < 0 ? -1 : 1;
		free(s->data_reply);
		s->data_reply = xstrdup("550 5.7.1 mxprobe listen is a diagnostic receiver and keeps no mail; the "
					"session was recorded (--accept-data answers 250 and drops the message)");
		txn_reset(t, true);
		return reply(io, s->data_reply) < 0 ? -1 : 1;
	case LSN_RSET:
		txn_reset(t, true);
		return reply(io, "250 2.0.0 Ok") < 0 ? -1 : 1;
	case LSN_NOOP:
		return reply(io, "250 2.0.0 Ok") < 0 ? -1 : 1;
	case LSN_QUIT:
		io->fail = "quit";
		return reply(io, "221 2.0.0 Bye") < 0 ? -1 : 0;
	case LSN_VRFY:
		return reply(io, "252 2.0.0 Cannot VRFY user") < 0 ? -1 : 1;
	case LSN_HELP:
		return reply(io, "214 2.0.0 mxprobe listen: a diagnostic receiver (RFC 5321)") < 0 ? -1 : 1;
	case LSN_EXPN:
	case LSN_AUTH:
	case LSN_BDAT:
		s->errors++;
		return reply(io, "502 5.5.1 Error: command not implemented") < 0 ? -1 : 1;
	case LSN_EMPTY:
	case LSN_UNKNOWN:
	default:
		s->errors++;
		return reply(io, "500 5.5.2 Error: command not recognized") < 0 ? -1 : 1;
	}
}

/* The reverse lookup runs in a helper thread so that the session waits
 * at most LSN_RDNS_MS for it: getnameinfo has no deadline of its own (the
 * resolver's timeouts and retries can add up to tens of seconds). A late
 * answer is dropped; whoever finishes last frees the job. */
#define LSN_RDNS_MS 3000

struct rdns_job {
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	bool done, abandoned;
	struct sockaddr_storage peer;
	socklen_t len;
	char host[NI_MAXHOST];
	int rc;
};

static void rdns_job_free(struct rdns_job *j)
{
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->done_cv);
	free(j);
}

static void *rdns_thread(void *arg)
{
	struct rdns_job *j = arg;
	char host[NI_MAXHOST];
	int rc = getnameinfo((const struct sockaddr *)&j->peer, j->len, host, sizeof host, NULL, 0, NI_NAMEREQD);
	pthread_mutex_lock(&j->lock);
	j->rc = rc;
	if (rc == 0)
		memcpy(j->host, host, sizeof host);
	j->done = true;
	bool abandoned = j->abandoned;
	pthread_cond_signal(&j->done_cv);
	pthread_mutex_unlock(&j->lock);
	if (abandoned)
		rdns_job_free(j);
	return NULL;
}

/* The reverse name, escaped, or NULL (none, or no answer in time). */
static char *reverse_name(const struct sockaddr_storage *peer, socklen_t len)
{
	struct rdns_job *j = xcalloc(1, sizeof *j);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->done_cv, NULL);
	memcpy(&j->peer, peer, len);
	j->len = len;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	int started = pthread_create(&th, &attr, rdns_thread, j);
	pthread_attr_destroy(&attr);
	if (started != 0) {
		rdns_job_free(j);
		return NULL;
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LSN_RDNS_MS / 1000;
	char *out = NULL;
	pthread_mutex_lock(&j->lock);
	while (!j->done)
		if (pthread_cond_timedwait(&j->done_cv, &j->lock, &until) != 0)
			break;
	bool done = j->done;
	if (done && j->rc == 0)
		out = str_escape(j->host, strlen(j->host), 300);
	j->abandoned = !done;
	pthread_mutex_unlock(&j->lock);
	if (done)
		rdns_job_free(j);
	return out;
}

static void peer_names(struct lsn_session *s, const struct sockaddr_storage *peer, socklen_t len, int fd, bool rdns)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	if (getnameinfo((const struct sockaddr *)peer, len, host, sizeof host, serv, sizeof serv,
			NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
		s->client_addr = xstrdup(host);
		s->client_port = (unsigned)atoi(serv);
	} else {
		s->client_addr = xstrdup("?");
	}
	if (rdns)
		s->client_rdns = reverse_name(peer, len);
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0 &&
	    getnameinfo((struct sockaddr *)&me, ml, host, sizeof host, serv, sizeof serv,
			NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		s->local = strchr(host, ':') ? xasprintf("[%s]:%s", host, serv) : xasprintf("%s:%s", host, serv);
}

static void judge(struct lsn_shared *sh, struct lsn_session *s)
{
	const char *partner = sh->cfg->partner;
	if (!partner)
		return;
	const char **names = NULL;
	size_t nn = 0;
	char *cn = NULL;
	if (s->chain_len) {
		const struct cert_info *leaf = &s->chain[0];
		if (leaf->san_dns.n) {
			names = xcalloc(leaf->san_dns.n, sizeof *names);
			for (size_t i = 0; i < leaf->san_dns.n; i++)
				names[nn++] = leaf->san_dns.v[i];
		} else if ((cn = names_subject_cn(leaf)) != NULL) {
			names = xcalloc(1, sizeof *names);
			names[nn++] = cn;
		}
	}
	char *sender = lsn_path_domain(s->mail_from);
	struct lsn_verdict_in in = {
		.partner = partner,
		.tls = s->tls,
		.cert_presented = s->chain_len > 0,
		.chain_trusted = s->chain_trusted,
		.chain_expired = s->chain_expired,
		.chain_not_yet = s->chain_not_yet,
		.chain_why = s->chain_status,
		.eku_client_ok = s->eku_client_ok,
		.revoked = s->revocation && strcmp(s->revocation, "revoked") == 0,
		.revocation_checked =
			s->revocation && (strcmp(s->revocation, "good") == 0 || strcmp(s->revocation, "revoked") == 0),
		.names = names,
		.nnames = nn,
		.sender_domain = sender,
	};
	struct lsn_verdict v;
	lsn_verdict_judge(&in, &v);
	s->judged = true;
	s->verdict_pass = v.pass;
	s->verdict_reason = v.reason ? xstrdup(v.reason) : NULL;
	s->partner_name = v.matched ? xstrdup(v.matched) : NULL;
	s->sender_other = v.sender_other;
	lsn_verdict_clear(&v);
	free(sender);
	free(cn);
	free(names);
}

void lsn_session_serve(struct lsn_shared *sh, int fd, const struct sockaddr_storage *peer, socklen_t peerlen,
		       struct lsn_session *s)
{
	const struct lsn_config *cfg = sh->cfg;
	s->start_wall_us = wall_us();
	int64_t t0 = mono_us();
	snprintf(s->id, sizeof s->id, "%08llX%08lX", (unsigned long long)(s->start_wall_us / 1000000) & 0xffffffffULL,
		 s->seq & 0xffffffffUL);
	s->tls_mode = cfg->implicit ? "implicit" : "none";
	struct io io = { .fd = fd, .sh = sh, .s = s };
	io.session_end_us = t0 + (int64_t)cfg->session_timeout_ms * 1000;
	buf_init(&io.in, LSN_IN_MAX);
	peer_names(s, peer, peerlen, fd, cfg->rdns);
	note(s, '*', "connection from %s port %u%s%s", s->client_addr, s->client_port,
	     s->client_rdns ? ", reverse name " : "", s->client_rdns ? s->client_rdns : "");
	struct txn t = { 0 };
	if (cfg->implicit && handshake(&io) < 0)
		goto out;
	char *banner = xasprintf("220 %s ESMTP mxprobe listen (diagnostic receiver: no mail is kept)", cfg->hostname);
	int rc = reply(&io, banner);
	free(banner);
	if (rc < 0)
		goto out;
	for (;;) {
		char *line = NULL;
		size_t len = 0;
		bool bare = false;
		int r = read_line(&io, LSN_CMD_LINE_MAX, &line, &len, &bare);
		if (r == -2) {
			note(s, '*', "command line over %d octets", LSN_CMD_LINE_MAX);
			reply(&io, "500 5.5.2 Error: line too long");
			io.fail = "line too long";
			break;
		}
		if (r < 0)
			break;
		s->commands++;
		char *shown = str_escape(line, len, 600);
		note(s, '<', "%s", shown);
		free(shown);
		struct lsn_cmd c;
		lsn_cmd_parse(line, len, &c);
		free(line);
		rc = command(&io, &t, &c);
		lsn_cmd_clear(&c);
		if (rc <= 0)
			break;
		if (s->errors >= LSN_MAX_ERRORS) {
			reply(&io, "421 4.7.0 Error: too many errors");
			io.fail = "too many errors";
			break;
		}
	}
out:
	/* Mid-handshake neither plaintext nor a TLS record can carry a reply:
	 * the transcript must not claim one. */
	if (io.handshaking && io.fail &&
	    (strcmp(io.fail, "listener stopping") == 0 || strcmp(io.fail, "session time limit") == 0))
		note(s, '*', "no 421 sent: the TLS handshake was not complete");
	else if (io.fail && strcmp(io.fail, "listener stopping") == 0) {
		char *bye = xasprintf("421 4.3.2 %s Service shutting down", cfg->hostname);
		const char *keep = io.fail;
		reply(&io, bye);
		io.fail = keep;
		free(bye);
	} else if (io.fail && strcmp(io.fail, "session time limit") == 0) {
		const char *keep = io.fail;
		/* a short deadline for this last reply: it may not get through */
		io.session_end_us = mono_us() + 1000000;
		reply(&io, "421 4.4.2 Error: session time limit exceeded");
		io.fail = keep;
	}
	s->end = xstrdup(io.fail ? io.fail : "ended");
	note(s, '*', "session ended: %s", s->end);
	if (io.tls) {
		gnutls_bye(io.tls, GNUTLS_SHUT_WR);
		gnutls_deinit(io.tls);
	}
	buf_clear(&io.in);
	buf_clear(&io.raw);
	judge(sh, s);
	s->duration_us = mono_us() - t0;
}

static void hello_clear(struct wire_hello *h)
{
	free(h->version);
	free(h->sni);
	strvec_clear(&h->versions);
	strvec_clear(&h->suites);
	strvec_clear(&h->alpn);
	strvec_clear(&h->groups);
	strvec_clear(&h->key_shares);
	strvec_clear(&h->extensions);
	memset(h, 0, sizeof *h);
}

void lsn_session_clear(struct lsn_session *s)
{
	free(s->client_addr);
	free(s->client_rdns);
	free(s->local);
	free(s->ehlo);
	free(s->tls_error);
	hello_clear(&s->hello);
	free(s->hello_error);
	free(s->version);
	free(s->suite);
	free(s->group);
	free(s->sni_negotiated);
	for (size_t i = 0; i < s->chain_len; i++)
		cert_info_clear(&s->chain[i]);
	free(s->chain);
	free(s->chain_status);
	free(s->chain_store);
	free(s->partner_name);
	free(s->verdict_reason);
	free(s->mail_from);
	strvec_clear(&s->rcpts);
	free(s->data_reply);
	free(s->queue_id);
	free(s->headers);
	free(s->end);
	for (size_t i = 0; i < s->nlines; i++)
		free(s->lines[i].text);
	free(s->lines);
	memset(s, 0, sizeof *s);
}
