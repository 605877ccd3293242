/* \summary: libFuzzer target for the TLSA RDATA reader (dane_tlsa_parse,
 * what dns/dns.c does with libunbound's TLSA answers) and what reads the
 * parsed record: the usability rules, the presentation form and a match
 * against an empty chain. The input is one RDATA, as DNS hands it out.
 * Properties: a record parses exactly when it has the three octets and
 * 1..DANE_MAX_DATA bytes of data; the text is "U S M HEX" with two hex
 * digits per byte; an unusable record always says why; nothing matches
 * without a chain.
 * specification: RFC 6698 section 2.1, RFC 7672 section 3.1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/dane.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly sized: ASan sees overreads */
	unsigned char *p = xmalloc(size ? size : 1);
	memcpy(p, data, size);
	struct tlsa_rr rr;
	int rc = dane_tlsa_parse(p, size, &rr);
	bool want = size >= 4 && size - 3 <= DANE_MAX_DATA;
	if ((rc == 0) != want)
		abort();
	if (rc == 0) {
		if (rr.len != size - 3 || memcmp(rr.data, p + 3, rr.len) != 0)
			abort();
		const char *why = NULL;
		enum dane_usability u = dane_tlsa_usability(&rr, &why);
		if (u != DANE_USABLE && !why)
			abort();
		char *text = dane_tlsa_text(&rr);
		char head[16];
		int n = snprintf(head, sizeof head, "%u %u %u ", rr.usage, rr.selector, rr.mtype);
		if (strncmp(text, head, (size_t)n) != 0 || strlen(text) != (size_t)n + 2 * rr.len)
			abort();
		for (const char *c = text + n; *c; c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'F')))
				abort();
		free(text);
		struct dane_match m;
		const char *names[1] = { "mx.example" };
		dane_match_chain(&rr, 1, NULL, 0, names, 1, 0, &m);
		if (m.matched || !m.why || m.nusable != (u == DANE_USABLE ? 1u : 0u))
			abort();
		dane_match_clear(&m);
		free(rr.data);
	}
	free(p);
	return 0;
}
