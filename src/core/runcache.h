/* \summary: what the targets of one run share: the trust stores (parsed
 * once per run, the system store only when needed) and the HTTP cache of
 * CRL and OCSP answers (each fetched once per run). The CLI makes one
 * before the first target and frees it after the last; everything in it is
 * thread-safe, for targets probed on worker threads. Reached through
 * mx_options.run; NULL there makes the engine use caches of the target's
 * own (the lab, unit tests). */
#ifndef SRC_CORE_RUNCACHE_H
#define SRC_CORE_RUNCACHE_H

#include "core/options.h"

struct run_cache {
	struct trust_stores *trust; /* pki/verify.h; made for the run's options */
	struct http_cache *http;    /* net/http.h */
};

/* opt must outlive the cache (the trust stores read it when they load). */
struct run_cache *run_cache_new(const struct mx_options *opt);
void run_cache_free(struct run_cache *rc); /* NULL is fine */

#endif
