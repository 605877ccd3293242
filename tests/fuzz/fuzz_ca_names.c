/* \summary: libFuzzer target for the CertificateRequest's CA names as the
 * mtls facts record them (tls_ca_names_record): the input is a list of
 * DER names, each a two-byte length and that many bytes, as the
 * certificate_authorities list carries them. Properties: one printed name
 * per input name, each obeying the escaping rule.
 * specification: RFC 5246 section 7.4.4, RFC 8446 section 4.2.4, RFC 4514. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_datum_t names[32];
	unsigned n = 0;
	size_t pos = 0;
	while (pos + 2 <= size && n < 32) {
		size_t l = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (l > size - pos)
			l = size - pos;
		names[n].data = xmalloc(l ? l : 1); /* exactly sized: ASan sees overreads */
		memcpy(names[n].data, data + pos, l);
		names[n++].size = (unsigned)l;
		pos += l;
	}
	struct strvec out = { 0 };
	tls_ca_names_record(names, n, &out);
	if (out.n != n)
		abort();
	for (size_t i = 0; i < out.n; i++)
		if (!str_is_safe(out.v[i], strlen(out.v[i]), false))
			abort();
	strvec_clear(&out);
	for (unsigned i = 0; i < n; i++)
		free(names[i].data);
	return 0;
}
