/* \summary: libFuzzer target for the TLS parsers of the wire checks: the
 * input is a handshake message body parsed as a ClientHello, as a
 * ServerHello and as a TLS 1.2 Certificate message, and its first five
 * bytes as a record header. Every name must be printable.
 * specification: RFC 8446 sections 4.1.2, 4.1.3, 4.2, 5.1; RFC 5246
 * section 7.4.2; wire/tlsparse.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/wire_model.h"
#include "wire/tlsparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable_vec(const struct strvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		for (const char *p = v->v[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				abort();
}

static void check_hello(const struct wire_hello *h)
{
	printable_vec(&h->suites);
	printable_vec(&h->alpn);
	printable_vec(&h->groups);
	printable_vec(&h->extensions);
	printable_vec(&h->versions);
	printable_vec(&h->key_shares);
	for (const char *p = h->sni; p && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			abort();
	if (h->seen && strlen(h->random_hex) != 64)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exactly sized copy: a read past the end is an ASan report */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	for (int client = 0; client < 2; client++) {
		struct wire_session s;
		memset(&s, 0, sizeof s);
		uint16_t selected = 0, suite = 0;
		struct wire_hello *h = client ? &s.client_hello : &s.server_hello;
		tls_hello_parse(buf, size, client, h, &selected, &suite);
		check_hello(h);
		wire_session_clear(&s);
	}
	struct strvec subjects = { 0 }, digests = { 0 };
	tls_certificate_parse(buf, size, &subjects, &digests, 4);
	if (subjects.n > 4 || digests.n > subjects.n)
		abort();
	printable_vec(&subjects);
	strvec_clear(&subjects);
	strvec_clear(&digests);
	if (size >= TLS_RECORD_HEADER) {
		size_t len = 0;
		if (tls_record_header_ok(buf, &len) && len > TLS_RECORD_MAX)
			abort();
	}
	free(buf);
	return 0;
}
