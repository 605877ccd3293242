/* \summary: DER certificate -> cert_info (RFC 5280). */
#include "pki/certinfo.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static char *dn_string(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t d = { NULL, 0 };
	int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) : gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (rc < 0)
		return xstrdup("");
	/* DNs are attacker-controlled bytes: keep them printable. */
	char *s = str_escape(d.data, d.size, 2048);
	gnutls_free(d.data);
	return s;
}

static void collect_sans(gnutls_x509_crt_t crt, struct cert_info *ci)
{
	for (unsigned seq = 0; seq < 1024; seq++) {
		char name[1024];
		size_t size = sizeof name - 1;
		unsigned critical;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, name, &size, &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			break;
		switch (type) {
		case GNUTLS_SAN_DNSNAME: {
			char *s = str_escape(name, size, 512);
			strvec_push_owned(&ci->san_dns, s);
			break;
		}
		case GNUTLS_SAN_IPADDRESS: {
			char ip[64] = "?";
			if (size == 4)
				inet_ntop(AF_INET, name, ip, sizeof ip);
			else if (size == 16)
				inet_ntop(AF_INET6, name, ip, sizeof ip);
			strvec_push(&ci->san_ip, ip);
			break;
		}
		case GNUTLS_SAN_RFC822NAME:
		case GNUTLS_SAN_URI: {
			char *s = str_escape(name, size, 512);
			strvec_push_owned(&ci->san_other,
					  xasprintf("%s:%s", type == GNUTLS_SAN_URI ? "URI" : "email", s));
			free(s);
			break;
		}
		default:
			strvec_push_owned(&ci->san_other, xasprintf("type%d", type));
			break;
		}
	}
}

static char *digest_hex(gnutls_digest_algorithm_t alg, const unsigned char *der, size_t len)
{
	unsigned char md[64];
	if (gnutls_hash_fast(alg, der, len, md) < 0)
		return xstrdup("");
	return hex_upper(md, gnutls_hash_get_len(alg), 0);
}

static char *key_type_name(int pk)
{
	switch (pk) {
	case GNUTLS_PK_RSA:
		return xstrdup("RSA");
	case GNUTLS_PK_RSA_PSS:
		return xstrdup("RSA-PSS");
	case GNUTLS_PK_ECDSA:
		return xstrdup("ECDSA");
	case GNUTLS_PK_EDDSA_ED25519:
		return xstrdup("Ed25519");
	case GNUTLS_PK_EDDSA_ED448:
		return xstrdup("Ed448");
	case GNUTLS_PK_DSA:
		return xstrdup("DSA");
	default: {
		const char *n = gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)pk);
		return xstrdup(n ? n : "unknown");
	}
	}
}

int cert_info_from_der(const unsigned char *der, size_t len, struct cert_info *ci)
{
	memset(ci, 0, sizeof *ci);
	gnutls_x509_crt_t crt;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -MX_E_INTERNAL;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)der, (unsigned)len };
	int rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		gnutls_x509_crt_deinit(crt);
		return -MX_E_BAD_REPLY;
	}
	ci->subject = dn_string(crt, false);
	ci->issuer = dn_string(crt, true);

	unsigned char serial[64];
	size_t slen = sizeof serial;
	if (gnutls_x509_crt_get_serial(crt, serial, &slen) == 0) {
		/* Exchange prints the serial without the DER sign byte. */
		size_t off = 0;
		while (off + 1 < slen && serial[off] == 0)
			off++;
		ci->serial_hex = hex_upper(serial + off, slen - off, 0);
	} else {
		ci->serial_hex = xstrdup("");
	}
	ci->sha1_hex = digest_hex(GNUTLS_DIG_SHA1, der, len);
	ci->sha256_hex = digest_hex(GNUTLS_DIG_SHA256, der, len);
	collect_sans(crt, ci);
	ci->not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	ci->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);

	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	ci->key_type = key_type_name(pk);
	ci->key_bits = bits;
	int sig = gnutls_x509_crt_get_signature_algorithm(crt);
	const char *sn = gnutls_sign_get_name((gnutls_sign_algorithm_t)sig);
	ci->sig_alg = xstrdup(sn ? sn : "unknown");

	unsigned int ca = 0;
	ci->is_ca = gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca, NULL) >= 0 && ca;
	ci->self_signed =
		gnutls_x509_crt_check_issuer(crt, crt) == 1 &&
		gnutls_x509_crt_verify(crt, &crt, 1, GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &(unsigned){ 0 }) == 0;
	if (ci->self_signed) {
		unsigned status = 0;
		gnutls_x509_crt_verify(crt, &crt, 1, GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &status);
		ci->self_signed = status == 0;
	}
	ci->der = xmalloc(len);
	memcpy(ci->der, der, len);
	ci->der_len = len;
	gnutls_x509_crt_deinit(crt);
	return 0;
}
