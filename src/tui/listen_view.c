/* \summary: mxprobe listen --tui (tui/listen_view.h). The listener's
 * session threads hand each ended session over through on_session, which
 * copies what the rows show and the session's text report into a queue
 * and writes a byte to a self-pipe; the curses thread, in poll() on the
 * terminal, the pipe and a signalfd, takes the queue and redraws. Curses
 * is only called from that thread. */
#include "tui/listen_view.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "tui/draw.h"
#include "util/util.h"

struct lv_row {
	char *addr, *ehlo, *tls, *tls_short, *subject, *verdict;
	enum tui_class vclass;
	char **lines; /* the session's text report, one line each */
	size_t nlines;
};

struct lv {
	struct lsn_config *cfg;
	pthread_mutex_t mu;
	struct lv_row *in; /* handed over, not yet taken (under mu) */
	size_t nin;
	bool done; /* the listener returned (under mu) */
	int status;
	char lerr[512];
	int pipe_rd, pipe_wr;
	/* the curses thread's own */
	struct lv_row *rows;
	size_t nrows, sel, top;
	long scroll;
	bool full; /* the detail full screen */
	bool stopped;
	unsigned long passed, refused;
	struct tui_theme th;
};

static void row_clear(struct lv_row *r)
{
	free(r->addr);
	free(r->ehlo);
	free(r->tls);
	free(r->tls_short);
	free(r->subject);
	free(r->verdict);
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
}

static void wake(struct lv *v)
{
	ssize_t n = write(v->pipe_wr, "x", 1);
	(void)n;
}

/* on_session: any session thread, under the listener's output lock. */
static void on_session(void *ctx, const struct lsn_session *s, const struct lsn_config *cfg)
{
	struct lv *v = ctx;
	struct lv_row r = { 0 };
	r.addr = xstrdup(s->client_addr ? s->client_addr : "?");
	r.ehlo = xstrdup(s->ehlo ? s->ehlo : "(no EHLO)");
	if (s->tls) {
		r.tls = xasprintf("%s %s", s->version ? s->version : "?", s->suite ? s->suite : "?");
		r.tls_short = xstrdup(s->version ? s->version : "?");
	} else {
		r.tls = xstrdup(s->tls_error ? "handshake failed" : "no TLS");
		r.tls_short = xstrdup(s->tls_error ? "failed" : "none");
	}
	r.subject = xstrdup(s->chain_len ? s->chain[0].subject : "(no client certificate)");
	if (s->judged) {
		r.verdict = xasprintf("%s%s%s", s->verdict_pass ? "would pass" : "would be refused",
				      s->verdict_reason && !s->verdict_pass ? ": " : "",
				      s->verdict_reason && !s->verdict_pass ? s->verdict_reason : "");
		r.vclass = s->verdict_pass ? TC_PASS : TC_FAIL;
	} else {
		r.verdict = xstrdup("not judged (no --partner)");
		r.vclass = TC_DIM;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m) {
		lsn_render_session(m, LSN_TEXT, s, cfg);
		fclose(m);
		for (char *p = buf, *nl; p && *p; p = nl + 1) {
			nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			r.lines = xrealloc(r.lines, (r.nlines + 1) * sizeof *r.lines);
			r.lines[r.nlines++] = xstrndup(p, n);
			if (!nl)
				break;
		}
		free(buf);
	}
	pthread_mutex_lock(&v->mu);
	v->in = xrealloc(v->in, (v->nin + 1) * sizeof *v->in);
	v->in[v->nin++] = r;
	pthread_mutex_unlock(&v->mu);
	wake(v);
}

static void *listener_thread(void *arg)
{
	struct lv *v = arg;
	int st = lsn_run(v->cfg, v->lerr, sizeof v->lerr);
	pthread_mutex_lock(&v->mu);
	v->status = st;
	v->done = true;
	pthread_mutex_unlock(&v->mu);
	wake(v);
	return NULL;
}

/* Takes the handed-over rows; true when the listener has returned. */
static bool take(struct lv *v)
{
	char drain[64];
	while (read(v->pipe_rd, drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&v->mu);
	for (size_t i = 0; i < v->nin; i++) {
		v->rows = xrealloc(v->rows, (v->nrows + 1) * sizeof *v->rows);
		v->rows[v->nrows++] = v->in[i];
		v->passed += v->in[i].vclass == TC_PASS;
		v->refused += v->in[i].vclass == TC_FAIL;
	}
	if (v->nin && v->nrows > v->nin && v->sel == v->nrows - v->nin - 1)
		v->sel = v->nrows - 1; /* the newest stays selected */
	v->nin = 0;
	bool done = v->done;
	pthread_mutex_unlock(&v->mu);
	return done;
}

/* A cell of width w at (y, x): text cut to w, the rest blank. */
static int cell(const struct lv *v, int y, int x, int w, attr_t a, const char *s)
{
	if (w <= 0)
		return x;
	int used = draw_text(&v->th, y, x, w, a, s, NULL);
	attrset(a);
	for (; used < w; used++)
		mvaddch(y, x + used, ' ');
	attrset(A_NORMAL);
	return x + w + 1;
}

static void draw_bar(const struct lv *v, int y, int W, const char *text)
{
	attr_t a = v->th.a[TC_BAR] ? v->th.a[TC_BAR] : A_REVERSE;
	cell(v, y, 0, W, a, text);
}

static void draw_detail(const struct lv *v, int y0, int h, int W)
{
	const struct lv_row *r = v->nrows ? &v->rows[v->sel] : NULL;
	for (int i = 0; i < h; i++) {
		size_t k = (size_t)(v->scroll + i);
		const char *s = r && k < r->nlines ? r->lines[k] : "";
		enum tui_class c = TC_NORMAL;
		if (k == 0)
			c = TC_HEAD;
		else if (strstr(s, "verdict:"))
			c = r->vclass;
		cell(v, y0 + i, 0, W, v->th.a[c], s);
	}
}

static void draw(struct lv *v)
{
	int H, W;
	getmaxyx(stdscr, H, W);
	erase();
	const struct lsn_config *cfg = v->cfg;
	char *head = xasprintf(" mxprobe listen  %s%s%s:%u  %s%s  %zu session%s, %lu would pass, %lu would be "
			       "refused%s",
			       cfg->bind_addr && strchr(cfg->bind_addr, ':') ? "[" : "",
			       cfg->bind_addr ? cfg->bind_addr : "*",
			       cfg->bind_addr && strchr(cfg->bind_addr, ':') ? "]" : "", cfg->port,
			       cfg->partner ? "partner " : "no --partner", cfg->partner ? cfg->partner : "", v->nrows,
			       v->nrows == 1 ? "" : "s", v->passed, v->refused, v->stopped ? "  (stopped)" : "");
	draw_bar(v, 0, W, head);
	free(head);
	int list_y = 2, list_h;
	if (v->full) {
		draw_rule(&v->th, 1, 0, W, "session");
		draw_detail(v, 2, H - 3, W);
	} else {
		/* columns: client, EHLO, TLS, certificate, the verdict gets the rest */
		int rest = W - 4 - 16 - 4;
		bool narrow = W < 120; /* the TLS column: the version only */
		int we = rest * (narrow ? 25 : 20) / 100, wt = narrow ? 7 : rest * 18 / 100;
		int ws = rest * (narrow ? 25 : 22) / 100;
		int wv = rest - we - wt - ws;
		int x = cell(v, 1, 0, 3, v->th.a[TC_HEAD], "#");
		x = cell(v, 1, x, 15, v->th.a[TC_HEAD], "client");
		x = cell(v, 1, x, we, v->th.a[TC_HEAD], "EHLO");
		x = cell(v, 1, x, wt, v->th.a[TC_HEAD], "TLS");
		x = cell(v, 1, x, ws, v->th.a[TC_HEAD], "client certificate");
		cell(v, 1, x, wv, v->th.a[TC_HEAD], "verdict");
		list_h = (H - 4) * 2 / 5 > 3 ? (H - 4) * 2 / 5 : 3;
		if (v->sel < v->top)
			v->top = v->sel;
		if (v->sel >= v->top + (size_t)list_h)
			v->top = v->sel - (size_t)list_h + 1;
		if (!v->nrows)
			cell(v, list_y, 0, W, v->th.a[TC_DIM], "  waiting for a client to connect...");
		for (int i = 0; i < list_h && v->top + (size_t)i < v->nrows; i++) {
			size_t k = v->top + (size_t)i;
			const struct lv_row *r = &v->rows[k];
			attr_t s = k == v->sel ? v->th.a[TC_SEL] : A_NORMAL;
			char num[16];
			snprintf(num, sizeof num, "%zu", k + 1);
			int y = list_y + i;
			x = cell(v, y, 0, 3, s, num);
			x = cell(v, y, x, 15, s, r->addr);
			x = cell(v, y, x, we, s, r->ehlo);
			x = cell(v, y, x, wt, s, narrow ? r->tls_short : r->tls);
			x = cell(v, y, x, ws, s, r->subject);
			cell(v, y, x, W - x, s | v->th.a[r->vclass], r->verdict);
		}
		int pane_y = list_y + list_h + 1;
		draw_rule(&v->th, pane_y - 1, 0, W, "session");
		draw_detail(v, pane_y, H - 1 - pane_y, W);
	}
	draw_bar(v, H - 1, W,
		 v->stopped ? " listener stopped   Up/Down select  Enter detail  PgUp/PgDn scroll  q quit"
			    : " listening   Up/Down select  Enter detail  PgUp/PgDn scroll  q / Ctrl-C stop and quit");
	refresh();
}

/* A key: false to leave. */
static bool key(struct lv *v, int ch)
{
	int H = getmaxy(stdscr);
	long page = H > 8 ? H / 2 : 4;
	switch (ch) {
	case 'q':
	case 'Q':
	case 3: /* Ctrl-C as a byte */
		return false;
	case 27:
		v->full = false;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'd':
		v->full = !v->full;
		break;
	case KEY_UP:
	case 'k':
		if (v->sel > 0) {
			v->sel--;
			v->scroll = 0;
		}
		break;
	case KEY_DOWN:
	case 'j':
		if (v->sel + 1 < v->nrows) {
			v->sel++;
			v->scroll = 0;
		}
		break;
	case KEY_NPAGE:
	case ' ':
		v->scroll += page;
		if (v->nrows && v->scroll >= (long)v->rows[v->sel].nlines)
			v->scroll = v->rows[v->sel].nlines ? (long)v->rows[v->sel].nlines - 1 : 0;
		break;
	case KEY_PPAGE:
		v->scroll = v->scroll > page ? v->scroll - page : 0;
		break;
	default:
		break;
	}
	return true;
}

int tui_listen_run(struct lsn_config *cfg, char *err, size_t errlen)
{
	struct lv v;
	memset(&v, 0, sizeof v);
	v.cfg = cfg;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "cannot create the event pipe: %s", strerror(errno));
		return -1;
	}
	v.pipe_rd = pfd[0];
	v.pipe_wr = pfd[1];
	pthread_mutex_init(&v.mu, NULL);
	char *ebuf = NULL;
	size_t elen = 0;
	FILE *saved_err = cfg->err;
	FILE *em = open_memstream(&ebuf, &elen);
	cfg->err = em ? em : saved_err;
	cfg->on_session = on_session;
	cfg->on_session_ctx = &v;

	/* Ctrl-C, SIGTERM and SIGHUP come through a signalfd here (the
	 * listener takes SIGINT/SIGTERM through its own: either stops both). */
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	setlocale(LC_CTYPE, "");
	bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	const char *nc = getenv("NO_COLOR");
	int rc = 0;
	pthread_t th;
	bool started = false;
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		snprintf(err, errlen, "cannot use the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
		rc = -1;
		goto out;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	theme_init(&v.th, !(nc && *nc), utf8);
	if (pthread_create(&th, NULL, listener_thread, &v) != 0) {
		endwin();
		delscreen(scr);
		snprintf(err, errlen, "cannot start the listener thread");
		rc = -1;
		goto out;
	}
	started = true;
	bool user_quit = false, dirty = true;
	for (;;) {
		if (take(&v) && !v.stopped) {
			v.stopped = true;
			dirty = true;
			/* A bind error or a signal the listener took (it stops by
			 * itself only after --sessions / --duration): leave at once.
			 * Otherwise the list stays until q. */
			if (v.status == 2 || v.status == 130 || v.status == 143 ||
			    (!cfg->max_sessions && !cfg->duration_ms))
				break;
		}
		if (dirty)
			draw(&v);
		dirty = false;
		struct pollfd p[3] = { { STDIN_FILENO, POLLIN, 0 }, { v.pipe_rd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, 3, 1000) < 0 && errno != EINTR)
			break;
		if (p[2].revents) {
			struct signalfd_siginfo si;
			ssize_t n = read(sfd, &si, sizeof si);
			(void)n;
			break;
		}
		if (p[1].revents)
			dirty = true;
		bool leave = false;
		for (int ch; (ch = getch()) != ERR;) {
			dirty = true;
			if (ch == KEY_RESIZE)
				continue;
			if (!key(&v, ch)) {
				leave = user_quit = true;
				break;
			}
		}
		if (leave)
			break;
		if (p[0].revents & (POLLHUP | POLLERR))
			break;
	}
	/* The terminal first, whatever happens next. */
	endwin();
	delscreen(scr);
	pthread_mutex_lock(&v.mu);
	bool done = v.done;
	pthread_mutex_unlock(&v.mu);
	if (!done)
		pthread_kill(th, SIGINT); /* its signalfd: the listener's own clean stop */
	pthread_join(th, NULL);
	rc = v.status;
	if (user_quit && rc == 130)
		rc = 0;
out:
	cfg->on_session = NULL;
	cfg->err = saved_err;
	if (em) {
		fclose(em);
		if (ebuf && elen)
			fwrite(ebuf, 1, elen, saved_err);
		free(ebuf);
	}
	if (started && rc == 2)
		snprintf(err, errlen, "%s", v.lerr);
	if (sfd >= 0)
		close(sfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	take(&v);
	for (size_t i = 0; i < v.nrows; i++)
		row_clear(&v.rows[i]);
	free(v.rows);
	free(v.in);
	close(v.pipe_rd);
	close(v.pipe_wr);
	pthread_mutex_destroy(&v.mu);
	return rc;
}
