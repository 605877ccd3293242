/* \summary: HTTP GET and POST for revocation data (CRLs, OCSP) with
 * libcurl: a deadline per request, a cap on the body, http and https only
 * (redirects too), and a cache so that one run fetches a URL (with the same
 * request body) once. The cache belongs to whoever runs the target (the
 * engine), never to a global.
 * specification: RFC 5280 section 4.2.1.13 (CRLs over HTTP), RFC 6960
 * appendix A.1 (OCSP over HTTP POST). */
#ifndef SRC_NET_HTTP_H
#define SRC_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A CRL of a big public CA runs to a few MB; OCSP responses are small. */
#define HTTP_DEFAULT_MAX_BYTES (8u * 1024u * 1024u)

enum http_status {
	HTTP_OK,	  /* a 2xx reply with a body within the cap */
	HTTP_BAD_URL,	  /* not http:// or https://, or unparsable */
	HTTP_TIMEOUT,	  /* the deadline passed */
	HTTP_UNREACHABLE, /* refused, no route, name did not resolve */
	HTTP_TOO_BIG,	  /* the body passed the cap */
	HTTP_BAD_STATUS,  /* a reply other than 2xx */
	HTTP_ERROR,	  /* any other transfer error */
};
const char *http_status_name(enum http_status s); /* "timeout", ... */

struct http_response {
	enum http_status status;
	long code;	     /* HTTP status code, 0 if none came */
	unsigned char *body; /* owned by the cache: valid until http_cache_free */
	size_t len;
	char *error; /* curl's words when status != HTTP_OK; owned by the cache */
	int64_t elapsed_us;
	bool cached; /* this call was answered from the cache */
};

struct http_cache;
struct http_cache *http_cache_new(void);
void http_cache_free(struct http_cache *c); /* NULL is fine */

struct http_request {
	const char *url;
	const char *content_type; /* POST when body is not NULL */
	const void *body;
	size_t body_len;
	int64_t timeout_us; /* the whole request: connect, send, receive */
	size_t max_bytes;   /* 0: HTTP_DEFAULT_MAX_BYTES */
};

/* Fetches (or answers from the cache) and returns a pointer into the cache:
 * failures are cached too, so an unreachable server costs one deadline per
 * run. Never NULL. */
const struct http_response *http_fetch(struct http_cache *c, const struct http_request *rq);

/* Is this URL one we fetch (http:// or https://, case-insensitive)? */
bool http_url_ok(const char *url);

#endif
