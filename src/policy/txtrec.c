/* \summary: the MTA-STS and TLS-RPT records' shared grammar (txtrec.h).
 * specification: RFC 8461 section 3.1, RFC 8460 section 3. */
#include "policy/txtrec.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

bool txtrec_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool txtrec_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

bool txtrec_has_version(const char *s, size_t len, const char *tag)
{
	size_t n = strlen(tag);
	if (len < n || memcmp(s, tag, n) != 0)
		return false;
	/* the tag, then *WSP ";" (the grammar's 1*(*WSP ";" *WSP field)) */
	size_t i = n;
	while (i < len && txtrec_is_wsp(s[i]))
		i++;
	return i < len && s[i] == ';';
}

bool txtrec_ext_name_ok(const char *p, size_t n)
{
	if (n == 0 || n > 32 || !txtrec_is_alnum(p[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!txtrec_is_alnum(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
			return false;
	return true;
}

bool txtrec_ext_value_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x21 || c > 0x7e || c == '=' || c == ';')
			return false;
	}
	return true;
}

char *txtrec_quote(const char *p, size_t n)
{
	bool cut = n > TXTREC_QUOTE_MAX;
	char *e = str_escape(p, cut ? TXTREC_QUOTE_MAX : n, 4 * TXTREC_QUOTE_MAX + 8);
	if (!cut)
		return e;
	char *r = xasprintf("%s...", e);
	free(e);
	return r;
}
