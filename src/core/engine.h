/* \summary: the engine: run the standard session and the selected probes
 * against one target, filling its part of the results model. */
#ifndef SRC_CORE_ENGINE_H
#define SRC_CORE_ENGINE_H

#include "core/options.h"
#include "net/target.h"
#include "report/model.h"

/* Progress callback for renderers that watch (TUI). May be NULL. */
typedef void (*engine_progress_fn)(void *user, const struct target_result *t, const char *what);

/* Probes one target. Never exits, never prints. The result's status says
 * whether the target could be tested at all. */
void engine_run_target(const struct mx_options *opt, const struct target_spec *spec, struct target_result *out,
		       engine_progress_fn progress, void *user);

/* Exit code per DESIGN.md and docs/mxprobe.1 (EXIT STATUS): 1 when a
 * finding failed the policy; else 3 when a target could not be tested at
 * all or a required probe (probe_is_required: the policy or the user asks
 * its question) has a finding of severity error (the question went
 * unanswered, and a gate must not read that as a pass); else 0. Usage and configuration errors (2) never get this far. */
int engine_exit_code(const struct report *r);

#endif
