/* \summary: an in-memory test PKI for the lab and the test server: one root
 * CA and leaf certificates it signs, made with the GnuTLS X.509 API.
 *
 * specification: RFC 5280 (certificate profile); the leaves carry what a
 * mail server certificate carries: serverAuth EKU (section 4.2.1.12),
 * digitalSignature key usage (4.2.1.3), DNS / IP subjectAltNames (4.2.1.6).
 *
 * Keys are ECDSA P-256: generating them takes milliseconds, so the lab and
 * the tests make a fresh PKI on every run and need no files. */
#ifndef SRC_LAB_LABPKI_H
#define SRC_LAB_LABPKI_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#define LABPKI_ROOT_DN "CN=mxprobe lab root CA,O=mxprobe lab"

struct labpki;

/* A new root CA (valid from now - 1 day to now + 10 years). NULL with a
 * message in err on failure. */
struct labpki *labpki_new(char *err, size_t errlen);
void labpki_free(struct labpki *pki);

/* Issues a leaf signed by the root: subject "CN=<cn>,O=mxprobe lab", the
 * given subjectAltNames (NULL-terminated; NULL for none), validity from
 * not_before to not_after (seconds since the epoch; a past not_after makes
 * an expired certificate). A SAN written "IP:127.0.0.1" or "IP:::1" is an
 * iPAddress entry, anything else a dNSName.
 *
 * *out_cred receives new server credentials holding the leaf, its key and
 * the root as chain; the caller frees them with
 * gnutls_certificate_free_credentials(). 0, or -1 with a message in err. */
int labpki_issue(struct labpki *pki, const char *cn, const char *const *sans, int64_t not_before, int64_t not_after,
		 gnutls_certificate_credentials_t *out_cred, char *err, size_t errlen);

/* Like labpki_issue, but hands out the leaf certificate and key as PEM
 * (malloc'd, NUL-terminated) instead of credentials, for tests that start
 * other servers with them. 0, or -1 with a message in err. */
int labpki_issue_pem(struct labpki *pki, const char *cn, const char *const *sans, int64_t not_before, int64_t not_after,
		     char **cert_pem, char **key_pem, char *err, size_t errlen);

/* The root certificate as PEM, malloc'd and NUL-terminated; NULL on failure. */
char *labpki_ca_pem(const struct labpki *pki);

/* Writes the root certificate as PEM to path. 0, or -1 with errno set. */
int labpki_write_ca_pem(const struct labpki *pki, const char *path);

#endif
