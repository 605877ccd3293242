/* \summary: IDNA with libidn2 (see idn.h).
 * specification: RFC 5891 section 4 (registration and lookup), UTS #46
 * section 4 (non-transitional processing: ß and ς stay themselves). */
#include "net/idn.h"

#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

bool idn_has_non_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			return true;
	return false;
}

char *idn_to_alabels(const char *name, char *err, size_t errlen)
{
	if (!idn_has_non_ascii(name))
		return xstrdup(name);
	/* libidn2 takes the name without the root dot. */
	size_t len = strlen(name);
	bool root = len > 1 && name[len - 1] == '.';
	char *in = xstrndup(name, root ? len - 1 : len);
	char *out = NULL;
	/* UTS #46 mapping (case folding, width), then IDNA2008's rules;
	 * non-transitional, as browsers and curl resolve names today. */
	int rc = idn2_to_ascii_8z(in, &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	free(in);
	if (rc != IDN2_OK) {
		char *shown = str_escape(name, len, 120);
		snprintf(err, errlen, "'%s' is not a valid internationalised name (IDNA2008/UTS #46): %s", shown,
			 idn2_strerror(rc));
		free(shown);
		return NULL;
	}
	char *r = xasprintf("%s%s", out, root ? "." : "");
	idn2_free(out);
	return r;
}

char *idn_to_ulabels(const char *name)
{
	if (!name || !strcasestr(name, "xn--"))
		return NULL;
	char *out = NULL;
	if (idn2_to_unicode_8z8z(name, &out, 0) != IDN2_OK) {
		idn2_free(out);
		return NULL;
	}
	char *r = strcmp(out, name) == 0 ? NULL : xstrdup(out);
	idn2_free(out);
	return r;
}
