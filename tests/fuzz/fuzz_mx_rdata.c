/* \summary: libFuzzer target for MX RDATA as libunbound hands it out
 * (2-byte preference + an uncompressed name): mx_rdata_parse on the whole
 * input, then mx_sort and mx_decide over records cut from it, checking the
 * parser's promises (a terminated host of bounded length; a usable host
 * only with host-name characters).
 * specification: RFC 1035 sections 3.1 and 3.3.9, RFC 7505. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/mx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct mx_rr *rr)
{
	size_t len = strnlen(rr->host, sizeof rr->host);
	if (len >= sizeof rr->host)
		abort();
	if (rr->host_ok) {
		if (len == 0 || len > 253)
			abort();
		for (size_t i = 0; i < len; i++) {
			char c = rr->host[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '_' || c == '.'))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_rr *v = calloc(8, sizeof *v);
	if (!v)
		return 0;
	if (mx_rdata_parse(data, size, &v[0]) == 0)
		check(&v[0]);
	/* The input as up to 8 records, each prefixed by a length byte. */
	size_t n = 0, i = 0;
	while (i < size && n < 8) {
		size_t len = data[i++];
		if (len > size - i)
			len = size - i;
		if (mx_rdata_parse(data + i, len, &v[n]) == 0) {
			check(&v[n]);
			n++;
		}
		i += len;
	}
	mx_sort(v, n);
	for (size_t k = 1; k < n; k++)
		if (v[k - 1].pref > v[k].pref)
			abort();
	for (int a = MXA_DATA; a <= MXA_ERROR; a++) {
		enum mx_decision d = mx_decide((enum mx_answer)a, v, n);
		if (d == MXD_USE_MX) {
			bool usable = false;
			for (size_t k = 0; k < n; k++)
				usable = usable || (v[k].host_ok && v[k].host[0]);
			if (!usable)
				abort();
		}
	}
	free(v);
	return 0;
}
