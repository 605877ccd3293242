/* \summary: HTTP GET and POST for revocation data (CRLs, OCSP) with
 * libcurl: a deadline per request, a cap on the body, http and https only
 * (redirects too), and a cache so that one run fetches a URL (with the same
 * request key) once. The cache belongs to whoever runs the targets (the
 * CLI's run cache, core/runcache.h, or the engine for one target), never to
 * a global. It is thread-safe: targets probed on worker threads share it,
 * and a request that another thread has in flight is waited for, not sent
 * twice. http_batch_run fetches several requests side by side (libcurl's
 * multi interface).
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
	const unsigned char *req; /* the request body that was sent for this answer (owned by the cache) */
	size_t req_len;
};

struct http_cache;
struct http_cache *http_cache_new(void);
void http_cache_free(struct http_cache *c); /* NULL is fine */

struct http_request {
	const char *url;
	const char *content_type; /* POST when body is not NULL */
	const void *body;
	size_t body_len;
	/* What names the answer in the cache besides the URL: NULL for the
	 * body itself. An OCSP request carries a fresh nonce each time; its
	 * key is the request without one (the CertID), so one run asks about
	 * a certificate once (the nonce sent is in http_response.req). */
	const void *key;
	size_t key_len;
	/* Who asks (the target): an answer fetched for someone else is
	 * "cached" (http_fetch's *cached). */
	const void *owner;
	/* Ask again even if an answer is cached (it went stale during the
	 * run); the new answer replaces the old for later lookups. */
	bool refresh;
	int64_t timeout_us; /* the whole request: connect, send, receive */
	size_t max_bytes;   /* 0: HTTP_DEFAULT_MAX_BYTES */
};

/* Fetches (or answers from the cache, waiting for a fetch in flight) and
 * returns a pointer into the cache, valid until http_cache_free: failures
 * are cached too, so an unreachable server costs one deadline per run.
 * *cached (may be NULL) says the answer was fetched for another owner.
 * Never NULL. */
const struct http_response *http_fetch(struct http_cache *c, const struct http_request *rq, bool *cached);

/* Requests to fetch side by side. The batch copies what it is given. */
struct http_batch;
struct http_batch *http_batch_new(void);
void http_batch_add(struct http_batch *b, const struct http_request *rq);
size_t http_batch_len(const struct http_batch *b);
void http_batch_free(struct http_batch *b); /* NULL is fine */
/* Marks every request of b that the cache does not hold as in flight (so
 * http_fetch waits for it rather than asking again). Then http_batch_run
 * fetches them all at once, each with its own deadline, and stores the
 * answers; it returns when the last is in. Both are safe to call from
 * another thread than the one that will http_fetch the answers. */
void http_batch_claim(struct http_cache *c, struct http_batch *b);
void http_batch_run(struct http_cache *c, struct http_batch *b);

/* Is this URL one we fetch (http:// or https://, case-insensitive)? */
bool http_url_ok(const char *url);

/* ---- one strict HTTPS GET (MTA-STS policies) --------------------------
 * Not cached and no redirect followed: RFC 8461 section 3.3 says "HTTP 3xx
 * redirects MUST NOT be followed", and the answer is judged as it came
 * (status, Content-Type, Location), with the server's certificate checked
 * against the trust store for the URL's host (RFC 6125). */
struct http_strict_request {
	const char *url;      /* https:// only */
	const char *resolve;  /* CURLOPT_RESOLVE "HOST:PORT:ADDR[,ADDR]": our resolver's answer; NULL: curl resolves */
	const char *ca_file;  /* PEM trust anchors (--ca-file), then the system store; NULL: the system store */
	bool no_system_trust; /* only ca_file */
	int64_t timeout_us;   /* the whole request */
	size_t max_bytes;     /* the body's cap */
};

struct http_strict_response {
	enum http_status status; /* HTTP_OK: a 2xx reply within the cap */
	bool cert_failed;	 /* the TLS handshake or the certificate check failed (error says which) */
	long code;		 /* the HTTP status, 0 if none came */
	char *content_type;	 /* as sent, NULL if none */
	char *location;		 /* a 3xx reply's Location, NULL if none */
	unsigned char *body;	 /* HTTP_OK only; owned */
	size_t len;
	char *error; /* in words when status != HTTP_OK; owned */
	int64_t elapsed_us;
};

/* Fetches rq->url once into out (always filled; http_strict_response_clear
 * frees it). Safe on any thread. */
void http_get_strict(const struct http_strict_request *rq, struct http_strict_response *out);
void http_strict_response_clear(struct http_strict_response *r);

#endif
