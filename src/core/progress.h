/* \summary: progress events: what the engine and the worker pool tell a
 * watcher while targets run (the text renderer's progress line on a TTY,
 * the TUI). Nothing in the engine knows who listens (DESIGN.md).
 *
 * Locking rule: the callbacks are called from worker threads, but never two
 * at once: the pool calls every one of them under one lock of its own
 * (core/pool.c), so a watcher needs no locking for its own state. A callback
 * must return quickly (it holds up every worker that has news) and must not
 * call into the pool. It may read the target it is given: its identity
 * (input, host, port, address) always; its probes and findings only in
 * target_finished, when no thread writes to it any more. A target that is
 * retried (pool.h) starts again: target_started comes a second time.
 * The standard session (one connection shared by the probes) is reported
 * as a probe named "session": worst SEV_ERROR when it failed at any step
 * (the diagnose probe grades that failure), else SEV_PASS. */
#ifndef SRC_CORE_PROGRESS_H
#define SRC_CORE_PROGRESS_H

#include <stddef.h>

#include "report/model.h"

struct progress_ops {
	/* A target's index is its place in the input (report.t[index]). */
	void (*target_started)(void *user, size_t index, const struct target_result *t);
	void (*probe_started)(void *user, size_t index, const struct target_result *t, const char *probe);
	/* worst: the worst severity of that probe's findings (SEV_PASS if none) */
	void (*probe_finished)(void *user, size_t index, const struct target_result *t, const char *probe,
			       enum severity worst);
	void (*target_finished)(void *user, size_t index, const struct target_result *t);
};

/* What the engine is handed for one target: the watcher, its user pointer,
 * and the target's index. Any member may be NULL. */
struct progress {
	const struct progress_ops *ops;
	void *user;
	size_t index;
};

/* Emitters: each does nothing when p, its ops or that callback is NULL. */
void progress_target_started(const struct progress *p, const struct target_result *t);
void progress_probe_started(const struct progress *p, const struct target_result *t, const char *probe);
void progress_probe_finished(const struct progress *p, const struct target_result *t, const char *probe,
			     enum severity worst);
void progress_target_finished(const struct progress *p, const struct target_result *t);

#endif
