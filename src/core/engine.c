/* \summary: the engine: the standard session once, then every selected
 * probe over its facts. Probes share the session: one connection yields the
 * banner, capabilities, STARTTLS reply, negotiated parameters and chain. */
#include "core/engine.h"

#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "core/runcache.h"
#include "pki/revocation.h"
#include "pki/verify.h"
#include "proto/dialect.h"
#include "proto/session.h"
#include "report/seal.h"

/* The default set is every probe, on SMTP the ones with a connection of
 * their own included (PROBE_DEFAULT_CONNECTIONS); --probes narrows or
 * widens it. */
static bool probe_selected(const struct mx_options *opt, const struct target_spec *spec, const struct probe *p)
{
	/* A probe that speaks SMTP itself never runs on POP3 or IMAP. */
	const struct dialect *d = dialect_find(spec->dialect);
	if (!p->any_dialect && !d->smtp_family)
		return false;
	if (opt->enumerate && (p->flags & PROBE_ENUMERATE))
		return true;
	/* MAIL, RCPT and STARTTLS out of turn are SMTP's: LMTP (local delivery
	 * from the MTA) runs them only when named. The enumeration (dozens of
	 * connections) runs only when asked for: --enumerate, by name, all. */
	bool in_default = !(p->flags & PROBE_ENUMERATE) && (!(p->flags & PROBE_OWN_CONNECTION) || d == &dialect_smtp);
	return probe_spec_selects(opt->probes, p->name, in_default);
}

/* The revocation fetches of the standard session's chain, started from
 * its handshake. */
struct prefetch {
	struct rev_chain rch;
	bool wanted; /* the revocation probe will run */
	struct rev_prefetch *started;
};

static void start_prefetch(void *user, const struct session_facts *f)
{
	struct prefetch *pf = user;
	(void)f; /* pf->rch.fa points at the same facts */
	if (pf->wanted && !pf->started)
		pf->started = rev_prefetch_start(&pf->rch);
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
	/* The run's caches when the CLI made them (and the trust inputs are
	 * the run's: the lab probes with its own CA), else the target's own. */
	struct run_cache *run = opt->run;
	struct http_cache *own_http = run ? NULL : http_cache_new();
	struct http_cache *http = run ? run->http : own_http;
	struct trust_stores *own_trust = run && trust_stores_fit(run->trust, opt) ? NULL : trust_stores_new(opt);
	struct trust_stores *trust = own_trust ? own_trust : run->trust;
	/* The revocation fetches start as soon as the chain is known, side by
	 * side, while the session goes on (docs/timing.md). */
	const struct probe *rev = probe_find("revocation");
	struct prefetch pf = { .rch = { .fa = &t->facts,
					.opt = opt,
					.trust = trust,
					.http = http,
					.deadline = t->deadline_us,
					.owner = t },
			       .wanted = rev && probe_selected(opt, spec, rev) };
	if (needs & NEEDS_SESSION) {
		progress_probe_started(progress, t, "session");
		struct session_params sp = { .on_handshake = start_prefetch, .user = &pf };
		session_run(opt, spec, t, &sp, &t->facts);
		progress_probe_finished(progress, t, "session",
					t->facts.failed_step == STEP_NONE ? SEV_PASS : SEV_ERROR);
	}
	enum session_step fs = t->facts.failed_step;
	t->status = (fs == STEP_DNS || fs == STEP_CONNECT || fs == STEP_BANNER || fs == STEP_EHLO) ? TARGET_UNTESTABLE
												   : TARGET_TESTED;

	bool session_ran = t->facts.attempted;
	for (const struct probe *const *p = probe_table; *p; p++) {
		bool always = session_ran && ((*p)->flags & PROBE_WITH_SESSION) &&
			      ((*p)->any_dialect || dialect_find(spec->dialect)->smtp_family);
		if (!always && !probe_selected(opt, spec, *p))
			continue;
		progress_probe_started(progress, t, (*p)->name);
		int64_t p0 = mono_us();
		struct probe_result *pr = target_add_probe(t, (*p)->name, (*p)->title);
		pr->required = probe_is_required(opt, (*p)->name);
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
	rev_prefetch_finish(pf.started);
	http_cache_free(own_http);
	trust_stores_free(own_trust);
	t->duration_us = mono_us() - t0;
	/* What the probes recorded enters the report redacted and escaped. */
	report_seal_target(t, opt->redact);
}

int engine_exit_code(const struct report *r)
{
	bool failed = false, unanswered = false;
	for (size_t i = 0; i < r->n; i++) {
		if (r->t[i]->status == TARGET_UNTESTABLE)
			unanswered = true;
		for (size_t j = 0; j < r->t[i]->nprobes; j++) {
			const struct probe_result *pr = &r->t[i]->probes[j];
			for (size_t k = 0; k < pr->n; k++) {
				failed |= pr->f[k].sev == SEV_FAIL;
				/* a check the verdict needs could not be made: its
				 * question has no answer; never read as a pass */
				unanswered |= pr->required && pr->f[k].sev == SEV_ERROR;
			}
		}
	}
	if (failed)
		return 1;
	return unanswered ? 3 : 0;
}
