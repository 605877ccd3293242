/* \summary: the RFC 6125 name matcher: DNS-IDs, CN-IDs and IP SANs.
 * specification: RFC 6125 sections 6.4 (DNS-ID matching), 6.4.3 (wildcards),
 * 6.4.4 (CN-ID only without a DNS-ID); RFC 5280 section 4.2.1.6. */
#include "pki/names.h"

#include <arpa/inet.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define NAME_MAX_LEN 254 /* 253 characters and a trailing dot */

/* Copies s lower-cased, without one trailing dot, into out. False when it
 * is no usable DNS name: empty, too long, an empty label, a byte outside
 * printable ASCII (a U-label must arrive as its A-label, RFC 5890). */
static bool normalize(const char *s, char out[NAME_MAX_LEN + 1])
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > NAME_MAX_LEN - 1)
		return false;
	char prev = '.';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f)
			return false;
		if (c == '.' && prev == '.')
			return false; /* empty label */
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		prev = (char)c;
	}
	out[n] = '\0';
	return true;
}

static size_t count_labels(const char *s)
{
	size_t n = 1;
	for (; *s; s++)
		n += *s == '.';
	return n;
}

/* RFC 6125 section 6.4.3: "the client SHOULD NOT attempt to match a
 * presented identifier in which the wildcard character comprises a label
 * other than the left-most label" and, as curl, browsers and CA/B do, no
 * partial-label wildcards ("f*.example.com") and none over fewer than two
 * further labels ("*.com", "*"). */
bool names_dns_match(const char *pattern, const char *host)
{
	char p[NAME_MAX_LEN + 1], h[NAME_MAX_LEN + 1];
	if (!normalize(pattern, p) || !normalize(host, h))
		return false;
	if (strchr(h, '*') || names_is_ip_literal(h))
		return false;
	if (!strchr(p, '*'))
		return strcmp(p, h) == 0;
	if (p[0] != '*' || p[1] != '.' || strchr(p + 1, '*') || count_labels(p) < 3)
		return false;
	const char *hdot = strchr(h, '.');
	if (!hdot || hdot == h)
		return false; /* the wildcard stands for exactly one non-empty label */
	return strcmp(p + 1, hdot) == 0;
}

bool names_is_ip_literal(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

bool names_ip_equal(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1)
		return inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
	return false;
}

/* How many labels two names share from the right: the measure of the
 * "nearest miss" shown to the administrator. */
static size_t common_suffix_labels(const char *a, const char *b)
{
	char x[NAME_MAX_LEN + 1], y[NAME_MAX_LEN + 1];
	if (!normalize(a, x) || !normalize(b, y))
		return 0;
	size_t i = strlen(x), j = strlen(y), labels = 0;
	while (i > 0 && j > 0 && x[i - 1] == y[j - 1]) {
		i--, j--;
		if (x[i] == '.')
			labels++;
	}
	if ((i == 0 || x[i - 1] == '.') && (j == 0 || y[j - 1] == '.'))
		labels++;
	return labels;
}

static const char *nearest_of(const char *const *v, size_t n, const char *ref)
{
	const char *best = n ? v[0] : NULL;
	size_t best_score = 0;
	for (size_t i = 0; i < n; i++) {
		size_t s = common_suffix_labels(v[i], ref);
		if (s > best_score) {
			best_score = s;
			best = v[i];
		}
	}
	return best;
}

void names_check(const struct names_presented *p, const char *ref, struct names_result *out)
{
	memset(out, 0, sizeof *out);
	if (names_is_ip_literal(ref)) {
		for (size_t i = 0; i < p->nip; i++) {
			if (names_ip_equal(p->ip[i], ref)) {
				out->matched = true;
				out->matched_by = p->ip[i];
				return;
			}
		}
		out->nearest = p->nip ? p->ip[0] : (p->ndns ? p->dns[0] : p->cn);
		return;
	}
	for (size_t i = 0; i < p->ndns; i++) {
		if (names_dns_match(p->dns[i], ref)) {
			out->matched = true;
			out->matched_by = p->dns[i];
			return;
		}
	}
	/* RFC 6125 section 6.4.4: "a client MUST NOT seek a match for a
	 * reference identifier of CN-ID if the presented identifiers include a
	 * DNS-ID". */
	if (p->ndns == 0 && p->cn && names_dns_match(p->cn, ref)) {
		out->matched = true;
		out->via_cn = true;
		out->matched_by = p->cn;
		return;
	}
	out->nearest = p->ndns ? nearest_of(p->dns, p->ndns, ref) : p->cn;
}

char *names_subject_cn(const struct cert_info *ci)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { .data = ci->der, .size = (unsigned)ci->der_len };
	char *cn = NULL;
	if (!ci->der || gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	/* The most specific CN is the last one (RFC 6125 section 2.3.1). */
	for (unsigned idx = 0;; idx++) {
		char buf[1024];
		size_t len = sizeof buf;
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, idx, 0, buf, &len) < 0)
			break;
		free(cn);
		cn = xstrdup(buf);
	}
out:
	gnutls_x509_crt_deinit(crt);
	return cn;
}
