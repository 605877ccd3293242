/* \summary: allocation wrappers, clocks, string vectors and bounded buffers.
 *
 * Allocation failure aborts here, in one place (Postfix's mymalloc), so the
 * rest of the code handles network errors, not malloc errors. */
#ifndef SRC_UTIL_UTIL_H
#define SRC_UTIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s); /* xstrdup(NULL) == NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Microseconds on the monotonic clock; deadlines are absolute values of it. */
int64_t mono_us(void);
/* Wall clock in microseconds since the epoch. */
int64_t wall_us(void);
/* "2026-11-22T09:53:29.123Z" into out (at least 32 bytes). */
void fmt_iso8601_ms(int64_t wall_usec, char *out, size_t outlen);
/* "2026-11-22T09:53:29Z" for a time_t. */
void fmt_iso8601(int64_t t, char *out, size_t outlen);

/* A growable array of owned strings. */
struct strvec {
	char **v;
	size_t n, cap;
};
void strvec_push(struct strvec *sv, const char *s);
void strvec_push_owned(struct strvec *sv, char *s);
bool strvec_contains_ci(const struct strvec *sv, const char *s);
char *strvec_join(const struct strvec *sv, const char *sep);
void strvec_clear(struct strvec *sv);

/* A byte buffer that refuses to grow past max (curl's dynbuf "toobig"). */
struct buf {
	char *data;
	size_t len, cap, max;
};
void buf_init(struct buf *b, size_t max);
/* 0, or -1 when the result would exceed max (nothing appended then). */
int buf_append(struct buf *b, const void *p, size_t n);
void buf_consume(struct buf *b, size_t n);
void buf_clear(struct buf *b);

/* The one escaping rule for every byte from outside (network, files, argv,
 * environment) before it reaches a terminal or a report (issue 8):
 * printable ASCII and valid UTF-8 text pass; CR, LF and TAB become \r \n
 * \t; other C0 controls, DEL and bytes that are not valid UTF-8 (RFC 3629:
 * overlong forms and surrogates too) become \xNN; C1 controls
 * (U+0080-U+009F), bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E,
 * U+200F, U+061C) and U+2028/U+2029 become \uXXXX. The result is valid
 * UTF-8 without control characters. */

/* Raw bytes, with a backslash doubled so the result reads back
 * unambiguously; cut at max_out characters with "..." appended. Owned. */
char *str_escape(const void *p, size_t n, size_t max_out);
/* The same rule over text that may hold escapes already: a backslash is
 * kept, so str_sanitize(str_sanitize(s)) == str_sanitize(s). keep_nl lets
 * LF through (the model joins reply lines with it). Owned. */
char *str_sanitize(const char *s, bool keep_nl);
/* Does s obey the rule (nothing str_sanitize would change)? */
bool str_is_safe(const char *s, size_t n, bool allow_nl);
/* Is this code point one the rule escapes? */
bool str_cp_is_unsafe(uint32_t cp);
/* Upper-case hex of n bytes, optional separator (0 for none). */
char *hex_upper(const unsigned char *p, size_t n, char sep);
bool str_has_prefix_ci(const char *s, const char *prefix);

/* Reads a local input file (a --ca-file, a password file, a scenario) for
 * checking before the first connection: it must be a regular file (a FIFO,
 * a device such as /dev/zero or a directory is refused at once, without
 * blocking), not empty, and at most max bytes. *data is owned by the caller,
 * NUL-terminated (*len does not count it; the caller wipes it if secret).
 * 0, or -1 with the reason in err ("empty", "not a regular file (a FIFO)",
 * "larger than the limit of N bytes", strerror). */
int file_read_local(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen);

#endif
