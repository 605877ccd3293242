/* \summary: the engine: the standard session once, then every selected
 * probe over its facts. Probes share the session: one connection yields the
 * banner, capabilities, STARTTLS reply, negotiated parameters and chain. */
#include "core/engine.h"

#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "pki/verify.h"
#include "proto/dialect.h"
#include "proto/session.h"

/* The default set (no --probes) leaves out the opt-in probes, except on a
 * submission service, where MAIL, RCPT and AUTH are what it is for. */
static bool probe_selected(const struct mx_options *opt, const struct target_spec *spec, const struct probe *p)
{
	/* A probe that speaks SMTP itself never runs on POP3 or IMAP. */
	if (!p->any_dialect && !dialect_find(spec->dialect)->smtp_family)
		return false;
	if (opt->probes)
		return probe_list_has(opt->probes, p->name);
	if (!(p->flags & PROBE_OPT_IN))
		return true;
	return strcmp(spec->scheme, "submission") == 0 || strcmp(spec->scheme, "smtps") == 0;
}

void engine_run_target(const struct mx_options *opt, const struct target_spec *spec, struct target_result *t,
		       const struct progress *progress)
{
	t->input = xstrdup(spec->input);
	t->scheme = xstrdup(spec->scheme);
	t->host = xstrdup(spec->host);
	t->port = spec->port;
	t->implicit_tls = spec->implicit_tls;
	t->domain = xstrdup(spec->domain);
	t->mx_host = xstrdup(spec->mx_host);
	t->mx_pref = spec->mx_pref;
	t->started_wall_us = wall_us();
	transcript_init(&t->tr);
	int64_t t0 = mono_us();
	if (!t->deadline_us)
		t->deadline_us = t0 + opt->target_timeout_us;
	progress_target_started(progress, t);

	unsigned needs = 0;
	for (const struct probe *const *p = probe_table; *p; p++)
		if (probe_selected(opt, spec, *p))
			needs |= (*p)->needs;
	if (needs & NEEDS_SESSION) {
		progress_probe_started(progress, t, "session");
		session_run_standard(opt, spec, t);
		progress_probe_finished(progress, t, "session",
					t->facts.failed_step == STEP_NONE ? SEV_PASS : SEV_ERROR);
	}
	enum session_step fs = t->facts.failed_step;
	t->status = (fs == STEP_DNS || fs == STEP_CONNECT || fs == STEP_BANNER || fs == STEP_EHLO) ? TARGET_UNTESTABLE
												   : TARGET_TESTED;

	struct http_cache *http = http_cache_new();
	struct trust_stores *trust = trust_stores_new(opt);
	bool session_ran = t->facts.attempted;
	for (const struct probe *const *p = probe_table; *p; p++) {
		bool always = session_ran && ((*p)->flags & PROBE_WITH_SESSION) &&
			      ((*p)->any_dialect || dialect_find(spec->dialect)->smtp_family);
		if (!always && !probe_selected(opt, spec, *p))
			continue;
		progress_probe_started(progress, t, (*p)->name);
		int64_t p0 = mono_us();
		struct probe_result *pr = target_add_probe(t, (*p)->name, (*p)->title);
		struct probe_ctx ctx = { .opt = opt,
					 .spec = spec,
					 .t = t,
					 .pr = pr,
					 .http = http,
					 .deadline = t->deadline_us,
					 .trust = trust };
		(*p)->run(&ctx);
		/* target_add_probe may move the array; refetch by index */
		t->probes[t->nprobes - 1].duration_us = mono_us() - p0;
		progress_probe_finished(progress, t, (*p)->name, probe_result_worst(&t->probes[t->nprobes - 1]));
	}
	http_cache_free(http);
	trust_stores_free(trust);
	t->duration_us = mono_us() - t0;
}

int engine_exit_code(const struct report *r)
{
	bool failed = false, untestable = false;
	for (size_t i = 0; i < r->n; i++) {
		if (r->t[i]->status == TARGET_UNTESTABLE)
			untestable = true;
		for (size_t j = 0; j < r->t[i]->nprobes; j++)
			for (size_t k = 0; k < r->t[i]->probes[j].n; k++)
				if (r->t[i]->probes[j].f[k].sev == SEV_FAIL)
					failed = true;
	}
	if (failed)
		return 1;
	return untestable ? 3 : 0;
}
