/* \summary: TLSA records against served chains (see dane.h).
 * specification: RFC 6698 section 2.1, RFC 7671 sections 5.1 and 5.2, RFC
 * 7672 sections 3.1 and 3.2. Every byte of a TLSA RDATA is hostile: each
 * read is checked against its length. */
#include "pki/dane.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/names.h"
#include "util/util.h"

#define USAGE_PKIX_TA 0
#define USAGE_PKIX_EE 1
#define USAGE_DANE_TA 2
#define USAGE_DANE_EE 3

int dane_tlsa_parse(const unsigned char *p, size_t n, struct tlsa_rr *out)
{
	memset(out, 0, sizeof *out);
	/* RFC 6698 section 2.1: three octets, then the association data
	 * (never empty: even matching type 0 carries a certificate or key). */
	if (!p || n < 4 || n - 3 > DANE_MAX_DATA)
		return -1;
	out->usage = p[0];
	out->selector = p[1];
	out->mtype = p[2];
	out->len = n - 3;
	out->data = xmalloc(out->len);
	memcpy(out->data, p + 3, out->len);
	return 0;
}

enum dane_usability dane_tlsa_usability(const struct tlsa_rr *rr, const char **why)
{
	*why = NULL;
	/* RFC 7672 section 3.1.3: "SMTP client treatment of TLSA RRs with
	 * certificate usages PKIX-TA(0) or PKIX-EE(1) ... is undefined ...
	 * SMTP servers SHOULD NOT publish" them; clients treat them as
	 * unusable. */
	if (rr->usage == USAGE_PKIX_TA || rr->usage == USAGE_PKIX_EE) {
		*why = rr->usage == USAGE_PKIX_TA ? "usage PKIX-TA(0) is not for SMTP (RFC 7672 section 3.1.3)"
						  : "usage PKIX-EE(1) is not for SMTP (RFC 7672 section 3.1.3)";
		return DANE_PKIX_USAGE;
	}
	if (rr->usage != USAGE_DANE_TA && rr->usage != USAGE_DANE_EE) {
		*why = "unknown certificate usage";
		return DANE_UNKNOWN_PARAMS;
	}
	if (rr->selector > 1) {
		*why = "unknown selector";
		return DANE_UNKNOWN_PARAMS;
	}
	switch (rr->mtype) {
	case 0:
		return DANE_USABLE;
	case 1:
		if (rr->len != 32) {
			*why = "a SHA2-256 association that is not 32 bytes long";
			return DANE_BAD_LENGTH;
		}
		return DANE_USABLE;
	case 2:
		if (rr->len != 64) {
			*why = "a SHA2-512 association that is not 64 bytes long";
			return DANE_BAD_LENGTH;
		}
		return DANE_USABLE;
	default:
		*why = "unknown matching type";
		return DANE_UNKNOWN_PARAMS;
	}
}

/* The SubjectPublicKeyInfo of a DER certificate, as DER (gnutls_free it). */
static int spki_der(const struct cert_info *c, gnutls_datum_t *out)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pk = NULL;
	int rc = -1;
	gnutls_datum_t d = { c->der, (unsigned)c->der_len };
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0 || gnutls_pubkey_init(&pk) < 0)
		goto out;
	if (gnutls_pubkey_import_x509(pk, crt, 0) < 0 || gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, out) < 0)
		goto out;
	rc = 0;
out:
	if (pk)
		gnutls_pubkey_deinit(pk);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int dane_cert_assoc(const struct cert_info *c, unsigned selector, unsigned mtype, unsigned char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!c->der || !c->der_len || selector > 1 || mtype > 2)
		return -1;
	gnutls_datum_t spki = { NULL, 0 };
	const unsigned char *src = c->der;
	size_t n = c->der_len;
	if (selector == 1) {
		if (spki_der(c, &spki) < 0)
			return -1;
		src = spki.data;
		n = spki.size;
	}
	int rc = 0;
	if (mtype == 0) {
		*out = xmalloc(n);
		memcpy(*out, src, n);
		*len = n;
	} else {
		gnutls_digest_algorithm_t alg = mtype == 1 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512;
		size_t dl = mtype == 1 ? 32 : 64;
		*out = xmalloc(dl);
		if (gnutls_hash_fast(alg, src, n, *out) < 0) {
			free(*out);
			*out = NULL;
			rc = -1;
		} else {
			*len = dl;
		}
	}
	gnutls_free(spki.data);
	return rc;
}

static char *hex(const unsigned char *p, size_t n)
{
	char *s = xmalloc(n * 2 + 1);
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02X", p[i]);
	s[n * 2] = '\0';
	return s;
}

char *dane_record_text(const struct cert_info *c, unsigned usage, unsigned selector, unsigned mtype)
{
	unsigned char *d;
	size_t n;
	if (dane_cert_assoc(c, selector, mtype, &d, &n) < 0)
		return NULL;
	char *h = hex(d, n);
	char *s = xasprintf("%u %u %u %s", usage, selector, mtype, h);
	free(h);
	free(d);
	return s;
}

char *dane_tlsa_text(const struct tlsa_rr *rr)
{
	char *h = hex(rr->data, rr->len);
	char *s = xasprintf("%u %u %u %s", rr->usage, rr->selector, rr->mtype, h);
	free(h);
	return s;
}

static bool cert_matches(const struct tlsa_rr *rr, const struct cert_info *c)
{
	unsigned char *d;
	size_t n;
	if (dane_cert_assoc(c, rr->selector, rr->mtype, &d, &n) < 0)
		return false;
	bool eq = n == rr->len && memcmp(d, rr->data, n) == 0;
	free(d);
	return eq;
}

static int import(const struct cert_info *c, gnutls_x509_crt_t *out)
{
	gnutls_datum_t d = { c->der, (unsigned)c->der_len };
	if (gnutls_x509_crt_init(out) < 0)
		return -1;
	if (gnutls_x509_crt_import(*out, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*out);
		return -1;
	}
	return 0;
}

/* RFC 7671 section 5.2: the chain must verify from the matched trust
 * anchor chain[ta]. The library builds the path (it sorts the list and
 * stops at the anchor); validity periods are judged at `at` here, for the
 * certificates sent before the anchor. NULL when it verifies, else why
 * (static). */
static const char *ta_path_problem(const struct cert_info *chain, size_t n, size_t ta, int64_t at)
{
	if (ta > 0) {
		gnutls_x509_crt_t list[16];
		size_t k = 0;
		const char *why = NULL;
		gnutls_x509_trust_list_t tl = NULL;
		gnutls_x509_crt_t anchor = NULL;
		for (size_t i = 0; i < n && k < ARRAY_LEN(list); i++) {
			if (import(&chain[i], &list[k]) < 0) {
				why = "a certificate of the chain does not parse";
				goto done;
			}
			k++;
		}
		if (gnutls_x509_trust_list_init(&tl, 0) < 0 || import(&chain[ta], &anchor) < 0) {
			why = "the trust anchor could not be loaded";
			goto done;
		}
		if (gnutls_x509_trust_list_add_cas(tl, &anchor, 1, 0) != 1) {
			gnutls_x509_crt_deinit(anchor);
			why = "the trust anchor could not be loaded";
			goto done;
		}
		unsigned status = 0;
		if (gnutls_x509_trust_list_verify_crt2(tl, list, (unsigned)k, NULL, 0,
						       GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
							       GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
						       &status, NULL) < 0 ||
		    status != 0)
			why = "the chain does not verify from the matched trust anchor (RFC 7671 section 5.2)";
	done:
		if (tl)
			gnutls_x509_trust_list_deinit(tl, 1);
		for (size_t i = 0; i < k; i++)
			gnutls_x509_crt_deinit(list[i]);
		if (why)
			return why;
	}
	for (size_t i = 0; i < ta; i++) {
		if (chain[i].not_after < at)
			return "a certificate below the trust anchor has expired";
		if (chain[i].not_before > at)
			return "a certificate below the trust anchor is not valid yet";
	}
	if (ta == 0 && (chain[0].not_after < at || chain[0].not_before > at))
		return "the certificate is outside its validity period";
	return NULL;
}

/* RFC 7672 section 3.2.2: with DANE-TA the server's certificate must name
 * a reference identifier: the TLSA base domain or the MX host name. */
static bool names_ok(const struct cert_info *leaf, const char *const *names, size_t nnames)
{
	char *cn = names_subject_cn(leaf);
	struct names_presented p = {
		.dns = (const char *const *)leaf->san_dns.v,
		.ndns = leaf->san_dns.n,
		.ip = (const char *const *)leaf->san_ip.v,
		.nip = leaf->san_ip.n,
		.cn = cn,
	};
	bool ok = false;
	for (size_t i = 0; i < nnames && !ok; i++) {
		struct names_result res;
		if (!names[i])
			continue;
		names_check(&p, names[i], &res);
		ok = res.matched;
	}
	free(cn);
	return ok;
}

/* What the served chain has for rr's selector and matching type, for the
 * certificates rr may match: "cert[0] has AB12...". */
static char *served_for(const struct tlsa_rr *rr, const struct cert_info *chain, size_t n)
{
	struct strvec parts = { 0 };
	size_t last = rr->usage == USAGE_DANE_EE ? 1 : n;
	for (size_t i = 0; i < last && i < n; i++) {
		unsigned char *d;
		size_t len;
		if (dane_cert_assoc(&chain[i], rr->selector, rr->mtype, &d, &len) < 0)
			continue;
		char *h = hex(d, len > 64 ? 64 : len);
		strvec_push_owned(&parts, xasprintf("cert[%zu] has %s%s", i, h, len > 64 ? "..." : ""));
		free(h);
		free(d);
	}
	char *s = parts.n ? strvec_join(&parts, ", ") : xstrdup("no certificate to compare");
	strvec_clear(&parts);
	return s;
}

void dane_match_chain(const struct tlsa_rr *rr, size_t nrr, const struct cert_info *chain, size_t n,
		      const char *const *names, size_t nnames, int64_t at, struct dane_match *out)
{
	memset(out, 0, sizeof *out);
	struct strvec why = { 0 };
	for (size_t r = 0; r < nrr; r++) {
		const char *unusable;
		if (dane_tlsa_usability(&rr[r], &unusable) != DANE_USABLE)
			continue;
		out->nusable++;
		if (out->matched || n == 0)
			continue;
		char *text = dane_tlsa_text(&rr[r]);
		if (text && strlen(text) > 80)
			strcpy(text + 77, "...");
		if (rr[r].usage == USAGE_DANE_EE) {
			/* RFC 7672 section 3.1.1: the leaf's key or certificate;
			 * no name, no validity period, no chain. */
			if (cert_matches(&rr[r], &chain[0])) {
				out->matched = true;
				out->record = r;
				out->cert = 0;
			} else {
				char *s = served_for(&rr[r], chain, n);
				strvec_push_owned(&why, xasprintf("%s: no match (%s)", text, s));
				free(s);
			}
			free(text);
			continue;
		}
		/* DANE-TA: a certificate of the chain (RFC 7671 section 5.2.2:
		 * servers SHOULD send it), the path below it, the name. */
		bool any = false;
		const char *problem = NULL;
		for (size_t i = 0; i < n && !out->matched; i++) {
			if (!cert_matches(&rr[r], &chain[i]))
				continue;
			any = true;
			problem = ta_path_problem(chain, n, i, at);
			if (!problem && !names_ok(&chain[0], names, nnames))
				problem = "the certificate names neither the TLSA base domain nor the MX host "
					  "(RFC 7672 section 3.2.2)";
			if (!problem) {
				out->matched = true;
				out->record = r;
				out->cert = i;
			}
		}
		if (!out->matched) {
			if (any) {
				strvec_push_owned(&why, xasprintf("%s: matches a certificate, but %s", text, problem));
			} else {
				char *s = served_for(&rr[r], chain, n);
				strvec_push_owned(&why,
						  xasprintf("%s: no certificate of the chain matches (%s)", text, s));
				free(s);
			}
		}
		free(text);
	}
	if (!out->matched)
		out->why = why.n ? strvec_join(&why, "; ") : xstrdup("no usable TLSA record");
	strvec_clear(&why);
}

void dane_match_clear(struct dane_match *m)
{
	free(m->why);
	memset(m, 0, sizeof *m);
}
