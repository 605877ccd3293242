/* \summary: allocation wrappers, clocks, string vectors and bounded buffers. */
#include "util/util.h"
#include "util/err.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void oom(void)
{
	fputs("mxprobe: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void fmt_iso8601_ms(int64_t wall_usec, char *out, size_t outlen)
{
	time_t t = (time_t)(wall_usec / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[24];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outlen, "%s.%03dZ", base, (int)((wall_usec / 1000) % 1000));
}

void fmt_iso8601(int64_t t64, char *out, size_t outlen)
{
	time_t t = (time_t)t64;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void strvec_push_owned(struct strvec *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xrealloc(sv->v, sv->cap * sizeof *sv->v);
	}
	sv->v[sv->n++] = s;
}

void strvec_push(struct strvec *sv, const char *s)
{
	strvec_push_owned(sv, xstrdup(s));
}

bool strvec_contains_ci(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcasecmp(sv->v[i], s) == 0)
			return true;
	return false;
}

char *strvec_join(const struct strvec *sv, const char *sep)
{
	size_t seplen = strlen(sep), len = 1;
	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + seplen;
	char *out = xmalloc(len), *p = out;
	for (size_t i = 0; i < sv->n; i++) {
		if (i) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		size_t l = strlen(sv->v[i]);
		memcpy(p, sv->v[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}

void strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

void buf_clear(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code
 * point, or 0 when the bytes there are not valid UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF included: RFC 3629 section 4). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		*cp = c & 0x1Fu;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		*cp = c & 0x0Fu;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		*cp = c & 0x07u;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3Fu);
	}
	return len;
}

bool str_cp_is_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||      /* C0, DEL, C1 */
	       (cp >= 0x202A && cp <= 0x202E) ||	       /* bidi embeddings and overrides */
	       (cp >= 0x2066 && cp <= 0x2069) ||	       /* bidi isolates */
	       cp == 0x200E || cp == 0x200F || cp == 0x061C || /* bidi marks */
	       cp == 0x2028 || cp == 0x2029;		       /* line and paragraph separators */
}

/* The one escaping rule (util.h); raw: a backslash is doubled (the bytes
 * are raw), else kept (the text may hold escapes already). */
static char *escape_rule(const void *p, size_t n, size_t max_out, bool raw, bool keep_nl)
{
	const unsigned char *s = p;
	struct buf b;
	buf_init(&b, max_out + 8);
	for (size_t i = 0; i < n;) {
		char tmp[16];
		size_t used = 1;
		unsigned char c = s[i];
		uint32_t cp = 0;
		size_t ul = c >= 0x80 ? utf8_seq(s + i, n - i, &cp) : 0;
		if (c == '\n' && keep_nl) {
			strcpy(tmp, "\n");
		} else if (c == '\r') {
			strcpy(tmp, "\\r");
		} else if (c == '\n') {
			strcpy(tmp, "\\n");
		} else if (c == '\t') {
			strcpy(tmp, "\\t");
		} else if (c == '\\' && raw) {
			strcpy(tmp, "\\\\");
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && ul == 0)) {
			snprintf(tmp, sizeof tmp, "\\x%02X", c);
		} else if (c >= 0x80) {
			used = ul;
			if (str_cp_is_unsafe(cp)) {
				snprintf(tmp, sizeof tmp, "\\u%04X", (unsigned)cp);
			} else {
				memcpy(tmp, s + i, ul);
				tmp[ul] = '\0';
			}
		} else {
			tmp[0] = (char)c;
			tmp[1] = '\0';
		}
		if (b.len + strlen(tmp) > max_out) {
			buf_append(&b, "...", 3);
			break;
		}
		buf_append(&b, tmp, strlen(tmp));
		i += used;
	}
	if (!b.data)
		return xstrdup("");
	return b.data;
}

char *str_escape(const void *p, size_t n, size_t max_out)
{
	return escape_rule(p, n, max_out, true, false);
}

char *str_sanitize(const char *s, bool keep_nl)
{
	size_t n = strlen(s);
	/* Every byte grows to at most 6 characters (\u202E for 3 bytes, \xNN for 1). */
	return escape_rule(s, n, n * 4 + 16, false, keep_nl);
}

bool str_is_safe(const char *s, size_t n, bool allow_nl)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if ((c < 0x20 && !(c == '\n' && allow_nl)) || c == 0x7f)
				return false;
			i++;
			continue;
		}
		uint32_t cp;
		size_t ul = utf8_seq((const unsigned char *)s + i, n - i, &cp);
		if (ul == 0 || str_cp_is_unsafe(cp))
			return false;
		i += ul;
	}
	return true;
}

char *hex_upper(const unsigned char *p, size_t n, char sep)
{
	static const char digits[] = "0123456789ABCDEF";
	char *out = xmalloc(n * 3 + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (sep && i)
			*o++ = sep;
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 15];
	}
	*o = '\0';
	return out;
}

bool str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static const char *const err_msgs[] = {
#define MX_ERR_MSG(name, msg) msg,
	MX_ERRORS(MX_ERR_MSG)
#undef MX_ERR_MSG
};

static const char *const err_names[] = {
#define MX_ERR_NAME(name, msg) #name,
	MX_ERRORS(MX_ERR_NAME)
#undef MX_ERR_NAME
};

const char *mx_strerror(int code)
{
	if (code < 0)
		code = -code;
	return code < MX_E__COUNT ? err_msgs[code] : "unknown error";
}

const char *mx_errname(int code)
{
	if (code < 0)
		code = -code;
	return code < MX_E__COUNT ? err_names[code] : "UNKNOWN";
}

int file_read_local(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen)
{
	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file (%s)",
			 S_ISDIR(st.st_mode)	? "a directory"
			 : S_ISFIFO(st.st_mode) ? "a FIFO"
			 : S_ISCHR(st.st_mode)	? "a character device"
			 : S_ISBLK(st.st_mode)	? "a block device"
			 : S_ISSOCK(st.st_mode) ? "a socket"
						: "a special file");
		close(fd);
		return -1;
	}
	if ((uintmax_t)st.st_size > max) {
		snprintf(err, errlen, "larger than the limit of %zu bytes", max);
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "empty");
		close(fd);
		return -1;
	}
	/* Read at most max + 1: the file may have grown since fstat. */
	size_t cap = max + 1 < (size_t)st.st_size + 2 ? max + 1 : (size_t)st.st_size + 2, got = 0;
	char *buf = xmalloc(cap + 1);
	while (got < cap) {
		ssize_t r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			explicit_bzero(buf, cap);
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got > max || got == 0) {
		snprintf(err, errlen, got ? "larger than the limit of %zu bytes" : "empty", max);
		explicit_bzero(buf, cap);
		free(buf);
		return -1;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}
