/* \summary: the TLS-RPT TXT record parser (see tls_rpt.h).
 * specification: RFC 8460 section 3. */
#include "policy/tls_rpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/txtrec.h"

bool tls_rpt_is_rpt(const char *s, size_t len)
{
	return txtrec_has_version(s, len, "v=TLSRPTv1");
}

/* RFC 8460 section 3: "mailto:" with an address, or "https:" with a host;
 * printable, no spaces (a comma inside a URI is written %2C). */
static bool uri_ok(const char *u, size_t n, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		if (c <= 0x20 || c >= 0x7f) {
			snprintf(why, whylen, "%s", "a space or a character a URI cannot hold");
			return false;
		}
	}
	if (n >= 7 && strncasecmp(u, "mailto:", 7) == 0) {
		const char *at = memchr(u + 7, '@', n - 7);
		if (!at || at == u + 7 || at == u + n - 1) {
			snprintf(why, whylen, "%s", "a mailto: URI without a mail address (local@domain)");
			return false;
		}
		return true;
	}
	if (n >= 8 && strncasecmp(u, "https://", 8) == 0) {
		size_t host = 0;
		while (8 + host < n && u[8 + host] != '/' && u[8 + host] != '?' && u[8 + host] != '#')
			host++;
		if (host == 0) {
			snprintf(why, whylen, "%s", "an https: URI without a host");
			return false;
		}
		return true;
	}
	snprintf(why, whylen, "%s", "only mailto: and https: report URIs are defined");
	return false;
}

/* The rua value: URIs separated by *WSP "," *WSP. */
static enum tls_rpt_status parse_rua(const char *v, size_t n, struct strvec *rua, char *err, size_t errlen)
{
	size_t i = 0;
	for (;;) {
		while (i < n && txtrec_is_wsp(v[i]))
			i++;
		size_t start = i;
		while (i < n && v[i] != ',')
			i++;
		size_t end = i;
		while (end > start && txtrec_is_wsp(v[end - 1]))
			end--;
		char why[96];
		char *q = txtrec_quote(v + start, end - start);
		if (end == start) {
			snprintf(err, errlen, "an empty report URI in rua=\"%s\"", q);
			free(q);
			return TLS_RPT_SYNTAX;
		}
		if (!uri_ok(v + start, end - start, why, sizeof why)) {
			snprintf(err, errlen, "rua target \"%s\": %s", q, why);
			free(q);
			return TLS_RPT_BAD_URI;
		}
		free(q);
		strvec_push_owned(rua, xstrndup(v + start, end - start));
		if (i == n)
			return TLS_RPT_OK;
		i++; /* the comma */
	}
}

enum tls_rpt_status tls_rpt_parse(const char *s, size_t len, struct strvec *rua, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", "");
	if (!tls_rpt_is_rpt(s, len)) {
		char *q = txtrec_quote(s, len);
		snprintf(err, errlen, "the record does not begin with \"v=TLSRPTv1;\": \"%s\"", q);
		free(q);
		return TLS_RPT_NOT_RPT;
	}
	bool have_rua = false;
	size_t i = 10; /* past "v=TLSRPTv1" */
	while (i < len) {
		while (i < len && txtrec_is_wsp(s[i]))
			i++;
		if (i == len)
			break;
		/* is_rpt saw the first ";"; later ones end the previous field */
		if (s[i] != ';') {
			char *q = txtrec_quote(s + i, len - i);
			snprintf(err, errlen, "fields must be separated by \";\": at \"%s\"", q);
			free(q);
			return TLS_RPT_SYNTAX;
		}
		i++;
		while (i < len && txtrec_is_wsp(s[i]))
			i++;
		if (i == len)
			break; /* a trailing ";" */
		size_t start = i;
		while (i < len && s[i] != ';')
			i++;
		size_t end = i;
		while (end > start && txtrec_is_wsp(s[end - 1]))
			end--;
		const char *f = s + start;
		size_t flen = end - start;
		const char *eq = memchr(f, '=', flen);
		if (!eq || !txtrec_ext_name_ok(f, (size_t)(eq - f))) {
			char *q = txtrec_quote(f, flen);
			snprintf(err, errlen, "field \"%s\" is not name=value", q);
			free(q);
			return TLS_RPT_SYNTAX;
		}
		size_t nlen = (size_t)(eq - f), vlen = flen - nlen - 1;
		if (nlen == 3 && memcmp(f, "rua", 3) == 0) {
			if (have_rua)
				continue; /* the first one counts */
			have_rua = true;
			enum tls_rpt_status st = parse_rua(eq + 1, vlen, rua, err, errlen);
			if (st != TLS_RPT_OK)
				return st;
		} else if (!txtrec_ext_value_ok(eq + 1, vlen)) {
			char *q = txtrec_quote(f, flen);
			snprintf(err, errlen, "field \"%s\" is not a valid extension (name=value)", q);
			free(q);
			return TLS_RPT_SYNTAX;
		}
	}
	if (!have_rua) {
		snprintf(err, errlen, "%s", "the record has no rua field (required: where reports go)");
		return TLS_RPT_NO_RUA;
	}
	return TLS_RPT_OK;
}
