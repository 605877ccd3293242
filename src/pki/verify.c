/* \summary: chain validation with gnutls_x509_trust_list, one list per
 * store so the report can say which store validates.
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

static void read_order(gnutls_x509_crt_t *crt, size_t n, struct verify_result *out)
{
	out->in_order = true;
	for (size_t i = 0; i + 1 < n; i++) {
		if (gnutls_x509_crt_check_issuer(crt[i], crt[i + 1]) != 1) {
			out->in_order = false;
			out->order_break = i;
			return;
		}
	}
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

int verify_chain(struct trust_stores *ts, const struct mx_options *opt, const struct cert_info *chain, size_t n,
		 struct verify_result *out)
{
	gnutls_x509_crt_t crt[VERIFY_MAX_CHAIN] = { NULL };
	struct trust_stores *own = ts ? NULL : (ts = trust_stores_new(opt));
	bool locked = false;
	struct strvec names = { 0 };
	memset(out, 0, sizeof *out);
	if (n > VERIFY_MAX_CHAIN)
		n = VERIFY_MAX_CHAIN;
	if (n == 0 || import_chain(chain, n, crt) < 0) {
		out->error = xstrdup("the chain could not be parsed");
		goto out;
	}
	read_order(crt, n, out);
	read_eku(crt[0], out);
	out->aia_ca_issuers = aia_ca_issuers(crt[n - 1]);
	/* In order, each store loaded only when the ones before did not
	 * validate: the same answer as loading all first (docs/timing.md). */
	pthread_mutex_lock(&ts->mu);
	locked = true;
	for (size_t i = 0; i < ts->nst; i++) {
		gnutls_x509_trust_list_t tl;
		if (store_get(ts, i, &tl, &out->error) < 0)
			goto out;
		strvec_push(&names, ts->st[i].name);
		unsigned status = 0;
		if (verify_in(tl, crt, n, VERIFY_FLAGS, &status) < 0)
			status = GNUTLS_CERT_INVALID;
		if (status == 0) {
			out->trusted = true;
			out->store = ts->st[i].name;
			break;
		}
		if (i > 0)
			continue; /* report why the first store (the one asked for) refused */
		out->status = status;
		gnutls_datum_t txt = { NULL, 0 };
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0) == 0) {
			out->status_text = xstrdup((const char *)txt.data);
			gnutls_free(txt.data);
		}
		gnutls_x509_crt_t issuer;
		out->last_issuer_known = gnutls_x509_trust_list_get_issuer(tl, crt[n - 1], &issuer, 0) == 0;
		if (status & GNUTLS_CERT_INSECURE_ALGORITHM) {
			unsigned s2 = 0;
			out->only_insecure_alg =
				verify_in(tl, crt, n, VERIFY_FLAGS | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &s2) == 0 &&
				s2 == 0;
		}
	}
	/* A SHA-1 chain that another store validates is still refused by the
	 * first: keep the first store's verdict for the weak signature. */
	out->stores = strvec_join(&names, ", ");
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
