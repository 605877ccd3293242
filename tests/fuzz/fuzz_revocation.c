/* \summary: libFuzzer target for revocation as our code drives GnuTLS
 * (rev_check_cert without HTTP): an OCSP response stapled for a lab leaf
 * (import, signature, CertID match, freshness at a fuzzed instant), CRLs
 * given as files (DER or PEM import, issuer, signature, validity, the
 * entry and its reasonCode), and a certificate of the fuzzer's own whose
 * CDP/AIA/TLS-feature extensions are read. The first byte picks the mode
 * and the instant; a lab root and leaf are made once.
 * specification: RFC 6960 (OCSP), RFC 5280 sections 5 and 4.2.1.13/4.2.2.1,
 * RFC 7633 (TLS feature). */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/labpki.h"
#include "pki/revocation.h"
#include "report/model.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gnutls_datum_t leaf_der, root_der; /* made once, kept for the run */

static int pem_to_der(const char *pem, gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem) };
	if (gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) < 0)
		return -1;
	int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, der);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

static void make_pki(void)
{
	char err[256];
	struct labpki *pki = labpki_new(err, sizeof err);
	if (!pki)
		abort();
	const char *sans[] = { "mail.lab.example", NULL };
	char *cert = NULL, *key = NULL, *ca = labpki_ca_pem(pki);
	int64_t now = wall_us() / 1000000;
	if (!ca ||
	    labpki_issue_pem(pki, "mail.lab.example", sans, now - 86400, now + 86400 * 30, &cert, &key, err,
			     sizeof err) < 0 ||
	    pem_to_der(cert, &leaf_der) < 0 || pem_to_der(ca, &root_der) < 0)
		abort();
	free(cert);
	free(key);
	free(ca);
	labpki_free(pki);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!leaf_der.data)
		make_pki();
	unsigned mode = data[0] % 3;
	int64_t at = 1700000000 + (int64_t)data[1] * 86400 * 30;
	unsigned char *rest = xmalloc(size - 2 ? size - 2 : 1);
	memcpy(rest, data + 2, size - 2);
	size_t rl = size - 2;

	struct ocsp_staple staple = { rest, rl };
	struct rev_crls *crls = rev_crls_new();
	struct rev_inputs in = {
		.cert = leaf_der.data,
		.cert_len = leaf_der.size,
		.issuer = root_der.data,
		.issuer_len = root_der.size,
		.at = at,
		.timeout_us = 1000,
	};
	if (mode == 0) {
		in.staple = &staple;
	} else if (mode == 1) {
		(void)rev_crls_add(crls, rest, rl, "fuzz.crl");
		in.files = crls;
	} else {
		in.cert = rest; /* a certificate of the fuzzer's own */
		in.cert_len = rl;
	}
	struct rev_cert out;
	memset(&out, 0, sizeof out);
	rev_check_cert(&in, 0, &out);
	if ((unsigned)out.outcome > REV_UNCHECKED || out.nsrc > out.capsrc ||
	    (out.decided_by && (out.decided_by < out.src || out.decided_by >= out.src + out.nsrc)))
		abort();
	rev_cert_clear(&out);
	rev_crls_free(crls);
	free(rest);
	return 0;
}
