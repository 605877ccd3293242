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

/* Printable rendering of untrusted bytes: \r \n \t \xNN escapes, cut at
 * max_out characters with "..." appended. */
char *str_escape(const void *p, size_t n, size_t max_out);
/* Upper-case hex of n bytes, optional separator (0 for none). */
char *hex_upper(const unsigned char *p, size_t n, char sep);
bool str_has_prefix_ci(const char *s, const char *prefix);

#endif
