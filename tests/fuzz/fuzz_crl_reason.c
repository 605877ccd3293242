/* \summary: libFuzzer target for rev_crl_entry_reason, the bounds-checked
 * DER reader that finds a revoked entry's reasonCode in a CRL fetched from
 * a distribution point. Input: one byte n, n bytes of serial, then the CRL.
 * specification: RFC 5280 sections 5.1 and 5.3.1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/revocation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = data[0] % 21;
	if (size < 1 + n)
		return 0;
	/* Copies, so ASan sees reads past either end. */
	unsigned char *serial = malloc(n ? n : 1), *crl = malloc(size - 1 - n ? size - 1 - n : 1);
	if (!serial || !crl)
		abort();
	memcpy(serial, data + 1, n);
	memcpy(crl, data + 1 + n, size - 1 - n);
	int r = rev_crl_entry_reason(crl, size - 1 - n, serial, n);
	if (r < -2 || r > 10)
		abort();
	free(serial);
	free(crl);
	return 0;
}
