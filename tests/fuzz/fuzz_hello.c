/* \summary: libFuzzer target for hello_parse_server, which reads what a
 * server answers to a hand-built ClientHello: TLS records, ServerHello,
 * HelloRetryRequest, Certificate, ServerKeyExchange, alerts, and SSLv2
 * SERVER-HELLO. The first input byte chooses SSLv2 mode (bit 0); the rest
 * is the server's bytes, parsed whole and as every prefix a read could
 * have delivered, as the scan does.
 * specification: RFC 8446 section 4.1, RFC 5246 section 7.4. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct server_flight *sf, enum hello_parse_rc rc)
{
	if (rc != HP_MORE && rc != HP_DONE && rc != HP_INVALID)
		abort();
	if (sf->n_certs > HELLO_MAX_CERTS || sf->n_ssl2_kinds > HELLO_MAX_SSL2_KINDS ||
	    sf->dh_prime_len > HELLO_MAX_DH_PRIME)
		abort();
	if ((sf->leaf == NULL) != (sf->leaf_len == 0))
		abort();
	if (sf->dh_prime_len)
		(void)tls_dh_prime_name(sf->dh_prime, sf->dh_prime_len);
	(void)tls_suite_find(sf->suite, false);
	(void)tls_group_find(sf->ske_group);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 200000)
		return 0;
	bool ssl2 = data[0] & 1;
	const unsigned char *p = data + 1;
	size_t n = size - 1;
	struct server_flight sf = { 0 };
	const char *err = NULL;
	enum hello_parse_rc rc = hello_parse_server(p, n, ssl2, &sf, &err);
	if (!err)
		abort();
	check(&sf, rc);
	/* Every prefix a read could have ended at (sparser further in). */
	for (size_t cut = 0; cut < n && cut < 4096; cut += 1 + cut / 8) {
		rc = hello_parse_server(p, cut, ssl2, &sf, &err);
		check(&sf, rc);
	}
	server_flight_clear(&sf);
	return 0;
}
