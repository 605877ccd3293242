/* \summary: MTA-STS TXT record and policy parsers, MX pattern matching
 * (see mta_sts.h).
 * specification: RFC 8461 sections 3.1, 3.2 and 4.1. */
#include "policy/mta_sts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/txtrec.h"

const char *sts_mode_name(enum sts_mode m)
{
	switch (m) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	case STS_MODE_NONE:
		return "none";
	default:
		return "unset";
	}
}

/* ---- TXT record ------------------------------------------------------ */

bool sts_txt_is_sts(const char *s, size_t len)
{
	return txtrec_has_version(s, len, "v=STSv1");
}

enum sts_txt_status sts_txt_parse(const char *s, size_t len, char **id, char *err, size_t errlen)
{
	*id = NULL;
	snprintf(err, errlen, "%s", "");
	if (!sts_txt_is_sts(s, len)) {
		char *q = txtrec_quote(s, len);
		snprintf(err, errlen, "the record does not begin with \"v=STSv1;\": \"%s\"", q);
		free(q);
		return STS_TXT_NOT_STS;
	}
	size_t i = 7; /* past "v=STSv1" */
	while (i < len) {
		/* *WSP ";" *WSP */
		while (i < len && txtrec_is_wsp(s[i]))
			i++;
		if (i == len)
			break;
		if (s[i] != ';') {
			char *q = txtrec_quote(s + i, len - i);
			snprintf(err, errlen, "fields must be separated by \";\": at \"%s\"", q);
			free(q);
			goto syntax;
		}
		i++;
		while (i < len && txtrec_is_wsp(s[i]))
			i++;
		if (i == len)
			break; /* a trailing ";" is allowed */
		size_t start = i;
		while (i < len && s[i] != ';' && !txtrec_is_wsp(s[i]))
			i++;
		const char *f = s + start;
		size_t flen = i - start;
		const char *eq = memchr(f, '=', flen);
		char *q = txtrec_quote(f, flen);
		if (!eq) {
			snprintf(err, errlen, "field \"%s\" is not name=value", q);
			free(q);
			goto syntax;
		}
		size_t nlen = (size_t)(eq - f), vlen = flen - nlen - 1;
		if (nlen == 2 && memcmp(f, "id", 2) == 0) {
			bool ok = vlen >= 1 && vlen <= 32;
			for (size_t k = 0; ok && k < vlen; k++)
				ok = txtrec_is_alnum(eq[1 + k]);
			if (!ok) {
				snprintf(err, errlen, "id must be 1 to 32 letters and digits: \"%s\"", q);
				free(q);
				goto syntax;
			}
			if (!*id)
				*id = xstrndup(eq + 1, vlen);
		} else if (!txtrec_ext_name_ok(f, nlen) || !txtrec_ext_value_ok(eq + 1, vlen)) {
			snprintf(err, errlen, "field \"%s\" is not a valid extension (name=value)", q);
			free(q);
			goto syntax;
		}
		free(q);
	}
	if (!*id) {
		snprintf(err, errlen, "%s", "the record has no id field (required)");
		return STS_TXT_NO_ID;
	}
	return STS_TXT_OK;
syntax:
	free(*id);
	*id = NULL;
	return STS_TXT_SYNTAX;
}

/* ---- policy ---------------------------------------------------------- */

static void add_problem(struct sts_policy *p, unsigned line, const char *text, size_t tlen, bool fatal, const char *fmt,
			...) __attribute__((format(printf, 6, 7)));

static void add_problem(struct sts_policy *p, unsigned line, const char *text, size_t tlen, bool fatal, const char *fmt,
			...)
{
	if (p->nprob == p->capprob) {
		p->capprob = p->capprob ? p->capprob * 2 : 4;
		p->prob = xrealloc(p->prob, p->capprob * sizeof *p->prob);
	}
	struct sts_problem *pr = &p->prob[p->nprob++];
	pr->line = line;
	pr->text = text ? txtrec_quote(text, tlen) : NULL;
	va_list ap;
	va_start(ap, fmt);
	pr->what = xvasprintf(fmt, ap);
	va_end(ap);
	pr->fatal = fatal;
	if (fatal)
		p->valid = false;
}

/* A host name as RFC 5321's Domain: LDH labels of 1 to 63 characters, not
 * beginning or ending with "-", at most 253 characters, a final dot
 * allowed. */
static bool host_ok(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!txtrec_is_alnum(s[i]) && s[i] != '-')
			return false;
		label++;
	}
	return true;
}

bool sts_pattern_ok(const char *pattern)
{
	size_t n = strlen(pattern);
	if (n >= 2 && pattern[0] == '*' && pattern[1] == '.')
		return host_ok(pattern + 2, n - 2);
	return host_ok(pattern, n);
}

/* The length without a final dot. */
static size_t undotted(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

bool sts_mx_matches(const char *pattern, const char *host)
{
	if (!sts_pattern_ok(pattern) || !host_ok(host, strlen(host)))
		return false;
	size_t pn = undotted(pattern), hn = undotted(host);
	if (pattern[0] != '*')
		return pn == hn && strncasecmp(pattern, host, pn) == 0;
	/* "*.example.com": one whole label, then ".example.com" */
	const char *dot = memchr(host, '.', hn);
	if (!dot || dot == host)
		return false;
	size_t rest = hn - (size_t)(dot - host);
	return rest == pn - 1 && strncasecmp(dot, pattern + 1, rest) == 0;
}

int sts_policy_match(const struct sts_policy *p, const char *host)
{
	for (size_t i = 0; i < p->mx.n; i++)
		if (sts_mx_matches(p->mx.v[i], host))
			return (int)i;
	return -1;
}

/* One "key: value" line (the terminator already cut off). */
static void parse_line(struct sts_policy *p, unsigned ln, const char *s, size_t n, bool seen[3])
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			add_problem(p, ln, s, n, true, "a control character (byte 0x%02x) in the line", c);
			return;
		}
	}
	const char *colon = memchr(s, ':', n);
	if (!colon) {
		add_problem(p, ln, s, n, true, "not a \"key: value\" line");
		return;
	}
	size_t klen = (size_t)(colon - s);
	if (!txtrec_ext_name_ok(s, klen)) {
		add_problem(p, ln, s, n, true,
			    "the key before \":\" must be letters, digits, \"_\", \"-\" or \".\", beginning with a "
			    "letter or digit, at the start of the line, with no space before \":\"");
		return;
	}
	/* sts-policy-field-delim = ":" *WSP; trailing *WSP after the value */
	const char *v = colon + 1, *end = s + n;
	while (v < end && txtrec_is_wsp(*v))
		v++;
	while (end > v && txtrec_is_wsp(end[-1]))
		end--;
	size_t vlen = (size_t)(end - v);
	static const char *const once[3] = { "version", "mode", "max_age" };
	for (int k = 0; k < 3; k++) {
		if (strlen(once[k]) != klen || memcmp(s, once[k], klen) != 0)
			continue;
		if (seen[k]) {
			add_problem(p, ln, s, n, false, "a second \"%s\" field: senders may take either; keep one",
				    once[k]);
			return;
		}
		seen[k] = true;
	}
	if (klen == 7 && memcmp(s, "version", 7) == 0) {
		p->version_ok = vlen == 5 && memcmp(v, "STSv1", 5) == 0;
		if (!p->version_ok)
			add_problem(p, ln, s, n, true, "version must be \"STSv1\"");
	} else if (klen == 4 && memcmp(s, "mode", 4) == 0) {
		if (vlen == 7 && memcmp(v, "enforce", 7) == 0)
			p->mode = STS_MODE_ENFORCE;
		else if (vlen == 7 && memcmp(v, "testing", 7) == 0)
			p->mode = STS_MODE_TESTING;
		else if (vlen == 4 && memcmp(v, "none", 4) == 0)
			p->mode = STS_MODE_NONE;
		else
			add_problem(p, ln, s, n, true,
				    "mode must be \"enforce\", \"testing\" or \"none\" (lower case)");
	} else if (klen == 7 && memcmp(s, "max_age", 7) == 0) {
		bool digits = vlen >= 1 && vlen <= 10;
		long long age = 0;
		for (size_t i = 0; digits && i < vlen; i++) {
			digits = v[i] >= '0' && v[i] <= '9';
			age = age * 10 + (v[i] - '0');
		}
		if (!digits || age > STS_MAX_AGE_MAX)
			add_problem(p, ln, s, n, true, "max_age must be a number of seconds from 0 to %lld",
				    STS_MAX_AGE_MAX);
		else
			p->max_age = age;
	} else if (klen == 2 && memcmp(s, "mx", 2) == 0) {
		char *pat = xstrndup(v, vlen);
		if (strlen(pat) != vlen || !sts_pattern_ok(pat)) {
			add_problem(p, ln, s, n, false,
				    "not an mx pattern: a host name, or \"*.\" and a host name (the wildcard only "
				    "as the whole leftmost label); no MX can match it");
			free(pat);
			return;
		}
		p->mx_line = xrealloc(p->mx_line, (p->mx.n + 1) * sizeof *p->mx_line);
		p->mx_line[p->mx.n] = ln;
		strvec_push_owned(&p->mx, pat);
	}
	/* other keys: extensions, which senders ignore (RFC 8461 section 3.2) */
}

int sts_policy_parse(const char *body, size_t len, struct sts_policy *p)
{
	memset(p, 0, sizeof *p);
	p->max_age = -1;
	p->valid = true;
	bool seen[3] = { false, false, false };
	size_t i = 0;
	unsigned ln = 0;
	while (i < len) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - body) : len;
		size_t n = end - i;
		ln++;
		if (nl && n > 0 && body[end - 1] == '\r') {
			n--;
			p->crlf = true;
		} else if (nl) {
			p->lf = true;
		}
		/* sts-policy-term = LF / CRLF; a blank line is no field */
		if (n > 0)
			parse_line(p, ln, body + i, n, seen);
		else if (nl && end + 1 < len)
			add_problem(p, ln, "", 0, false, "an empty line between fields (the grammar has none)");
		i = nl ? end + 1 : len;
	}
	p->lines = ln;
	if (len == 0)
		add_problem(p, 0, NULL, 0, true, "the policy is empty");
	if (!seen[0])
		add_problem(p, 0, NULL, 0, true, "no \"version: STSv1\" line (required)");
	if (!seen[1])
		add_problem(p, 0, NULL, 0, true, "no \"mode\" line (required: enforce, testing or none)");
	if (!seen[2])
		add_problem(p, 0, NULL, 0, true, "no \"max_age\" line (required)");
	if (p->mx.n == 0 && p->mode != STS_MODE_NONE)
		add_problem(p, 0, NULL, 0, true, "no valid \"mx\" line: at least one is required unless mode is none");
	return p->valid ? 0 : -1;
}

void sts_policy_clear(struct sts_policy *p)
{
	if (!p)
		return;
	strvec_clear(&p->mx);
	free(p->mx_line);
	for (size_t i = 0; i < p->nprob; i++) {
		free(p->prob[i].text);
		free(p->prob[i].what);
	}
	free(p->prob);
	memset(p, 0, sizeof *p);
	p->max_age = -1;
}
