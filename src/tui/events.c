/* \summary: the event queue between worker threads and the curses thread
 * (a mutex-protected list plus a self-pipe to wake poll()), and the adapter
 * from the engine's progress callback. */
#include "tui/events.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tui_events_init(struct tui_events *q)
{
	memset(q, 0, sizeof *q);
	int fd[2];
	if (pipe2(fd, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	q->pipe_rd = fd[0];
	q->pipe_wr = fd[1];
	pthread_mutex_init(&q->mu, NULL);
	return 0;
}

void tui_event_free(struct tui_event *e)
{
	target_result_free(e->result);
	free(e->error);
	if (e->domains) {
		report_clear(e->domains);
		free(e->domains);
	}
	free(e);
}

void tui_events_clear(struct tui_events *q)
{
	struct tui_event *e = tui_events_take(q);
	while (e) {
		struct tui_event *next = e->next;
		tui_event_free(e);
		e = next;
	}
	close(q->pipe_rd);
	close(q->pipe_wr);
	pthread_mutex_destroy(&q->mu);
}

void tui_events_wake(struct tui_events *q)
{
	char b = 1;
	/* A full pipe already wakes the reader: nothing lost. */
	ssize_t n = write(q->pipe_wr, &b, 1);
	(void)n;
}

static void push(struct tui_events *q, struct tui_event *e)
{
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	pthread_mutex_unlock(&q->mu);
	tui_events_wake(q);
}

static struct tui_event *event_new(enum tui_ev_kind kind, size_t slot, const char *name)
{
	struct tui_event *e = xcalloc(1, sizeof *e);
	e->kind = kind;
	e->slot = slot;
	if (name)
		snprintf(e->name, sizeof e->name, "%s", name);
	return e;
}

void tui_ev_target_started(struct tui_events *q, size_t slot)
{
	push(q, event_new(TUI_EV_TARGET_STARTED, slot, NULL));
}

void tui_ev_probe_started(struct tui_events *q, size_t slot, const char *probe)
{
	push(q, event_new(TUI_EV_PROBE_STARTED, slot, probe));
}

void tui_ev_probe_finished(struct tui_events *q, size_t slot, const char *probe, enum severity worst)
{
	struct tui_event *e = event_new(TUI_EV_PROBE_FINISHED, slot, probe);
	e->worst = worst;
	push(q, e);
}

void tui_ev_target_finished(struct tui_events *q, size_t slot, struct target_result *result)
{
	struct tui_event *e = event_new(TUI_EV_TARGET_FINISHED, slot, NULL);
	e->result = result;
	push(q, e);
}

void tui_ev_domains(struct tui_events *q, bool finished, struct report *domains, const char *error)
{
	struct tui_event *e = event_new(finished ? TUI_EV_DOMAINS_FINISHED : TUI_EV_DOMAINS_STARTED, 0, NULL);
	e->domains = domains;
	e->error = xstrdup(error);
	push(q, e);
}

struct tui_event *tui_events_take(struct tui_events *q)
{
	char drain[256];
	while (read(q->pipe_rd, drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&q->mu);
	struct tui_event *e = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
	return e;
}

void tui_ev_domains_progress(struct tui_events *q, size_t done, size_t total)
{
	struct tui_event *e = event_new(TUI_EV_DOMAINS_PROGRESS, done, NULL);
	snprintf(e->name, sizeof e->name, "%zu", total);
	push(q, e);
}

static void w_target_started(void *user, size_t index, const struct target_result *t)
{
	(void)t;
	struct tui_watch *w = user;
	if (w->slots)
		tui_ev_target_started(w->q, w->slots[index]);
}

static void w_probe_started(void *user, size_t index, const struct target_result *t, const char *probe)
{
	(void)t;
	struct tui_watch *w = user;
	if (w->slots)
		tui_ev_probe_started(w->q, w->slots[index], probe);
}

static void w_probe_finished(void *user, size_t index, const struct target_result *t, const char *probe,
			     enum severity worst)
{
	(void)t;
	struct tui_watch *w = user;
	if (w->slots)
		tui_ev_probe_finished(w->q, w->slots[index], probe, worst);
}

static void w_target_finished(void *user, size_t index, const struct target_result *t)
{
	struct tui_watch *w = user;
	w->finished++;
	if (w->slots) {
		w->handed[index] = true;
		tui_ev_target_finished(w->q, w->slots[index], (struct target_result *)(uintptr_t)t);
	} else
		tui_ev_domains_progress(w->q, w->finished, w->total);
}

static const struct progress_ops watch_ops = {
	.target_started = w_target_started,
	.probe_started = w_probe_started,
	.probe_finished = w_probe_finished,
	.target_finished = w_target_finished,
};

const struct progress_ops *tui_watch_ops(void)
{
	return &watch_ops;
}
