/* \summary: revocation checking: CRLs (files and distribution points),
 * OCSP at the AIA responder with a nonce, stapled OCSP responses, and the
 * TLS feature extension. Every answer is verified against the issuer and
 * judged at the evaluation time; anything short of a verified, fresh
 * answer is "could not check".
 * specification: RFC 5280 sections 4.2.1.13, 5.1, 5.3.1, 6.3; RFC 6960
 * sections 2, 4.2.2.1, 4.4.1; RFC 6066 section 8; RFC 7633 section 4. */
#include "pki/revocation.h"

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/verify.h"
#include "util/util.h"

/* ---- names --------------------------------------------------------- */

static const char *const outcome_names[] = { "good", "revoked", "unknown", "unchecked" };

const char *rev_outcome_name(enum rev_outcome o)
{
	return (unsigned)o < ARRAY_LEN(outcome_names) ? outcome_names[o] : "unchecked";
}

static const char *const why_ids[] = {
#define REV_WHY_ID(n, id, text) id,
	REV_WHYS(REV_WHY_ID)
#undef REV_WHY_ID
};
static const char *const why_texts[] = {
#define REV_WHY_TEXT(n, id, text) text,
	REV_WHYS(REV_WHY_TEXT)
#undef REV_WHY_TEXT
};

const char *rev_why_id(enum rev_why w)
{
	return (unsigned)w < ARRAY_LEN(why_ids) ? why_ids[w] : "none";
}

const char *rev_why_text(enum rev_why w)
{
	return (unsigned)w < ARRAY_LEN(why_texts) ? why_texts[w] : "";
}

static const char *const kind_names[] = { "crl-file", "crl", "ocsp", "staple" };

const char *rev_kind_name(enum rev_kind k)
{
	return (unsigned)k < ARRAY_LEN(kind_names) ? kind_names[k] : "unknown";
}

/* RFC 5280 section 5.3.1; 7 is not used. */
static const char *const reason_names[] = {
	"unspecified",	 "keyCompromise",	 "cACompromise",    "affiliationChanged",
	"superseded",	 "cessationOfOperation", "certificateHold", "unspecified",
	"removeFromCRL", "privilegeWithdrawn",	 "aACompromise",
};

const char *rev_reason_name(int reason)
{
	return reason >= 0 && (unsigned)reason < ARRAY_LEN(reason_names) ? reason_names[reason] : "unspecified";
}

/* ---- decisions ----------------------------------------------------- */

long rev_combine(const struct rev_source *src, size_t n)
{
	static const enum rev_outcome order[] = { REV_REVOKED, REV_GOOD, REV_UNKNOWN };
	for (size_t k = 0; k < ARRAY_LEN(order); k++)
		for (size_t i = 0; i < n; i++)
			if (src[i].outcome == order[k])
				return (long)i;
	return -1;
}

enum rev_why rev_freshness(int64_t this_update, int64_t next_update, int64_t at)
{
	if (this_update > at + REV_CLOCK_SKEW)
		return REV_WHY_FUTURE;
	if (next_update > 0 && at > next_update + REV_CLOCK_SKEW)
		return REV_WHY_STALE;
	return REV_WHY_NONE;
}

enum severity rev_severity(enum rev_outcome o, enum rev_why why, enum revocation_mode m, enum policy p)
{
	if (m == REVOCATION_OFF)
		return SEV_INFO;
	switch (o) {
	case REV_GOOD:
		return SEV_PASS;
	case REV_REVOKED:
		/* Senders that verify refuse a revoked certificate; an
		 * opportunistic sender encrypts anyway. */
		return p >= POLICY_VERIFY ? SEV_FAIL : SEV_WARN;
	default:
		if (m == REVOCATION_HARD)
			return SEV_FAIL;
		/* Soft: an answer that could not be had is worth a look, not
		 * a failure; a certificate that names no source leaves every
		 * client equally blind: the CA's choice, not the server's. */
		if (why == REV_WHY_NO_SOURCES || p == POLICY_NONE)
			return SEV_INFO;
		return SEV_WARN;
	}
}

enum severity rev_staple_invalid_severity(enum revocation_mode m, enum policy p)
{
	if (m == REVOCATION_OFF)
		return SEV_INFO;
	if (m == REVOCATION_HARD || p >= POLICY_VERIFY)
		return SEV_FAIL;
	return p == POLICY_NONE ? SEV_INFO : SEV_WARN;
}

/* ---- a bounds-checked DER reader for the CRL entry's reasonCode ---- */

struct der {
	const unsigned char *p;
	size_t n;
};

/* Reads one TLV from *in into tag and body; -1 on truncation or a form
 * we do not take (high tag numbers, indefinite or over-long lengths). */
static int der_next(struct der *in, unsigned *tag, struct der *body)
{
	if (in->n < 2)
		return -1;
	unsigned t = in->p[0];
	if ((t & 0x1f) == 0x1f)
		return -1;
	size_t len = in->p[1], hdr = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || in->n < 2 + k)
			return -1;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = (len << 8) | in->p[2 + i];
		hdr += k;
	}
	if (len > in->n - hdr)
		return -1;
	*tag = t;
	body->p = in->p + hdr;
	body->n = len;
	in->p += hdr + len;
	in->n -= hdr + len;
	return 0;
}

static unsigned der_peek(const struct der *in)
{
	return in->n ? in->p[0] : 0;
}

static void strip_zeros(const unsigned char **p, size_t *n)
{
	while (*n > 1 && (*p)[0] == 0) {
		(*p)++;
		(*n)--;
	}
}

static bool same_serial(struct der a, const unsigned char *b, size_t bn)
{
	strip_zeros(&a.p, &a.n);
	strip_zeros(&b, &bn);
	return a.n == bn && memcmp(a.p, b, bn) == 0;
}

/* Extensions ::= SEQUENCE OF Extension; reasonCode is 2.5.29.21, an
 * ENUMERATED inside the extnValue OCTET STRING. */
static int entry_reason(struct der exts)
{
	static const unsigned char oid_reason[] = { 0x55, 0x1d, 0x15 };
	unsigned tag;
	struct der ext, f;
	while (exts.n) {
		if (der_next(&exts, &tag, &ext) < 0 || tag != 0x30)
			return -2;
		if (der_next(&ext, &tag, &f) < 0 || tag != 0x06)
			return -2;
		if (f.n != sizeof oid_reason || memcmp(f.p, oid_reason, sizeof oid_reason) != 0)
			continue;
		if (der_peek(&ext) == 0x01 && der_next(&ext, &tag, &f) < 0)
			return -2;
		struct der val, e;
		if (der_next(&ext, &tag, &val) < 0 || tag != 0x04)
			return -2;
		if (der_next(&val, &tag, &e) < 0 || tag != 0x0a || e.n != 1)
			return -2;
		return e.p[0] <= 10 ? e.p[0] : -1;
	}
	return -1;
}

int rev_crl_entry_reason(const unsigned char *crl, size_t len, const unsigned char *serial, size_t serial_len)
{
	struct der in = { crl, len }, outer, tbs, x, entries, entry;
	unsigned tag;
	if (!crl || !serial || serial_len == 0)
		return -2;
	if (der_next(&in, &tag, &outer) < 0 || tag != 0x30)
		return -2;
	if (der_next(&outer, &tag, &tbs) < 0 || tag != 0x30)
		return -2;
	if (der_peek(&tbs) == 0x02 && der_next(&tbs, &tag, &x) < 0) /* version */
		return -2;
	for (int i = 0; i < 2; i++) /* signature, issuer */
		if (der_next(&tbs, &tag, &x) < 0 || tag != 0x30)
			return -2;
	if (der_next(&tbs, &tag, &x) < 0 || (tag != 0x17 && tag != 0x18)) /* thisUpdate */
		return -2;
	if ((der_peek(&tbs) == 0x17 || der_peek(&tbs) == 0x18) && der_next(&tbs, &tag, &x) < 0)
		return -2;
	if (der_peek(&tbs) != 0x30)
		return -2; /* no revokedCertificates */
	if (der_next(&tbs, &tag, &entries) < 0)
		return -2;
	while (entries.n) {
		struct der num;
		if (der_next(&entries, &tag, &entry) < 0 || tag != 0x30)
			return -2;
		if (der_next(&entry, &tag, &num) < 0 || tag != 0x02)
			return -2;
		if (!same_serial(num, serial, serial_len))
			continue;
		if (der_next(&entry, &tag, &x) < 0 || (tag != 0x17 && tag != 0x18))
			return -2;
		if (entry.n == 0)
			return -1;
		struct der exts;
		if (der_next(&entry, &tag, &exts) < 0 || tag != 0x30)
			return -2;
		return entry_reason(exts);
	}
	return -2;
}

/* ---- sources ------------------------------------------------------- */

void rev_cert_clear(struct rev_cert *rc)
{
	for (size_t i = 0; i < rc->nsrc; i++) {
		free(rc->src[i].where);
		free(rc->src[i].detail);
	}
	free(rc->src);
	free(rc->serial_hex);
	memset(rc, 0, sizeof *rc);
}

static struct rev_source *add_source(struct rev_cert *rc, enum rev_kind kind, const char *where)
{
	if (rc->nsrc == rc->capsrc) {
		rc->capsrc = rc->capsrc ? rc->capsrc * 2 : 4;
		rc->src = xrealloc(rc->src, rc->capsrc * sizeof *rc->src);
	}
	struct rev_source *s = &rc->src[rc->nsrc++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->where = xstrdup(where);
	s->outcome = REV_UNCHECKED;
	s->reason = -1;
	return s;
}

/* Back to what add_source made, for a second attempt at the same source. */
static void reset_source(struct rev_source *s)
{
	enum rev_kind kind = s->kind;
	char *where = s->where;
	free(s->detail);
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->where = where;
	s->outcome = REV_UNCHECKED;
	s->reason = -1;
}

static void unchecked(struct rev_source *s, enum rev_why why, const char *detail)
{
	s->outcome = REV_UNCHECKED;
	s->why = why;
	free(s->detail);
	s->detail = xstrdup(detail);
}

/* An answer is only as good as it is fresh; a stale or future answer is
 * "could not check", except that a revocation stays a revocation (RFC 5280
 * section 5.3.1: only certificateHold may be lifted). */
static void judge_time(struct rev_source *s, int64_t at)
{
	enum rev_why w = rev_freshness(s->this_update, s->next_update, at);
	if (w == REV_WHY_NONE)
		return;
	if (s->outcome == REV_REVOKED && s->reason != 6) {
		s->why = w;
		return;
	}
	char a[32], b[32];
	fmt_iso8601(s->this_update, a, sizeof a);
	fmt_iso8601(s->next_update, b, sizeof b);
	char *d = xasprintf("thisUpdate %s, nextUpdate %s", a, s->next_update > 0 ? b : "(none)");
	unchecked(s, w, d);
	free(d);
}

static enum rev_why http_why(const struct http_response *r)
{
	switch (r->status) {
	case HTTP_TIMEOUT:
		return REV_WHY_TIMEOUT;
	case HTTP_UNREACHABLE:
		return REV_WHY_UNREACHABLE;
	default:
		return REV_WHY_HTTP;
	}
}

static int import_crt(const unsigned char *der, size_t len, gnutls_x509_crt_t *out)
{
	gnutls_datum_t d = { .data = (unsigned char *)(uintptr_t)der, .size = (unsigned)len };
	if (gnutls_x509_crt_init(out) < 0)
		return -1;
	if (gnutls_x509_crt_import(*out, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int crt_serial(gnutls_x509_crt_t crt, unsigned char *buf, size_t *len)
{
	return gnutls_x509_crt_get_serial(crt, buf, len) < 0 ? -1 : 0;
}

/* ---- CRLs ---------------------------------------------------------- */

struct rev_crl {
	gnutls_x509_crl_t crl;
	unsigned char *der; /* for the entry's reasonCode */
	size_t len;
	char *file;
};

struct rev_crls {
	struct rev_crl *v;
	size_t n, cap;
};

/* DER (as CDPs serve) or PEM (possibly several); each CRL keeps its DER. */
static int crls_import(struct rev_crls *set, const unsigned char *data, size_t len, const char *file)
{
	gnutls_datum_t d = { .data = (unsigned char *)(uintptr_t)data, .size = (unsigned)len };
	gnutls_x509_crl_t *list = NULL;
	unsigned n = 0;
	if (gnutls_x509_crl_list_import2(&list, &n, &d, GNUTLS_X509_FMT_DER, 0) < 0 || n == 0) {
		if (gnutls_x509_crl_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0)
			return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		gnutls_datum_t der = { NULL, 0 };
		if (gnutls_x509_crl_export2(list[i], GNUTLS_X509_FMT_DER, &der) < 0) {
			gnutls_x509_crl_deinit(list[i]);
			continue;
		}
		if (set->n == set->cap) {
			set->cap = set->cap ? set->cap * 2 : 4;
			set->v = xrealloc(set->v, set->cap * sizeof *set->v);
		}
		struct rev_crl *c = &set->v[set->n++];
		c->crl = list[i];
		c->der = xmalloc(der.size ? der.size : 1);
		memcpy(c->der, der.data, der.size);
		c->len = der.size;
		c->file = xstrdup(file);
		gnutls_free(der.data);
	}
	gnutls_free(list);
	return 0;
}

struct rev_crls *rev_crls_load(const char *const *files, size_t n, char **err)
{
	struct rev_crls *set = xcalloc(1, sizeof *set);
	*err = NULL;
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t d = { NULL, 0 };
		if (gnutls_load_file(files[i], &d) < 0) {
			free(*err);
			*err = xasprintf("%s: cannot be read", files[i]);
			continue;
		}
		if (crls_import(set, d.data, d.size, files[i]) < 0) {
			free(*err);
			*err = xasprintf("%s: no CRL in it (neither DER nor PEM)", files[i]);
		}
		gnutls_free(d.data);
	}
	return set;
}

static void crls_clear(struct rev_crls *c)
{
	for (size_t i = 0; i < c->n; i++) {
		gnutls_x509_crl_deinit(c->v[i].crl);
		free(c->v[i].der);
		free(c->v[i].file);
	}
	free(c->v);
	memset(c, 0, sizeof *c);
}

void rev_crls_free(struct rev_crls *c)
{
	if (!c)
		return;
	crls_clear(c);
	free(c);
}

/* RFC 5280 section 6.3.3: the CRL's issuer, its signature by the
 * certificate's issuer, its validity, then the serial. */
static void check_crl(const struct rev_crl *c, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, int64_t at,
		      struct rev_source *s)
{
	s->this_update = gnutls_x509_crl_get_this_update(c->crl);
	time_t nu = gnutls_x509_crl_get_next_update(c->crl);
	s->next_update = nu == (time_t)-1 ? -1 : nu;
	if (gnutls_x509_crl_check_issuer(c->crl, issuer) != 1) {
		unchecked(s, REV_WHY_WRONG_ISSUER, "the CRL's issuer is not the certificate's issuer");
		return;
	}
	unsigned v = 0;
	int rc = gnutls_x509_crl_verify(c->crl, &issuer, 1, 0, &v);
	/* Time is judged below at the evaluation time, not by the library at now. */
	v &= ~(unsigned)(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED | GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE);
	if (v & GNUTLS_CERT_INVALID && !(v & ~(unsigned)GNUTLS_CERT_INVALID))
		v = 0; /* only the time bits were set */
	if (rc < 0 || v != 0) {
		gnutls_datum_t txt = { NULL, 0 };
		gnutls_certificate_verification_status_print(v, GNUTLS_CRT_X509, &txt, 0);
		unchecked(s, REV_WHY_BAD_SIGNATURE, txt.data ? (const char *)txt.data : gnutls_strerror(rc));
		gnutls_free(txt.data);
		return;
	}
	unsigned char serial[64];
	size_t slen = sizeof serial;
	if (crt_serial(cert, serial, &slen) < 0) {
		unchecked(s, REV_WHY_BAD_DATA, "the certificate's serial could not be read");
		return;
	}
	s->outcome = REV_GOOD;
	gnutls_x509_crl_iter_t it = NULL;
	for (;;) {
		unsigned char es[64];
		size_t elen = sizeof es;
		time_t when = 0;
		int r = gnutls_x509_crl_iter_crt_serial(c->crl, &it, es, &elen, &when);
		if (r < 0)
			break;
		struct der a = { es, elen };
		if (same_serial(a, serial, slen)) {
			s->outcome = REV_REVOKED;
			s->revoked_at = when;
			s->reason = rev_crl_entry_reason(c->der, c->len, serial, slen);
			if (s->reason < -1)
				s->reason = -1;
			break;
		}
	}
	gnutls_x509_crl_iter_deinit(it);
	judge_time(s, at);
}

static void check_crl_files(const struct rev_inputs *in, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer,
			    struct rev_cert *out)
{
	if (!in->files)
		return;
	for (size_t i = 0; i < in->files->n; i++) {
		const struct rev_crl *c = &in->files->v[i];
		/* A file may hold CRLs of several CAs: only the issuer's apply. */
		if (gnutls_x509_crl_check_issuer(c->crl, issuer) != 1)
			continue;
		check_crl(c, cert, issuer, in->at, add_source(out, REV_SRC_CRL_FILE, c->file));
	}
}

/* A request gets the step timeout, but never runs past the target's
 * deadline: a chain whose servers all hang costs --target-timeout at most.
 * 0 when the deadline has passed. */
static int64_t request_timeout(const struct rev_inputs *in)
{
	if (!in->deadline)
		return in->timeout_us;
	int64_t left = in->deadline - mono_us();
	if (left <= 0)
		return 0;
	return left < in->timeout_us ? left : in->timeout_us;
}

static void check_cdp(const struct rev_inputs *in, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, const char *url,
		      struct rev_cert *out)
{
	struct rev_source *s = add_source(out, REV_SRC_CRL_URL, url);
	if (!in->http && !in->collect) {
		unchecked(s, REV_WHY_HTTP, "fetching is off");
		return;
	}
	int64_t tmo = request_timeout(in);
	if (tmo == 0) {
		unchecked(s, REV_WHY_TIMEOUT, "the target's deadline (--target-timeout) had passed");
		return;
	}
	struct http_request rq = { .url = url, .timeout_us = tmo, .owner = in->owner };
	if (in->collect) {
		http_batch_add(in->collect, &rq);
		unchecked(s, REV_WHY_HTTP, "requested ahead");
		return;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool cached = false;
		const struct http_response *r = http_fetch(in->http, &rq, &cached);
		s->cached = cached;
		if (r->status != HTTP_OK) {
			unchecked(s, http_why(r), r->error);
			return;
		}
		struct rev_crls set = { 0 };
		if (crls_import(&set, r->body, r->len, url) < 0 || set.n == 0) {
			unchecked(s, REV_WHY_BAD_DATA, "the reply is not a CRL (neither DER nor PEM)");
			crls_clear(&set);
			return;
		}
		check_crl(&set.v[0], cert, issuer, in->at, s);
		crls_clear(&set);
		/* The run's copy went stale since it was fetched: the CA has
		 * published a newer one by now. Ask once more. */
		if (!(cached && in->refresh_stale && s->why == REV_WHY_STALE))
			return;
		rq.refresh = true;
		reset_source(s);
	}
}

/* ---- OCSP ---------------------------------------------------------- */

static const char *ocsp_resp_status_name(int st)
{
	switch (st) {
	case GNUTLS_OCSP_RESP_MALFORMEDREQUEST:
		return "malformedRequest";
	case GNUTLS_OCSP_RESP_INTERNALERROR:
		return "internalError";
	case GNUTLS_OCSP_RESP_TRYLATER:
		return "tryLater";
	case GNUTLS_OCSP_RESP_SIGREQUIRED:
		return "sigRequired";
	case GNUTLS_OCSP_RESP_UNAUTHORIZED:
		return "unauthorized";
	default:
		return "unknown status";
	}
}

/* RFC 6960 section 3.2: the response is about this certificate, signed by
 * its issuer or by a responder the issuer delegated (id-kp-OCSPSigning),
 * carries our nonce if it carries one, and is fresh. */
static void check_ocsp(const unsigned char *der, size_t len, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer,
		       const gnutls_datum_t *nonce, int64_t at, struct rev_source *s)
{
	gnutls_ocsp_resp_t resp = NULL;
	gnutls_datum_t d = { .data = (unsigned char *)(uintptr_t)der, .size = (unsigned)len };
	if (gnutls_ocsp_resp_init(&resp) < 0)
		return;
	if (gnutls_ocsp_resp_import(resp, &d) < 0) {
		unchecked(s, REV_WHY_BAD_DATA, "not an OCSP response");
		goto out;
	}
	int st = gnutls_ocsp_resp_get_status(resp);
	if (st != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		unchecked(s, REV_WHY_RESPONDER_ERROR, ocsp_resp_status_name(st));
		goto out;
	}
	long idx = -1;
	for (unsigned i = 0; i < 64; i++) {
		int r = gnutls_ocsp_resp_check_crt(resp, i, cert);
		if (r == 0) {
			idx = i;
			break;
		}
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
	}
	if (idx < 0) {
		unchecked(s, REV_WHY_NOT_FOR_CERT, "no single response names this certificate");
		goto out;
	}
	unsigned v = 0;
	int rc = gnutls_ocsp_resp_verify_direct(resp, issuer, &v, 0);
	if (rc < 0 || v != 0) {
		char *why = xasprintf(
			"%s%s%s%s%s%s%s", rc < 0 ? gnutls_strerror(rc) : "",
			v & GNUTLS_OCSP_VERIFY_SIGNER_NOT_FOUND ? "signer not found; " : "",
			v & GNUTLS_OCSP_VERIFY_SIGNER_KEYUSAGE_ERROR ? "the signer lacks the OCSPSigning key purpose; "
								     : "",
			v & GNUTLS_OCSP_VERIFY_UNTRUSTED_SIGNER ? "the signer is not the issuer nor delegated by it; "
								: "",
			v & GNUTLS_OCSP_VERIFY_INSECURE_ALGORITHM ? "insecure algorithm; " : "",
			v & GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE ? "the signature does not verify; " : "",
			v & (GNUTLS_OCSP_VERIFY_CERT_NOT_ACTIVATED | GNUTLS_OCSP_VERIFY_CERT_EXPIRED)
				? "the responder's certificate is outside its validity; "
				: "");
		unchecked(s, REV_WHY_BAD_SIGNATURE, why);
		free(why);
		goto out;
	}
	if (nonce) {
		gnutls_datum_t got = { NULL, 0 };
		unsigned crit = 0;
		s->nonce_sent = true;
		if (gnutls_ocsp_resp_get_nonce(resp, &crit, &got) == 0) {
			bool same = got.size == nonce->size && memcmp(got.data, nonce->data, got.size) == 0;
			gnutls_free(got.data);
			if (!same) {
				unchecked(s, REV_WHY_NONCE_MISMATCH, "the response's nonce is not the one we sent");
				goto out;
			}
			s->nonce_echoed = true;
		}
	}
	unsigned cs = 0, reason = 0;
	time_t tu = 0, nu = 0, rt = 0;
	if (gnutls_ocsp_resp_get_single(resp, (unsigned)idx, NULL, NULL, NULL, NULL, &cs, &tu, &nu, &rt, &reason) < 0) {
		unchecked(s, REV_WHY_BAD_DATA, "the single response could not be read");
		goto out;
	}
	s->this_update = tu;
	s->next_update = nu == (time_t)-1 ? -1 : nu;
	switch (cs) {
	case GNUTLS_OCSP_CERT_GOOD:
		s->outcome = REV_GOOD;
		break;
	case GNUTLS_OCSP_CERT_REVOKED:
		s->outcome = REV_REVOKED;
		s->revoked_at = rt;
		s->reason = (int)reason;
		break;
	default:
		s->outcome = REV_UNKNOWN;
		break;
	}
	judge_time(s, at);
out:
	gnutls_ocsp_resp_deinit(resp);
}

/* The OCSP request for cert, DER; with a fresh nonce (RFC 6960 section
 * 4.4.1) when nonce is not NULL (it then gets a copy of it). */
static int ocsp_request(gnutls_x509_crt_t issuer, gnutls_x509_crt_t cert, gnutls_datum_t *body, gnutls_datum_t *nonce)
{
	gnutls_ocsp_req_t req = NULL;
	int rc = -1;
	if (gnutls_ocsp_req_init(&req) < 0)
		return -1;
	/* SHA-1 CertID: what RFC 5019 responders are required to take. */
	if (gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1, issuer, cert) < 0)
		goto out;
	if (nonce && (gnutls_ocsp_req_randomize_nonce(req) < 0 || gnutls_ocsp_req_get_nonce(req, NULL, nonce) < 0))
		goto out;
	rc = gnutls_ocsp_req_export(req, body) < 0 ? -1 : 0;
out:
	gnutls_ocsp_req_deinit(req);
	return rc;
}

/* The nonce of the request that was sent (an answer the run had cached
 * was asked for with another nonce than ours). */
static int sent_nonce(const struct http_response *r, gnutls_datum_t *nonce)
{
	gnutls_ocsp_req_t req = NULL;
	gnutls_datum_t d = { .data = (unsigned char *)(uintptr_t)r->req, .size = (unsigned)r->req_len };
	int rc = -1;
	if (!r->req || gnutls_ocsp_req_init(&req) < 0)
		return -1;
	if (gnutls_ocsp_req_import(req, &d) == 0 && gnutls_ocsp_req_get_nonce(req, NULL, nonce) == 0)
		rc = 0;
	gnutls_ocsp_req_deinit(req);
	return rc;
}

static void query_ocsp(const struct rev_inputs *in, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, const char *url,
		       struct rev_cert *out)
{
	struct rev_source *s = add_source(out, REV_SRC_OCSP, url);
	gnutls_datum_t body = { NULL, 0 }, nonce = { NULL, 0 }, certid = { NULL, 0 }, used = { NULL, 0 };
	if (!in->http && !in->collect) {
		unchecked(s, REV_WHY_HTTP, "fetching is off");
		return;
	}
	/* The answer is cached for the run by its CertID (the request
	 * without a nonce): a batch asks about each certificate once. */
	if (ocsp_request(issuer, cert, &body, &nonce) < 0 || ocsp_request(issuer, cert, &certid, NULL) < 0) {
		unchecked(s, REV_WHY_BAD_DATA, "the OCSP request could not be built");
		goto out;
	}
	int64_t tmo = request_timeout(in);
	if (tmo == 0) {
		unchecked(s, REV_WHY_TIMEOUT, "the target's deadline (--target-timeout) had passed");
		goto out;
	}
	struct http_request rq = { .url = url,
				   .content_type = "application/ocsp-request",
				   .body = body.data,
				   .body_len = body.size,
				   .key = certid.data,
				   .key_len = certid.size,
				   .owner = in->owner,
				   .timeout_us = tmo,
				   .max_bytes = 64 * 1024 };
	if (in->collect) {
		http_batch_add(in->collect, &rq);
		unchecked(s, REV_WHY_HTTP, "requested ahead");
		goto out;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		bool cached = false;
		const struct http_response *r = http_fetch(in->http, &rq, &cached);
		s->cached = cached;
		if (r->status != HTTP_OK) {
			unchecked(s, http_why(r), r->error);
			goto out;
		}
		gnutls_free(used.data);
		used.data = NULL;
		/* The nonce that went with this answer: ours, or the one of
		 * the request that fetched it for the run. */
		bool have_nonce = sent_nonce(r, &used) == 0;
		check_ocsp(r->body, r->len, cert, issuer, have_nonce ? &used : NULL, in->at, s);
		if (!(cached && in->refresh_stale && s->why == REV_WHY_STALE))
			break;
		rq.refresh = true;
		reset_source(s);
	}
out:
	gnutls_free(body.data);
	gnutls_free(nonce.data);
	gnutls_free(certid.data);
	gnutls_free(used.data);
}

/* ---- pointers in the certificate ----------------------------------- */

static void cdp_urls(gnutls_x509_crt_t crt, struct strvec *out)
{
	for (unsigned seq = 0; seq < 32; seq++) {
		char buf[2048];
		size_t len = sizeof buf - 1;
		unsigned reasons = 0;
		int rc = gnutls_x509_crt_get_crl_dist_points(crt, seq, buf, &len, &reasons, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc != GNUTLS_SAN_URI)
			continue; /* too long, or a directoryName we cannot fetch */
		strvec_push_owned(out, str_escape(buf, len, 512));
	}
}

static void ocsp_urls(gnutls_x509_crt_t crt, struct strvec *out)
{
	/* Other access methods answer GNUTLS_E_UNKNOWN_ALGORITHM: go on until
	 * the list ends (shared/FACTS.md). */
	for (unsigned seq = 0; seq < 32; seq++) {
		gnutls_datum_t d = { NULL, 0 };
		int rc = gnutls_x509_crt_get_authority_info_access(crt, seq, GNUTLS_IA_OCSP_URI, &d, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue;
		strvec_push_owned(out, str_escape(d.data, d.size, 512));
		gnutls_free(d.data);
	}
}

/* RFC 7633: status_request (5) or status_request_v2 (17) in the TLS
 * feature extension. */
static bool must_staple(gnutls_x509_crt_t crt)
{
	gnutls_x509_tlsfeatures_t f = NULL;
	bool yes = false;
	if (gnutls_x509_tlsfeatures_init(&f) < 0)
		return false;
	if (gnutls_x509_crt_get_tlsfeatures(crt, f, 0, NULL) == 0) {
		unsigned feat = 0;
		for (unsigned i = 0; gnutls_x509_tlsfeatures_get(f, i, &feat) == 0; i++)
			if (feat == 5 || feat == 17)
				yes = true;
	}
	gnutls_x509_tlsfeatures_deinit(f);
	return yes;
}

/* ---- one certificate ----------------------------------------------- */

static bool conclusive(const struct rev_source *s)
{
	return s->outcome == REV_GOOD || s->outcome == REV_REVOKED;
}

void rev_check_cert(const struct rev_inputs *in, size_t index, struct rev_cert *out)
{
	gnutls_x509_crt_t cert = NULL, issuer = NULL;
	struct strvec ocsp = { 0 }, cdp = { 0 };
	memset(out, 0, sizeof *out);
	out->index = index;
	out->outcome = REV_UNCHECKED;
	if (import_crt(in->cert, in->cert_len, &cert) < 0) {
		out->why = REV_WHY_BAD_DATA;
		return;
	}
	unsigned char serial[64];
	size_t slen = sizeof serial;
	if (crt_serial(cert, serial, &slen) == 0)
		out->serial_hex = hex_upper(serial, slen, 0);
	out->must_staple = must_staple(cert);
	ocsp_urls(cert, &ocsp);
	cdp_urls(cert, &cdp);
	bool have_staple = in->staple && in->staple->der && in->staple->len;
	if (!in->issuer || import_crt(in->issuer, in->issuer_len, &issuer) < 0) {
		out->why = (ocsp.n || cdp.n || have_staple || (in->files && in->files->n)) ? REV_WHY_NO_ISSUER
											   : REV_WHY_NO_SOURCES;
		goto out;
	}
	bool settled = false;
	if (have_staple) {
		struct rev_source *s = add_source(out, REV_SRC_STAPLE, "stapled");
		check_ocsp(in->staple->der, in->staple->len, cert, issuer, NULL, in->at, s);
		settled = conclusive(s);
	}
	/* A verified, fresh staple is the responder's answer already: asking
	 * again tells nothing new. */
	for (size_t i = 0; i < ocsp.n && !settled; i++)
		query_ocsp(in, cert, issuer, ocsp.v[i], out);
	check_crl_files(in, cert, issuer, out);
	/* A good, verified, fresh staple is the CA's signed answer of the
	 * last few days: under --revocation soft it settles the certificate
	 * without the CRL (docs/timing.md). A revoked staple settles it too;
	 * hard asks the CRL as well. */
	bool crl_needed = !(settled && in->staple_suffices);
	for (size_t i = 0; i < cdp.n && crl_needed; i++)
		check_cdp(in, cert, issuer, cdp.v[i], out);
	if (out->nsrc == 0) {
		out->why = REV_WHY_NO_SOURCES;
		goto out;
	}
	long d = rev_combine(out->src, out->nsrc);
	if (d >= 0) {
		out->decided_by = &out->src[d];
		out->outcome = out->src[d].outcome;
		out->why = out->src[d].why;
	} else {
		out->why = out->src[0].why;
	}
out:
	strvec_clear(&ocsp);
	strvec_clear(&cdp);
	if (issuer)
		gnutls_x509_crt_deinit(issuer);
	gnutls_x509_crt_deinit(cert);
}

/* ---- one chain ----------------------------------------------------- */

int rev_chain_inputs(const struct rev_chain *ch, size_t i, struct rev_inputs *in, unsigned char **issuer)
{
	const struct session_facts *fa = ch->fa;
	const struct mx_options *o = ch->opt;
	const struct cert_info *c = &fa->chain[i];
	size_t issuer_len = 0;
	*issuer = NULL;
	/* A root is a trust anchor: nothing above it revokes it. */
	if (c->self_signed)
		return -1;
	(void)verify_find_issuer(ch->trust, o, fa->chain, fa->chain_len, i, issuer, &issuer_len);
	*in = (struct rev_inputs){
		.cert = c->der,
		.cert_len = c->der_len,
		.issuer = *issuer,
		.issuer_len = issuer_len,
		.staple = i < fa->tls.n_staples && fa->tls.staples[i].len ? &fa->tls.staples[i] : NULL,
		.files = ch->files,
		.http = ch->http,
		.timeout_us = o->step_timeout_us,
		.deadline = ch->deadline,
		.at = mx_options_at(o),
		.owner = ch->owner,
		.staple_suffices = o->revocation == REVOCATION_SOFT,
		.refresh_stale = o->at == 0,
	};
	return 0;
}

struct rev_prefetch {
	struct http_cache *http;
	struct http_batch *batch;
	pthread_t thread;
};

static void *prefetch_main(void *arg)
{
	struct rev_prefetch *p = arg;
	http_batch_run(p->http, p->batch);
	return NULL;
}

struct rev_prefetch *rev_prefetch_start(const struct rev_chain *ch)
{
	if (!ch->http || !ch->fa->tls_ok || ch->opt->revocation == REVOCATION_OFF)
		return NULL;
	struct http_batch *b = http_batch_new();
	for (size_t i = 0; i < ch->fa->chain_len; i++) {
		struct rev_inputs in;
		unsigned char *issuer = NULL;
		if (rev_chain_inputs(ch, i, &in, &issuer) < 0)
			continue;
		in.collect = b;
		in.http = NULL;
		struct rev_cert rc;
		rev_check_cert(&in, i, &rc);
		rev_cert_clear(&rc);
		free(issuer);
	}
	if (http_batch_len(b) == 0) {
		http_batch_free(b);
		return NULL;
	}
	struct rev_prefetch *p = xcalloc(1, sizeof *p);
	p->http = ch->http;
	p->batch = b;
	http_batch_claim(ch->http, b);
	if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0) {
		/* No thread: fetch here and now, still side by side. */
		http_batch_run(p->http, b);
		http_batch_free(b);
		free(p);
		return NULL;
	}
	return p;
}

void rev_prefetch_finish(struct rev_prefetch *p)
{
	if (!p)
		return;
	pthread_join(p->thread, NULL);
	http_batch_free(p->batch);
	free(p);
}
