/* \summary: the engine: run the standard session and the selected probes
 * against one target, filling its part of the results model. */
#ifndef SRC_CORE_ENGINE_H
#define SRC_CORE_ENGINE_H

#include "core/options.h"
#include "core/progress.h"
#include "net/target.h"
#include "report/model.h"

/* Probes one target. Never exits, never prints. The result's status says
 * whether the target could be tested at all. progress (may be NULL) hears
 * target_started and each probe's start and end (core/progress.h); the
 * caller says target_finished. Thread-safe: targets run side by side on the
 * worker pool (core/pool.h) with the same opt. A deadline already set in
 * out (a retry, pool.c) is kept; else it is now + --target-timeout. */
void engine_run_target(const struct mx_options *opt, const struct target_spec *spec, struct target_result *out,
		       const struct progress *progress);

/* Exit code per DESIGN.md and docs/mxprobe.1 (EXIT STATUS): 1 when a
 * finding failed the policy; else 3 when a target could not be tested at
 * all or a required probe (probe_is_required: the policy or the user asks
 * its question) has a finding of severity error (the question went
 * unanswered, and a gate must not read that as a pass); else 0. Usage and configuration errors (2) never get this far. */
int engine_exit_code(const struct report *r);

#endif
