/* \summary: an in-memory test PKI: a root CA and the leaves it signs.
 *
 * specification: RFC 5280 section 4.2 (the extensions set here). */
#include "lab/labpki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "util/util.h"

#define LABPKI_ORG "mxprobe lab"
#define LABPKI_DAY (24 * 60 * 60)

struct labpki {
	gnutls_x509_crt_t ca;
	gnutls_x509_privkey_t ca_key;
	unsigned char ca_keyid[64];
	size_t ca_keyid_len;
};

/* Fills err from a GnuTLS code and says which step failed; returns -1. */
static int fail(char *err, size_t errlen, const char *what, int gtls_ret)
{
	if (err && errlen)
		snprintf(err, errlen, "lab PKI: %s: %s", what, gnutls_strerror(gtls_ret));
	return -1;
}

static int key_generate(gnutls_x509_privkey_t *out)
{
	int ret = gnutls_x509_privkey_init(out);
	if (ret < 0)
		return ret;
	ret = gnutls_x509_privkey_generate2(*out, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
					    NULL, 0);
	if (ret < 0) {
		gnutls_x509_privkey_deinit(*out);
		*out = NULL;
	}
	return ret;
}

/* A positive 16-byte random serial (RFC 5280 section 4.1.2.2: at most 20
 * octets, positive). */
static int set_random_serial(gnutls_x509_crt_t crt)
{
	unsigned char serial[16];
	int ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
	if (ret < 0)
		return ret;
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
	return gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
}

/* Subject name, key, serial, validity and subjectKeyIdentifier: what every
 * certificate here has. */
static int set_common(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn, int64_t not_before,
		      int64_t not_after, const char **what)
{
	unsigned char keyid[64];
	size_t keyid_len = sizeof keyid;
	int ret;

	*what = "set version";
	if ((ret = gnutls_x509_crt_set_version(crt, 3)) < 0)
		return ret;
	/* O before CN in the sequence prints as "CN=...,O=..." (RFC 4514
	 * section 2.1 prints the last RDN first). */
	*what = "set subject O";
	if ((ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, LABPKI_ORG,
						 (unsigned)strlen(LABPKI_ORG))) < 0)
		return ret;
	*what = "set subject CN";
	if ((ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn))) < 0)
		return ret;
	*what = "set key";
	if ((ret = gnutls_x509_crt_set_key(crt, key)) < 0)
		return ret;
	*what = "set serial";
	if ((ret = set_random_serial(crt)) < 0)
		return ret;
	*what = "set notBefore";
	if ((ret = gnutls_x509_crt_set_activation_time(crt, (time_t)not_before)) < 0)
		return ret;
	*what = "set notAfter";
	if ((ret = gnutls_x509_crt_set_expiration_time(crt, (time_t)not_after)) < 0)
		return ret;
	*what = "compute key id";
	if ((ret = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA1, keyid, &keyid_len)) < 0)
		return ret;
	*what = "set subjectKeyIdentifier";
	return gnutls_x509_crt_set_subject_key_id(crt, keyid, keyid_len);
}

struct labpki *labpki_new(char *err, size_t errlen)
{
	struct labpki *pki = xcalloc(1, sizeof *pki);
	const char *what = "init certificate";
	int64_t now = (int64_t)time(NULL);
	int ret;

	if ((ret = gnutls_x509_crt_init(&pki->ca)) < 0)
		goto out;
	what = "generate CA key";
	if ((ret = key_generate(&pki->ca_key)) < 0)
		goto out;
	if ((ret = set_common(pki->ca, pki->ca_key, "mxprobe lab root CA", now - LABPKI_DAY,
			      now + 3650 * (int64_t)LABPKI_DAY, &what)) < 0)
		goto out;
	what = "set basicConstraints";
	if ((ret = gnutls_x509_crt_set_basic_constraints(pki->ca, 1, -1)) < 0)
		goto out;
	what = "set keyUsage";
	if ((ret = gnutls_x509_crt_set_key_usage(pki->ca, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0)
		goto out;
	what = "self-sign CA";
	if ((ret = gnutls_x509_crt_sign2(pki->ca, pki->ca, pki->ca_key, GNUTLS_DIG_SHA256, 0)) < 0)
		goto out;
	what = "read CA key id";
	pki->ca_keyid_len = sizeof pki->ca_keyid;
	if ((ret = gnutls_x509_crt_get_subject_key_id(pki->ca, pki->ca_keyid, &pki->ca_keyid_len, NULL)) < 0)
		goto out;
	return pki;
out:
	fail(err, errlen, what, ret);
	labpki_free(pki);
	return NULL;
}

void labpki_free(struct labpki *pki)
{
	if (!pki)
		return;
	if (pki->ca)
		gnutls_x509_crt_deinit(pki->ca);
	if (pki->ca_key)
		gnutls_x509_privkey_deinit(pki->ca_key);
	free(pki);
}

/* "IP:192.0.2.1" / "IP:2001:db8::1" as an iPAddress, else a dNSName. */
static int add_san(gnutls_x509_crt_t crt, const char *san)
{
	unsigned char ip[16];

	if (strncmp(san, "IP:", 3) == 0) {
		if (inet_pton(AF_INET, san + 3, ip) == 1)
			return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
								    GNUTLS_FSAN_APPEND);
		if (inet_pton(AF_INET6, san + 3, ip) == 1)
			return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
								    GNUTLS_FSAN_APPEND);
		return GNUTLS_E_INVALID_REQUEST;
	}
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, san, (unsigned)strlen(san),
						    GNUTLS_FSAN_APPEND);
}

/* Builds and signs one leaf; on success the caller owns *crt and *key. */
static int leaf_make(struct labpki *pki, const char *cn, const char *const *sans, int64_t not_before, int64_t not_after,
		     gnutls_x509_crt_t *crt_out, gnutls_x509_privkey_t *key_out, char *err, size_t errlen)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t key = NULL;
	const char *what = "init certificate";
	int ret;

	if ((ret = gnutls_x509_crt_init(&crt)) < 0)
		goto out;
	what = "generate leaf key";
	if ((ret = key_generate(&key)) < 0)
		goto out;
	if ((ret = set_common(crt, key, cn, not_before, not_after, &what)) < 0)
		goto out;
	what = "set basicConstraints";
	if ((ret = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0)
		goto out;
	what = "set keyUsage";
	if ((ret = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0)
		goto out;
	what = "set extendedKeyUsage";
	if ((ret = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
		goto out;
	what = "set authorityKeyIdentifier";
	if ((ret = gnutls_x509_crt_set_authority_key_id(crt, pki->ca_keyid, pki->ca_keyid_len)) < 0)
		goto out;
	what = "set subjectAltName";
	for (size_t i = 0; sans && sans[i]; i++)
		if ((ret = add_san(crt, sans[i])) < 0)
			goto out;
	what = "sign leaf";
	if ((ret = gnutls_x509_crt_sign2(crt, pki->ca, pki->ca_key, GNUTLS_DIG_SHA256, 0)) < 0)
		goto out;
	*crt_out = crt;
	*key_out = key;
	return 0;
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return fail(err, errlen, what, ret);
}

int labpki_issue(struct labpki *pki, const char *cn, const char *const *sans, int64_t not_before, int64_t not_after,
		 gnutls_certificate_credentials_t *out_cred, char *err, size_t errlen)
{
	gnutls_x509_crt_t leaf = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_x509_crt_t chain[2];
	int rc = -1, ret;

	*out_cred = NULL;
	if (leaf_make(pki, cn, sans, not_before, not_after, &leaf, &key, err, errlen) < 0)
		return -1;
	if ((ret = gnutls_certificate_allocate_credentials(&cred)) < 0) {
		fail(err, errlen, "allocate credentials", ret);
		goto out;
	}
	/* The chain is sent as given, so a client sees leaf and root as most
	 * mail servers send them. The credentials keep copies. */
	chain[0] = leaf;
	chain[1] = pki->ca;
	if ((ret = gnutls_certificate_set_x509_key(cred, chain, 2, key)) < 0) {
		fail(err, errlen, "set certificate and key", ret);
		gnutls_certificate_free_credentials(cred);
		goto out;
	}
	*out_cred = cred;
	rc = 0;
out:
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

static char *datum_to_str(gnutls_datum_t *d)
{
	char *s = xstrndup((const char *)d->data, d->size);
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

int labpki_issue_pem(struct labpki *pki, const char *cn, const char *const *sans, int64_t not_before, int64_t not_after,
		     char **cert_pem, char **key_pem, char *err, size_t errlen)
{
	gnutls_x509_crt_t leaf = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t dc = { NULL, 0 }, dk = { NULL, 0 };
	int rc = -1, ret;

	*cert_pem = *key_pem = NULL;
	if (leaf_make(pki, cn, sans, not_before, not_after, &leaf, &key, err, errlen) < 0)
		return -1;
	if ((ret = gnutls_x509_crt_export2(leaf, GNUTLS_X509_FMT_PEM, &dc)) < 0) {
		fail(err, errlen, "export certificate", ret);
		goto out;
	}
	if ((ret = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &dk)) < 0) {
		fail(err, errlen, "export key", ret);
		gnutls_free(dc.data);
		goto out;
	}
	*cert_pem = datum_to_str(&dc);
	*key_pem = datum_to_str(&dk);
	rc = 0;
out:
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_privkey_deinit(key);
	return rc;
}

char *labpki_ca_pem(const struct labpki *pki)
{
	gnutls_datum_t d = { NULL, 0 };

	if (gnutls_x509_crt_export2(pki->ca, GNUTLS_X509_FMT_PEM, &d) < 0)
		return NULL;
	return datum_to_str(&d);
}

int labpki_write_ca_pem(const struct labpki *pki, const char *path)
{
	char *pem = labpki_ca_pem(pki);
	FILE *f = NULL;
	int rc = -1;

	if (!pem) {
		errno = EINVAL;
		return -1;
	}
	f = fopen(path, "w");
	if (!f)
		goto out;
	if (fputs(pem, f) == EOF) {
		fclose(f);
		goto out;
	}
	if (fclose(f) == EOF)
		goto out;
	rc = 0;
out:
	free(pem);
	return rc;
}
