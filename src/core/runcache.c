/* \summary: the caches the targets of one run share (core/runcache.h). */
#include "core/runcache.h"

#include <stdlib.h>

#include "net/http.h"
#include "pki/verify.h"
#include "util/util.h"

struct run_cache *run_cache_new(const struct mx_options *opt)
{
	struct run_cache *rc = xcalloc(1, sizeof *rc);
	rc->trust = trust_stores_new(opt);
	rc->http = http_cache_new();
	return rc;
}

void run_cache_free(struct run_cache *rc)
{
	if (!rc)
		return;
	trust_stores_free(rc->trust);
	http_cache_free(rc->http);
	free(rc);
}
