/* \summary: the TUI's worker thread: one request at a time, each into a
 * target result of its own, handed over by a TARGET_FINISHED event. */
#include "tui/worker.h"

#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "scenario/scenario.h"

static void req_free(struct tui_req *r)
{
	target_spec_clear(&r->owned);
	free(r);
}

static void run_req(struct tui_worker *w, struct tui_req *r)
{
	if (r->domains) {
		tui_ev_domains(w->q, false, NULL, NULL);
		struct report *rep = xmalloc(sizeof *rep);
		report_init(rep);
		char err[512] = "";
		int rc = w->cfg->domains(w->cfg->domains_ctx, rep, err, sizeof err);
		tui_ev_domains(w->q, true, rep, rc < 0 ? err : NULL);
		return;
	}
	tui_ev_target_started(w->q, r->slot);
	struct target_result *t = target_result_new();
	if (r->job.sc) {
		tui_ev_probe_started(w->q, r->slot, "scenario");
		scenario_run_target(r->job.sc, r->job.opt, r->job.spec, t);
	} else {
		struct tui_progress p;
		tui_progress_init(&p, w->q, r->slot);
		engine_run_target(r->job.opt, r->job.spec, t, tui_progress_fn, &p);
		tui_progress_done(&p, t);
	}
	tui_ev_target_finished(w->q, r->slot, t);
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
		req_free(r);
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
	struct tui_req *r = w->head;
	w->head = w->tail = NULL;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	while (r) {
		struct tui_req *next = r->next;
		req_free(r);
		r = next;
	}
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	w->started = false;
}
