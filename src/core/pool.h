/* \summary: the worker pool: many targets side by side. Targets are mostly
 * waits on the network, so the pool is sized to the work (one thread per
 * target up to POOL_DEFAULT_MAX_JOBS), not to the cores; the connection
 * budget (net/limiter.h, reached through each job's options) keeps any one
 * server from seeing a burst. Each target keeps its own deadline
 * (--target-timeout, from its first connection: proto/session.c).
 *
 * A target turned away with 421 (at the banner or EHLO, so nothing could be
 * tested) is tried once more, after the limiter's pause for that server, if
 * its deadline leaves room; the report says so (budget.retried). A target
 * whose server was slowed down for says that too (budget.slowed-down).
 *
 * Results stay in input order: pool_opts.emit sees target i only after
 * every target before it. */
#ifndef SRC_CORE_POOL_H
#define SRC_CORE_POOL_H

#include <stddef.h>

#include "core/options.h"
#include "core/progress.h"
#include "net/target.h"
#include "report/model.h"

#define POOL_DEFAULT_MAX_JOBS 64

struct pool_job {
	const struct target_spec *spec; /* borrowed */
	const struct mx_options *opt;	/* the run's options (or a partner's copy of them); borrowed */
	struct target_result *t;	/* where the result goes: report.t[index] */
};

struct pool_opts {
	unsigned jobs; /* worker threads; 0 = one per job, at most POOL_DEFAULT_MAX_JOBS */
	const struct progress_ops *progress;
	void *progress_user;
	/* Each finished target, in input order, as soon as it and every target
	 * before it are done (--format jsonl streams from here). Called under
	 * the same lock as the progress callbacks (core/progress.h). May be
	 * NULL. */
	void (*emit)(void *user, size_t index, const struct target_result *t);
	void *emit_user;
};

/* Runs every job and returns when all are done. Never exits, never prints.
 * Thread creation failure falls back to fewer threads (at least the
 * calling thread itself). */
void pool_run(const struct pool_job *jobs, size_t n, const struct pool_opts *po);

/* The number of worker threads pool_run uses for n jobs. */
unsigned pool_threads(const struct pool_opts *po, size_t n);

#endif
