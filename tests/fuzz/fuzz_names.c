/* \summary: libFuzzer target for RFC 6125 name matching (pki/names.h):
 * the input is split at NUL bytes into a reference name, a CN and
 * presented dNSName/iPAddress identifiers; names_dns_match, names_check,
 * names_is_ip_literal and names_ip_equal run over them. Properties: a
 * match names the identifier that matched, which is one of those
 * presented; matching is case-insensitive.
 * specification: RFC 6125 section 6.4, RFC 5280 section 4.2.1.6. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/names.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strvec parts = { 0 };
	size_t pos = 0;
	while (pos <= size && parts.n < 12) {
		const uint8_t *z = memchr(data + pos, '\0', size - pos);
		size_t end = z ? (size_t)(z - data) : size;
		strvec_push_owned(&parts, xstrndup((const char *)data + pos, end - pos));
		pos = end + 1;
	}
	if (parts.n < 2) {
		strvec_clear(&parts);
		return 0;
	}
	const char *ref = parts.v[0];
	const char *cn = parts.v[1][0] ? parts.v[1] : NULL;
	size_t np = parts.n - 2, ndns = np / 2 + np % 2;
	const char *const *ids = (const char *const *)parts.v + 2;
	struct names_presented p = { .dns = ids, .ndns = ndns, .ip = ids + ndns, .nip = np - ndns, .cn = cn };
	struct names_result r;
	names_check(&p, ref, &r);
	if (r.matched) {
		bool found = r.matched_by && (r.matched_by == cn || strcmp(r.matched_by, cn ? cn : "") == 0);
		for (size_t i = 0; i < np && !found; i++)
			found = r.matched_by == ids[i] || strcmp(r.matched_by, ids[i]) == 0;
		if (!found)
			abort();
	}
	for (size_t i = 0; i < np; i++) {
		bool m = names_dns_match(ids[i], ref);
		char *up = xstrdup(ref);
		for (char *q = up; *q; q++)
			*q = (char)toupper((unsigned char)*q);
		if (names_dns_match(ids[i], up) != m)
			abort();
		free(up);
		(void)names_ip_equal(ids[i], ref);
	}
	(void)names_is_ip_literal(ref);
	strvec_clear(&parts);
	return 0;
}
