/* \summary: TLS as seen on the wire: record headers, ClientHello,
 * ServerHello and (TLS 1.2 and older) Certificate messages, read through
 * bounds-checked accessors (wire/rd.h); numbers become names through
 * { value, "name" } tables.
 *
 * specification: RFC 8446 (TLS 1.3) sections 4.1.2, 4.1.3, 4.2, 5.1;
 * RFC 5246 (TLS 1.2) sections 6.2.1, 7.4.1, 7.4.2; RFC 6066 section 3
 * (server_name); RFC 7301 (ALPN); RFC 8701 (GREASE). */
#ifndef SRC_WIRE_TLSPARSE_H
#define SRC_WIRE_TLSPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/wire_model.h"

#define TLS_RECORD_HEADER 5
#define TLS_RECORD_MAX	  (16384 + 2048) /* RFC 5246 section 6.2.3: TLSCiphertext.length */

enum tls_content {
	TLS_CT_CHANGE_CIPHER_SPEC = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPLICATION_DATA = 23,
	TLS_CT_HEARTBEAT = 24,
};

enum tls_hs_type {
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_SERVER_HELLO_DONE = 14,
};

/* Is this a well-formed record header: a known content type, a 3.x
 * version and a length a TLSCiphertext may have (RFC 5246 section 6.2)?
 * Fills *len with the record's body length. h: 5 bytes. */
bool tls_record_header_ok(const uint8_t *h, size_t *len);

/* Names: "TLS1.2", "TLS_AES_128_GCM_SHA256", "X25519", "server_name";
 * unknown values as "0xNNNN", GREASE (RFC 8701) as "GREASE". buf receives
 * the text when the table has no name; the return value is buf or a
 * static string. */
const char *tls_version_name(uint16_t v, char buf[8]);
const char *tls_suite_name(uint16_t v, char buf[8]);
const char *tls_group_name(uint16_t v, char buf[8]);
const char *tls_ext_name(uint16_t v, char buf[8]);

/* Parses a ClientHello (client true) or ServerHello body (after the 4-byte
 * handshake header) into h. 0, or -1 when malformed (h then holds what was
 * read before the fault). For a ServerHello, *selected receives the
 * negotiated version (supported_versions when present). */
int tls_hello_parse(const uint8_t *body, size_t len, bool client, struct wire_hello *h, uint16_t *selected,
		    uint16_t *suite);

/* Parses a TLS 1.2 Certificate message body: each certificate's subject DN
 * and SHA-256 (upper-case hex) are appended, at most max_certs. 0, or -1
 * when malformed. */
int tls_certificate_parse(const uint8_t *body, size_t len, struct strvec *subjects, struct strvec *sha256,
			  size_t max_certs);

#endif
