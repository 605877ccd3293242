/* \summary: the ncursesw interface (`mxprobe tui`, `run --tui`, `tui
 * --load`): one more renderer over the results model that also watches the
 * engine's progress events. It holds no probe logic: jobs come from the
 * command line, the engine fills the model, this shows it. */
#ifndef SRC_TUI_TUI_H
#define SRC_TUI_TUI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "core/progress.h"
#include "net/target.h"
#include "report/model.h"

struct scenario;

/* One target to probe. Nothing here is owned; all of it must stay valid
 * until tui_run returns (re-runs use it again). */
struct tui_job {
	const struct mx_options *opt;
	const struct target_spec *spec;
	const struct scenario *sc; /* run FILE.scn: the scenario; NULL: the engine */
};

/* --domain: resolves and probes the domains into rep (a fresh report),
 * on the worker thread, telling the watcher (core/progress.h) as targets
 * run. 0, or -1 with err set. */
typedef int (*tui_domains_fn)(void *ctx, const struct progress_ops *ops, void *watcher, struct report *rep, char *err,
			      size_t errlen);

struct tui_config {
	const struct mx_options *opt; /* base options: re-runs of a domain's MX addresses */
	const struct tui_job *jobs;
	size_t njobs;
	tui_domains_fn domains; /* NULL: no --domain */
	void *domains_ctx;
	const char *const *domain_names;
	size_t ndomains;
	bool loaded;	    /* the report came from --load: nothing runs, r is refused */
	const char *title;  /* what is shown: "check", "lab", "run FILE", "FILE.json" */
	bool no_color;	    /* --no-color (NO_COLOR is read here too) */
	unsigned pool_jobs; /* --jobs: targets at once; 0 = the pool's default */
};

/* 0 when standard input and output are terminals; -1 with a sentence in
 * err otherwise (the caller refuses politely, exit 2). */
int tui_check_terminal(char *err, size_t errlen);

/* Runs the interface until the user quits (q, Ctrl-C, SIGTERM). rep gets
 * one target per job, in order, then the domains' (live), or is shown as
 * it is (loaded). The terminal is restored before this returns, whatever
 * the way out. 0, or -1 with err set when the terminal could not be used. */
int tui_run(const struct tui_config *cfg, struct report *rep, char *err, size_t errlen);

#endif
