/* \summary: DANE for SMTP: the TLSA RDATA reader, which records an SMTP
 * client may use, the association data of a certificate, and whether a
 * served chain matches a TLSA RRset: DANE-EE(3) against the leaf without
 * name or validity checks, DANE-TA(2) against a certificate of the chain
 * with the path below it verified from that trust anchor, every
 * certificate on it in its validity period, and the server's name
 * checked against the TLSA base domain and the MX host name.
 *
 * The matching is done here rather than with libgnutls-dane: its
 * dane_verify_crt_raw gives one verdict for the whole RRset, while the
 * report names the record that matched, the served hashes of each
 * certificate for the ones that did not, and the records to publish.
 *
 * specification: RFC 6698 section 2.1 (TLSA RDATA), RFC 7671 sections 5.1
 * (DANE-EE) and 5.2 (DANE-TA), RFC 7672 sections 3.1 (usable records) and
 * 3.2 (reference identifiers). */
#ifndef SRC_PKI_DANE_H
#define SRC_PKI_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/domain.h"
#include "report/model.h"

/* The association data of one record may be a whole certificate (matching
 * type 0); larger RDATA is refused. */
#define DANE_MAX_DATA 16384

/* Parses one TLSA RDATA (RFC 6698 section 2.1: usage, selector, matching
 * type, association data) into out; out->data is malloc'd (free it). 0, or
 * -1 when shorter than 4 bytes or longer than 3 + DANE_MAX_DATA. Any value
 * of the three octets is accepted here: dane_tlsa_usability judges them. */
int dane_tlsa_parse(const unsigned char *p, size_t n, struct tlsa_rr *out);

enum dane_usability {
	DANE_USABLE,	     /* DANE-TA(2) or DANE-EE(3), selector 0/1, matching type 0/1/2, right length */
	DANE_PKIX_USAGE,     /* PKIX-TA(0) or PKIX-EE(1): not for SMTP (RFC 7672 section 3.1.3) */
	DANE_UNKNOWN_PARAMS, /* another usage, selector or matching type */
	DANE_BAD_LENGTH,     /* a SHA2-256 that is not 32 bytes, a SHA2-512 not 64 */
};
/* Whether an SMTP client uses the record (RFC 7672 section 3.1), and a
 * phrase saying why not (static). */
enum dane_usability dane_tlsa_usability(const struct tlsa_rr *rr, const char **why);

/* The association data of a certificate for a selector and matching type
 * (the DER certificate or its SubjectPublicKeyInfo, as is or hashed with
 * SHA2-256 or SHA2-512), malloc'd into *out. 0, or -1 when the
 * certificate does not parse or a parameter is unknown. */
int dane_cert_assoc(const struct cert_info *c, unsigned selector, unsigned mtype, unsigned char **out, size_t *len);

/* The record text that matches c, "3 1 1 <HEX>" (upper-case hex), malloc'd;
 * NULL on failure. */
char *dane_record_text(const struct cert_info *c, unsigned usage, unsigned selector, unsigned mtype);

/* A record in presentation form, "2 1 1 <HEX>", malloc'd. */
char *dane_tlsa_text(const struct tlsa_rr *rr);

struct dane_match {
	bool matched;  /* a usable record authenticates the chain */
	size_t record; /* matched: which record (index into the RRset) */
	size_t cert;   /* matched: which certificate of the chain it matched */
	/* Why each usable record did not authenticate the chain, "; "-joined
	 * (the served data per certificate, a failed path or name check);
	 * malloc'd, NULL when matched. */
	char *why;
	size_t nusable; /* usable records in the set */
};

/* Does chain[0..n) (leaf first, as sent) match a usable record of
 * rr[0..nrr)? names: the reference identifiers for DANE-TA (the TLSA base
 * domain, then the MX host name; RFC 7672 section 3.2.2); at: the instant
 * DANE-TA validity periods are judged at (seconds since the epoch). out
 * is cleared with dane_match_clear. */
void dane_match_chain(const struct tlsa_rr *rr, size_t nrr, const struct cert_info *chain, size_t n,
		      const char *const *names, size_t nnames, int64_t at, struct dane_match *out);
void dane_match_clear(struct dane_match *m);

#endif
