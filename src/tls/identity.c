/* \summary: loading our client certificate and checking it as a partner
 * will. specification: RFC 7292, RFC 5280 section 4.2.1.12. */
#include "tls/identity.h"

#include <ctype.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pki/certinfo.h"
#include "util/err.h"
#include "util/util.h"

#define ID_MAX_CHAIN 16
#define OID_ANY_EKU  "2.5.29.37.0"

struct tls_identity {
	char *source;
	gnutls_x509_crt_t crt[ID_MAX_CHAIN];
	unsigned ncrt;
	gnutls_pcert_st pcert[ID_MAX_CHAIN];
	unsigned npcert;
	gnutls_privkey_t key;
	struct cert_info *chain;
	size_t chain_len;
	struct tls_identity_check check;
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -MX_E_USAGE;
}

void tls_identity_free(struct tls_identity *id)
{
	if (!id)
		return;
	for (unsigned i = 0; i < id->npcert; i++)
		gnutls_pcert_deinit(&id->pcert[i]);
	for (unsigned i = 0; i < id->ncrt; i++)
		gnutls_x509_crt_deinit(id->crt[i]);
	if (id->key)
		gnutls_privkey_deinit(id->key);
	for (size_t i = 0; i < id->chain_len; i++)
		cert_info_clear(&id->chain[i]);
	free(id->chain);
	strvec_clear(&id->check.issuers);
	free(id->source);
	free(id);
}

static char *crt_dn(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t d = { NULL, 0 };
	int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) : gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (rc < 0)
		return NULL;
	char *s = str_escape(d.data, d.size, 2048);
	gnutls_free(d.data);
	return s;
}

/* Does the private key belong to the certificate? Compare the public keys. */
static bool key_matches(gnutls_privkey_t key, gnutls_x509_crt_t crt)
{
	gnutls_pubkey_t a = NULL, b = NULL;
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	bool same = false;
	if (gnutls_pubkey_init(&a) < 0 || gnutls_pubkey_init(&b) < 0)
		goto out;
	if (gnutls_pubkey_import_privkey(a, key, 0, 0) < 0 || gnutls_pubkey_import_x509(b, crt, 0) < 0)
		goto out;
	if (gnutls_pubkey_export2(a, GNUTLS_X509_FMT_DER, &da) < 0 ||
	    gnutls_pubkey_export2(b, GNUTLS_X509_FMT_DER, &db) < 0)
		goto out;
	same = da.size == db.size && memcmp(da.data, db.data, da.size) == 0;
out:
	gnutls_free(da.data);
	gnutls_free(db.data);
	if (a)
		gnutls_pubkey_deinit(a);
	if (b)
		gnutls_pubkey_deinit(b);
	return same;
}

static void check_eku(gnutls_x509_crt_t crt, struct tls_identity_check *ck)
{
	for (unsigned i = 0; i < 64; i++) {
		char oid[128];
		size_t size = sizeof oid;
		int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue;
		ck->has_eku = true;
		if (strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0 || strcmp(oid, OID_ANY_EKU) == 0)
			ck->eku_client_auth = true;
	}
}

/* Certificates, key and the model's copy are in place: build the rest. */
static int finish(struct tls_identity *id, char *err, size_t errlen)
{
	if (id->ncrt == 0)
		return fail(err, errlen, "%s: no certificate found", id->source);
	id->chain = xcalloc(id->ncrt, sizeof *id->chain);
	for (unsigned i = 0; i < id->ncrt; i++) {
		gnutls_datum_t der = { NULL, 0 };
		if (gnutls_x509_crt_export2(id->crt[i], GNUTLS_X509_FMT_DER, &der) < 0)
			return fail(err, errlen, "%s: certificate %u cannot be encoded", id->source, i + 1);
		int rc = cert_info_from_der(der.data, der.size, &id->chain[id->chain_len]);
		gnutls_free(der.data);
		if (rc == 0)
			id->chain_len++;
		if (gnutls_pcert_import_x509(&id->pcert[i], id->crt[i], 0) < 0)
			return fail(err, errlen, "%s: certificate %u is not usable", id->source, i + 1);
		id->npcert++;
		/* A partner listing the issuer of any certificate we send, or a CA
		 * we send itself, can build a path from our leaf. */
		char *iss = crt_dn(id->crt[i], true);
		if (iss)
			strvec_push_owned(&id->check.issuers, iss);
		if (i > 0) {
			char *sub = crt_dn(id->crt[i], false);
			if (sub)
				strvec_push_owned(&id->check.issuers, sub);
		}
	}
	struct tls_identity_check *ck = &id->check;
	ck->not_before = (int64_t)gnutls_x509_crt_get_activation_time(id->crt[0]);
	ck->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(id->crt[0]);
	check_eku(id->crt[0], ck);
	ck->key_matches = key_matches(id->key, id->crt[0]);
	return 0;
}

/* A local certificate, key or PKCS#12 file into d (gnutls_free'd by the
 * caller): a regular file of at most 1 MiB, so a FIFO or /dev/zero named by
 * mistake is refused at once instead of read forever. why: the reason. */
#define CAP_IDENTITY_FILE (1u << 20)
static int load_local(const char *path, gnutls_datum_t *d, char *why, size_t whylen)
{
	char *data = NULL;
	size_t len = 0;
	if (file_read_local(path, CAP_IDENTITY_FILE, &data, &len, why, whylen) < 0)
		return -1;
	d->data = gnutls_malloc(len + 1);
	if (!d->data) {
		explicit_bzero(data, len);
		free(data);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(d->data, data, len);
	d->data[len] = 0;
	d->size = (unsigned)len;
	explicit_bzero(data, len);
	free(data);
	return 0;
}

int tls_identity_load_pem(const char *cert_file, const char *key_file, struct tls_identity **out, char *err,
			  size_t errlen)
{
	struct tls_identity *id = xcalloc(1, sizeof *id);
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int rc;
	*out = NULL;
	id->source = xstrdup(cert_file);
	char why[160];
	if (load_local(cert_file, &cd, why, sizeof why) < 0) {
		rc = fail(err, errlen, "--client-cert %s: %s", cert_file, why);
		goto out;
	}
	if (gnutls_x509_crt_list_import2(&list, &n, &cd, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0) {
		rc = fail(err, errlen, "--client-cert %s: no PEM certificate in the file", cert_file);
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if (id->ncrt < ID_MAX_CHAIN)
			id->crt[id->ncrt++] = list[i];
		else
			gnutls_x509_crt_deinit(list[i]);
	}
	if (load_local(key_file, &kd, why, sizeof why) < 0) {
		rc = fail(err, errlen, "--client-key %s: %s", key_file, why);
		goto out;
	}
	if (gnutls_privkey_init(&id->key) < 0) {
		rc = fail(err, errlen, "--client-key %s: out of memory", key_file);
		goto out;
	}
	if (gnutls_privkey_import_x509_raw(id->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		rc = fail(err, errlen,
			  "--client-key %s: not an unencrypted PEM private key (use --pkcs12 for an encrypted key)",
			  key_file);
		goto out;
	}
	rc = finish(id, err, errlen);
out:
	gnutls_free(list);
	if (kd.data) {
		gnutls_memset(kd.data, 0, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (rc < 0)
		tls_identity_free(id);
	else
		*out = id;
	return rc;
}

int tls_identity_load_pkcs12(const char *file, const char *password, struct tls_identity **out, char *err,
			     size_t errlen)
{
	struct tls_identity *id = xcalloc(1, sizeof *id);
	gnutls_datum_t data = { NULL, 0 };
	gnutls_pkcs12_t p12 = NULL;
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_x509_crt_t *chain = NULL, *extra = NULL;
	unsigned nchain = 0, nextra = 0;
	int rc, grc;
	*out = NULL;
	id->source = xstrdup(file);
	char why[160];
	if (load_local(file, &data, why, sizeof why) < 0) {
		rc = fail(err, errlen, "--pkcs12 %s: %s", file, why);
		goto out;
	}
	if (gnutls_pkcs12_init(&p12) < 0) {
		rc = fail(err, errlen, "--pkcs12 %s: out of memory", file);
		goto out;
	}
	if (gnutls_pkcs12_import(p12, &data, GNUTLS_X509_FMT_DER, 0) < 0 &&
	    gnutls_pkcs12_import(p12, &data, GNUTLS_X509_FMT_PEM, 0) < 0) {
		rc = fail(err, errlen, "--pkcs12 %s: not a PKCS#12 (PFX) file, or a damaged one", file);
		goto out;
	}
	grc = gnutls_pkcs12_verify_mac(p12, password ? password : "");
	if (grc == GNUTLS_E_MAC_VERIFY_FAILED) {
		rc = fail(err, errlen, "--pkcs12 %s: wrong password (the file's integrity check failed)%s", file,
			  password ? "" : "; give it with --pkcs12-password-file or MXPROBE_PKCS12_PASSWORD");
		goto out;
	}
	if (grc < 0 && grc != GNUTLS_E_INVALID_REQUEST) {
		/* GNUTLS_E_INVALID_REQUEST: a file without a MAC. */
		rc = fail(err, errlen, "--pkcs12 %s: the integrity check cannot be done: %s", file,
			  gnutls_strerror(grc));
		goto out;
	}
	grc = gnutls_pkcs12_simple_parse(p12, password ? password : "", &xkey, &chain, &nchain, &extra, &nextra, NULL,
					 0);
	if (grc < 0) {
		rc = fail(err, errlen, "--pkcs12 %s: no usable key and certificate inside: %s", file,
			  gnutls_strerror(grc));
		goto out;
	}
	for (unsigned i = 0; i < nchain; i++) {
		if (id->ncrt < ID_MAX_CHAIN)
			id->crt[id->ncrt++] = chain[i];
		else
			gnutls_x509_crt_deinit(chain[i]);
	}
	if (gnutls_privkey_init(&id->key) < 0 ||
	    gnutls_privkey_import_x509(id->key, xkey, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0) {
		rc = fail(err, errlen, "--pkcs12 %s: the private key is not usable", file);
		goto out;
	}
	xkey = NULL; /* owned by id->key now */
	rc = finish(id, err, errlen);
out:
	for (unsigned i = 0; i < nextra; i++)
		gnutls_x509_crt_deinit(extra[i]);
	gnutls_free(extra);
	gnutls_free(chain);
	if (xkey)
		gnutls_x509_privkey_deinit(xkey);
	if (p12)
		gnutls_pkcs12_deinit(p12);
	if (data.data) {
		gnutls_memset(data.data, 0, data.size);
		gnutls_free(data.data);
	}
	if (rc < 0)
		tls_identity_free(id);
	else
		*out = id;
	return rc;
}

const struct cert_info *tls_identity_chain(const struct tls_identity *id, size_t *n)
{
	*n = id ? id->chain_len : 0;
	return id ? id->chain : NULL;
}

const char *tls_identity_source(const struct tls_identity *id)
{
	return id ? id->source : NULL;
}

const struct tls_identity_check *tls_identity_checks(const struct tls_identity *id)
{
	return &id->check;
}

void tls_identity_gnutls(const struct tls_identity *id, struct gnutls_pcert_st **pcert, unsigned *n,
			 struct gnutls_privkey_st **key)
{
	/* GnuTLS takes non-const pointers but only reads them. */
	struct tls_identity *m = (struct tls_identity *)(uintptr_t)id;
	*pcert = m->pcert;
	*n = m->npcert;
	*key = m->key;
}

/* "CN=a, O=b" and "cn=a,O=b" are one name to a person. */
static bool dn_equal_loose(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ')
			a++;
		while (*b == ' ')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

bool tls_identity_issuer_listed(const struct strvec *ca_names, const struct strvec *issuers)
{
	if (ca_names->n == 0)
		return true;
	for (size_t i = 0; i < issuers->n; i++)
		for (size_t j = 0; j < ca_names->n; j++)
			if (strcmp(issuers->v[i], ca_names->v[j]) == 0 || dn_equal_loose(issuers->v[i], ca_names->v[j]))
				return true;
	return false;
}
