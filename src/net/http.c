/* \summary: HTTP fetches with libcurl for revocation data, with deadlines,
 * a size cap, http/https only, and a per-run cache.
 * specification: RFC 5280 section 4.2.1.13; RFC 6960 appendix A.1. */
#include "net/http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

/* A CA's URLs rarely redirect; when they do, one or two hops suffice. */
#define HTTP_MAX_REDIRECTS 3L

/* ---- libcurl, loaded when the first request is made --------------------
 *
 * libcurl-gnutls brings some twenty libraries (LDAP, Kerberos, SSH, RTMP,
 * HTTP/2, brotli, zstd) that the dynamic loader would otherwise map and
 * relocate at every start, about 12 ms of CPU: `mxprobe --version`, a
 * check whose certificate names no CRL or OCSP URL, --revocation off and
 * the lab need none of it. So it is opened with dlopen on first use (from
 * the revocation prefetch thread in a default check, while the session
 * still talks). The table of entry points is the process's one piece of
 * state, written once under pthread_once like curl_global_init's own. */

struct curl_api {
	const char *error; /* why it could not be loaded; NULL when loaded */
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned, int, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
};

static struct curl_api curl_api_table;
static pthread_once_t curl_api_once = PTHREAD_ONCE_INIT;

static void curl_api_load(void)
{
	struct curl_api *a = &curl_api_table;
	void *h = dlopen(MXPROBE_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		a->error = "libcurl (" MXPROBE_CURL_SONAME ") could not be loaded";
		return;
	}
	/* dlsym hands out object pointers; POSIX guarantees they convert. */
#define CURL_SYM(field, name)                             \
	do {                                              \
		void *sym = dlsym(h, name);               \
		if (!sym) {                               \
			a->error = "libcurl lacks " name; \
			return;                           \
		}                                         \
		memcpy(&a->field, &sym, sizeof sym);      \
	} while (0)
	CURL_SYM(global_init, "curl_global_init");
	CURL_SYM(easy_init, "curl_easy_init");
	CURL_SYM(easy_setopt, "curl_easy_setopt");
	CURL_SYM(easy_getinfo, "curl_easy_getinfo");
	CURL_SYM(easy_perform, "curl_easy_perform");
	CURL_SYM(easy_cleanup, "curl_easy_cleanup");
	CURL_SYM(easy_strerror, "curl_easy_strerror");
	CURL_SYM(slist_append, "curl_slist_append");
	CURL_SYM(slist_free_all, "curl_slist_free_all");
	CURL_SYM(multi_init, "curl_multi_init");
	CURL_SYM(multi_add_handle, "curl_multi_add_handle");
	CURL_SYM(multi_remove_handle, "curl_multi_remove_handle");
	CURL_SYM(multi_perform, "curl_multi_perform");
	CURL_SYM(multi_info_read, "curl_multi_info_read");
	CURL_SYM(multi_poll, "curl_multi_poll");
	CURL_SYM(multi_cleanup, "curl_multi_cleanup");
#undef CURL_SYM
	/* Thread-safe since curl 7.84. */
	if (a->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		a->error = "curl_global_init failed";
}

/* The loaded library, or NULL (then *why says why). */
static const struct curl_api *curl_api(const char **why)
{
	pthread_once(&curl_api_once, curl_api_load);
	if (curl_api_table.error) {
		if (why)
			*why = curl_api_table.error;
		return NULL;
	}
	return &curl_api_table;
}

struct http_entry {
	char *url;
	unsigned char *key; /* the request key (the body unless given), to tell POSTs apart */
	size_t key_len;
	bool post;
	const void *owner;
	bool done;		/* the answer is in; until then others wait on the cache's cond */
	bool superseded;	/* a refresh replaced it: lookups skip it */
	struct http_request rq; /* the request to send (strings owned here) while !done */
	unsigned char *req;	/* the body sent */
	size_t req_len;
	char *content_type;
	struct http_response resp;
};

/* Entries are allocated one by one, so the responses handed out stay put
 * while other threads add entries. */
struct http_cache {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct http_entry **e;
	size_t n, cap;
};

static const char *const status_names[] = {
	[HTTP_OK] = "ok",	    [HTTP_BAD_URL] = "bad-url",
	[HTTP_TIMEOUT] = "timeout", [HTTP_UNREACHABLE] = "unreachable",
	[HTTP_TOO_BIG] = "too-big", [HTTP_BAD_STATUS] = "bad-status",
	[HTTP_ERROR] = "error",
};

const char *http_status_name(enum http_status s)
{
	return (unsigned)s < ARRAY_LEN(status_names) && status_names[s] ? status_names[s] : "error";
}

bool http_url_ok(const char *url)
{
	return url && (str_has_prefix_ci(url, "http://") || str_has_prefix_ci(url, "https://"));
}

struct http_cache *http_cache_new(void)
{
	struct http_cache *c = xcalloc(1, sizeof(struct http_cache));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cond, NULL);
	return c;
}

void http_cache_free(struct http_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct http_entry *e = c->e[i];
		free(e->url);
		free(e->key);
		free(e->req);
		free(e->content_type);
		free(e->resp.body);
		free(e->resp.error);
		free(e);
	}
	free(c->e);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct sink {
	struct buf b;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;
	if (buf_append(&s->b, p, n) < 0) {
		s->too_big = true;
		return 0; /* stops the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

static enum http_status classify(CURLcode cc, const struct sink *s)
{
	switch (cc) {
	case CURLE_OK:
		return HTTP_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return HTTP_UNREACHABLE;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_TOO_BIG;
	case CURLE_WRITE_ERROR:
		return s->too_big ? HTTP_TOO_BIG : HTTP_ERROR;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HTTP_BAD_URL;
	default:
		return HTTP_ERROR;
	}
}

/* One transfer: the easy handle and what it collects. */
struct xfer {
	const struct curl_api *cu; /* NULL: libcurl did not load (error in errbuf) */
	struct http_entry *e;
	CURL *h;
	struct sink s;
	struct curl_slist *hdr;
	char errbuf[CURL_ERROR_SIZE];
	int64_t t0;
};

/* Sets up x for e's request; -1 when curl has no handle for it. */
static int xfer_start(struct xfer *x, struct http_entry *e)
{
	const struct http_request *rq = &e->rq;
	size_t max = rq->max_bytes ? rq->max_bytes : HTTP_DEFAULT_MAX_BYTES;
	memset(x, 0, sizeof *x);
	x->e = e;
	buf_init(&x->s.b, max);
	x->t0 = mono_us();
	const char *why = NULL;
	const struct curl_api *cu = x->cu = curl_api(&why);
	if (!cu) {
		snprintf(x->errbuf, sizeof x->errbuf, "%s", why);
		return -1;
	}
	CURL *h = x->h = cu->easy_init();
	if (!h)
		return -1;
	long ms = (long)(rq->timeout_us / 1000);
	if (ms < 1)
		ms = 1;
	cu->easy_setopt(h, CURLOPT_URL, rq->url);
	cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
	cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
	cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(h, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRECTS);
	cu->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(h, CURLOPT_WRITEDATA, &x->s);
	cu->easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	cu->easy_setopt(h, CURLOPT_USERAGENT, "mxprobe/" MXPROBE_VERSION);
	cu->easy_setopt(h, CURLOPT_PRIVATE, x);
	if (e->post) {
		char *ct =
			xasprintf("Content-Type: %s", e->content_type ? e->content_type : "application/octet-stream");
		x->hdr = cu->slist_append(x->hdr, ct);
		free(ct);
		cu->easy_setopt(h, CURLOPT_HTTPHEADER, x->hdr);
		cu->easy_setopt(h, CURLOPT_POSTFIELDS, e->req);
		cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->req_len);
	}
	return 0;
}

/* Turns the finished transfer into e's answer (not yet published). */
static void xfer_finish(struct xfer *x, CURLcode cc)
{
	struct http_response *out = &x->e->resp;
	const struct curl_api *cu = x->cu;
	if (!x->h) {
		out->status = HTTP_ERROR;
		out->error = xstrdup(x->errbuf[0] ? x->errbuf : "curl_easy_init failed");
	} else {
		cu->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &out->code);
		out->status = classify(cc, &x->s);
		if (out->status != HTTP_OK) {
			out->error = xstrdup(x->s.too_big   ? "the reply passed the size cap"
					     : x->errbuf[0] ? x->errbuf
							    : cu->easy_strerror(cc));
		} else if (out->code < 200 || out->code > 299) {
			out->status = HTTP_BAD_STATUS;
			out->error = xasprintf("HTTP status %ld", out->code);
		} else {
			out->body = (unsigned char *)x->s.b.data;
			out->len = x->s.b.len;
			x->s.b.data = NULL;
		}
	}
	out->elapsed_us = mono_us() - x->t0;
	out->req = x->e->req;
	out->req_len = x->e->req_len;
	if (cu) {
		cu->slist_free_all(x->hdr);
		if (x->h)
			cu->easy_cleanup(x->h);
	}
	buf_clear(&x->s.b);
}

/* Publishes e's answer to the threads waiting for it. */
static void publish(struct http_cache *c, struct http_entry *e)
{
	pthread_mutex_lock(&c->mu);
	e->done = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
}

static const void *rq_key(const struct http_request *rq, size_t *len)
{
	*len = rq->key ? rq->key_len : rq->body ? rq->body_len : 0;
	return rq->key ? rq->key : rq->body;
}

/* The newest entry for rq; c->mu held. */
static struct http_entry *lookup(struct http_cache *c, const struct http_request *rq)
{
	size_t klen;
	const void *key = rq_key(rq, &klen);
	for (size_t i = c->n; i-- > 0;) {
		struct http_entry *e = c->e[i];
		if (e->superseded || strcmp(e->url, rq->url) != 0 || e->post != (rq->body != NULL))
			continue;
		if (e->key_len != klen || (klen && memcmp(e->key, key, klen) != 0))
			continue;
		return e;
	}
	return NULL;
}

static unsigned char *dup_bytes(const void *p, size_t n)
{
	unsigned char *d = xmalloc(n ? n : 1);
	if (n)
		memcpy(d, p, n);
	return d;
}

/* A new entry for rq, in flight (or done at once for a URL we never
 * fetch); c->mu held. An older entry it refreshes is superseded. */
static struct http_entry *add_entry(struct http_cache *c, const struct http_request *rq, struct http_entry *old)
{
	if (old)
		old->superseded = true;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->e = xrealloc(c->e, c->cap * sizeof *c->e);
	}
	struct http_entry *e = c->e[c->n++] = xcalloc(1, sizeof *e);
	size_t klen;
	const void *key = rq_key(rq, &klen);
	e->url = xstrdup(rq->url);
	e->key = dup_bytes(key, klen);
	e->key_len = klen;
	e->post = rq->body != NULL;
	e->owner = rq->owner;
	if (rq->body) {
		e->req = dup_bytes(rq->body, rq->body_len);
		e->req_len = rq->body_len;
	}
	e->content_type = rq->content_type ? xstrdup(rq->content_type) : NULL;
	e->rq = *rq;
	e->rq.url = e->url;
	e->rq.body = e->req;
	e->rq.key = NULL;
	e->rq.content_type = NULL;
	e->resp.req = e->req;
	e->resp.req_len = e->req_len;
	if (!http_url_ok(rq->url)) {
		e->resp.status = HTTP_BAD_URL;
		e->resp.error = xstrdup("only http:// and https:// URLs are fetched");
		e->done = true;
	}
	return e;
}

const struct http_response *http_fetch(struct http_cache *c, const struct http_request *rq, bool *cached)
{
	pthread_mutex_lock(&c->mu);
	struct http_entry *e = lookup(c, rq);
	if (e && !rq->refresh) {
		while (!e->done)
			pthread_cond_wait(&c->cond, &c->mu);
		pthread_mutex_unlock(&c->mu);
		if (cached)
			*cached = e->owner != rq->owner;
		return &e->resp;
	}
	e = add_entry(c, rq, e);
	pthread_mutex_unlock(&c->mu);
	if (cached)
		*cached = false;
	if (!e->done) {
		struct xfer x;
		CURLcode cc = xfer_start(&x, e) == 0 ? x.cu->easy_perform(x.h) : CURLE_FAILED_INIT;
		xfer_finish(&x, cc);
		publish(c, e);
	}
	return &e->resp;
}

/* ---- batches ------------------------------------------------------- */

struct http_batch {
	struct http_request *rq; /* strings and bytes owned */
	struct http_entry **claimed;
	size_t n, cap, nclaimed;
};

struct http_batch *http_batch_new(void)
{
	return xcalloc(1, sizeof(struct http_batch));
}

void http_batch_add(struct http_batch *b, const struct http_request *rq)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->rq = xrealloc(b->rq, b->cap * sizeof *b->rq);
	}
	struct http_request *d = &b->rq[b->n++];
	*d = *rq;
	d->url = xstrdup(rq->url);
	d->content_type = rq->content_type ? xstrdup(rq->content_type) : NULL;
	d->body = rq->body ? dup_bytes(rq->body, rq->body_len) : NULL;
	d->key = rq->key ? dup_bytes(rq->key, rq->key_len) : NULL;
}

size_t http_batch_len(const struct http_batch *b)
{
	return b ? b->n : 0;
}

void http_batch_free(struct http_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		/* The batch made these copies (http_batch_add). */
		free((void *)(uintptr_t)b->rq[i].url);
		free((void *)(uintptr_t)b->rq[i].content_type);
		free((void *)(uintptr_t)b->rq[i].body);
		free((void *)(uintptr_t)b->rq[i].key);
	}
	free(b->rq);
	free(b->claimed);
	free(b);
}

void http_batch_claim(struct http_cache *c, struct http_batch *b)
{
	pthread_mutex_lock(&c->mu);
	b->claimed = xrealloc(b->claimed, (b->n ? b->n : 1) * sizeof *b->claimed);
	b->nclaimed = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct http_entry *old = lookup(c, &b->rq[i]);
		if (old && !b->rq[i].refresh)
			continue; /* held or in flight already (this batch may name it twice) */
		struct http_entry *e = add_entry(c, &b->rq[i], old);
		if (!e->done)
			b->claimed[b->nclaimed++] = e;
	}
	pthread_mutex_unlock(&c->mu);
}

void http_batch_run(struct http_cache *c, struct http_batch *b)
{
	if (b->nclaimed == 0)
		return;
	struct xfer *x = xcalloc(b->nclaimed, sizeof *x);
	const struct curl_api *cu = curl_api(NULL);
	CURLM *m = cu ? cu->multi_init() : NULL;
	for (size_t i = 0; i < b->nclaimed; i++) {
		if (xfer_start(&x[i], b->claimed[i]) < 0 || !m || cu->multi_add_handle(m, x[i].h) != CURLM_OK) {
			xfer_finish(&x[i], CURLE_FAILED_INIT);
			publish(c, b->claimed[i]);
			x[i].e = NULL;
		}
	}
	int running = 1;
	while (m && running) {
		if (cu->multi_perform(m, &running) != CURLM_OK)
			break;
		CURLMsg *msg;
		int left;
		while ((msg = cu->multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *done = NULL;
			cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
			CURLcode cc = msg->data.result;
			cu->multi_remove_handle(m, done->h);
			struct http_entry *e = done->e;
			xfer_finish(done, cc);
			done->e = NULL;
			publish(c, e);
		}
		/* Each handle has its own timeout: curl wakes us for it. */
		if (running && cu->multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	/* Anything the loop left (a multi error): answered as an error, so
	 * no waiter hangs. */
	for (size_t i = 0; i < b->nclaimed; i++) {
		if (!x[i].e)
			continue;
		struct http_entry *e = x[i].e;
		if (m)
			cu->multi_remove_handle(m, x[i].h);
		xfer_finish(&x[i], CURLE_FAILED_INIT);
		publish(c, e);
	}
	if (m)
		cu->multi_cleanup(m);
	free(x);
	b->nclaimed = 0;
}

/* ---- one strict HTTPS GET ------------------------------------------- */

/* Where Debian's ca-certificates puts the system store as a directory. */
#define SYSTEM_CA_DIR "/etc/ssl/certs"

void http_get_strict(const struct http_strict_request *rq, struct http_strict_response *out)
{
	memset(out, 0, sizeof *out);
	int64_t t0 = mono_us();
	const char *why = NULL;
	const struct curl_api *cu = curl_api(&why);
	if (!cu) {
		out->status = HTTP_ERROR;
		out->error = xstrdup(why);
		return;
	}
	if (!rq->url || !str_has_prefix_ci(rq->url, "https://")) {
		out->status = HTTP_BAD_URL;
		out->error = xstrdup("only https:// URLs are fetched here");
		return;
	}
	CURL *h = cu->easy_init();
	if (!h) {
		out->status = HTTP_ERROR;
		out->error = xstrdup("curl_easy_init failed");
		return;
	}
	struct sink s = { 0 };
	buf_init(&s.b, rq->max_bytes ? rq->max_bytes : HTTP_DEFAULT_MAX_BYTES);
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *resolve = NULL;
	long ms = (long)(rq->timeout_us / 1000);
	if (ms < 1)
		ms = 1;
	cu->easy_setopt(h, CURLOPT_URL, rq->url);
	cu->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
	cu->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
	cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	cu->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	cu->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.b.max);
	cu->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(h, CURLOPT_WRITEDATA, &s);
	cu->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(h, CURLOPT_USERAGENT, "mxprobe/" MXPROBE_VERSION);
	if (rq->ca_file) {
		cu->easy_setopt(h, CURLOPT_CAINFO, rq->ca_file);
		if (!rq->no_system_trust)
			cu->easy_setopt(h, CURLOPT_CAPATH, SYSTEM_CA_DIR);
	}
	if (rq->resolve) {
		resolve = cu->slist_append(NULL, rq->resolve);
		cu->easy_setopt(h, CURLOPT_RESOLVE, resolve);
	}
	CURLcode cc = cu->easy_perform(h);
	cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->code);
	char *ct = NULL, *loc = NULL;
	if (cu->easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		out->content_type = xstrdup(ct);
	if (cu->easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
		out->location = xstrdup(loc);
	out->status = classify(cc, &s);
	out->cert_failed = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
			   cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CERTPROBLEM;
	if (out->status == HTTP_TOO_BIG) {
		out->error = xasprintf("the reply passed the size cap (%zu bytes)", s.b.max);
	} else if (out->status != HTTP_OK) {
		out->error = xstrdup(errbuf[0] ? errbuf : cu->easy_strerror(cc));
	} else if (out->code < 200 || out->code > 299) {
		out->status = HTTP_BAD_STATUS;
		out->error = xasprintf("HTTP status %ld", out->code);
	} else {
		out->body = (unsigned char *)s.b.data;
		out->len = s.b.len;
		s.b.data = NULL;
	}
	cu->slist_free_all(resolve);
	cu->easy_cleanup(h);
	buf_clear(&s.b);
	out->elapsed_us = mono_us() - t0;
}

void http_strict_response_clear(struct http_strict_response *r)
{
	if (!r)
		return;
	free(r->content_type);
	free(r->location);
	free(r->body);
	free(r->error);
	memset(r, 0, sizeof *r);
}
