/* \summary: `mxprobe tui TARGET...`, `tui --load FILE`, `tui --lab`,
 * `lab --tui` and `run FILE.scn --tui`: the command line's side of the
 * TUI (src/tui): it makes the jobs, starts the lab or reads the saved
 * report, and runs the interface. */
#ifndef SRC_CLI_TUI_CMD_H
#define SRC_CLI_TUI_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "report/model.h"

struct cli_tui_args {
	const struct mx_options *opt;
	const char *cmd;   /* "tui", "check", "lab" or "run" */
	char *const *args; /* the targets (run: the scenario file first) */
	size_t nargs;
	const char *const *domains; /* --domain */
	size_t ndomains;
	const char *resolver;	  /* libunbound's IP@PORT or NULL */
	const char *trust_anchor; /* --trust-anchor FILE or NULL */
	const char *const *vars;  /* run: --var */
	size_t nvars;
	const char *load; /* --load FILE */
	bool lab;	  /* tui --lab, lab --tui */
	bool no_color;
	const char *targets_file;		  /* --targets-file FILE (not "-": stdin is the keyboard) */
	unsigned jobs, per_host, max_connections; /* 0: the defaults, as check */
};

/* Runs the TUI into rep (initialised by the caller). Returns the exit
 * status: 2 for usage errors and when standard output is not a terminal
 * (checked before anything else), 3 when the lab could not start,
 * 130/143 after Ctrl-C/SIGTERM, else 0 and *rendered = false so the caller
 * computes the status from the report as check does. */
int cli_tui(const struct cli_tui_args *a, struct report *rep, bool *ran);

#endif
