/* \summary: the thread that runs the TUI's jobs (the initial targets, the
 * domains, re-runs) through the engine and hands every result back as an
 * event; it never touches the report the curses thread shows. */
#ifndef SRC_TUI_WORKER_H
#define SRC_TUI_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "tui/events.h"
#include "tui/tui.h"

struct tui_req {
	size_t slot;
	struct tui_job job;
	struct target_spec owned; /* a re-run of a --domain address: the spec lives here */
	bool domains;		  /* run cfg->domains instead of a target */
	struct tui_req *next;
};

struct tui_worker {
	const struct tui_config *cfg;
	struct tui_events *q;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tui_req *head, *tail;
	bool stop;
	bool busy; /* a request is running */
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
