/* \summary: the command line's side of the TUI: jobs from targets, the
 * lab or a scenario; --load; the interface; nothing here draws. */
#include "cli/tui_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/batch.h"
#include "cli/targets_file.h"
#include "core/pool.h"
#include "net/limiter.h"
#include "lab/lab.h"
#include "net/target.h"
#include "report/json_load.h"
#include "scenario/scenario.h"
#include "tui/tui.h"

struct domains_ctx {
	const struct cli_tui_args *a;
	const struct mx_options *opt; /* with the connection budget */
	const char **names;	      /* --domain, then the file's "domain:" lines */
	size_t n;
};

/* --domain on the worker pool, as check runs it (cli/batch.h). */
static int run_domains(void *ctx, const struct progress_ops *ops, void *watcher, struct report *rep, char *err,
		       size_t errlen)
{
	const struct domains_ctx *c = ctx;
	struct batch_domain *doms = xcalloc(c->a->ndomains + 1, sizeof *doms);
	for (size_t i = 0; i < c->a->ndomains; i++)
		doms[i] = (struct batch_domain){ c->a->domains[i], c->opt };
	struct pool_opts po = { .progress = ops, .progress_user = watcher };
	struct batch b = { .opt = c->opt,
			   .resolver = c->a->resolver,
			   .trust_anchor = c->a->trust_anchor,
			   .domains = doms,
			   .ndomains = c->a->ndomains,
			   .pool = &po };
	int rc = batch_run(&b, rep, err, errlen);
	free(doms);
	return rc;
}

static void say(void *user, const char *msg)
{
	(void)user;
	fprintf(stderr, "mxprobe: %s\n", msg);
}

static int usage(const char *msg)
{
	fprintf(stderr, "mxprobe: %s (see mxprobe --help)\n", msg);
	return 2;
}

int cli_tui(const struct cli_tui_args *a, struct report *rep, bool *ran)
{
	char err[600];
	*ran = false;
	/* A polite refusal before anything is started or read. */
	if (tui_check_terminal(err, sizeof err) < 0) {
		fprintf(stderr, "mxprobe: %s\n", err);
		return 2;
	}
	/* The connection budget, as check has it (net/limiter.h). */
	struct mx_options opt = *a->opt;
	int64_t backoff = opt.step_timeout_us / 2;
	backoff = backoff < 1000000 ? 1000000 : backoff > 10000000 ? 10000000 : backoff;
	struct conn_limiter *lim =
		conn_limiter_new(a->max_connections ? a->max_connections : 256, a->per_host ? a->per_host : 2, backoff);
	opt.limiter = lim;
	struct tui_config cfg = { .opt = &opt, .no_color = a->no_color, .title = a->cmd, .pool_jobs = a->jobs };
	struct tui_job *jobs = NULL;
	struct target_spec *specs = NULL;
	size_t nspecs = 0;
	struct scenario *sc = NULL;
	struct lab_session *lab = NULL;
	struct domains_ctx dctx = { a, &opt, NULL, 0 };
	struct targets_list file = { 0 };
	int status = 0;
	char title[300];

	if (a->load) {
		if (a->nargs || a->ndomains || a->lab) {
			status = usage("--load shows a saved report: no targets, --domain or --lab with it");
			goto out;
		}
		report_clear(rep);
		if (report_load_json_file(a->load, rep, err, sizeof err) < 0) {
			fprintf(stderr, "mxprobe: --load %s\n", err);
			status = 2;
			goto out;
		}
		cfg.loaded = true;
		const char *base = strrchr(a->load, '/');
		snprintf(title, sizeof title, "%s", base ? base + 1 : a->load);
		cfg.title = title;
	} else if (a->lab) {
		if (a->nargs || a->ndomains) {
			status = usage("the lab takes no targets");
			goto out;
		}
		/* The lab's servers share 127.0.0.1 and each is its own port:
		 * a budget per address would queue them behind the tarpit and
		 * slow them all down for banner-421's 421. */
		opt.limiter = NULL;
		if (!(lab = lab_start(&opt, NULL, err, sizeof err))) {
			fprintf(stderr, "mxprobe: lab: %s\n", err);
			status = 3;
			goto out;
		}
		cfg.njobs = lab_session_count(lab);
		jobs = xcalloc(cfg.njobs ? cfg.njobs : 1, sizeof *jobs);
		for (size_t i = 0; i < cfg.njobs; i++)
			jobs[i] = (struct tui_job){ .opt = lab_session_options(lab, i),
						    .spec = lab_session_target(lab, i) };
		cfg.title = "lab";
	} else {
		size_t first = 0;
		if (strcmp(a->cmd, "run") == 0) {
			if (a->nargs < 2) {
				status = usage("run needs a scenario file and at least one target");
				goto out;
			}
			struct scn_parse_opts po = { .vars = a->vars, .nvars = a->nvars };
			if (scenario_load(a->args[0], &po, &sc, err, sizeof err) < 0) {
				fprintf(stderr, "%s\n", err);
				status = 2;
				goto out;
			}
			first = 1;
			const char *base = strrchr(a->args[0], '/');
			snprintf(title, sizeof title, "run %s", base ? base + 1 : a->args[0]);
			cfg.title = title;
		}
		if (a->targets_file) {
			/* Bad local input stops the TUI before any connection. */
			FILE *fp = fopen(a->targets_file, "r");
			if (!fp || targets_file_read(fp, a->targets_file, &file, say, NULL) < 0 || file.bad) {
				if (!fp || !file.bad)
					fprintf(stderr, "mxprobe: --targets-file %s: %s\n", a->targets_file,
						fp ? "read error" : strerror(errno));
				if (fp)
					fclose(fp);
				status = 2;
				goto out;
			}
			fclose(fp);
		}
		if (a->nargs == 0 && a->ndomains == 0 && file.n == 0) {
			status = usage("tui needs targets, --domain, --targets-file, --lab or --load FILE");
			goto out;
		}
		specs = xcalloc(a->nargs + file.n + 1, sizeof *specs);
		for (size_t i = first; i < a->nargs; i++) {
			if (target_parse(a->args[i], &specs[nspecs], err, sizeof err) < 0) {
				status = usage(err);
				goto out;
			}
			nspecs++;
		}
		dctx.names = xcalloc(a->ndomains + file.n + 1, sizeof *dctx.names);
		for (size_t i = 0; i < a->ndomains; i++)
			dctx.names[dctx.n++] = a->domains[i];
		for (size_t i = 0; i < file.n; i++) {
			if (file.e[i].domain) {
				dctx.names[dctx.n++] = file.e[i].domain;
				continue;
			}
			specs[nspecs++] = file.e[i].spec; /* moved */
			memset(&file.e[i].spec, 0, sizeof file.e[i].spec);
		}
		jobs = xcalloc(nspecs + 1, sizeof *jobs);
		for (size_t i = 0; i < nspecs; i++)
			jobs[i] = (struct tui_job){ .opt = &opt, .spec = &specs[i], .sc = sc };
		cfg.njobs = nspecs;
		if (dctx.n) {
			cfg.domains = run_domains;
			cfg.domains_ctx = &dctx;
			cfg.domain_names = dctx.names;
			cfg.ndomains = dctx.n;
		}
	}
	cfg.jobs = jobs;
	int sig = tui_run(&cfg, rep, err, sizeof err);
	if (sig < 0) {
		fprintf(stderr, "mxprobe: tui: %s\n", err);
		status = 2;
		goto out;
	}
	if (!cfg.loaded)
		rep->duration_us = wall_us() - rep->started_wall_us;
	*ran = true;
	status = sig > 0 ? 128 + sig : 0;
out:
	free(dctx.names);
	targets_list_clear(&file);
	lab_stop(lab);
	conn_limiter_free(lim);
	for (size_t i = 0; i < nspecs; i++)
		target_spec_clear(&specs[i]);
	free(specs);
	free(jobs);
	scenario_free(sc);
	return status;
}
