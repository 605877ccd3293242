/* \summary: the thread that runs the TUI's jobs (the initial targets, the
 * domains, re-runs) through the engine and hands every result back as an
 * event; it never touches the report the curses thread shows. */
#ifndef SRC_TUI_WORKER_H
#define SRC_TUI_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "tui/events.h"
#include "tui/tui.h"

/* A request: n jobs side by side on the worker pool (core/pool.h), the
 * result of jobs[i] going to row slots[i]; a scenario job runs alone
 * (the scenario interpreter is not on the pool); or the domains. */
struct tui_req {
	struct tui_job *jobs;
	size_t *slots;
	size_t n;
	struct target_spec owned; /* a re-run of a --domain address: the spec lives here */
	bool domains;		  /* run cfg->domains instead */
	struct tui_req *next;
};
/* A request for one job (the jobs and slots arrays made here). */
struct tui_req *tui_req_one(const struct tui_job *job, size_t slot);
void tui_worker_free_req(struct tui_req *r);

struct tui_worker {
	const struct tui_config *cfg;
	struct tui_events *q;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tui_req *head, *tail;
	bool stop;
	atomic_bool cancel; /* tells the pool to start no further job */
	bool busy;	    /* a request is running */
};

/* 0, or -1 when the thread could not be started. */
int tui_worker_start(struct tui_worker *w, const struct tui_config *cfg, struct tui_events *q);
/* Queues a request (ownership passes). */
void tui_worker_push(struct tui_worker *w, struct tui_req *r);
bool tui_worker_busy(struct tui_worker *w);
/* Drops what is queued, waits for the running request (bounded by its
 * target deadline), joins the thread. */
void tui_worker_stop(struct tui_worker *w);

#endif
