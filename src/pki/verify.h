/* \summary: validate the chain a server sent against trust stores (a
 * private CA from --ca-file or the lab, then the system store), and read
 * the facts the chain probe grades: the path that validates, order, issuer
 * found, AIA caIssuers, extended key usage, basic constraints.
 *
 * Validity is judged on the path that validates (RFC 5280 section 6.1):
 * every issuer chain from the leaf through the certificates the server sent
 * is a candidate, each is verified by the library, and the first that
 * validates with every certificate inside its validity period at --at
 * (default now) is the path. A server may send more than one path (an old
 * cross-signature beside a new one) or certificates on none (a stale
 * intermediate, an expired root left in the bundle): those are chain
 * hygiene, not validity. The library's own clock is left out of each
 * verification (GNUTLS_VERIFY_DISABLE_TIME_CHECKS) because it cannot judge
 * at --at; the validity periods of the path's certificates are compared
 * with --at here instead, so the verdict is the library's with time.
 * specification: RFC 5280 section 6 (path validation), 4.1.2.5 (validity),
 * 4.2.1.9 (basic constraints), 4.2.1.12 (extended key usage), 4.2.2.1 (AIA
 * caIssuers); RFC 4158 (path building). */
#ifndef SRC_PKI_VERIFY_H
#define SRC_PKI_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "report/model.h"

#define VERIFY_MAX_CHAIN 16

struct verify_result {
	char *error;		 /* the check could not be made (a store did not load); else NULL */
	bool trusted;		 /* a path to a trust anchor, every certificate on it valid at --at */
	bool path_complete;	 /* a path to a trust anchor, validity periods aside */
	bool path_in_time;	 /* every certificate on the path is inside its validity period at --at */
	size_t time_break;	 /* !path_in_time: the chain index of the first one outside it */
	bool time_break_expired; /* ... and it has expired (else: not valid yet) */
	/* The path judged, as indexes into the chain as sent, leaf first: the
	 * one that validates when one does (path_complete), else the longest
	 * issuer chain from the leaf among the certificates sent. Never empty
	 * when the chain parsed. */
	size_t path[VERIFY_MAX_CHAIN];
	size_t path_len;
	bool on_path[VERIFY_MAX_CHAIN]; /* chain[i] is on the path; the others are off it */
	size_t n_off_path;		/* of the first VERIFY_MAX_CHAIN certificates */
	const char *store;		/* which store validates (path_complete): "ca-file", "system"; NULL */
	char *stores;			/* the stores tried, printed */
	unsigned status;		/* GnuTLS status bits (with time) when !trusted */
	char *status_text;		/* GnuTLS's words for them */
	bool only_insecure_alg;		/* untrusted only for a SHA-1 (or weaker) signature */
	bool in_order;			/* the path's certificates come first, in path order */
	size_t order_break;		/* the first sent index whose issuer is not the next one */
	bool last_issuer_known;		/* the path's last certificate's issuer is a trust anchor */
	char *aia_ca_issuers;		/* the path's last certificate's caIssuers URL, or NULL */
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

/* Builds and verifies the path of chain[0..n) (leaf first, as sent) at
 * mx_options_at(opt). 0; the result holds the verdict and the path or, in
 * error, why no verdict could be made (the path is still filled in then).
 * The stores are asked in order, each parsed only when the ones before did
 * not validate (the same answer as parsing all first). ts may be NULL: the
 * stores are then loaded for this call alone. */
int verify_chain(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain, size_t n,
		 struct verify_result *out);
void verify_result_clear(struct verify_result *r);

/* The issuer of chain[i], as DER the caller frees: a certificate of the
 * chain that issued it, else a trust anchor of the same stores verify_chain
 * uses (--ca-file or the lab's CA, then the system store). The revocation
 * probe checks CRL and OCSP signatures with it. 0, or -1 when none is found. */
int verify_find_issuer(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain, size_t n,
		       size_t i, unsigned char **der, size_t *len);

/* Is chain[i] on the path? Certificates past VERIFY_MAX_CHAIN never are. */
bool verify_on_path(const struct verify_result *r, size_t i);

/* Is this signature algorithm name (as GnuTLS prints it) MD5 or SHA-1 based? */
bool verify_sig_is_weak(const char *sig_alg);

#endif
