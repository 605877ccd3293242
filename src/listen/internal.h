/* \summary: what the listener (server.c) shares with its sessions
 * (session.c): the configuration, the TLS credentials and trust stores
 * made once, the stop signal, the output lock. Not for outside src/listen. */
#ifndef SRC_LISTEN_INTERNAL_H
#define SRC_LISTEN_INTERNAL_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <sys/socket.h>

#include "core/options.h"
#include "listen/listen.h"
#include "pki/verify.h"

struct lsn_shared {
	const struct lsn_config *cfg;
	gnutls_certificate_credentials_t cred; /* NULL: no TLS */
	gnutls_priority_t prio;
	size_t ca_names;       /* CA names in our CertificateRequest */
	struct mx_options opt; /* ca_file for verify_chain */
	struct trust_stores *ts;
	int stop_fd; /* readable once the listener stops */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned active;
	unsigned long queue_seq;
};

/* Serves one accepted connection (non-blocking fd, owned by the caller)
 * until it ends, filling s. Never prints. */
void lsn_session_serve(struct lsn_shared *sh, int fd, const struct sockaddr_storage *peer, socklen_t peerlen,
		       struct lsn_session *s);

/* The retrieve function of the server credentials: our chain and key from
 * the identity (which keeps them), for every session. */
int lsn_retrieve_cert(gnutls_session_t t, const gnutls_datum_t *req_ca_rdn, int nreqs,
		      const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
		      unsigned int *pcert_length, gnutls_privkey_t *key);

#endif
