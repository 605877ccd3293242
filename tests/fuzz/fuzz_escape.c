/* \summary: libFuzzer target for the one escaping rule and the seal step
 * (util.h, report/seal.h), asserting the property every renderer relies
 * on: whatever the bytes, str_escape and str_sanitize give valid UTF-8
 * without C0/C1/DEL/bidi characters (str_is_safe), str_sanitize is
 * idempotent, and redact_apply leaves no known secret behind and is a
 * fixpoint (a second pass gives the same bytes). Input: one
 * byte n, n bytes of secret, then the text.
 * specification: RFC 3629 (UTF-8), RFC 4648 (base64), issue 8. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/seal.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_safe(const char *s, bool nl)
{
	if (!str_is_safe(s, strlen(s), nl))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = data[0] % 33;
	if (size < 1 + n)
		return 0;
	char *secret = xstrndup((const char *)data + 1, n);
	size_t tl = size - 1 - n;
	char *text = xmalloc(tl + 1);
	memcpy(text, data + 1 + n, tl);
	text[tl] = '\0';

	/* raw bytes (NULs included) */
	char *esc = str_escape(data + 1 + n, tl, 1u << 20);
	check_safe(esc, false);
	char *esc_cut = str_escape(data + 1 + n, tl, 64);
	check_safe(esc_cut, false);
	if (strlen(esc_cut) > 64 + 3)
		abort();
	/* text (up to the first NUL), with and without LF */
	for (int nl = 0; nl < 2; nl++) {
		char *s = str_sanitize(text, nl);
		check_safe(s, nl);
		char *again = str_sanitize(s, nl);
		if (strcmp(s, again) != 0)
			abort();
		free(again);
		free(s);
	}
	/* the seal: secret gone, result safe, a second pass changes nothing */
	struct redact r;
	redact_init(&r);
	redact_add_secret(&r, secret, "user");
	char *red = redact_apply(&r, text);
	/* No secret is left, whatever surrounds it (a marker and its
	 * neighbours included), except one that is part of the marker itself. */
	if (secret[0] && strstr(red, secret) && !strstr(SEAL_MARK, secret))
		abort();
	char *secret_esc = str_sanitize(secret, false);
	if (secret_esc[0] && strstr(red, secret_esc) && !strstr(SEAL_MARK, secret_esc))
		abort();
	free(secret_esc);
	/* A fixpoint: the seal runs per target and once over the report, and a
	 * second pass must give the same bytes. */
	char *red2 = redact_apply(&r, red);
	if (strcmp(red, red2) != 0)
		abort();
	char *sealed2 = str_sanitize(red2, true);
	check_safe(sealed2, true);
	free(sealed2);
	char *sealed = str_sanitize(red, true);
	check_safe(sealed, true);
	free(sealed);
	free(red2);
	free(red);
	redact_clear(&r);
	free(esc_cut);
	free(esc);
	free(text);
	free(secret);
	return 0;
}
