/* \summary: the Received chain and Authentication-Results of a message's
 * header section (received.h has the specifications and the MTA formats).
 * Every byte is hostile: the parser works on a bounded, NUL-free copy and
 * escapes whatever it keeps. */
#include "mail/received.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RAW_KEEP   2000 /* characters of a field kept as evidence */
#define TOKEN_KEEP 256	/* characters of one clause value kept */

static const char *const hop_tls_ids[] = { "unknown", "no", "yes", "local" };

const char *hop_tls_id(enum hop_tls t)
{
	return (unsigned)t < ARRAY_LEN(hop_tls_ids) ? hop_tls_ids[t] : "unknown";
}

static char *esc(const char *p, size_t n, size_t max)
{
	return str_escape(p, n, max);
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A NUL-free copy of value: NUL bytes become spaces, so C string functions
 * see all of it. Owned. */
static char *copy_value(const char *value, size_t len)
{
	char *s = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		s[i] = value[i] ? value[i] : ' ';
	s[len] = '\0';
	return s;
}

/* The unfolded value for evidence: runs of white space as one space. */
static char *raw_text(const char *s, size_t len)
{
	char *t = xmalloc(len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (is_wsp(s[i])) {
			if (n && t[n - 1] != ' ')
				t[n++] = ' ';
			continue;
		}
		t[n++] = s[i];
	}
	while (n && t[n - 1] == ' ')
		n--;
	char *r = esc(t, n, RAW_KEEP);
	free(t);
	return r;
}

/* Case-insensitive search for needle in s. */
static const char *find_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++)
		if (strncasecmp(s, needle, n) == 0)
			return s;
	return NULL;
}

/* The token at s: up to white space or one of stop. Escaped, owned. */
static char *token(const char *s, const char *stop)
{
	while (is_wsp(*s))
		s++;
	size_t n = 0;
	while (s[n] && !is_wsp(s[n]) && !strchr(stop, s[n]))
		n++;
	return n ? esc(s, n, TOKEN_KEEP) : NULL;
}

/* ---- clauses of RFC 5321 section 4.4 ------------------------------- */

enum clause {
	CL_FROM,
	CL_BY,
	CL_VIA,
	CL_WITH,
	CL_ID,
	CL_FOR,
	CL_N
};
static const char *const clause_words[CL_N] = { "from", "by", "via", "with", "id", "for" };

/* Finds each clause keyword outside comments (parentheses, which nest,
 * RFC 5322 section 3.2.2) and quoted strings, at a word boundary; start[c]
 * is the offset of the text after it, end[c] where the next clause begins. */
static void find_clauses(const char *s, size_t len, size_t start[CL_N], size_t end[CL_N], bool seen[CL_N])
{
	size_t kw_at[CL_N];
	memset(seen, 0, CL_N * sizeof seen[0]);
	int depth = 0;
	bool quoted = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (quoted) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '\\' && depth > 0 && i + 1 < len) {
			i++;
			continue;
		}
		if (c == '(') {
			depth++;
			continue;
		}
		if (c == ')') {
			depth -= depth > 0;
			continue;
		}
		if (depth > 0)
			continue;
		if (c == '"') {
			quoted = true;
			continue;
		}
		if (i > 0 && !is_wsp(s[i - 1]) && s[i - 1] != ')')
			continue;
		for (int k = 0; k < CL_N; k++) {
			size_t n = strlen(clause_words[k]);
			if (seen[k] || i + n >= len || strncasecmp(s + i, clause_words[k], n) != 0)
				continue;
			if (!is_wsp(s[i + n]))
				continue;
			seen[k] = true;
			kw_at[k] = i;
			start[k] = i + n;
			break;
		}
	}
	for (int k = 0; k < CL_N; k++) {
		if (!seen[k])
			continue;
		end[k] = len;
		for (int j = 0; j < CL_N; j++)
			if (seen[j] && kw_at[j] > kw_at[k] && kw_at[j] < end[k])
				end[k] = kw_at[j];
	}
}

/* An address between open and close at s[i]: hex digits, dots and colons
 * (with one of them), an "IPv6:" prefix dropped. Owned, or NULL. */
static char *literal_at(const char *s, size_t n, size_t i, char close)
{
	size_t j = i + 1;
	while (j < n && s[j] != close && j - i < 64)
		j++;
	if (j >= n || s[j] != close || j == i + 1)
		return NULL;
	const char *a = s + i + 1;
	size_t al = j - i - 1;
	if (al > 5 && strncasecmp(a, "IPv6:", 5) == 0) {
		a += 5;
		al -= 5;
	}
	bool sep = false;
	for (size_t k = 0; k < al; k++) {
		if (!isxdigit((unsigned char)a[k]) && a[k] != '.' && a[k] != ':')
			return NULL;
		sep = sep || a[k] == '.' || a[k] == ':';
	}
	return al && sep ? xstrndup(a, al) : NULL;
}

/* The address of the sender in a FROM clause: "[192.0.2.1]",
 * "[IPv6:2001:db8::1]", or Exchange's "(192.0.2.1)". */
static char *from_address(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '[')
			return literal_at(s, n, i, ']');
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '(')
			continue;
		char *a = literal_at(s, n, i, ')');
		if (a)
			return a;
	}
	return NULL;
}

static bool addr_is_loopback(const char *a)
{
	return a && (strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0);
}

/* ---- TLS details, per MTA ------------------------------------------- */

static void set_tls(struct mail_hop *h, const char *style, char *version, char *cipher, char *bits)
{
	free(h->tls_style);
	free(h->tls_version);
	free(h->tls_cipher);
	free(h->tls_bits);
	h->tls_style = xstrdup(style);
	h->tls_version = version;
	h->tls_cipher = cipher;
	h->tls_bits = bits;
	h->tls = HOP_TLS_YES;
}

/* Postfix: "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
 * key-exchange X25519 ...)", and its client certificate comment. */
static bool tls_postfix(const char *s, struct mail_hop *h)
{
	const char *u = find_ci(s, "(using ");
	if (!u)
		return false;
	const char *w = find_ci(u, " with cipher ");
	if (!w)
		return false;
	char *version = token(u + 7, "()");
	char *cipher = token(w + 13, "()");
	char *bits = NULL;
	const char *b = w + 13;
	while (is_wsp(*b))
		b++;
	while (*b && !is_wsp(*b) && *b != '(' && *b != ')')
		b++;
	while (is_wsp(*b))
		b++;
	if (*b == '(')
		bits = token(b + 1, "()");
	set_tls(h, "postfix", version, cipher, bits);
	static const char *const verdicts[] = { "(No client certificate requested)",
						"(Client did not present a certificate)", "(verified OK)",
						"(not verified)" };
	for (size_t i = 0; i < ARRAY_LEN(verdicts); i++)
		if (find_ci(s, verdicts[i])) {
			free(h->tls_verify);
			h->tls_verify = xstrndup(verdicts[i] + 1, strlen(verdicts[i]) - 2);
			break;
		}
	return true;
}

/* Splits "TLS1.3:TLS_AES_256_GCM_SHA384:256" (Exim's X= and its older
 * Received form). */
static bool tls_colon_triple(const char *t, size_t n, struct mail_hop *h)
{
	const char *c1 = memchr(t, ':', n);
	if (!c1)
		return false;
	const char *c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - t));
	size_t vend = (size_t)(c1 - t);
	size_t cend = c2 ? (size_t)(c2 - t) : n;
	if (vend == 0 || cend <= vend + 1)
		return false;
	set_tls(h, "exim", esc(t, vend, TOKEN_KEEP), esc(c1 + 1, cend - vend - 1, TOKEN_KEEP),
		c2 && n > cend + 1 ? esc(c2 + 1, n - cend - 1, TOKEN_KEEP) : NULL);
	return true;
}

/* Exim: "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes", "with esmtps (TLS1.3)
 * tls TLS_AES_256_GCM_SHA384", "with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)". */
static bool tls_exim(const char *s, const char *with, size_t with_len, struct mail_hop *h)
{
	const char *x = find_ci(s, "X=");
	while (x && x > s && !is_wsp(x[-1]) && x[-1] != '(')
		x = find_ci(x + 2, "X=");
	if (x) {
		const char *t = x + 2;
		size_t n = 0;
		while (t[n] && !is_wsp(t[n]) && t[n] != ')' && t[n] != ';')
			n++;
		if (tls_colon_triple(t, n, h)) {
			const char *cv = find_ci(s, "CV=");
			if (cv) {
				free(h->tls_verify);
				h->tls_verify = token(cv, ")");
			}
			return true;
		}
	}
	if (!with)
		return false;
	/* the WITH clause: a protocol word, then "(TLS...)" */
	const char *p = memchr(with, '(', with_len);
	if (!p)
		return false;
	const char *q = memchr(p, ')', with_len - (size_t)(p - with));
	if (!q || (strncasecmp(p + 1, "TLS", 3) != 0 && strncasecmp(p + 1, "SSL", 3) != 0))
		return false;
	size_t n = (size_t)(q - p - 1);
	if (memchr(p + 1, ':', n))
		return tls_colon_triple(p + 1, n, h);
	char *version = esc(p + 1, n, TOKEN_KEEP);
	char *cipher = NULL;
	const char *t = q + 1;
	while (is_wsp(*t))
		t++;
	if (strncasecmp(t, "tls ", 4) == 0)
		cipher = token(t + 4, "();");
	set_tls(h, "exim", version, cipher, NULL);
	return true;
}

/* The value after key= (Exchange, Sendmail, Gmail), up to white space, a
 * comma or a parenthesis. */
static char *kv(const char *s, const char *key)
{
	const char *k = s;
	while ((k = find_ci(k, key)) != NULL) {
		if (k == s || is_wsp(k[-1]) || k[-1] == '(' || k[-1] == ',')
			return token(k + strlen(key), ",()");
		k++;
	}
	return NULL;
}

/* Exchange/Office 365 "(version=TLS1_2, cipher=X)", Sendmail "(version=TLSv1.3
 * cipher=X bits=256 verify=OK)", Gmail "(version=TLS1_3 cipher=X bits=128/128)". */
static bool tls_keyvalue(const char *s, struct mail_hop *h)
{
	char *version = kv(s, "version=");
	char *cipher = kv(s, "cipher=");
	if (!version || !cipher) {
		free(version);
		free(cipher);
		return false;
	}
	char *bits = kv(s, "bits=");
	char *verify = kv(s, "verify=");
	const char *style = verify ? "sendmail" : find_ci(s, ", cipher=") ? "exchange" : "gmail";
	set_tls(h, style, version, cipher, bits);
	if (verify) {
		free(h->tls_verify);
		h->tls_verify = verify;
	}
	return true;
}

/* RFC 3848 and RFC 6531 section 3.7.3: the WITH keywords that say TLS. */
static enum hop_tls tls_from_keyword(const char *w)
{
	static const char *const yes[] = { "ESMTPS",	 "ESMTPSA",   "LMTPS",	    "LMTPSA", "UTF8SMTPS",
					   "UTF8SMTPSA", "UTF8LMTPS", "UTF8LMTPSA", "SMTPS",  "HTTPS" };
	static const char *const no[] = { "SMTP",      "ESMTP",	   "ESMTPA",	"LMTP", "LMTPA", "UTF8SMTP",
					  "UTF8SMTPA", "UTF8LMTP", "UTF8LMTPA", "HTTP", "LOCAL" };
	if (!w)
		return HOP_TLS_UNKNOWN;
	for (size_t i = 0; i < ARRAY_LEN(yes); i++)
		if (strcasecmp(w, yes[i]) == 0)
			return HOP_TLS_YES;
	for (size_t i = 0; i < ARRAY_LEN(no); i++)
		if (strcasecmp(w, no[i]) == 0)
			return HOP_TLS_NO;
	return HOP_TLS_UNKNOWN;
}

/* ---- weakness ------------------------------------------------------- */

bool mail_tls_is_weak(const char *version, const char *cipher, const char *bits, const char **why)
{
	if (version) {
		/* "TLSv1.1", "TLS1_1", "TLS1.1", "SSLv3": normalised to TLS1.1 */
		char norm[32];
		size_t n = 0;
		for (const char *p = version; *p && n + 1 < sizeof norm; p++) {
			char c = (char)toupper((unsigned char)*p);
			if (c == 'V')
				continue;
			norm[n++] = c == '_' ? '.' : c;
		}
		norm[n] = '\0';
		if (strncmp(norm, "SSL", 3) == 0 || strcmp(norm, "TLS1") == 0 || strcmp(norm, "TLS1.0") == 0 ||
		    strcmp(norm, "TLS1.1") == 0) {
			*why = "a TLS version before 1.2 (RFC 8996 deprecates TLS 1.0 and 1.1)";
			return true;
		}
	}
	if (cipher) {
		static const char *const bad[] = { "RC4",  "DES", "NULL",  "EXPORT", "EXP-", "EXP1024",
						   "ANON", "ADH", "AECDH", "MD5",    "RC2",  "IDEA" };
		for (size_t i = 0; i < ARRAY_LEN(bad); i++)
			if (find_ci(cipher, bad[i])) {
				*why = "a weak cipher (RC4, DES/3DES, NULL, export, anonymous or MD5; RFC 7525)";
				return true;
			}
	}
	if (bits && isdigit((unsigned char)bits[0])) {
		long b = strtol(bits, NULL, 10);
		if (b > 0 && b < 128) {
			*why = "fewer than 128 bits of symmetric key (RFC 7525 section 4.1)";
			return true;
		}
	}
	return false;
}

/* ---- dates (RFC 5322 section 3.3) ---------------------------------- */

static int month_index(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (strncasecmp(s, months + 3 * i, 3) == 0)
			return i;
	return -1;
}

static bool read_num(const char **p, int maxdigits, long *out)
{
	const char *s = *p;
	int n = 0;
	long v = 0;
	while (isdigit((unsigned char)s[n]) && n < maxdigits)
		v = v * 10 + (s[n++] - '0');
	if (n == 0)
		return false;
	*out = v;
	*p = s + n;
	return true;
}

static void skip_cfws(const char **p)
{
	const char *s = *p;
	for (;;) {
		while (is_wsp(*s))
			s++;
		if (*s != '(')
			break;
		int depth = 0;
		do {
			depth += *s == '(';
			depth -= *s == ')';
			s++;
		} while (*s && depth > 0);
	}
	*p = s;
}

int64_t mail_date_parse(const char *s)
{
	if (!s)
		return INT64_MIN;
	skip_cfws(&s);
	if (isalpha((unsigned char)*s)) { /* day-of-week "," */
		while (isalpha((unsigned char)*s))
			s++;
		skip_cfws(&s);
		if (*s == ',')
			s++;
		skip_cfws(&s);
	}
	long day, year, hh, mm, ss = 0;
	if (!read_num(&s, 2, &day))
		return INT64_MIN;
	skip_cfws(&s);
	int mon = month_index(s);
	if (mon < 0)
		return INT64_MIN;
	s += 3;
	skip_cfws(&s);
	const char *ys = s;
	if (!read_num(&s, 4, &year))
		return INT64_MIN;
	if (s - ys == 2) /* obsolete two-digit year (RFC 5322 section 4.3) */
		year += year < 50 ? 2000 : 1900;
	else if (s - ys == 3)
		year += 1900;
	skip_cfws(&s);
	if (!read_num(&s, 2, &hh) || *s++ != ':' || !read_num(&s, 2, &mm))
		return INT64_MIN;
	if (*s == ':') {
		s++;
		if (!read_num(&s, 2, &ss))
			return INT64_MIN;
	}
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970 || year > 9999)
		return INT64_MIN;
	skip_cfws(&s);
	long off = 0;
	if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1;
		s++;
		const char *zs = s;
		long z;
		if (!read_num(&s, 4, &z) || s - zs != 4 || z % 100 > 59)
			return INT64_MIN;
		off = sign * ((z / 100) * 3600 + (z % 100) * 60);
	} else {
		static const struct {
			const char *name;
			long hours;
		} zones[] = { { "UT", 0 },   { "GMT", 0 },  { "EST", -5 }, { "EDT", -4 }, { "CST", -6 },
			      { "CDT", -5 }, { "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 } };
		for (size_t i = 0; i < ARRAY_LEN(zones); i++)
			if (strncasecmp(s, zones[i].name, strlen(zones[i].name)) == 0 &&
			    !isalpha((unsigned char)s[strlen(zones[i].name)])) {
				off = zones[i].hours * 3600;
				break;
			}
		/* other obsolete zones read as -0000 (RFC 5322 section 4.3) */
	}
	struct tm tm = { .tm_year = (int)year - 1900,
			 .tm_mon = mon,
			 .tm_mday = (int)day,
			 .tm_hour = (int)hh,
			 .tm_min = (int)mm,
			 .tm_sec = (int)ss };
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return INT64_MIN;
	return (int64_t)t - off;
}

/* ---- one Received field --------------------------------------------- */

void mail_received_parse(const char *value, size_t len, struct mail_hop *h)
{
	if (len > MAIL_MAX_FIELD_BYTES)
		len = MAIL_MAX_FIELD_BYTES;
	char *s = copy_value(value, len);
	h->when = INT64_MIN;
	h->raw = raw_text(s, len);
	/* the date-time follows the last ';' (RFC 5322 section 3.6.7) */
	char *semi = strrchr(s, ';');
	size_t clen = len;
	if (semi) {
		clen = (size_t)(semi - s);
		const char *d = semi + 1;
		while (is_wsp(*d))
			d++;
		size_t dl = strlen(d);
		while (dl && is_wsp(d[dl - 1]))
			dl--;
		if (dl)
			h->date = esc(d, dl, TOKEN_KEEP);
		h->when = mail_date_parse(d);
		*semi = '\0';
	}
	size_t st[CL_N], en[CL_N];
	bool seen[CL_N];
	find_clauses(s, clen, st, en, seen);
	char *clause[CL_N] = { 0 };
	for (int k = 0; k < CL_N; k++)
		if (seen[k])
			clause[k] = xstrndup(s + st[k], en[k] - st[k]);
	if (clause[CL_FROM]) {
		char *host = token(clause[CL_FROM], "()[];");
		h->from_addr = from_address(clause[CL_FROM], strlen(clause[CL_FROM]));
		if (host && h->from_addr && strcmp(host, h->from_addr) != 0)
			h->from = xasprintf("%s [%s]", host, h->from_addr);
		else if (host)
			h->from = xstrdup(host);
		else if (h->from_addr)
			h->from = xasprintf("[%s]", h->from_addr);
		free(host);
		h->loopback = addr_is_loopback(h->from_addr);
	}
	if (clause[CL_BY])
		h->by = token(clause[CL_BY], "();");
	if (clause[CL_WITH])
		h->with = token(clause[CL_WITH], "();");
	if (clause[CL_ID])
		h->id = token(clause[CL_ID], "();");
	if (clause[CL_FOR])
		h->rcpt_for = token(clause[CL_FOR], "();");

	h->tls = tls_from_keyword(h->with);
	bool details = tls_postfix(s, h) || tls_keyvalue(s, h);
	if (!details && find_ci(s, "Microsoft SMTP Server")) {
		/* Exchange writes version= and cipher= over TLS; "(TLS)" alone
		 * in Exchange 2010; neither: in clear. */
		h->tls = find_ci(s, "Microsoft SMTP Server (TLS)") ? HOP_TLS_YES : HOP_TLS_NO;
		if (h->tls == HOP_TLS_YES)
			h->tls_style = xstrdup("exchange");
	} else if (!details) {
		tls_exim(s, clause[CL_WITH], clause[CL_WITH] ? strlen(clause[CL_WITH]) : 0, h);
	}
	if (!clause[CL_FROM] && h->tls != HOP_TLS_YES)
		h->tls = HOP_TLS_LOCAL;
	const char *why = NULL;
	if (h->tls == HOP_TLS_YES && mail_tls_is_weak(h->tls_version, h->tls_cipher, h->tls_bits, &why)) {
		h->weak = true;
		h->weak_reason = xstrdup(why);
	}
	for (int k = 0; k < CL_N; k++)
		free(clause[k]);
	free(s);
}

/* ---- Authentication-Results (RFC 8601 section 2.2) ------------------ */

/* Splits at ';' outside comments and quoted strings; each part with its
 * comments dropped and white space collapsed. */
static void split_results(const char *s, struct strvec *out)
{
	struct buf b;
	buf_init(&b, MAIL_MAX_FIELD_BYTES);
	int depth = 0;
	bool quoted = false, space = false;
	for (const char *p = s;; p++) {
		char c = *p;
		if (c == '\0' || (c == ';' && depth == 0 && !quoted)) {
			while (b.len && b.data[b.len - 1] == ' ')
				b.len--;
			if (b.len && out->n < 64)
				strvec_push_owned(out, xstrndup(b.data, b.len));
			b.len = 0;
			space = false;
			if (c == '\0')
				break;
			continue;
		}
		if (!quoted && c == '(') {
			depth++;
			continue;
		}
		if (!quoted && c == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (depth > 0)
			continue;
		if (c == '"')
			quoted = !quoted;
		if (is_wsp(c)) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_append(&b, " ", 1);
		space = false;
		buf_append(&b, &c, 1);
	}
	buf_clear(&b);
}

/* Is one resinfo TLS-relevant: the auth method (SMTP AUTH, RFC 8601
 * section 2.7.4), a method or property that names TLS? */
static bool result_is_tls_relevant(const char *r)
{
	if (strncasecmp(r, "auth=", 5) == 0)
		return true;
	return find_ci(r, "tls") != NULL;
}

void mail_auth_parse(const char *field, const char *value, size_t len, struct mail_auth *a)
{
	if (len > MAIL_MAX_FIELD_BYTES)
		len = MAIL_MAX_FIELD_BYTES;
	char *s = copy_value(value, len);
	a->field = xstrdup(field);
	a->raw = raw_text(s, len);
	struct strvec parts = { 0 };
	split_results(s, &parts);
	size_t i = 0;
	if (i < parts.n && strncasecmp(parts.v[i], "i=", 2) == 0) {
		long inst = strtol(parts.v[i] + 2, NULL, 10);
		a->arc_instance = inst > 0 && inst <= 50 ? (int)inst : 0;
		i++;
	}
	if (i < parts.n) {
		a->authserv_id = token(parts.v[i], "");
		i++;
	}
	for (; i < parts.n; i++)
		if (result_is_tls_relevant(parts.v[i]) && a->tls_parts.n < 16)
			strvec_push_owned(&a->tls_parts, esc(parts.v[i], strlen(parts.v[i]), TOKEN_KEEP));
	strvec_clear(&parts);
	free(s);
}

/* ---- the header section --------------------------------------------- */

static void add_field(struct mail_headers *mh, const char *name, size_t nlen, const char *v, size_t vlen)
{
	while (vlen && is_wsp(*v)) {
		v++;
		vlen--;
	}
	if (nlen == 8 && strncasecmp(name, "Received", 8) == 0) {
		mh->received_total++;
		if (mh->nhops >= MAIL_MAX_HOPS)
			return;
		mh->hops = xrealloc(mh->hops, (mh->nhops + 1) * sizeof *mh->hops);
		struct mail_hop *h = &mh->hops[mh->nhops++];
		memset(h, 0, sizeof *h);
		mail_received_parse(v, vlen, h);
	} else if ((nlen == 22 && strncasecmp(name, "Authentication-Results", 22) == 0) ||
		   (nlen == 26 && strncasecmp(name, "ARC-Authentication-Results", 26) == 0)) {
		mh->auth_total++;
		if (mh->nauth >= MAIL_MAX_AUTH)
			return;
		mh->auth = xrealloc(mh->auth, (mh->nauth + 1) * sizeof *mh->auth);
		struct mail_auth *a = &mh->auth[mh->nauth++];
		memset(a, 0, sizeof *a);
		mail_auth_parse(nlen == 22 ? "Authentication-Results" : "ARC-Authentication-Results", v, vlen, a);
	} else if (nlen == 10 && strncasecmp(name, "Message-ID", 10) == 0 && !mh->message_id) {
		while (vlen && is_wsp(v[vlen - 1]))
			vlen--;
		mh->message_id = esc(v, vlen, TOKEN_KEEP);
	}
}

/* Appends what fits of n bytes below the buffer's maximum; a cut sets *cut. */
static void append_cut(struct buf *b, const char *p, size_t n, bool *cut)
{
	size_t room = b->max > b->len ? b->max - b->len : 0;
	if (n > room) {
		n = room;
		*cut = true;
	}
	if (n)
		buf_append(b, p, n);
}

int mail_headers_parse(const char *p, size_t len, struct mail_headers *mh)
{
	if (len > MAIL_MAX_HEADER_BYTES) {
		len = MAIL_MAX_HEADER_BYTES;
		mh->truncated = true;
	}
	struct buf field;
	buf_init(&field, MAIL_MAX_FIELD_BYTES);
	size_t nfields = 0;
	size_t pos = 0;
	bool first = true;
	for (;;) {
		bool end = pos >= len;
		size_t eol = pos;
		while (eol < len && p[eol] != '\n')
			eol++;
		size_t ll = eol - pos;
		if (ll && p[pos + ll - 1] == '\r')
			ll--;
		bool cont = !end && ll > 0 && (p[pos] == ' ' || p[pos] == '\t');
		/* a field ends at the next line that is not a continuation */
		if (!cont && field.len) {
			const char *colon = memchr(field.data, ':', field.len);
			size_t nl = colon ? (size_t)(colon - field.data) : 0; /* no colon: cut before it */
			while (nl && (field.data[nl - 1] == ' ' || field.data[nl - 1] == '\t'))
				nl--; /* obs-optional: WSP before the colon */
			if (nl)
				add_field(mh, field.data, nl, colon + 1, field.len - (size_t)(colon + 1 - field.data));
			nfields++;
			field.len = 0;
		}
		if (end || ll == 0) /* the empty line ends the header section */
			break;
		if (cont) {
			if (field.len)
				append_cut(&field, p + pos, ll, &mh->truncated);
			/* else: a continuation with no field before it */
		} else if (memchr(p + pos, ':', ll) && !(first && ll >= 5 && memcmp(p + pos, "From ", 5) == 0)) {
			append_cut(&field, p + pos, ll, &mh->truncated);
		}
		/* else: a line without a colon, or the mbox "From " line: skipped */
		first = false;
		pos = eol + 1;
	}
	buf_clear(&field);
	if (nfields == 0)
		return -1;
	/* Received fields are prepended as a message travels: oldest last. */
	for (size_t i = 0; i < mh->nhops / 2; i++) {
		struct mail_hop t = mh->hops[i];
		mh->hops[i] = mh->hops[mh->nhops - 1 - i];
		mh->hops[mh->nhops - 1 - i] = t;
	}
	for (size_t i = 0; i < mh->nhops; i++)
		mh->hops[i].index = i + 1;
	return 0;
}

void mail_hop_clear(struct mail_hop *h)
{
	if (!h)
		return;
	char *strs[] = { h->raw,	h->from,     h->from_addr,  h->by,	   h->with,
			 h->id,		h->rcpt_for, h->date,	    h->tls_style,  h->tls_version,
			 h->tls_cipher, h->tls_bits, h->tls_verify, h->weak_reason };
	for (size_t i = 0; i < ARRAY_LEN(strs); i++)
		free(strs[i]);
	memset(h, 0, sizeof *h);
}

void mail_auth_clear(struct mail_auth *a)
{
	if (!a)
		return;
	free(a->field);
	free(a->authserv_id);
	free(a->raw);
	strvec_clear(&a->tls_parts);
	memset(a, 0, sizeof *a);
}

void mail_headers_clear(struct mail_headers *mh)
{
	if (!mh)
		return;
	for (size_t i = 0; i < mh->nhops; i++)
		mail_hop_clear(&mh->hops[i]);
	free(mh->hops);
	for (size_t i = 0; i < mh->nauth; i++)
		mail_auth_clear(&mh->auth[i]);
	free(mh->auth);
	free(mh->message_id);
	memset(mh, 0, sizeof *mh);
}
