/* \summary: the run's connection budget (see limiter.h). */
#include "net/limiter.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/util.h"

/* One server address: the port does not matter (one MTA, one budget). */
struct host_slot {
	int family;
	unsigned char addr[16];
	unsigned open;
	bool slowed;	    /* one connection at a time */
	bool paused;	    /* and none before next_ok_us (after a 421) */
	int64_t next_ok_us; /* paused: no new connection before this instant */
};

struct conn_limiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned global_max, per_host;
	int64_t backoff_us;
	unsigned open;
	unsigned peak_global, peak_host;
	struct host_slot *h;
	size_t n, cap;
};

struct conn_limiter *conn_limiter_new(unsigned global_max, unsigned per_host, int64_t backoff_us)
{
	struct conn_limiter *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->global_max = global_max;
	l->per_host = per_host ? per_host : 1;
	l->backoff_us = backoff_us;
	return l;
}

void conn_limiter_free(struct conn_limiter *l)
{
	if (!l)
		return;
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l->h);
	free(l);
}

static void key_of(const struct sockaddr *sa, int *family, unsigned char addr[16])
{
	memset(addr, 0, 16);
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
}

/* The slot of sa's address, added on first use. Called with mu held. */
static struct host_slot *slot_of(struct conn_limiter *l, const struct sockaddr *sa)
{
	int family;
	unsigned char addr[16];
	key_of(sa, &family, addr);
	for (size_t i = 0; i < l->n; i++)
		if (l->h[i].family == family && memcmp(l->h[i].addr, addr, 16) == 0)
			return &l->h[i];
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->h = xrealloc(l->h, l->cap * sizeof *l->h);
	}
	struct host_slot *s = &l->h[l->n++];
	memset(s, 0, sizeof *s);
	s->family = family;
	memcpy(s->addr, addr, 16);
	return s;
}

static void abs_time(int64_t mono, struct timespec *ts)
{
	ts->tv_sec = (time_t)(mono / 1000000);
	ts->tv_nsec = (long)(mono % 1000000) * 1000;
}

int conn_limiter_acquire(struct conn_limiter *l, const struct sockaddr *sa, int64_t deadline, int64_t *waited_us)
{
	int64_t t0 = mono_us();
	int rc = 0;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		/* The array may move while we wait: look the slot up again. */
		struct host_slot *s = slot_of(l, sa);
		unsigned cap = s->slowed ? 1 : l->per_host;
		int64_t now = mono_us();
		bool global_ok = l->global_max == 0 || l->open < l->global_max;
		bool host_ok = s->open < cap;
		bool time_ok = !s->paused || now >= s->next_ok_us;
		if (global_ok && host_ok && time_ok) {
			s->open++;
			l->open++;
			if (s->open > l->peak_host)
				l->peak_host = s->open;
			if (l->open > l->peak_global)
				l->peak_global = l->open;
			break;
		}
		if (now >= deadline) {
			rc = -MX_E_NO_SLOT;
			break;
		}
		/* A paused host's pause ends without anyone signalling. */
		int64_t until = deadline;
		if (global_ok && host_ok && !time_ok && s->next_ok_us < until)
			until = s->next_ok_us;
		struct timespec ts;
		abs_time(until, &ts);
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	if (waited_us)
		*waited_us = mono_us() - t0;
	return rc;
}

void conn_limiter_release(struct conn_limiter *l, const struct sockaddr *sa)
{
	pthread_mutex_lock(&l->mu);
	struct host_slot *s = slot_of(l, sa);
	if (s->open)
		s->open--;
	if (l->open)
		l->open--;
	if (s->paused)
		s->next_ok_us = mono_us() + l->backoff_us;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

bool conn_limiter_slow_down(struct conn_limiter *l, const struct sockaddr *sa, bool pause)
{
	pthread_mutex_lock(&l->mu);
	struct host_slot *s = slot_of(l, sa);
	bool first = !s->slowed;
	s->slowed = true;
	if (pause) {
		s->paused = true;
		int64_t next = mono_us() + l->backoff_us;
		if (next > s->next_ok_us)
			s->next_ok_us = next;
	}
	pthread_mutex_unlock(&l->mu);
	return first;
}

bool conn_limiter_is_slowed(struct conn_limiter *l, const struct sockaddr *sa)
{
	pthread_mutex_lock(&l->mu);
	bool slowed = slot_of(l, sa)->slowed;
	pthread_mutex_unlock(&l->mu);
	return slowed;
}

int64_t conn_limiter_backoff_us(const struct conn_limiter *l)
{
	return l->backoff_us;
}

unsigned conn_limiter_peak_per_host(struct conn_limiter *l)
{
	pthread_mutex_lock(&l->mu);
	unsigned v = l->peak_host;
	pthread_mutex_unlock(&l->mu);
	return v;
}

unsigned conn_limiter_peak_global(struct conn_limiter *l)
{
	pthread_mutex_lock(&l->mu);
	unsigned v = l->peak_global;
	pthread_mutex_unlock(&l->mu);
	return v;
}
