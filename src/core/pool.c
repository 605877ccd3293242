/* \summary: the worker pool (see pool.h). */
#include "core/pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "net/limiter.h"
#include "util/util.h"

/* Enough for GnuTLS, jansson and our own frames, with the sanitizers'
 * redzones; the default (8 MiB of address space each) adds up with
 * hundreds of threads. */
#define POOL_STACK_SIZE (2 * 1024 * 1024)

struct pool {
	const struct pool_job *jobs;
	size_t n;
	const struct pool_opts *po;
	pthread_mutex_t mu; /* next, done, next_emit, and every callback */
	size_t next;	    /* the next job to start */
	bool *done;
	size_t next_emit;
};

/* The progress callbacks, under the pool's lock (progress.h's rule). */
struct locked_progress {
	struct pool *pool;
};

static void lp_target_started(void *user, size_t index, const struct target_result *t)
{
	struct pool *p = user;
	pthread_mutex_lock(&p->mu);
	p->po->progress->target_started(p->po->progress_user, index, t);
	pthread_mutex_unlock(&p->mu);
}

static void lp_probe_started(void *user, size_t index, const struct target_result *t, const char *probe)
{
	struct pool *p = user;
	pthread_mutex_lock(&p->mu);
	p->po->progress->probe_started(p->po->progress_user, index, t, probe);
	pthread_mutex_unlock(&p->mu);
}

static void lp_probe_finished(void *user, size_t index, const struct target_result *t, const char *probe,
			      enum severity worst)
{
	struct pool *p = user;
	pthread_mutex_lock(&p->mu);
	p->po->progress->probe_finished(p->po->progress_user, index, t, probe, worst);
	pthread_mutex_unlock(&p->mu);
}

/* Only the callbacks the watcher has are wrapped. */
static struct progress_ops locked_ops(const struct progress_ops *in)
{
	struct progress_ops o = { 0 };
	if (!in)
		return o;
	if (in->target_started)
		o.target_started = lp_target_started;
	if (in->probe_started)
		o.probe_started = lp_probe_started;
	if (in->probe_finished)
		o.probe_finished = lp_probe_finished;
	return o;
}

static struct probe_result *budget_result(struct target_result *t)
{
	for (size_t i = 0; i < t->nprobes; i++)
		if (strcmp(t->probes[i].name, "budget") == 0)
			return &t->probes[i];
	return target_add_probe(t, "budget", "Connection budget");
}

/* Was the target turned away with 421 before anything could be tested? */
static bool turned_away(const struct target_result *t)
{
	return t->status == TARGET_UNTESTABLE && t->facts.r421.code == 421;
}

/* ids: budget.retried budget.slowed-down */
static void note_retry(struct target_result *t, const struct reply_info *first, enum session_step step,
		       int64_t backoff_us)
{
	struct finding *f = probe_result_add(budget_result(t), "budget.retried", SEV_INFO,
					     "Turned away with 421; tried once more after a pause");
	finding_set_detail(f,
			   "The first attempt got \"421 %s\" at the %s. mxprobe slowed down for this server "
			   "(one connection at a time, %.1f s apart) and tried once more; the findings above "
			   "are from that second attempt. It does not try a third time.",
			   first->text ? first->text : "", session_step_name(step), (double)backoff_us / 1e6);
	finding_set_rfc(f, "RFC 5321 section 3.8");
	finding_add_ev(f, "first_reply", "421 %s", first->text ? first->text : "");
	finding_add_ev(f, "first_step", "%s", session_step_id(step));
	finding_add_ev(f, "backoff_s", "%.1f", (double)backoff_us / 1e6);
	finding_add_ev(f, "second_attempt", "%s", turned_away(t) ? "turned away again" : "got through");
}

static void note_slowed(struct target_result *t, const struct mx_options *opt)
{
	struct finding *f = probe_result_add(budget_result(t), "budget.slowed-down", SEV_INFO,
					     "Slowed down for this server (one connection at a time)");
	finding_set_detail(f,
			   "After %s mxprobe opened at most one connection at a time to %s instead of its "
			   "usual per-host cap (after a 421 also each %.1f s after the previous one ended).",
			   t->slowed_why, t->address ? t->address : t->host,
			   (double)conn_limiter_backoff_us(opt->limiter) / 1e6);
	finding_add_ev(f, "reason", "%s", t->slowed_why);
	finding_add_ev(f, "backoff_s", "%.1f", (double)conn_limiter_backoff_us(opt->limiter) / 1e6);
}

static void run_one(struct pool *p, size_t i)
{
	const struct pool_job *j = &p->jobs[i];
	struct progress_ops ops = locked_ops(p->po->progress);
	struct progress prog = { .ops = &ops, .user = p, .index = i };
	int64_t t0 = mono_us();
	engine_run_target(j->opt, j->spec, j->t, &prog);
	int64_t started = j->t->started_wall_us;

	struct conn_limiter *lim = j->opt->limiter;
	if (lim && turned_away(j->t)) {
		/* One more try, only if the pause and at least one step
		 * (--timeout) still fit in this target's own deadline. */
		int64_t left = j->t->deadline_us - mono_us();
		int64_t need = conn_limiter_backoff_us(lim) + j->opt->step_timeout_us;
		if (left > need) {
			struct reply_info first = { .code = 421 };
			first.text = xstrdup(j->t->facts.r421.text);
			enum session_step step = j->t->facts.r421_step;
			unsigned first_connections = j->t->connections;
			target_result_reset(j->t);
			engine_run_target(j->opt, j->spec, j->t, &prog);
			note_retry(j->t, &first, step, conn_limiter_backoff_us(lim));
			reply_info_clear(&first);
			/* The target's time and connections are both attempts'. */
			j->t->started_wall_us = started;
			j->t->duration_us = mono_us() - t0;
			j->t->connections += first_connections;
		}
	}
	if (lim && j->t->slowed_why)
		note_slowed(j->t, j->opt);
}

static void finish_one(struct pool *p, size_t i)
{
	pthread_mutex_lock(&p->mu);
	p->done[i] = true;
	if (p->po->progress && p->po->progress->target_finished)
		p->po->progress->target_finished(p->po->progress_user, i, p->jobs[i].t);
	while (p->next_emit < p->n && p->done[p->next_emit]) {
		if (p->po->emit)
			p->po->emit(p->po->emit_user, p->next_emit, p->jobs[p->next_emit].t);
		p->next_emit++;
	}
	pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		run_one(p, i);
		finish_one(p, i);
	}
}

unsigned pool_threads(const struct pool_opts *po, size_t n)
{
	size_t k = po->jobs ? po->jobs : POOL_DEFAULT_MAX_JOBS;
	if (k > n)
		k = n;
	return k ? (unsigned)k : 1;
}

void pool_run(const struct pool_job *jobs, size_t n, const struct pool_opts *po)
{
	if (n == 0)
		return;
	struct pool p = { .jobs = jobs, .n = n, .po = po };
	pthread_mutex_init(&p.mu, NULL);
	p.done = xcalloc(n, sizeof *p.done);
	unsigned k = pool_threads(po, n);
	pthread_t *th = xcalloc(k, sizeof *th);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK_SIZE);
	/* The calling thread is a worker too. */
	unsigned started = 0;
	for (unsigned i = 1; i < k; i++) {
		if (pthread_create(&th[started], &attr, worker, &p) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	free(p.done);
	pthread_mutex_destroy(&p.mu);
}
