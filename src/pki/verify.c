/* \summary: path building and chain validation with gnutls_x509_trust_list,
 * one list per store so the report can say which store validates.
 * specification: RFC 5280 section 6; RFC 5280 sections 4.2.1.9, 4.2.1.12,
 * 4.2.2.1. */
#include "pki/verify.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

/* The library leaves validity periods to the expiry probe (see verify.h). */
#define VERIFY_FLAGS (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

bool verify_on_path(const struct verify_result *r, size_t i)
{
	return i < VERIFY_MAX_CHAIN && r->on_path[i];
}

bool verify_sig_is_weak(const char *sig_alg)
{
	return sig_alg && (strcasestr(sig_alg, "SHA1") || strcasestr(sig_alg, "SHA-1") || strcasestr(sig_alg, "MD5") ||
			   strcasestr(sig_alg, "MD2"));
}

static int import_chain(const struct cert_info *chain, size_t n, gnutls_x509_crt_t *crt)
{
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t d = { .data = chain[i].der, .size = (unsigned)chain[i].der_len };
		if (gnutls_x509_crt_init(&crt[i]) < 0)
			return -1;
		if (gnutls_x509_crt_import(crt[i], &d, GNUTLS_X509_FMT_DER) < 0)
			return -1;
	}
	return 0;
}

static char *aia_ca_issuers(gnutls_x509_crt_t crt)
{
	/* Entries of other kinds answer GNUTLS_E_UNKNOWN_ALGORITHM: keep going
	 * until the list ends (shared/FACTS.md). */
	for (unsigned seq = 0; seq < 32; seq++) {
		gnutls_datum_t d = { NULL, 0 };
		int rc = gnutls_x509_crt_get_authority_info_access(crt, seq, GNUTLS_IA_CAISSUERS_URI, &d, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue;
		char *url = str_escape((const char *)d.data, d.size, 512);
		gnutls_free(d.data);
		return url;
	}
	return NULL;
}

static void read_eku(gnutls_x509_crt_t leaf, struct verify_result *out)
{
	struct strvec oids = { 0 };
	for (unsigned i = 0; i < 32; i++) {
		char oid[128];
		size_t len = sizeof oid;
		if (gnutls_x509_crt_get_key_purpose_oid(leaf, i, oid, &len, NULL) < 0)
			break;
		out->leaf_eku_present = true;
		if (strcmp(oid, GNUTLS_KP_TLS_WWW_SERVER) == 0 || strcmp(oid, GNUTLS_KP_ANY) == 0)
			out->leaf_server_auth = true;
		strvec_push(&oids, oid);
	}
	if (!out->leaf_eku_present)
		out->leaf_server_auth = true; /* no EKU: any purpose (RFC 5280 4.2.1.12) */
	else
		out->leaf_eku = strvec_join(&oids, ", ");
	strvec_clear(&oids);
}

struct store {
	const char *name;
	gnutls_x509_trust_list_t tl;
	bool tried; /* loading was attempted */
	int rc;	    /* of the load: 0 or -1 */
};

/* The stores, in the order they are asked: --ca-file (or the lab's CA)
 * first, then the system store. Each is parsed on first use only: a chain
 * that --ca-file validates, and an issuer found there, never cost the
 * system store's parse (some 15-20 ms for Debian's 140-odd CAs). Shared by
 * every target of a run (core/runcache.h), so a lock guards loading and
 * every use of the lists. */
struct trust_stores {
	const struct mx_options *opt;
	pthread_mutex_t mu;
	struct store st[2];
	size_t nst;
	char *err; /* why the --ca-file store did not load */
};

struct trust_stores *trust_stores_new(const struct mx_options *opt)
{
	struct trust_stores *ts = xcalloc(1, sizeof *ts);
	ts->opt = opt;
	pthread_mutex_init(&ts->mu, NULL);
	if (opt->ca_file || opt->ca_pem)
		ts->st[ts->nst++].name = opt->ca_file ? "ca-file" : "lab CA";
	if (!opt->no_system_trust)
		ts->st[ts->nst++].name = "system";
	return ts;
}

bool trust_stores_fit(const struct trust_stores *ts, const struct mx_options *opt)
{
	const struct mx_options *o = ts->opt;
	bool same_file =
		o->ca_file == opt->ca_file || (o->ca_file && opt->ca_file && !strcmp(o->ca_file, opt->ca_file));
	bool same_pem = o->ca_pem == opt->ca_pem || (o->ca_pem && opt->ca_pem && !strcmp(o->ca_pem, opt->ca_pem));
	return same_file && same_pem && o->no_system_trust == opt->no_system_trust;
}

void trust_stores_free(struct trust_stores *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->nst; i++)
		if (ts->st[i].tl)
			gnutls_x509_trust_list_deinit(ts->st[i].tl, 1);
	pthread_mutex_destroy(&ts->mu);
	free(ts->err);
	free(ts);
}

bool trust_stores_parsed(struct trust_stores *ts, const char *name)
{
	bool yes = false;
	pthread_mutex_lock(&ts->mu);
	for (size_t i = 0; i < ts->nst; i++)
		if (strcmp(ts->st[i].name, name) == 0)
			yes = ts->st[i].tried;
	pthread_mutex_unlock(&ts->mu);
	return yes;
}

/* Store k, loaded on first use; ts->mu held. 0, or -1 with a copy of why
 * it did not load in *err. */
static int store_get(struct trust_stores *ts, size_t k, gnutls_x509_trust_list_t *tl, char **err)
{
	struct store *st = &ts->st[k];
	const struct mx_options *opt = ts->opt;
	if (!st->tried) {
		st->tried = true;
		st->rc = -1;
		if (gnutls_x509_trust_list_init(&st->tl, 0) < 0) {
			st->tl = NULL;
		} else if (strcmp(st->name, "system") == 0) {
			/* A machine without a system store simply trusts nothing there. */
			(void)gnutls_x509_trust_list_add_system_trust(st->tl, 0, 0);
			st->rc = 0;
		} else {
			int rc;
			/* The cli loads and checks --ca-file before the first
			 * connection and hands its text over as ca_pem (issue 8):
			 * the file is read once. */
			if (!opt->ca_pem) {
				rc = gnutls_x509_trust_list_add_trust_file(st->tl, opt->ca_file, NULL,
									   GNUTLS_X509_FMT_PEM, 0, 0);
			} else {
				gnutls_datum_t d = { .data = (unsigned char *)(uintptr_t)opt->ca_pem,
						     .size = (unsigned)strlen(opt->ca_pem) };
				rc = gnutls_x509_trust_list_add_trust_mem(st->tl, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
			}
			if (rc <= 0)
				ts->err = xasprintf("no CA certificate loaded from %s: %s",
						    opt->ca_file ? opt->ca_file : "the lab's CA",
						    rc < 0 ? gnutls_strerror(rc) : "no certificates in it");
			else
				st->rc = 0;
		}
	}
	*tl = st->tl;
	if (st->rc < 0 && err)
		*err = xstrdup(ts->err ? ts->err : "out of memory setting up the trust store");
	return st->rc;
}

static int verify_in(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crt, size_t n, unsigned flags, unsigned *status)
{
	return gnutls_x509_trust_list_verify_crt2(tl, crt, (unsigned)n, NULL, 0, flags, status, NULL);
}

/* ---- path building (RFC 4158) ---- */

/* Candidate paths tried at most: a hostile chain of 16 certificates that
 * all cross-certify each other must not cost 16! verifications. */
#define VERIFY_MAX_PATHS 64

struct candidates {
	size_t idx[VERIFY_MAX_PATHS][VERIFY_MAX_CHAIN];
	size_t len[VERIFY_MAX_PATHS];
	size_t n;
};

/* Every issuer chain from the leaf among the certificates sent, each
 * prefix a candidate of its own, depth first; no certificate twice. */
static void enum_paths(gnutls_x509_crt_t *crt, size_t n, size_t *cur, size_t depth, bool *used, struct candidates *c)
{
	if (c->n == VERIFY_MAX_PATHS)
		return;
	memcpy(c->idx[c->n], cur, depth * sizeof *cur);
	c->len[c->n++] = depth;
	if (depth == VERIFY_MAX_CHAIN)
		return;
	size_t last = cur[depth - 1];
	/* A self-signed certificate ends every path through it. */
	if (depth > 1 && gnutls_x509_crt_check_issuer(crt[last], crt[last]) == 1)
		return;
	for (size_t j = 0; j < n; j++) {
		if (used[j] || gnutls_x509_crt_check_issuer(crt[last], crt[j]) != 1)
			continue;
		used[j] = true;
		cur[depth] = j;
		enum_paths(crt, n, cur, depth + 1, used, c);
		used[j] = false;
	}
}

/* How good a candidate is: lower is better. */
enum path_grade {
	GRADE_VALID,	  /* validates, every certificate in time */
	GRADE_VALID_TIME, /* validates but for a validity period */
	GRADE_SHA1,	  /* validates when SHA-1 signatures are allowed */
	GRADE_SHA1_TIME,  /* ... and but for a validity period */
	GRADE_NONE,	  /* does not validate */
};

/* The first certificate of a candidate outside its validity period at
 * `at`, as a chain index; n when all are inside it. */
static size_t time_break(const struct cert_info *chain, const size_t *idx, size_t len, int64_t at, size_t n)
{
	for (size_t k = 0; k < len; k++) {
		const struct cert_info *c = &chain[idx[k]];
		if (at < c->not_before || at > c->not_after)
			return idx[k];
	}
	return n;
}

static enum path_grade grade_path(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crt, const struct cert_info *chain,
				  size_t n, const size_t *idx, size_t len, int64_t at, unsigned *status)
{
	gnutls_x509_crt_t p[VERIFY_MAX_CHAIN];
	for (size_t k = 0; k < len; k++)
		p[k] = crt[idx[k]];
	*status = 0;
	if (verify_in(tl, p, len, VERIFY_FLAGS, status) < 0)
		*status = GNUTLS_CERT_INVALID;
	bool in_time = time_break(chain, idx, len, at, n) == n;
	if (*status == 0)
		return in_time ? GRADE_VALID : GRADE_VALID_TIME;
	if (*status & GNUTLS_CERT_INSECURE_ALGORITHM) {
		unsigned s2 = 0;
		if (verify_in(tl, p, len, VERIFY_FLAGS | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &s2) == 0 && s2 == 0)
			return in_time ? GRADE_SHA1 : GRADE_SHA1_TIME;
	}
	return GRADE_NONE;
}

static void set_status_text(struct verify_result *out, unsigned status)
{
	out->status = status;
	free(out->status_text);
	out->status_text = NULL;
	gnutls_datum_t txt = { NULL, 0 };
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0) == 0) {
		out->status_text = xstrdup((const char *)txt.data);
		gnutls_free(txt.data);
	}
}

static void set_path(struct verify_result *out, const size_t *idx, size_t len, size_t n)
{
	memcpy(out->path, idx, len * sizeof *idx);
	out->path_len = len;
	memset(out->on_path, 0, sizeof out->on_path);
	for (size_t k = 0; k < len; k++)
		out->on_path[idx[k]] = true;
	out->n_off_path = n - len;
	/* In order: the path's certificates are the first ones sent, in path
	 * order (RFC 5246 section 7.4.2); certificates off the path after them
	 * are chain hygiene, not order. */
	out->in_order = true;
	for (size_t k = 0; k < len; k++) {
		if (idx[k] != k) {
			out->in_order = false;
			out->order_break = k ? k - 1 : 0;
			return;
		}
	}
}

/* The best candidate over every store: the first store (the one asked for)
 * and the shortest path win ties; then the path is extended by sent
 * certificates that continue it without making it worse (a root the server
 * sent along is on the path, not an extra). */
/* The stores are asked in order, each loaded only when the ones before did
 * not validate (ts->mu held): the same answer as loading all first
 * (docs/timing.md). The name of every store asked goes to names; a store
 * that does not load sets out->error and ends the asking (the path of the
 * certificates sent is still chosen and judged). */
static void build_path(struct trust_stores *ts, gnutls_x509_crt_t *crt, const struct cert_info *chain, size_t n,
		       int64_t at, struct verify_result *out, struct strvec *names)
{
	struct candidates *cand = xcalloc(1, sizeof *cand); /* 8 KiB: not on a worker's stack */
	size_t cur[VERIFY_MAX_CHAIN] = { 0 };
	bool used[VERIFY_MAX_CHAIN] = { true };
	enum_paths(crt, n, cur, 1, used, cand);

	/* Shortest first: a stable selection by length. */
	size_t order[VERIFY_MAX_PATHS], no = 0;
	for (size_t len = 1; len <= VERIFY_MAX_CHAIN; len++)
		for (size_t i = 0; i < cand->n; i++)
			if (cand->len[i] == len)
				order[no++] = i;

	enum path_grade best = GRADE_NONE;
	size_t best_i = 0, best_store = 0;
	unsigned best_status = 0;
	for (size_t s = 0; s < ts->nst && best != GRADE_VALID; s++) {
		gnutls_x509_trust_list_t tl;
		if (store_get(ts, s, &tl, &out->error) < 0)
			break;
		strvec_push(names, ts->st[s].name);
		for (size_t k = 0; k < no; k++) {
			unsigned status;
			enum path_grade g =
				grade_path(tl, crt, chain, n, cand->idx[order[k]], cand->len[order[k]], at, &status);
			if (g < best) {
				best = g;
				best_i = order[k];
				best_store = s;
				best_status = status;
			}
			if (best == GRADE_VALID)
				break;
		}
	}
	if (best == GRADE_NONE) {
		/* No path validates: judge the longest issuer chain from the leaf. */
		size_t longest = 0;
		for (size_t i = 0; i < cand->n; i++)
			if (cand->len[i] > cand->len[longest])
				longest = i;
		set_path(out, cand->idx[longest], cand->len[longest], n);
		free(cand);
		return;
	}
	/* Extend by certificates sent that continue the path equally well and
	 * are themselves inside their validity period (an expired cross-root
	 * after an expired leaf stays off the path). */
	size_t path[VERIFY_MAX_CHAIN], len = cand->len[best_i];
	memcpy(path, cand->idx[best_i], len * sizeof *path);
	for (size_t i = 0; i < cand->n; i++) {
		if (cand->len[i] != len + 1 || memcmp(cand->idx[i], path, len * sizeof *path) != 0)
			continue;
		if (time_break(chain, &cand->idx[i][len], 1, at, n) != n)
			continue;
		unsigned status;
		if (grade_path(ts->st[best_store].tl, crt, chain, n, cand->idx[i], len + 1, at, &status) <= best) {
			path[len] = cand->idx[i][len];
			len++;
			i = 0; /* and again from the longer path */
		}
	}
	free(cand);
	set_path(out, path, len, n);
	out->path_complete = true;
	out->store = ts->st[best_store].name;
	out->only_insecure_alg = best == GRADE_SHA1 || best == GRADE_SHA1_TIME;
	size_t tb = time_break(chain, path, len, at, n);
	out->path_in_time = tb == n;
	out->time_break = tb == n ? 0 : tb;
	out->time_break_expired = tb < n && at > chain[tb].not_after;
	out->trusted = best == GRADE_VALID;
	if (!out->trusted) {
		/* The library's words with time: what a sender verifying now says. */
		unsigned status = best_status;
		if (!out->path_in_time)
			status |= GNUTLS_CERT_INVALID |
				  (at > chain[tb].not_after ? GNUTLS_CERT_EXPIRED : GNUTLS_CERT_NOT_ACTIVATED);
		set_status_text(out, status);
	}
}

int verify_chain(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain, size_t n,
		 struct verify_result *out)
{
	gnutls_x509_crt_t crt[VERIFY_MAX_CHAIN] = { NULL };
	struct trust_stores *own = ts ? NULL : (ts = trust_stores_new(opt));
	bool locked = false;
	struct strvec names = { 0 };
	int64_t at = mx_options_at(opt);
	memset(out, 0, sizeof *out);
	if (n > VERIFY_MAX_CHAIN)
		n = VERIFY_MAX_CHAIN;
	if (n == 0 || import_chain(chain, n, crt) < 0) {
		out->error = xstrdup("the chain could not be parsed");
		goto out;
	}
	read_eku(crt[0], out);
	pthread_mutex_lock(&ts->mu);
	locked = true;
	build_path(ts, crt, chain, n, at, out, &names);
	if (out->error)
		goto out;
	out->stores = strvec_join(&names, ", ");
	gnutls_x509_crt_t last = crt[out->path[out->path_len - 1]];
	out->aia_ca_issuers = aia_ca_issuers(last);
	if (out->path_complete)
		goto out;
	if (ts->nst > 0) {
		/* Why the first store (the one asked for) refuses the chain as sent. */
		unsigned status = 0;
		if (verify_in(ts->st[0].tl, crt, n, VERIFY_FLAGS, &status) < 0 || status == 0)
			status |= GNUTLS_CERT_INVALID;
		set_status_text(out, status);
		gnutls_x509_crt_t issuer;
		out->last_issuer_known = gnutls_x509_trust_list_get_issuer(ts->st[0].tl, last, &issuer, 0) == 0;
	}
out:
	if (locked)
		pthread_mutex_unlock(&ts->mu);
	strvec_clear(&names);
	trust_stores_free(own);
	for (size_t i = 0; i < n && i < VERIFY_MAX_CHAIN; i++)
		if (crt[i])
			gnutls_x509_crt_deinit(crt[i]);
	return 0;
}

void verify_result_clear(struct verify_result *r)
{
	free(r->error);
	free(r->stores);
	free(r->status_text);
	free(r->aia_ca_issuers);
	free(r->leaf_eku);
	memset(r, 0, sizeof *r);
}

static int export_der(gnutls_x509_crt_t crt, unsigned char **der, size_t *len)
{
	gnutls_datum_t d = { NULL, 0 };
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d) < 0)
		return -1;
	*der = xmalloc(d.size ? d.size : 1);
	memcpy(*der, d.data, d.size);
	*len = d.size;
	gnutls_free(d.data);
	return 0;
}

int verify_find_issuer(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain, size_t n,
		       size_t i, unsigned char **der, size_t *len)
{
	gnutls_x509_crt_t crt[VERIFY_MAX_CHAIN] = { NULL };
	struct trust_stores *own = ts ? NULL : (ts = trust_stores_new(opt));
	char *err = NULL;
	int rc = -1;
	*der = NULL;
	*len = 0;
	if (n > VERIFY_MAX_CHAIN)
		n = VERIFY_MAX_CHAIN;
	if (i >= n || import_chain(chain, n, crt) < 0)
		goto out;
	/* The chain first: the issuer the server sent, wherever it stands. */
	for (size_t j = 0; j < n; j++) {
		if (j != i && gnutls_x509_crt_check_issuer(crt[i], crt[j]) == 1) {
			rc = export_der(crt[j], der, len);
			goto out;
		}
	}
	pthread_mutex_lock(&ts->mu);
	for (size_t k = 0; k < ts->nst && rc < 0; k++) {
		gnutls_x509_trust_list_t tl;
		gnutls_x509_crt_t issuer = NULL;
		if (store_get(ts, k, &tl, &err) < 0)
			break;
		if (gnutls_x509_trust_list_get_issuer(tl, crt[i], &issuer, GNUTLS_TL_GET_COPY) == 0) {
			rc = export_der(issuer, der, len);
			gnutls_x509_crt_deinit(issuer);
		}
	}
	pthread_mutex_unlock(&ts->mu);
out:
	free(err);
	trust_stores_free(own);
	for (size_t j = 0; j < n; j++)
		if (crt[j])
			gnutls_x509_crt_deinit(crt[j]);
	return rc;
}
