/* \summary: is a certificate revoked? CRLs (from --crl-file and the
 * certificate's CRL distribution points), OCSP at the AIA responder (with a
 * nonce), and a stapled OCSP response, each verified against the issuer and
 * judged fresh or stale at the evaluation time (--at, else now). An answer
 * that cannot be had (no pointers, unreachable, timeout, bad signature,
 * stale) is "could not check", never good and never revoked.
 * specification: RFC 5280 sections 4.2.1.13, 5 and 6.3; RFC 6960 (OCSP);
 * RFC 6066 section 8 (stapling); RFC 7633 (TLS feature, must-staple). */
#ifndef SRC_PKI_REVOCATION_H
#define SRC_PKI_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/options.h"
#include "net/http.h"
#include "report/model.h"

enum rev_outcome {
	REV_GOOD,
	REV_REVOKED,
	REV_UNKNOWN,   /* the OCSP responder does not know the certificate */
	REV_UNCHECKED, /* could not check: see enum rev_why */
};
const char *rev_outcome_name(enum rev_outcome o); /* "good", "revoked", ... */

/* Why a source (or a certificate) could not be checked. */
#define REV_WHYS(X)                                                                                          \
	X(NONE, "none", "")                                                                                  \
	X(NO_SOURCES, "no-sources", "no CRL distribution point, no OCSP responder and no --crl-file for it") \
	X(NO_ISSUER, "no-issuer", "the issuer is neither in the chain nor in a trust store")                 \
	X(UNREACHABLE, "unreachable", "the server could not be reached")                                     \
	X(TIMEOUT, "timeout", "no answer before the deadline")                                               \
	X(HTTP, "http-error", "the HTTP request failed")                                                     \
	X(BAD_DATA, "bad-data", "the answer could not be parsed")                                            \
	X(WRONG_ISSUER, "wrong-issuer", "the CRL is from another issuer")                                    \
	X(BAD_SIGNATURE, "bad-signature", "the signature does not verify against the issuer")                \
	X(STALE, "stale", "past its nextUpdate")                                                             \
	X(FUTURE, "not-yet-valid", "its thisUpdate is in the future")                                        \
	X(RESPONDER_ERROR, "responder-error", "the OCSP responder answered with an error status")            \
	X(NOT_FOR_CERT, "not-for-certificate", "the OCSP response is about another certificate")             \
	X(NONCE_MISMATCH, "nonce-mismatch", "the OCSP response carries another nonce (replayed?)")

enum rev_why {
#define REV_WHY_ENUM(n, id, text) REV_WHY_##n,
	REV_WHYS(REV_WHY_ENUM)
#undef REV_WHY_ENUM
};
const char *rev_why_id(enum rev_why w);	  /* "timeout" */
const char *rev_why_text(enum rev_why w); /* "no answer before the deadline" */

enum rev_kind {
	REV_SRC_CRL_FILE,
	REV_SRC_CRL_URL,
	REV_SRC_OCSP,
	REV_SRC_STAPLE
};
const char *rev_kind_name(enum rev_kind k); /* "crl-file", "crl", "ocsp", "staple" */

/* What one source said about one certificate. */
struct rev_source {
	enum rev_kind kind;
	char *where; /* URL or file name; "stapled" */
	enum rev_outcome outcome;
	enum rev_why why;    /* for REV_UNCHECKED, and STALE also with REVOKED */
	char *detail;	     /* e.g. curl's or GnuTLS's words; may be NULL */
	int64_t this_update; /* 0 unknown */
	int64_t next_update; /* 0 unknown, -1 absent */
	int64_t revoked_at;  /* REV_REVOKED */
	int reason;	     /* RFC 5280 CRLReason, -1 none given */
	bool nonce_sent, nonce_echoed;
	bool cached; /* the HTTP answer came from this run's cache */
};

struct rev_cert {
	size_t index; /* in the chain */
	char *serial_hex;
	enum rev_outcome outcome;
	enum rev_why why; /* REV_UNCHECKED: the reason of the first source (or NO_SOURCES/NO_ISSUER) */
	const struct rev_source *decided_by; /* into src; NULL when unchecked */
	bool must_staple;		     /* TLS feature status_request (RFC 7633) */
	struct rev_source *src;
	size_t nsrc, capsrc;
};
void rev_cert_clear(struct rev_cert *rc);

/* CRLs loaded from --crl-file, once per probe run. */
struct rev_crls;
/* Loads every file; on a file that cannot be read or parsed, fills *err
 * (caller frees) and goes on with the rest. */
struct rev_crls *rev_crls_load(const char *const *files, size_t n, char **err);
void rev_crls_free(struct rev_crls *c);

struct rev_inputs {
	const unsigned char *cert;
	size_t cert_len; /* DER */
	const unsigned char *issuer;
	size_t issuer_len;		  /* DER; NULL: not found */
	const struct ocsp_staple *staple; /* NULL: none for this certificate */
	const struct rev_crls *files;	  /* may be NULL */
	struct http_cache *http;	  /* NULL: fetch nothing */
	int64_t timeout_us;		  /* per HTTP request */
	int64_t deadline;		  /* mono_us; no request past it (0: none) */
	int64_t at;			  /* evaluation time */
	const void *owner;		  /* who asks (the target): http_request.owner */
	/* --revocation soft: a good (or revoked), verified, fresh staple
	 * settles the certificate; the CRL is not fetched. */
	bool staple_suffices;
	/* A cached CRL or OCSP answer that is stale at `at` is fetched once
	 * more (evaluation time is now, not a fixed --at). */
	bool refresh_stale;
	/* Not NULL: fetch nothing, add every request rev_check_cert would make
	 * to this batch (to fetch them all at once, http_batch_run); the
	 * result is then meaningless. */
	struct http_batch *collect;
};

/* Checks one certificate against every source and combines them. */
void rev_check_cert(const struct rev_inputs *in, size_t index, struct rev_cert *out);

/* ---- one chain: the inputs per certificate, and fetching ahead ---- */

struct trust_stores; /* pki/verify.h */

/* What checking the revocation of a session's chain needs. */
struct rev_chain {
	const struct session_facts *fa; /* chain and staples */
	const struct mx_options *opt;	/* --revocation, --at, --timeout */
	struct trust_stores *trust;	/* to find the issuer of the last certificate */
	struct http_cache *http;
	const struct rev_crls *files; /* may be NULL */
	int64_t deadline;	      /* the target's (mono_us) */
	const void *owner;	      /* the target */
};

/* The inputs for fa->chain[i]: the issuer (from the chain, else the trust
 * stores) into *issuer, which the caller frees. 0, or -1 for a certificate
 * whose revocation is not asked (a self-signed root: a trust anchor). */
int rev_chain_inputs(const struct rev_chain *ch, size_t i, struct rev_inputs *in, unsigned char **issuer);

/* Starts every CRL and OCSP fetch that checking ch's chain will make, side
 * by side on a thread of its own, as soon as the chain is known; the
 * checks (rev_check_cert on the same cache) then wait for the answers in
 * flight instead of asking again. NULL when there is nothing to fetch.
 * ch's pointers must live until rev_prefetch_finish, which waits for the
 * last answer (each bounded by its request's deadline) and frees. */
struct rev_prefetch;
struct rev_prefetch *rev_prefetch_start(const struct rev_chain *ch);
void rev_prefetch_finish(struct rev_prefetch *p); /* NULL is fine */

/* ---- decisions, table-tested (tests/unit/test_revocation.c) ---- */

/* Revoked anywhere beats good; good beats unknown; unknown beats could
 * not check. Returns the index of the deciding source, or -1 (unchecked). */
long rev_combine(const struct rev_source *src, size_t n);

/* Fresh at `at`? REV_WHY_NONE, REV_WHY_STALE or REV_WHY_FUTURE; next_update
 * -1 means none was given (RFC 6960 section 4.2.2.1: newer information is
 * always available: fresh). A few minutes of clock skew are tolerated. */
#define REV_CLOCK_SKEW 300
enum rev_why rev_freshness(int64_t this_update, int64_t next_update, int64_t at);

/* Severity of a certificate's outcome under the --revocation mode and the
 * policy: good passes; revoked fails under verify and stricter, else warns;
 * unknown and could-not-check fail under hard, warn under soft (info when
 * the certificate names no source at all, or under policy none). */
enum severity rev_severity(enum rev_outcome o, enum rev_why why, enum revocation_mode m, enum policy p);

/* An invalid staple (bad signature, stale, about another certificate): a
 * client that checks staples (GnuTLS) refuses the handshake. */
enum severity rev_staple_invalid_severity(enum revocation_mode m, enum policy p);

/* RFC 5280 section 5.3.1 CRLReason name ("keyCompromise"), "unspecified"
 * for -1 and unknown codes. */
const char *rev_reason_name(int reason);

/* The reasonCode of the CRL entry for `serial` (big-endian, as in the
 * certificate), read from the CRL's DER with bounds checks: 0..10, -1 when
 * the entry has no reasonCode, -2 when there is no such entry or the DER is
 * malformed. */
int rev_crl_entry_reason(const unsigned char *crl, size_t len, const unsigned char *serial, size_t serial_len);

#endif
