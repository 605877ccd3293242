/* \summary: HTTP fetches with libcurl for revocation data, with deadlines,
 * a size cap, http/https only, and a per-run cache.
 * specification: RFC 5280 section 4.2.1.13; RFC 6960 appendix A.1. */
#include "net/http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

/* A CA's URLs rarely redirect; when they do, one or two hops suffice. */
#define HTTP_MAX_REDIRECTS 3L

struct http_entry {
	char *url;
	unsigned char *req; /* the request body, to tell POSTs apart */
	size_t req_len;
	struct http_response resp;
};

struct http_cache {
	struct http_entry *e;
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
	/* Thread-safe since curl 7.84; does nothing after the first call. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return xcalloc(1, sizeof(struct http_cache));
}

void http_cache_free(struct http_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].url);
		free(c->e[i].req);
		free(c->e[i].resp.body);
		free(c->e[i].resp.error);
	}
	free(c->e);
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

static void fetch(const struct http_request *rq, struct http_response *out)
{
	size_t max = rq->max_bytes ? rq->max_bytes : HTTP_DEFAULT_MAX_BYTES;
	struct sink s = { .too_big = false };
	buf_init(&s.b, max);
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	int64_t t0 = mono_us();
	CURL *h = curl_easy_init();
	if (!h) {
		out->status = HTTP_ERROR;
		out->error = xstrdup("curl_easy_init failed");
		goto out;
	}
	long ms = (long)(rq->timeout_us / 1000);
	if (ms < 1)
		ms = 1;
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRECTS);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "mxprobe/" MXPROBE_VERSION);
	if (rq->body) {
		char *ct =
			xasprintf("Content-Type: %s", rq->content_type ? rq->content_type : "application/octet-stream");
		hdr = curl_slist_append(hdr, ct);
		free(ct);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	}
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->code);
	out->status = classify(cc, &s);
	if (out->status != HTTP_OK) {
		out->error = xstrdup(s.too_big	 ? "the reply passed the size cap"
				     : errbuf[0] ? errbuf
						 : curl_easy_strerror(cc));
	} else if (out->code < 200 || out->code > 299) {
		out->status = HTTP_BAD_STATUS;
		out->error = xasprintf("HTTP status %ld", out->code);
	} else {
		out->body = (unsigned char *)s.b.data;
		out->len = s.b.len;
		s.b.data = NULL;
	}
out:
	out->elapsed_us = mono_us() - t0;
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	buf_clear(&s.b);
}

static struct http_entry *lookup(struct http_cache *c, const struct http_request *rq)
{
	for (size_t i = 0; i < c->n; i++) {
		struct http_entry *e = &c->e[i];
		if (strcmp(e->url, rq->url) != 0 || e->req_len != (rq->body ? rq->body_len : 0))
			continue;
		if ((e->req == NULL) != (rq->body == NULL))
			continue;
		if (e->req_len && memcmp(e->req, rq->body, e->req_len) != 0)
			continue;
		return e;
	}
	return NULL;
}

const struct http_response *http_fetch(struct http_cache *c, const struct http_request *rq)
{
	struct http_entry *e = lookup(c, rq);
	if (e) {
		e->resp.cached = true;
		return &e->resp;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->e = xrealloc(c->e, c->cap * sizeof *c->e);
	}
	e = &c->e[c->n++];
	memset(e, 0, sizeof *e);
	e->url = xstrdup(rq->url);
	if (rq->body) {
		e->req = xmalloc(rq->body_len ? rq->body_len : 1);
		memcpy(e->req, rq->body, rq->body_len);
		e->req_len = rq->body_len;
	}
	if (!http_url_ok(rq->url)) {
		e->resp.status = HTTP_BAD_URL;
		e->resp.error = xstrdup("only http:// and https:// URLs are fetched");
		return &e->resp;
	}
	fetch(rq, &e->resp);
	return &e->resp;
}
