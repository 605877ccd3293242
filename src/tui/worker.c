/* \summary: the TUI's worker thread: one request at a time, each into a
 * target result of its own, handed over by a TARGET_FINISHED event. */
#include "tui/worker.h"

#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "scenario/scenario.h"

void tui_worker_free_req(struct tui_req *r)
{
	target_spec_clear(&r->owned);
	free(r->jobs);
	free(r->slots);
	free(r);
}

struct tui_req *tui_req_one(const struct tui_job *job, size_t slot)
{
	struct tui_req *r = xcalloc(1, sizeof *r);
	r->jobs = xmalloc(sizeof *r->jobs);
	r->slots = xmalloc(sizeof *r->slots);
	r->jobs[0] = *job;
	r->slots[0] = slot;
	r->n = 1;
	return r;
}

static void run_domains(struct tui_worker *w)
{
	tui_ev_domains(w->q, false, NULL, NULL);
	struct report *rep = xmalloc(sizeof *rep);
	report_init(rep);
	char err[512] = "";
	struct tui_watch watch = { .q = w->q };
	int rc = w->cfg->domains(w->cfg->domains_ctx, tui_watch_ops(), &watch, rep, err, sizeof err);
	tui_ev_domains(w->q, true, rep, rc < 0 ? err : NULL);
}

/* Scenario jobs one by one; engine jobs side by side on the pool, each
 * into a target result of its own that the TARGET_FINISHED event hands
 * to the curses thread. */
static void run_req(struct tui_worker *w, struct tui_req *r)
{
	if (r->domains) {
		run_domains(w);
		return;
	}
	struct pool_job *pj = xcalloc(r->n + 1, sizeof *pj);
	size_t *slots = xcalloc(r->n + 1, sizeof *slots);
	size_t np = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (atomic_load(&w->cancel))
			break;
		if (r->jobs[i].sc) {
			tui_ev_target_started(w->q, r->slots[i]);
			tui_ev_probe_started(w->q, r->slots[i], "scenario");
			struct target_result *t = target_result_new();
			scenario_run_target(r->jobs[i].sc, r->jobs[i].opt, r->jobs[i].spec, t);
			tui_ev_target_finished(w->q, r->slots[i], t);
			continue;
		}
		pj[np] = (struct pool_job){ .spec = r->jobs[i].spec, .opt = r->jobs[i].opt, .t = target_result_new() };
		slots[np++] = r->slots[i];
	}
	if (np) {
		bool *handed = xcalloc(np, sizeof *handed);
		struct tui_watch watch = { .q = w->q, .slots = slots, .handed = handed, .total = np };
		struct pool_opts po = { .jobs = w->cfg->pool_jobs,
					.progress = tui_watch_ops(),
					.progress_user = &watch,
					.stop = &w->cancel };
		pool_run(pj, np, &po);
		/* Jobs the pool never started (the user quit) keep their empty
		 * results here. */
		for (size_t i = 0; i < np; i++)
			if (!handed[i])
				target_result_free(pj[i].t);
		free(handed);
	}
	free(pj);
	free(slots);
}

static void *worker_main(void *arg)
{
	struct tui_worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		struct tui_req *r = w->head;
		w->head = r->next;
		if (!w->head)
			w->tail = NULL;
		w->busy = true;
		pthread_mutex_unlock(&w->mu);
		run_req(w, r);
		tui_worker_free_req(r);
		pthread_mutex_lock(&w->mu);
		w->busy = false;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int tui_worker_start(struct tui_worker *w, const struct tui_config *cfg, struct tui_events *q)
{
	memset(w, 0, sizeof *w);
	w->cfg = cfg;
	w->q = q;
	atomic_init(&w->cancel, false);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->th, NULL, worker_main, w) != 0)
		return -1;
	w->started = true;
	return 0;
}

void tui_worker_push(struct tui_worker *w, struct tui_req *r)
{
	r->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

bool tui_worker_busy(struct tui_worker *w)
{
	pthread_mutex_lock(&w->mu);
	bool b = w->busy || w->head;
	pthread_mutex_unlock(&w->mu);
	return b;
}

void tui_worker_stop(struct tui_worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	atomic_store(&w->cancel, true);
	struct tui_req *r = w->head;
	w->head = w->tail = NULL;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	while (r) {
		struct tui_req *next = r->next;
		tui_worker_free_req(r);
		r = next;
	}
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	w->started = false;
}
