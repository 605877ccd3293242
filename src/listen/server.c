/* \summary: mxprobe listen's listening socket: bind, accept under a cap on
 * sessions at once (421 to the ones over it), one thread per session with
 * a small stack, SIGINT/SIGTERM through a signalfd, --sessions and
 * --duration, each session rendered as it ends, a summary at the end.
 * specification: RFC 5321 section 3.8 (421 when the service is not
 * available), section 4.5.3.2 (timeouts). */
#include "listen/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "tls/identity.h"
#include "util/util.h"

#define LSN_STACK (256 * 1024)

struct counts {
	unsigned long sessions, tls, with_cert, passed, refused, turned_away;
};

struct job {
	struct lsn_shared *sh;
	struct counts *counts;
	int fd, end_fd;
	unsigned long seq;
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

/* Closes a session's socket so that our last reply (a 421) reaches a
 * client that is still sending: closing with its bytes unread would send
 * a reset, and the client's kernel may drop our reply unread. Our side is
 * shut, then its bytes are read and dropped until it closes, for at most
 * 500 ms and 256 KiB. */
static void linger_close(int fd)
{
	shutdown(fd, SHUT_WR);
	int64_t end = mono_us() + 500000;
	size_t dropped = 0;
	char tmp[4096];
	for (;;) {
		int64_t left = (end - mono_us()) / 1000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || dropped > 256 * 1024 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
			break;
		if (n > 0)
			dropped += (size_t)n;
	}
	close(fd);
}

static void *session_thread(void *arg)
{
	struct job *j = arg;
	struct lsn_session s = { .seq = j->seq };
	lsn_session_serve(j->sh, j->fd, &j->peer, j->peerlen, &s);
	linger_close(j->fd);
	pthread_mutex_lock(&j->sh->lock);
	const struct lsn_config *cfg = j->sh->cfg;
	lsn_render_session(cfg->out, cfg->format, &s, cfg);
	fflush(cfg->out);
	if (cfg->on_session)
		cfg->on_session(cfg->on_session_ctx, &s, cfg);
	j->counts->sessions++;
	j->counts->tls += s.tls;
	j->counts->with_cert += s.chain_len > 0;
	if (s.judged) {
		j->counts->passed += s.verdict_pass;
		j->counts->refused += !s.verdict_pass;
	}
	j->sh->active--;
	pthread_cond_broadcast(&j->sh->idle);
	pthread_mutex_unlock(&j->sh->lock);
	/* wake the accept loop: a session ended (a full pipe wakes it too) */
	ssize_t w = write(j->end_fd, "x", 1);
	(void)w;
	lsn_session_clear(&s);
	free(j);
	return NULL;
}

/* Binds the listening socket. fd, or -1 with err set. */
static int bind_listener(const struct lsn_config *cfg, char *where, size_t wlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int family;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (!cfg->bind_addr || inet_pton(AF_INET6, cfg->bind_addr, &v6->sin6_addr) == 1) {
		family = AF_INET6;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)cfg->port);
		if (!cfg->bind_addr)
			v6->sin6_addr = in6addr_any;
		len = sizeof *v6;
	} else if (inet_pton(AF_INET, cfg->bind_addr, &v4->sin_addr) == 1) {
		family = AF_INET;
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)cfg->port);
		len = sizeof *v4;
	} else {
		snprintf(err, errlen, "'%s' is not an IP address", cfg->bind_addr);
		return -1;
	}
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 && !cfg->bind_addr) { /* no IPv6: every IPv4 address */
		family = AF_INET;
		memset(&ss, 0, sizeof ss);
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)cfg->port);
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof *v4;
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	}
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1, zero = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET6 && !cfg->bind_addr)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot listen on %s%s port %u: %s%s", cfg->bind_addr ? "" : "every address",
			 cfg->bind_addr ? cfg->bind_addr : "", cfg->port, strerror(e),
			 e == EACCES && cfg->port < 1024
				 ? " (a port below 1024 needs root or CAP_NET_BIND_SERVICE; or listen on a "
				   "higher port and point the partner's transport at it)"
				 : "");
		close(fd);
		return -1;
	}
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = cfg->port;
	if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0) {
		if (me.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, host, sizeof host);
			port = ntohs(((struct sockaddr_in6 *)&me)->sin6_port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, host, sizeof host);
			port = ntohs(((struct sockaddr_in *)&me)->sin_port);
		}
	}
	snprintf(where, wlen, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	return fd;
}

static int shared_init(struct lsn_shared *sh, const struct lsn_config *cfg, char *err, size_t errlen)
{
	memset(sh, 0, sizeof *sh);
	sh->cfg = cfg;
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->idle, NULL);
	mx_options_defaults(&sh->opt);
	sh->opt.ca_file = cfg->ca_file;
	sh->ts = trust_stores_new(&sh->opt);
	if (gnutls_priority_init(&sh->prio, "NORMAL", NULL) < 0) {
		snprintf(err, errlen, "GnuTLS priority NORMAL refused");
		return -1;
	}
	if (!cfg->id)
		return 0;
	if (gnutls_certificate_allocate_credentials(&sh->cred) < 0) {
		snprintf(err, errlen, "GnuTLS credentials");
		return -1;
	}
	/* Our chain goes through a retrieve function: the identity keeps
	 * ownership (gnutls_certificate_set_key would take it). */
	gnutls_certificate_set_retrieve_function2(sh->cred, lsn_retrieve_cert);
	if (cfg->ca_file) {
		/* These roots' subjects are the CA names of our CertificateRequest
		 * (RFC 5246 7.4.4 certificate_authorities; RFC 8446 4.2.4). */
		int rc = gnutls_certificate_set_x509_trust_file(sh->cred, cfg->ca_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			snprintf(err, errlen, "--ca-file %s: no PEM certificate (%s)", cfg->ca_file,
				 rc < 0 ? gnutls_strerror(rc) : "empty");
			return -1;
		}
		sh->ca_names = (size_t)rc;
	}
	return 0;
}

static void shared_clear(struct lsn_shared *sh)
{
	if (sh->cred)
		gnutls_certificate_free_credentials(sh->cred);
	if (sh->prio)
		gnutls_priority_deinit(sh->prio);
	trust_stores_free(sh->ts);
	pthread_mutex_destroy(&sh->lock);
	pthread_cond_destroy(&sh->idle);
}

static void turn_away(int fd, const struct lsn_config *cfg)
{
	char *t = xasprintf("421 4.7.0 %s Error: too many sessions at once, try again later\r\n", cfg->hostname);
	ssize_t w = send(fd, t, strlen(t), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
	free(t);
	close(fd);
}

static void summary(const struct lsn_config *cfg, const struct counts *c, const char *why)
{
	if (cfg->format == LSN_JSONL) {
		fprintf(cfg->out,
			"{\"type\":\"summary\",\"sessions\":%lu,\"tls\":%lu,\"client_certificates\":%lu,"
			"\"turned_away\":%lu",
			c->sessions, c->tls, c->with_cert, c->turned_away);
		if (cfg->partner)
			fprintf(cfg->out, ",\"partner\":\"%s\",\"would_pass\":%lu,\"would_be_refused\":%lu",
				cfg->partner, c->passed, c->refused);
		fprintf(cfg->out, ",\"stopped\":\"%s\"}\n", why);
		fflush(cfg->out);
	}
	fprintf(cfg->err, "mxprobe listen: stopped (%s): %lu session%s, %lu with TLS, %lu with a client certificate",
		why, c->sessions, c->sessions == 1 ? "" : "s", c->tls, c->with_cert);
	if (cfg->partner)
		fprintf(cfg->err, "; %s: %lu would pass domain-secure receive, %lu would be refused", cfg->partner,
			c->passed, c->refused);
	if (c->turned_away)
		fprintf(cfg->err, "; %lu turned away over the cap of %u at once", c->turned_away, cfg->max_concurrent);
	fputs("\n", cfg->err);
	fflush(cfg->err);
}

int lsn_run(const struct lsn_config *cfg, char *err, size_t errlen)
{
	struct lsn_shared sh;
	int lfd = -1, sfd = -1, stop[2] = { -1, -1 }, ended[2] = { -1, -1 };
	int status = 2;
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	struct counts counts = { 0 };
	const char *why = "done";
	int signo = 0;
	if (shared_init(&sh, cfg, err, errlen) < 0)
		goto out;
	char where[80];
	if ((lfd = bind_listener(cfg, where, sizeof where, err, errlen)) < 0)
		goto out;
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 || pipe2(stop, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(ended, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "signalfd/pipe: %s", strerror(errno));
		goto out;
	}
	sh.stop_fd = stop[0];
	if (cfg->truncate_out && ftruncate(fileno(cfg->out), 0) < 0) {
		snprintf(err, errlen, "-o: %s", strerror(errno));
		goto out;
	}
	fprintf(cfg->err, "mxprobe listen: listening on %s (%s%s%s)\n", where,
		!cfg->id	? "no TLS: no certificate given"
		: cfg->implicit ? "implicit TLS"
				: "STARTTLS",
		cfg->id ? ", client certificate requested" : "",
		cfg->id && cfg->ca_file ? ", CA names from --ca-file" : "");
	fflush(cfg->err);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LSN_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int64_t end_us = cfg->duration_ms ? mono_us() + (int64_t)cfg->duration_ms * 1000 : 0;
	unsigned long accepted = 0;
	for (;;) {
		bool accepting = !cfg->max_sessions || accepted < cfg->max_sessions;
		pthread_mutex_lock(&sh.lock);
		unsigned active = sh.active;
		pthread_mutex_unlock(&sh.lock);
		if (!accepting && active == 0)
			break;
		int timeout = -1;
		if (end_us) {
			int64_t left = (end_us - mono_us()) / 1000;
			if (left <= 0) {
				why = "--duration";
				break;
			}
			timeout = (int)left;
		}
		struct pollfd p[3] = { { sfd, POLLIN, 0 },
				       { ended[0], POLLIN, 0 },
				       { accepting ? lfd : -1, POLLIN, 0 } };
		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
				signo = (int)si.ssi_signo;
			why = signo == SIGINT ? "SIGINT" : "SIGTERM";
			break;
		}
		if (p[1].revents) {
			char drain[64];
			while (read(ended[0], drain, sizeof drain) > 0)
				;
		}
		if (!(p[2].revents & POLLIN))
			continue;
		struct job *j = xcalloc(1, sizeof *j);
		j->peerlen = sizeof j->peer;
		j->fd = accept4(lfd, (struct sockaddr *)&j->peer, &j->peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (j->fd < 0) {
			free(j);
			continue;
		}
		pthread_mutex_lock(&sh.lock);
		bool room = sh.active < cfg->max_concurrent;
		if (room)
			sh.active++;
		else
			counts.turned_away++;
		pthread_mutex_unlock(&sh.lock);
		if (!room) {
			turn_away(j->fd, cfg);
			free(j);
			continue;
		}
		j->sh = &sh;
		j->counts = &counts;
		j->end_fd = ended[1];
		j->seq = ++accepted;
		pthread_t th;
		if (pthread_create(&th, &attr, session_thread, j) != 0) {
			pthread_mutex_lock(&sh.lock);
			sh.active--;
			counts.turned_away++;
			pthread_mutex_unlock(&sh.lock);
			turn_away(j->fd, cfg);
			free(j);
			accepted--;
		}
	}
	pthread_attr_destroy(&attr);
	/* stop: no new connections; the open sessions get 421 and end */
	close(lfd);
	lfd = -1;
	ssize_t w = write(stop[1], "x", 1);
	(void)w;
	pthread_mutex_lock(&sh.lock);
	while (sh.active > 0)
		pthread_cond_wait(&sh.idle, &sh.lock);
	summary(cfg, &counts, why);
	pthread_mutex_unlock(&sh.lock);
	status = cfg->partner && counts.refused ? 1 : signo == SIGINT ? 130 : signo == SIGTERM ? 143 : 0;
out:
	if (lfd >= 0)
		close(lfd);
	if (sfd >= 0)
		close(sfd);
	for (int i = 0; i < 2; i++) {
		if (stop[i] >= 0)
			close(stop[i]);
		if (ended[i] >= 0)
			close(ended[i]);
	}
	shared_clear(&sh);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}
