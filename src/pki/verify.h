/* \summary: validate the chain a server sent against trust stores (a
 * private CA from --ca-file or the lab, then the system store), and read
 * the facts the chain probe grades: order, issuer found, AIA caIssuers,
 * extended key usage, basic constraints.
 *
 * Time is left out of the library's verdict (GNUTLS_VERIFY_DISABLE_TIME_CHECKS):
 * the expiry probe judges validity periods itself at the instant the user
 * asked for (--at), which the library cannot do per call.
 * specification: RFC 5280 section 6 (path validation), 4.2.1.9 (basic
 * constraints), 4.2.1.12 (extended key usage), 4.2.2.1 (AIA caIssuers). */
#ifndef SRC_PKI_VERIFY_H
#define SRC_PKI_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "report/model.h"

#define VERIFY_MAX_CHAIN 16

struct verify_result {
	char *error;		/* the check could not be made (a store did not load); else NULL */
	bool trusted;		/* a path to a trust anchor, validity periods aside */
	const char *store;	/* which store validated: "ca-file", "system"; NULL */
	char *stores;		/* the stores tried, printed */
	unsigned status;	/* GnuTLS status bits of the first store (when !trusted) */
	char *status_text;	/* GnuTLS's words for them */
	bool only_insecure_alg; /* untrusted only for a SHA-1 (or weaker) signature */
	bool in_order;		/* each certificate is issued by the next one */
	size_t order_break;	/* the first index whose issuer is not the next one */
	bool last_issuer_known; /* the last certificate's issuer is a trust anchor */
	char *aia_ca_issuers;	/* the last certificate's caIssuers URL, or NULL */
	bool leaf_eku_present;
	bool leaf_server_auth; /* EKU has serverAuth or anyExtendedKeyUsage */
	char *leaf_eku;	       /* the leaf's EKU OIDs, printed; NULL if none */
};

/* The trust stores (--ca-file or the lab's CA, then the system store) of a
 * run, shared by its targets and their probes; thread-safe. Each store is
 * parsed on first use, and the system store only when --ca-file did not
 * answer (a chain it does not validate, an issuer not in it). opt must
 * outlive the stores. */
struct trust_stores;
struct trust_stores *trust_stores_new(const struct mx_options *opt);
void trust_stores_free(struct trust_stores *ts); /* NULL is fine */
/* Were ts made for the same trust inputs as opt (--ca-file, the lab's CA,
 * the system store or not)? The lab probes with options of its own. */
bool trust_stores_fit(const struct trust_stores *ts, const struct mx_options *opt);

/* Has the store of this name ("ca-file", "lab CA", "system") been parsed
 * yet? (For tests: the system store is parsed only when needed.) */
bool trust_stores_parsed(struct trust_stores *ts, const char *name);

/* Verifies chain[0..n) (leaf first) against the stores in order, stopping
 * at the first that validates. 0; the result holds the verdict or, in
 * error, why no verdict could be made. ts may be NULL: the stores are then
 * loaded for this call alone. */
int verify_chain(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain, size_t n,
		 struct verify_result *out);
void verify_result_clear(struct verify_result *r);

/* The issuer of chain[i], as DER the caller frees: a certificate of the
 * chain that issued it, else a trust anchor of the same stores verify_chain
 * uses (--ca-file or the lab's CA, then the system store). The revocation
 * probe checks CRL and OCSP signatures with it. 0, or -1 when none is found. */
int verify_find_issuer(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain, size_t n,
		       size_t i, unsigned char **der, size_t *len);

/* Is this signature algorithm name (as GnuTLS prints it) MD5 or SHA-1 based? */
bool verify_sig_is_weak(const char *sig_alg);

#endif
