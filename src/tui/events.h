/* \summary: progress events from worker threads to the curses thread.
 *
 * Workers call the tui_ev_* functions (any thread); each appends an event
 * to a mutex-protected queue and writes one byte to a self-pipe, so the
 * curses thread, sleeping in poll() on the terminal and the pipe, wakes up
 * and drains the queue with tui_events_take(). Curses is only ever called
 * from that one thread. Signal handlers may call tui_events_wake(). */
#ifndef SRC_TUI_EVENTS_H
#define SRC_TUI_EVENTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/progress.h"
#include "report/model.h"

enum tui_ev_kind {
	TUI_EV_TARGET_STARTED,	 /* slot */
	TUI_EV_PROBE_STARTED,	 /* slot, name */
	TUI_EV_PROBE_FINISHED,	 /* slot, name, worst */
	TUI_EV_TARGET_FINISHED,	 /* slot, result (ownership passes to the taker) */
	TUI_EV_DOMAINS_STARTED,	 /* --domain: resolving and probing began */
	TUI_EV_DOMAINS_PROGRESS, /* domains: slot = addresses probed, worst = of the last */
	TUI_EV_DOMAINS_FINISHED	 /* domains: a report (ownership passes) */
};

struct tui_event {
	enum tui_ev_kind kind;
	size_t slot; /* the row of the target in the report */
	char name[48];
	enum severity worst;
	struct target_result *result;
	struct report *domains;
	char *error; /* domains: why DNS could not be used; NULL if fine */
	struct tui_event *next;
};

struct tui_events {
	pthread_mutex_t mu;
	struct tui_event *head, *tail;
	int pipe_rd, pipe_wr; /* self-pipe, both non-blocking, close-on-exec */
};

/* 0, or -1 when the pipe could not be made. */
int tui_events_init(struct tui_events *q);
/* Frees queued events and their payloads, closes the pipe. */
void tui_events_clear(struct tui_events *q);

void tui_ev_target_started(struct tui_events *q, size_t slot);
void tui_ev_probe_started(struct tui_events *q, size_t slot, const char *probe);
void tui_ev_probe_finished(struct tui_events *q, size_t slot, const char *probe, enum severity worst);
void tui_ev_target_finished(struct tui_events *q, size_t slot, struct target_result *result);
void tui_ev_domains(struct tui_events *q, bool finished, struct report *domains, const char *error);
void tui_ev_domains_progress(struct tui_events *q, size_t done, size_t total);

/* Async-signal-safe: one byte into the pipe. */
void tui_events_wake(struct tui_events *q);

/* Takes the whole queue (oldest first, linked by next; NULL if empty) and
 * empties the pipe; the caller frees each with tui_event_free, which also
 * frees a result or report still in it (set them NULL to keep them). */
struct tui_event *tui_events_take(struct tui_events *q);
void tui_event_free(struct tui_event *e);

/* The watcher the worker hands the pool (core/progress.h): each callback
 * turns into an event for the row slots[index]. The pool calls them under
 * its own lock, from worker threads; they only queue. target_finished
 * hands the result itself over (TARGET_FINISHED carries it): the pool
 * writes a target no more once it is finished. */
struct tui_watch {
	struct tui_events *q;
	const size_t *slots; /* the row of job i; NULL: rows are not shown (a domain's addresses) */
	bool *handed;	     /* with slots: job i's result was handed over */
	size_t finished;     /* targets finished (domains: shown as a count) */
	size_t total;
};
const struct progress_ops *tui_watch_ops(void);

#endif
