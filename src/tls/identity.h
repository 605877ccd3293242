/* \summary: our client certificate ("identity"): a chain and its private
 * key from PEM files or a PKCS#12 (PFX) file, loaded once and presented by
 * tls_client_handshake when a server asks; plus the checks a partner will
 * make of it (validity, clientAuth EKU, key matching the certificate).
 * specification: RFC 7292 (PKCS#12), RFC 5280 section 4.2.1.12 (EKU),
 * RFC 8446 section 4.4.2.2 / RFC 5246 section 7.4.6 (client certificate). */
#ifndef SRC_TLS_IDENTITY_H
#define SRC_TLS_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/model.h"

struct tls_identity;

/* Loads a PEM certificate chain (leaf first) and a PEM private key. 0, or
 * -MX_E_USAGE with a one-line reason in err (never the key's bytes). */
int tls_identity_load_pem(const char *cert_file, const char *key_file, struct tls_identity **out, char *err,
			  size_t errlen);
/* Loads a PKCS#12 file; password may be NULL (none). A wrong password and
 * a file that is not PKCS#12 are told apart in err. */
int tls_identity_load_pkcs12(const char *file, const char *password, struct tls_identity **out, char *err,
			     size_t errlen);
void tls_identity_free(struct tls_identity *id);

/* The chain as the model keeps it (leaf first). */
const struct cert_info *tls_identity_chain(const struct tls_identity *id, size_t *n);
/* Where it came from: "client.pem" or "partner.p12". */
const char *tls_identity_source(const struct tls_identity *id);

/* What a partner will check of the leaf. */
struct tls_identity_check {
	bool has_eku;	      /* an extendedKeyUsage extension is present */
	bool eku_client_auth; /* ... and it allows clientAuth (or anyExtendedKeyUsage) */
	bool key_matches;     /* the private key belongs to the leaf */
	int64_t not_before, not_after;
	struct strvec issuers; /* printed DNs that may anchor our chain in the server's CA list */
};
const struct tls_identity_check *tls_identity_checks(const struct tls_identity *id);

/* For tls.c: the GnuTLS objects to return from the retrieve function. */
struct gnutls_pcert_st;
struct gnutls_privkey_st;
void tls_identity_gnutls(const struct tls_identity *id, struct gnutls_pcert_st **pcert, unsigned *n,
			 struct gnutls_privkey_st **key);

/* Is any of issuers among ca_names (the server's acceptable CA list)?
 * An empty ca_names means "any" and returns true. Names compare exactly
 * (both are printed by the same GnuTLS function) and, failing that, without
 * regard to case and spaces after commas. */
bool tls_identity_issuer_listed(const struct strvec *ca_names, const struct strvec *issuers);

#endif
