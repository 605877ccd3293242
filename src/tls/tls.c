/* \summary: client TLS handshake over our own transport, and the
 * negotiated parameters. specification: RFC 8446, RFC 5246, RFC 6066. */
#include "tls/tls.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "pki/certinfo.h"
#include "tls/identity.h"
#include "util/err.h"

/* GnuTLS hands a whole flight (ClientKeyExchange, ChangeCipherSpec,
 * Finished; or a record and its header) to one vectored push: it leaves in
 * one sendmsg, so no part of it waits behind another (Nagle, or a peer's
 * delayed ACK). */
static ssize_t vec_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct conn *c = ptr;
	struct msghdr m = { .msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t r = sendmsg(c->fd, &m, MSG_NOSIGNAL);
	if (r < 0)
		gnutls_transport_set_errno(c->tls, errno == EWOULDBLOCK ? EAGAIN : errno);
	return r;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t n)
{
	struct conn *c = ptr;
	ssize_t r = recv(c->fd, data, n, 0);
	if (r > 0)
		conn_quickack(c); /* a NewSessionTicket is acknowledged at once (conn.h) */
	if (r < 0)
		gnutls_transport_set_errno(c->tls, errno == EWOULDBLOCK ? EAGAIN : errno);
	return r;
}

static char *name_or(const char *s, const char *dflt)
{
	return xstrdup(s ? s : dflt);
}

static void collect_params(gnutls_session_t s, struct tls_params *tp)
{
	tp->protocol = name_or(gnutls_protocol_get_name(gnutls_protocol_get_version(s)), "unknown");
	tp->cipher_suite = name_or(gnutls_ciphersuite_get(s), "unknown");
	gnutls_cipher_algorithm_t ciph = gnutls_cipher_get(s);
	tp->cipher = name_or(gnutls_cipher_get_name(ciph), "unknown");
	tp->cipher_bits = (unsigned)gnutls_cipher_get_key_size(ciph) * 8;
	tp->mac = name_or(gnutls_mac_get_name(gnutls_mac_get(s)), "unknown");
	gnutls_kx_algorithm_t kx = gnutls_kx_get(s);
	gnutls_group_t g = gnutls_group_get(s);
	if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3) {
		/* TLS 1.3 separates key exchange from authentication: name the
		 * (EC)DHE kind by its group, not by the certificate's key. */
		const char *gn = g ? gnutls_group_get_name(g) : NULL;
		tp->kx = xstrdup(gn && strncmp(gn, "FFDHE", 5) == 0 ? "DHE" : "ECDHE");
	} else {
		tp->kx = name_or(gnutls_kx_get_name(kx), "unknown");
	}
	tp->group = g ? xstrdup(gnutls_group_get_name(g)) : NULL;
	if (!g && (kx == GNUTLS_KX_DHE_RSA || kx == GNUTLS_KX_DHE_DSS)) {
		int bits = gnutls_dh_get_prime_bits(s);
		tp->dh_bits = bits > 0 ? (unsigned)bits : 0;
	}
	int sig = (int)gnutls_sign_algorithm_get(s);
	tp->server_sig_alg = sig > 0 ? xstrdup(gnutls_sign_get_name((gnutls_sign_algorithm_t)sig)) : NULL;
	unsigned flags = gnutls_session_get_flags(s);
	tp->safe_renegotiation = flags & GNUTLS_SFLAGS_SAFE_RENEGOTIATION;
	tp->ext_master_secret = flags & GNUTLS_SFLAGS_EXT_MASTER_SECRET;
	tp->resumed = gnutls_session_is_resumed(s);
	tp->ocsp_stapled = gnutls_ocsp_status_request_is_checked(s, GNUTLS_OCSP_SR_IS_AVAIL) != 0;
	tp->cert_requested = tp->cert_requested || gnutls_certificate_client_get_request_status(s) != 0;
}

static void collect_chain(gnutls_session_t s, struct session_facts *f)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || n == 0 || f->chain)
		return;
	f->chain = xcalloc(n, sizeof *f->chain);
	for (unsigned i = 0; i < n; i++) {
		if (cert_info_from_der(certs[i].data, certs[i].size, &f->chain[f->chain_len]) == 0)
			f->chain_len++;
	}
}

/* The staples, kept as bytes: pki/revocation.c verifies them against the
 * chain (RFC 6066 section 8, RFC 6961 / RFC 8446 section 4.4.2.1 for one
 * per certificate). The library lends the data: copy it. */
static void collect_staples(gnutls_session_t s, struct tls_params *tp)
{
	unsigned n = 0;
	if (!gnutls_certificate_get_peers(s, &n) || n == 0 || tp->staples)
		return;
	for (unsigned i = 0; i < n; i++) {
		gnutls_datum_t d = { NULL, 0 };
		if (gnutls_ocsp_status_request_get2(s, i, &d) < 0 || !d.data || d.size == 0)
			continue;
		if (!tp->staples)
			tp->staples = xcalloc(n, sizeof *tp->staples);
		tp->staples[i].der = xmalloc(d.size);
		memcpy(tp->staples[i].der, d.data, d.size);
		tp->staples[i].len = d.size;
		tp->n_staples = i + 1;
	}
}

/* What the client-certificate callback needs; lives for one handshake. */
struct ccert_ctx {
	struct session_facts *f;
	const struct tls_identity *id;
	struct transcript *tr;
};

void tls_ca_names_record(const gnutls_datum_t *rdn, unsigned n, struct strvec *out)
{
	for (unsigned i = 0; i < n && i < 256; i++) {
		gnutls_datum_t d = { NULL, 0 };
		if (gnutls_x509_rdn_get2(&rdn[i], &d, 0) < 0) {
			strvec_push(out, "(undecodable name)");
			continue;
		}
		strvec_push_owned(out, str_escape(d.data, d.size, 2048));
		gnutls_free(d.data);
	}
}

/* The CertificateRequest's contents, into the facts (RFC 5246 section
 * 7.4.4: certificate_types, supported_signature_algorithms,
 * certificate_authorities; RFC 8446 section 4.3.2 carries the last two as
 * extensions). */
static void record_request(gnutls_session_t s, const struct gnutls_cert_retr_st *info, struct tls_params *tp)
{
	strvec_clear(&tp->ccert_ca_names);
	strvec_clear(&tp->ccert_types);
	strvec_clear(&tp->ccert_sig_algs);
	tls_ca_names_record(info->req_ca_rdn, (unsigned)info->nreqs, &tp->ccert_ca_names);
	for (unsigned i = 0; i < info->pk_algos_length && i < 64; i++) {
		const char *n = gnutls_pk_get_name(info->pk_algos[i]);
		if (n && !strvec_contains_ci(&tp->ccert_types, n))
			strvec_push(&tp->ccert_types, n);
	}
	for (unsigned i = 0; i < 128; i++) {
		gnutls_sign_algorithm_t a;
		if (gnutls_sign_algorithm_get_requested(s, i, &a) < 0)
			break;
		const char *n = gnutls_sign_get_name(a);
		if (n && !strvec_contains_ci(&tp->ccert_sig_algs, n))
			strvec_push(&tp->ccert_sig_algs, n);
	}
}

/* Runs only when the server sends a CertificateRequest (shared/FACTS.md). */
static int retrieve_ccert(gnutls_session_t s, const struct gnutls_cert_retr_st *info, gnutls_pcert_st **certs,
			  unsigned *ncerts, gnutls_ocsp_data_st **ocsp, unsigned *nocsp, gnutls_privkey_t *key,
			  unsigned *flags)
{
	struct ccert_ctx *cc = gnutls_session_get_ptr(s);
	*certs = NULL;
	*ncerts = 0;
	*ocsp = NULL;
	*nocsp = 0;
	*key = NULL;
	*flags = 0;
	if (!cc)
		return 0;
	struct tls_params *tp = &cc->f->tls;
	tp->cert_requested = true;
	record_request(s, info, tp);
	char *names = tp->ccert_ca_names.n ? strvec_join(&tp->ccert_ca_names, "; ") : xstrdup("any");
	transcript_addf(cc->tr, TR_EVENT, "Client certificate requested; acceptable CAs: %s", names);
	free(names);
	if (!cc->id) {
		transcript_add(cc->tr, TR_EVENT, "Sending no client certificate");
		return 0;
	}
	tls_identity_gnutls(cc->id, certs, ncerts, key);
	tp->ccert_sent = true;
	size_t n = 0;
	const struct cert_info *ch = tls_identity_chain(cc->id, &n);
	struct session_facts *f = cc->f;
	if (!f->client_chain && n) {
		f->client_chain = xcalloc(n, sizeof *f->client_chain);
		for (size_t i = 0; i < n; i++)
			if (cert_info_from_der(ch[i].der, ch[i].der_len, &f->client_chain[f->client_chain_len]) == 0)
				f->client_chain_len++;
	}
	transcript_addf(cc->tr, TR_EVENT, "Sending client certificate: %s", n ? ch[0].subject : "?");
	return 0;
}

int tls_client_handshake(struct conn *c, const struct tls_opts *o, struct session_facts *f, int64_t deadline)
{
	struct ccert_ctx cc = { .f = f, .id = o->identity, .tr = c->tr };
	gnutls_certificate_credentials_t cred = NULL;
	int rc = 0, grc = 0;
	f->tls_attempted = true;
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return -MX_E_INTERNAL;
	if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) {
		c->tls = NULL;
		rc = -MX_E_INTERNAL;
		goto out;
	}
	const char *prio = o->priority ? o->priority : TLS_DEFAULT_PRIORITY;
	const char *errpos = NULL;
	grc = gnutls_priority_set_direct(c->tls, prio, &errpos);
	if (grc < 0)
		goto tls_failed;
	gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_certificate_set_retrieve_function3(cred, retrieve_ccert);
	gnutls_session_set_ptr(c->tls, &cc);
	if (o->sni) {
		gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, o->sni, strlen(o->sni));
		f->tls.sni = xstrdup(o->sni);
	}
	gnutls_transport_set_ptr(c->tls, c);
	gnutls_transport_set_vec_push_function(c->tls, vec_push);
	gnutls_transport_set_pull_function(c->tls, pull);

	transcript_addf(c->tr, TR_EVENT, "Starting TLS handshake%s%s", o->sni ? ", SNI " : " without SNI",
			o->sni ? o->sni : "");
	int64_t t0 = mono_us();
	for (;;) {
		grc = gnutls_handshake(c->tls);
		if (grc == GNUTLS_E_SUCCESS)
			break;
		if (grc == GNUTLS_E_AGAIN || grc == GNUTLS_E_INTERRUPTED) {
			int w = conn_wait(c, gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN, deadline);
			if (w < 0) {
				rc = w;
				f->tls_error = xstrdup("TIMEOUT");
				f->tls_error_text = xstrdup("the TLS handshake did not finish before the deadline");
				transcript_add(c->tr, TR_EVENT, "TLS handshake timed out");
				collect_chain(c->tls, f);
				goto out;
			}
			continue;
		}
		if (grc == GNUTLS_E_WARNING_ALERT_RECEIVED && gnutls_error_is_fatal(grc) == 0)
			continue;
		goto tls_failed;
	}
	int64_t t_done = mono_us();
	f->tls.handshake_us = t_done - t0;
	c->tls_up = true;
	f->tls_ok = true;
	collect_params(c->tls, &f->tls);
	transcript_addf(c->tr, TR_EVENT, "TLS handshake complete: %s, %s%s%s (%.1f ms)", f->tls.protocol,
			f->tls.cipher_suite, f->tls.group ? ", " : "", f->tls.group ? f->tls.group : "",
			(double)f->tls.handshake_us / 1000.0);
	/* The entry carries the instant the handshake ended, the one
	 * handshake_us measures, not the time the parameters were read. */
	if (c->tr && c->tr->n)
		c->tr->e[c->tr->n - 1].t_us = t_done - c->tr->start_mono_us;
	f->tr_handshake_entry = c->tr ? c->tr->n : 0;
	collect_chain(c->tls, f);
	collect_staples(c->tls, &f->tls);
	goto out;

tls_failed:
	f->tls_error = xstrdup(gnutls_strerror_name(grc) ? gnutls_strerror_name(grc) : "GNUTLS_E_UNKNOWN");
	f->tls_error_text = xstrdup(gnutls_strerror(grc));
	if (grc == GNUTLS_E_FATAL_ALERT_RECEIVED || grc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		gnutls_alert_description_t a = gnutls_alert_get(c->tls);
		f->tls_alert = (int)a;
		const char *an = gnutls_alert_get_name(a);
		f->tls_alert_name = xstrdup(an ? an : "unknown");
		c->last_alert = (int)a;
		transcript_addf(c->tr, TR_EVENT, "TLS alert received: %s (%d)", f->tls_alert_name, f->tls_alert);
		rc = -MX_E_TLS_ALERT;
	} else if (grc == GNUTLS_E_PREMATURE_TERMINATION || grc == GNUTLS_E_PULL_ERROR || grc == GNUTLS_E_PUSH_ERROR) {
		rc = -MX_E_CLOSED;
	} else {
		rc = -MX_E_TLS;
	}
	transcript_addf(c->tr, TR_EVENT, "TLS handshake failed: %s (%s)", f->tls_error_text, f->tls_error);
	if (c->tls)
		collect_chain(c->tls, f);
out:
	/* cc lives on this stack; no later callback may see it. */
	if (c->tls)
		gnutls_session_set_ptr(c->tls, NULL);
	/* GnuTLS only borrows the credentials: they live as long as the
	 * connection, and conn_close() frees both. */
	if (c->tls)
		c->tls_cred = cred;
	else
		gnutls_certificate_free_credentials(cred);
	return rc;
}

void tls_bye(struct conn *c, int64_t deadline)
{
	if (!c->tls_up)
		return;
	for (;;) {
		int r = gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
			return;
		if (conn_wait(c, gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN, deadline) < 0)
			return;
	}
}
