/* \summary: the run's connection budget: a global cap on open connections
 * and a cap per server address, so that no server sees a burst from us
 * (mail servers answer bursts with 421, tarpits and blocklists; Exim's
 * default smtp_accept_max refuses a 21st concurrent connection). A server
 * that answered 421 or tarpitted is slowed down for: one connection at a
 * time (and after a 421, each after a pause).
 *
 * One limiter serves every worker thread of a run: every function here is
 * thread-safe (one mutex, one condition variable on the monotonic clock).
 * Sessions take a slot in session_connect() and give it back in
 * session_close() (proto/session.c). */
#ifndef SRC_NET_LIMITER_H
#define SRC_NET_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conn_limiter;

/* global_max: open connections in all (0 = no global cap); per_host: open
 * connections per server address (IP address, any port), at least 1;
 * backoff_us: the pause between connections to a host we slowed down for.
 * Never NULL (allocation failure aborts). */
struct conn_limiter *conn_limiter_new(unsigned global_max, unsigned per_host, int64_t backoff_us);
void conn_limiter_free(struct conn_limiter *l);

/* Waits for a slot for a connection to sa's address, until deadline
 * (mono_us clock). 0 with the slot taken, or -MX_E_NO_SLOT (no slot taken).
 * *waited_us (may be NULL) gets how long it waited. */
int conn_limiter_acquire(struct conn_limiter *l, const struct sockaddr *sa, int64_t deadline, int64_t *waited_us);
/* Gives back a slot taken by conn_limiter_acquire for sa. */
void conn_limiter_release(struct conn_limiter *l, const struct sockaddr *sa);
/* The server at sa tarpitted (pause false: from now on one connection at a
 * time) or answered 421 (pause true: also each connection backoff_us after
 * the previous one ended). Returns true the first time for that address. */
bool conn_limiter_slow_down(struct conn_limiter *l, const struct sockaddr *sa, bool pause);
/* Is the host at sa slowed down? */
bool conn_limiter_is_slowed(struct conn_limiter *l, const struct sockaddr *sa);
int64_t conn_limiter_backoff_us(const struct conn_limiter *l);

/* The most connections that were open at once, to one address and in all
 * (for the report and the tests). */
unsigned conn_limiter_peak_per_host(struct conn_limiter *l);
unsigned conn_limiter_peak_global(struct conn_limiter *l);

#endif
