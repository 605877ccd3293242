/* \summary: `mxprobe check` over many targets at once: the targets given
 * (command line, --targets-file), then every address of every MX host of
 * each mail domain (--domain, "domain:" lines, --policy-file partners),
 * all on the worker pool (core/pool.h) under the run's connection budget
 * (net/limiter.h), then each domain's verdict (core/domain.h).
 *
 * An MX address that several domains share is probed once and its result
 * reused in each domain's verdict, when the domains ask the same question
 * of it (the same options; at domain-secure without expected names each
 * domain's own name is part of the question, so each gets its own probe). */
#ifndef SRC_CLI_BATCH_H
#define SRC_CLI_BATCH_H

#include <stddef.h>

#include "core/options.h"
#include "core/pool.h"
#include "net/target.h"
#include "report/model.h"

#define BATCH_MAX_DOMAINS 100000

struct batch_domain {
	const char *name;
	const struct mx_options *opt; /* the run's, or a partner's copy (--policy-file) */
};

struct batch {
	const struct mx_options *opt; /* the run's options */
	const char *resolver;	      /* libunbound's "IP@PORT", NULL: /etc/resolv.conf */
	const char *trust_anchor;     /* --trust-anchor FILE, NULL: the root's key (dns/dns.h) */
	const struct target_spec *specs;
	size_t nspecs;
	const struct batch_domain *domains;
	size_t ndomains;
	const struct pool_opts *pool; /* jobs, progress watcher, in-order emitter */
};

/* Fills rep (which must have no targets yet): rep->t[i] is job i, in input
 * order. 0, or -1 when DNS could not be set up (err). */
int batch_run(const struct batch *b, struct report *rep, char *err, size_t errlen);

#endif
