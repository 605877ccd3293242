/* \summary: what the MTA-STS and TLS-RPT TXT records share: the version
 * tag, the extension field grammar, and how a field is quoted in a
 * finding.
 *
 * specification: RFC 8461 section 3.1 (sts-ext-name, sts-ext-value),
 * RFC 8460 section 3 (tlsrpt-ext-name, tlsrpt-ext-value): the same
 * grammar. */
#ifndef SRC_POLICY_TXTREC_H
#define SRC_POLICY_TXTREC_H

#include <stdbool.h>
#include <stddef.h>

/* A quoted line or field is cut to this many bytes (before escaping). */
#define TXTREC_QUOTE_MAX 120

bool txtrec_is_alnum(char c); /* ALPHA / DIGIT */
bool txtrec_is_wsp(char c);   /* WSP: space or tab */

/* s (len bytes, not NUL-terminated) begins with tag ("v=STSv1") followed
 * by *WSP ";". */
bool txtrec_has_version(const char *s, size_t len, const char *tag);

/* ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
bool txtrec_ext_name_ok(const char *p, size_t n);

/* ext-value = 1*(%x21-3A / %x3C / %x3E-7E): no "=", ";", space or control
 * character. */
bool txtrec_ext_value_ok(const char *p, size_t n);

/* The escaped form of n bytes for a finding, cut at TXTREC_QUOTE_MAX with
 * "..." (a new string, the caller frees it). */
char *txtrec_quote(const char *p, size_t n);

#endif
