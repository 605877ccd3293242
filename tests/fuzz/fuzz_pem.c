/* \summary: libFuzzer target for loading our client identity and trust
 * anchors from files as the cli does before the first connection: the
 * input (after one mode byte) becomes an in-memory file (memfd) read
 * through file_read_local, then tls_identity_load_pem (as certificate and
 * key), tls_identity_load_pkcs12 (with a fuzzed password) and a trust
 * list import of the PEM. Properties: a loaded identity has a chain and
 * printable names; an error message obeys the escaping rule once
 * sanitized.
 * specification: RFC 7468 (PEM), RFC 7292 (PKCS #12). */
#define _GNU_SOURCE
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tls/identity.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const char *err)
{
	char *s = str_sanitize(err, false);
	if (!str_is_safe(s, strlen(s), false))
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 64 * 1024)
		return 0;
	int fd = memfd_create("fuzz_pem", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	char path[64], err[512];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	char *text = NULL;
	size_t len = 0;
	if (file_read_local(path, 1u << 20, &text, &len, err, sizeof err) == 0) {
		gnutls_x509_trust_list_t tl;
		if (gnutls_x509_trust_list_init(&tl, 0) == 0) {
			gnutls_datum_t d = { (unsigned char *)text, (unsigned)len };
			(void)gnutls_x509_trust_list_add_trust_mem(tl, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
			gnutls_x509_trust_list_deinit(tl, 1);
		}
		free(text);
	}
	struct tls_identity *id = NULL;
	int rc = data[0] & 1 ? tls_identity_load_pem(path, path, &id, err, sizeof err)
			     : tls_identity_load_pkcs12(path, data[0] & 2 ? "pass" : NULL, &id, err, sizeof err);
	if (rc == 0) {
		size_t n = 0;
		const struct cert_info *chain = tls_identity_chain(id, &n);
		if (!id || !chain || n == 0)
			abort();
		for (size_t i = 0; i < n; i++)
			if (chain[i].subject && !str_is_safe(chain[i].subject, strlen(chain[i].subject), false))
				abort();
		tls_identity_free(id);
	} else {
		check_err(err);
	}
	close(fd);
	return 0;
}
