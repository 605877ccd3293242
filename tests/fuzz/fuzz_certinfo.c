/* \summary: libFuzzer target for cert_info_from_der, which reads the
 * certificates a server sends (through GnuTLS's DER parser) into the
 * model: every string in it must obey the escaping rule (str_is_safe).
 * specification: RFC 5280 section 4.1 and 4.2.1.6. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/certinfo.h"
#include "report/model.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the one escaping rule (util.h): valid UTF-8, no C0/C1/DEL/bidi */
static void printable_or_abort(const char *s)
{
	if (!s || !str_is_safe(s, strlen(s), false))
		abort();
}

static void vec_printable_or_abort(const struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		printable_or_abort(sv->v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *der = malloc(size ? size : 1);
	if (!der)
		abort();
	memcpy(der, data, size);
	struct cert_info ci;
	int rc = cert_info_from_der(der, size, &ci);
	if (rc == 0) {
		printable_or_abort(ci.subject);
		printable_or_abort(ci.issuer);
		printable_or_abort(ci.serial_hex);
		printable_or_abort(ci.sha1_hex);
		printable_or_abort(ci.sha256_hex);
		printable_or_abort(ci.key_type);
		printable_or_abort(ci.sig_alg);
		vec_printable_or_abort(&ci.san_dns);
		vec_printable_or_abort(&ci.san_ip);
		vec_printable_or_abort(&ci.san_other);
		if (strlen(ci.sha1_hex) != 40 || strlen(ci.sha256_hex) != 64)
			abort();
		if (ci.der_len != size || memcmp(ci.der, data, size) != 0)
			abort();
	}
	cert_info_clear(&ci);
	free(der);
	return 0;
}
