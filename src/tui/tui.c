/* \summary: the TUI's main loop: one curses thread that sleeps in poll()
 * on the terminal and the event pipe, applies progress events to its rows
 * and results to the report, handles keys and mouse, and redraws.
 *
 * Layout (80x24 and up): a header bar with the counts; the targets, one
 * row each with state, running probe, elapsed time and counts; the pane of
 * the selected target (summary and findings by severity) or domain (MX
 * list, mail fate by policy); a status line with the keys that matter.
 * c, m, t, w and ? open full-screen views; Esc or q closes them. */
#include "tui/tui.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/domain.h"
#include "report/domain.h"
#include "report/render.h"
#include "tui/doc.h"
#include "tui/draw.h"
#include "tui/events.h"
#include "tui/views.h"
#include "tui/worker.h"

/* ---- signals ------------------------------------------------------- */

/* A signal handler can reach nothing but statics: these are the only
 * ones, and only the handlers and the install/restore code use them. */
static volatile sig_atomic_t sig_quit, sig_winch;
static int sig_wake_fd = -1;
static struct termios sig_saved_tty;
static volatile sig_atomic_t sig_saved_ok;

static void on_quit(int sig)
{
	sig_quit = sig;
	if (sig_wake_fd >= 0) {
		char b = 0;
		ssize_t n = write(sig_wake_fd, &b, 1);
		(void)n;
	}
}

static void on_winch(int sig)
{
	(void)sig;
	sig_winch = 1;
	if (sig_wake_fd >= 0) {
		char b = 0;
		ssize_t n = write(sig_wake_fd, &b, 1);
		(void)n;
	}
}

/* A crash must not leave the terminal in raw mode on the alternate
 * screen: put the saved modes back and leave the alternate screen with
 * async-signal-safe calls only, then die of the same signal. */
static void on_crash(int sig)
{
	static const char reset[] = "\033[0m\033[?1000l\033[?1006l\033[?25h\033[?1049l\r\n";
	if (sig_saved_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &sig_saved_tty);
	ssize_t n = write(STDOUT_FILENO, reset, sizeof reset - 1);
	(void)n;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void signals_install(int wake_fd)
{
	sig_quit = sig_winch = 0;
	sig_wake_fd = wake_fd;
	sig_saved_ok = tcgetattr(STDIN_FILENO, &sig_saved_tty) == 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
}

static void signals_restore(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sig_wake_fd = -1;
	sig_saved_ok = 0;
}

/* ---- state --------------------------------------------------------- */

enum row_state {
	ROW_PENDING,
	ROW_RUNNING,
	ROW_DONE
};

struct row {
	enum row_state state;
	char probe[48];
	int64_t t0, t1; /* mono_us */
	size_t done;	/* probes finished */
	enum severity worst;
};

enum dom_state {
	DOM_NONE,
	DOM_PENDING,
	DOM_RUNNING,
	DOM_DONE
};

struct ui {
	const struct tui_config *cfg;
	struct report *rep;
	struct tui_events q;
	struct tui_worker w;
	struct tui_theme th;
	struct row *rows;
	size_t nrows;
	enum dom_state dom;
	char *dom_error;
	size_t dom_done; /* addresses probed so far */
	size_t sel, list_top;
	bool focus_pane;
	int view; /* 0: main; 'c', 'm', 't', 'w', '?': a full-screen view */
	struct tui_doc doc;
	bool dirty;
	long cur, top;
	long hit; /* a view's line the last search found, -1 for none */
	enum tui_filter filter;
	char search[256];
	int prompt; /* 0, '/', 's' */
	char input[256];
	size_t ninput;
	char msg[320];
	unsigned frame;
	int H, W, list_y, list_h, pane_y, pane_h;
};

static size_t list_len(const struct ui *u)
{
	size_t n = u->rep->n;
	if (u->dom == DOM_DONE)
		n += u->rep->ndomains;
	else if (u->dom != DOM_NONE)
		n++;
	return n;
}

static int64_t judged_at(const struct ui *u)
{
	if (u->cfg->opt && u->cfg->opt->at)
		return u->cfg->opt->at;
	if (u->cfg->loaded)
		return u->rep->started_wall_us / 1000000;
	return (int64_t)time(NULL);
}

static const struct target_result *sel_target(const struct ui *u)
{
	return u->sel < u->rep->n && u->rows[u->sel].state == ROW_DONE ? u->rep->t[u->sel] : NULL;
}

static void layout(struct ui *u)
{
	getmaxyx(stdscr, u->H, u->W);
	size_t n = list_len(u);
	int avail = u->H - 4;
	int max_list = avail * 2 / 5 > 3 ? avail * 2 / 5 : 3;
	u->list_h = (int)n < max_list ? (int)n : max_list;
	if (u->list_h < 1)
		u->list_h = 1;
	u->list_y = 2;
	u->pane_y = u->list_y + u->list_h + 1;
	u->pane_h = u->H - 1 - u->pane_y;
	if (u->pane_h < 1)
		u->pane_h = 1;
}

static void set_msg(struct ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(struct ui *u, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof u->msg, fmt, ap);
	va_end(ap);
}

/* ---- docs ---------------------------------------------------------- */

static void rebuild(struct ui *u)
{
	doc_clear(&u->doc);
	int width = u->W - 1;
	if (u->view == '?') {
		view_help(&u->doc);
	} else if (u->sel >= u->rep->n) {
		size_t di = u->sel - u->rep->n;
		if (u->dom == DOM_DONE && di < u->rep->ndomains) {
			view_domain(&u->doc, &u->th, u->rep, &u->rep->domains[di], u->filter, width);
		} else if (u->dom_error) {
			doc_line(&u->doc, TC_ERROR, -1, "DNS: %s", u->dom_error);
		} else {
			doc_line(&u->doc, TC_DIM, -1, "resolving the domains' MX hosts and probing each address...");
		}
	} else if (!sel_target(u)) {
		const struct row *r = &u->rows[u->sel];
		doc_line(&u->doc, TC_BOLD, -1, "%s", u->rep->t[u->sel]->input ? u->rep->t[u->sel]->input : "");
		doc_line(&u->doc, TC_DIM, -1, "%s", r->state == ROW_PENDING ? "waiting to be probed" : "");
		if (r->state == ROW_RUNNING)
			doc_span(&u->doc, TC_DIM, "probing: %s (%zu probes done)", r->probe, r->done);
	} else {
		const struct target_result *t = sel_target(u);
		switch (u->view) {
		case 'c':
			view_chain(&u->doc, &u->th, t, judged_at(u), width);
			break;
		case 'm':
			view_ccert(&u->doc, &u->th, t, width);
			break;
		case 't':
			view_log(&u->doc, u->rep, t);
			break;
		case 'w':
			view_wire(&u->doc, t, width);
			break;
		default:
			view_target(&u->doc, &u->th, t, u->filter, width);
			break;
		}
	}
	u->dirty = false;
	if (u->cur >= (long)u->doc.n)
		u->cur = u->doc.n ? (long)u->doc.n - 1 : 0;
	if (u->top >= (long)u->doc.n)
		u->top = u->doc.n ? (long)u->doc.n - 1 : 0;
}

static void select_row(struct ui *u, size_t i)
{
	size_t n = list_len(u);
	if (!n)
		return;
	if (i >= n)
		i = n - 1;
	if (i != u->sel) {
		u->sel = i;
		u->cur = u->top = 0;
		u->dirty = true;
	}
}

/* ---- drawing ------------------------------------------------------- */

static void draw_counts(struct ui *u, int y, int *x, int xmax, const size_t c[5], bool words)
{
	for (int s = SEV_PASS; s <= SEV_ERROR && *x < xmax; s++) {
		char buf[48];
		snprintf(buf, sizeof buf, words ? " %s%zu %s" : " %s%zu", u->th.sev_mark[s], c[s],
			 severity_name((enum severity)s));
		attr_t a = c[s] ? u->th.a[theme_sev_class((enum severity)s)] : u->th.a[TC_DIM];
		*x += draw_text(&u->th, y, *x, xmax - *x, a, buf, NULL);
	}
}

static void target_counts(const struct target_result *t, size_t c[5])
{
	memset(c, 0, 5 * sizeof c[0]);
	for (size_t i = 0; i < t->nprobes; i++)
		for (size_t k = 0; k < t->probes[i].n; k++)
			c[t->probes[i].f[k].sev]++;
}

static void draw_header(struct ui *u)
{
	size_t running = 0, done = 0;
	for (size_t i = 0; i < u->rep->n; i++) {
		running += u->rows[i].state == ROW_RUNNING;
		done += u->rows[i].state == ROW_DONE;
	}
	attr_t bar = u->th.a[TC_BAR];
	attrset(bar);
	mvhline(0, 0, ' ', u->W);
	char buf[256];
	snprintf(buf, sizeof buf, " mxprobe %s  policy %s  %zu target%s", u->cfg->title ? u->cfg->title : "",
		 u->rep->policy ? u->rep->policy : "?", u->rep->n, u->rep->n == 1 ? "" : "s");
	int x = draw_text(&u->th, 0, 0, u->W, bar | A_BOLD, buf, NULL);
	if (running || done < u->rep->n || u->dom == DOM_RUNNING || u->dom == DOM_PENDING)
		snprintf(buf, sizeof buf, "  %s %zu/%zu done", u->th.spinner[u->frame % u->th.nspinner], done,
			 u->rep->n);
	else
		snprintf(buf, sizeof buf, "  done");
	x += draw_text(&u->th, 0, x, u->W - x, bar, buf, NULL);
	size_t c[5];
	report_count(u->rep, c);
	attrset(A_NORMAL);
	x += draw_text(&u->th, 0, x, u->W - x, bar, " ", NULL);
	draw_counts(u, 0, &x, u->W, c, u->W >= 100);
	attrset(A_NORMAL);
}

static void fmt_secs(int64_t us, char *buf, size_t n)
{
	snprintf(buf, n, "%6.2fs", (double)us / 1e6);
}

static void draw_target_row(struct ui *u, int y, size_t i, bool selected)
{
	const struct row *r = &u->rows[i];
	const struct target_result *t = u->rep->t[i];
	attr_t sel = selected ? (u->focus_pane ? A_BOLD | A_UNDERLINE : A_REVERSE) : 0;
	attrset(sel);
	mvhline(y, 0, ' ', u->W);
	int x = 1;
	char buf[64], tm[16];
	const char *name = t->input ? t->input : "?";
	int right = u->W >= 100 ? 44 : 30; /* counts and time */
	if (r->state == ROW_DONE) {
		enum severity w = target_verdict(t);
		enum tui_class c = theme_sev_class(w);
		/* Pass and info are both "nothing wrong". */
		const char *word = t->status == TARGET_UNTESTABLE ? "NOTEST" : w <= SEV_INFO ? "ok" : severity_name(w);
		char upper[16];
		snprintf(upper, sizeof upper, "%s", word);
		for (char *p = upper; *p; p++)
			*p = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
		snprintf(buf, sizeof buf, "%s %-6s ", u->th.sev_mark[w], upper);
		x += draw_text(&u->th, y, x, u->W - x, u->th.a[c] | sel, buf, NULL);
		x += draw_text(&u->th, y, x, u->W - right - x, sel, name, u->prompt ? NULL : u->search);
		int cx = u->W - right;
		size_t cnt[5];
		target_counts(t, cnt);
		if (sel)
			attrset(sel);
		draw_counts(u, y, &cx, u->W - 8, cnt, u->W >= 100);
		fmt_secs(r->t1 > r->t0 ? r->t1 - r->t0 : t->duration_us, tm, sizeof tm);
		draw_text(&u->th, y, u->W - 8, 8, sel | u->th.a[TC_DIM], tm, NULL);
	} else if (r->state == ROW_RUNNING) {
		snprintf(buf, sizeof buf, "%s %-6s ", u->th.spinner[(u->frame + i) % u->th.nspinner], "RUN");
		x += draw_text(&u->th, y, x, u->W - x, u->th.a[TC_INFO] | sel, buf, NULL);
		x += draw_text(&u->th, y, x, u->W - right - x, sel, name, NULL);
		char pr[80];
		snprintf(pr, sizeof pr, "%s (%zu done)", r->probe, r->done);
		draw_text(&u->th, y, u->W - right, right - 9, u->th.a[theme_sev_class(r->worst)] | sel, pr, NULL);
		fmt_secs(mono_us() - r->t0, tm, sizeof tm);
		draw_text(&u->th, y, u->W - 8, 8, sel, tm, NULL);
	} else {
		x += draw_text(&u->th, y, x, u->W - x, u->th.a[TC_DIM] | sel, "  WAIT   ", NULL);
		draw_text(&u->th, y, x, u->W - right - x, u->th.a[TC_DIM] | sel, name, NULL);
	}
	attrset(A_NORMAL);
}

static void draw_domain_row(struct ui *u, int y, size_t i, bool selected)
{
	attr_t sel = selected ? (u->focus_pane ? A_BOLD | A_UNDERLINE : A_REVERSE) : 0;
	attrset(sel);
	mvhline(y, 0, ' ', u->W);
	if (u->dom != DOM_DONE) {
		char buf[160];
		snprintf(buf, sizeof buf,
			 " %s DNS    %zu domain%s: resolving MX hosts, probing every address (%zu done)",
			 u->th.spinner[u->frame % u->th.nspinner], u->cfg->ndomains, u->cfg->ndomains == 1 ? "" : "s",
			 u->dom_done);
		draw_text(&u->th, y, 0, u->W, u->th.a[TC_INFO] | sel, buf, NULL);
		attrset(A_NORMAL);
		return;
	}
	const struct domain_result *d = &u->rep->domains[i];
	static const enum tui_class vc[] = { TC_PASS, TC_FAIL, TC_INFO, TC_ERROR };
	char buf[64], word[16];
	snprintf(word, sizeof word, "%s", domain_verdict_id(d->verdict));
	for (char *p = word; *p; p++)
		*p = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
	snprintf(buf, sizeof buf, " %s %-6s ",
		 d->verdict == VERDICT_PASS ? u->th.sev_mark[SEV_PASS] : u->th.sev_mark[SEV_FAIL], word);
	int x = draw_text(&u->th, y, 0, u->W, u->th.a[vc[d->verdict < 4 ? d->verdict : 3]] | sel, buf, NULL);
	char *line = xasprintf("domain %s  (%zu MX host%s)", d->name, d->nmx, d->nmx == 1 ? "" : "s");
	draw_text(&u->th, y, x, u->W - x, sel | A_BOLD, line, NULL);
	free(line);
	attrset(A_NORMAL);
}

static void draw_list(struct ui *u)
{
	size_t n = list_len(u);
	if (u->sel < u->list_top)
		u->list_top = u->sel;
	if (u->sel >= u->list_top + (size_t)u->list_h)
		u->list_top = u->sel - (size_t)u->list_h + 1;
	char title[64];
	snprintf(title, sizeof title, "Targets (%zu)", n);
	draw_rule(&u->th, 1, 0, u->W, title);
	for (int k = 0; k < u->list_h; k++) {
		size_t i = u->list_top + (size_t)k;
		int y = u->list_y + k;
		if (i >= n) {
			move(y, 0);
			clrtoeol();
		} else if (i < u->rep->n) {
			draw_target_row(u, y, i, i == u->sel);
		} else {
			draw_domain_row(u, y, i - u->rep->n, i == u->sel);
		}
	}
}

static void draw_doc(struct ui *u, int y0, int h, bool cursor)
{
	if (cursor) {
		if (u->cur < u->top)
			u->top = u->cur;
		if (u->cur >= u->top + h)
			u->top = u->cur - h + 1;
	}
	if (u->top < 0)
		u->top = 0;
	const char *hl = u->search[0] ? u->search : NULL;
	for (int k = 0; k < h; k++) {
		long i = u->top + k;
		if (i >= (long)u->doc.n) {
			move(y0 + k, 0);
			clrtoeol();
			continue;
		}
		bool on = cursor ? i == u->cur : u->view && i == u->hit;
		draw_line(&u->th, y0 + k, 0, u->W, &u->doc.l[i], on ? A_REVERSE : 0, on ? A_REVERSE : 0, hl);
	}
}

struct key_help {
	const char *key, *what;
};

static void draw_status(struct ui *u)
{
	int y = u->H - 1;
	attrset(A_NORMAL);
	move(y, 0);
	clrtoeol();
	if (u->prompt) {
		char *p =
			xasprintf("%s%.*s", u->prompt == '/' ? "Search: " : "Save JSON to: ", (int)u->ninput, u->input);
		int x = draw_text(&u->th, y, 0, u->W - 1, A_BOLD, p, NULL);
		free(p);
		move(y, x);
		curs_set(1);
		return;
	}
	curs_set(0);
	if (u->msg[0]) {
		draw_text(&u->th, y, 0, u->W, u->th.a[TC_BOLD], u->msg, NULL);
		return;
	}
	char filt[24];
	snprintf(filt, sizeof filt, "filter:%s", tui_filter_name(u->filter));
	struct key_help main_keys[] = { { "q", "quit" },       { "?", "help" },	 { "Tab", "pane" }, { "Enter", "open" },
					{ "c", "cert" },       { "t", "log" },	 { "/", "find" },   { "f", filt },
					{ "s", "save" },       { "r", "rerun" }, { "m", "mtls" },   { "w", "wire" },
					{ "n/N", "next/prev" } };
	struct key_help view_keys[] = { { "Esc", "back" },	{ "q", "back" },	{ "↑↓", "scroll" },
					{ "/", "find" },	{ "n/N", "next/prev" }, { "Tab", "next view" },
					{ "PgUp/PgDn", "page" } };
	const struct key_help *k = u->view ? view_keys : main_keys;
	size_t nk = u->view ? ARRAY_LEN(view_keys) : ARRAY_LEN(main_keys);
	int x = 0;
	for (size_t i = 0; i < nk; i++) {
		const char *key = k[i].key;
		if (!u->th.utf8 && strcmp(key, "↑↓") == 0)
			key = "Up/Dn";
		int need = (int)strlen(key) + (int)strlen(k[i].what) + 2;
		if (x + need > u->W)
			break;
		x += draw_text(&u->th, y, x, u->W - x, u->th.a[TC_KEY], key, NULL);
		x += draw_text(&u->th, y, x, u->W - x, A_NORMAL, " ", NULL);
		x += draw_text(&u->th, y, x, u->W - x, A_NORMAL, k[i].what, NULL);
		x += draw_text(&u->th, y, x, u->W - x, A_NORMAL, " ", NULL);
	}
}

static const char *view_title(int v)
{
	switch (v) {
	case 'c':
		return "Certificate chain";
	case 'm':
		return "Client-certificate request";
	case 't':
		return "Transcript (Exchange log layout)";
	case 'w':
		return "Wire summary";
	case '?':
		return "Help";
	default:
		return "";
	}
}

static void draw(struct ui *u)
{
	layout(u);
	if (u->dirty)
		rebuild(u);
	if (u->H < 10 || u->W < 40) {
		erase();
		draw_text(&u->th, 0, 0, u->W, A_BOLD, "mxprobe: the terminal is too small (80x24 wanted)", NULL);
		refresh();
		return;
	}
	if (u->view) {
		attrset(u->th.a[TC_BAR]);
		mvhline(0, 0, ' ', u->W);
		const struct target_result *t = u->sel < u->rep->n ? u->rep->t[u->sel] : NULL;
		char hit[32] = "";
		if (u->hit >= 0)
			snprintf(hit, sizeof hit, " match %ld", u->hit + 1);
		char *title =
			xasprintf(" [%ld/%zu%s] %s%s%s", u->top + 1, u->doc.n, hit, view_title(u->view),
				  t && u->view != '?' ? ": " : "", t && u->view != '?' && t->input ? t->input : "");
		draw_text(&u->th, 0, 0, u->W, u->th.a[TC_BAR] | A_BOLD, title, NULL);
		free(title);
		attrset(A_NORMAL);
		if (u->top > (long)u->doc.n - (u->H - 2))
			u->top = (long)u->doc.n - (u->H - 2);
		draw_doc(u, 1, u->H - 2, false);
	} else {
		draw_header(u);
		draw_list(u);
		char title[200];
		if (u->sel < u->rep->n)
			snprintf(title, sizeof title, "Findings [%s]%s", tui_filter_name(u->filter),
				 u->focus_pane ? " (focus)" : "");
		else
			snprintf(title, sizeof title, "Domain%s", u->focus_pane ? " (focus)" : "");
		draw_rule(&u->th, u->pane_y - 1, 0, u->W, title);
		draw_doc(u, u->pane_y, u->pane_h, u->focus_pane);
	}
	draw_status(u);
	refresh();
}

/* ---- events -------------------------------------------------------- */

/* The domains' own report joins ours: its targets after ours (their
 * indices in the MX lists move with them), then its domains. */
static void merge_domains(struct ui *u, struct report *d)
{
	size_t off = u->rep->n;
	for (size_t i = 0; i < d->n; i++) {
		struct target_result *slot = report_add_target(u->rep);
		target_result_free(slot);
		u->rep->t[u->rep->n - 1] = d->t[i];
	}
	d->n = 0;
	u->rows = xrealloc(u->rows, (u->rep->n ? u->rep->n : 1) * sizeof *u->rows);
	for (size_t i = off; i < u->rep->n; i++) {
		memset(&u->rows[i], 0, sizeof u->rows[i]);
		u->rows[i].state = ROW_DONE;
		u->rows[i].t1 = u->rep->t[i]->duration_us;
	}
	u->nrows = u->rep->n;
	for (size_t k = 0; k < d->ndomains; k++) {
		struct domain_result *dom = report_add_domain(u->rep, d->domains[k].name);
		domain_result_clear(dom);
		*dom = d->domains[k];
		memset(&d->domains[k], 0, sizeof d->domains[k]);
		for (size_t i = 0; i < dom->nmx; i++)
			for (size_t j = 0; j < dom->mx[i].naddr; j++)
				if (dom->mx[i].addr[j].target != SIZE_MAX)
					dom->mx[i].addr[j].target += off;
	}
}

static void apply_event(struct ui *u, struct tui_event *e)
{
	struct row *r = e->slot < u->nrows ? &u->rows[e->slot] : NULL;
	switch (e->kind) {
	case TUI_EV_TARGET_STARTED:
		if (!r)
			break;
		memset(r, 0, sizeof *r);
		r->state = ROW_RUNNING;
		r->t0 = mono_us();
		break;
	case TUI_EV_PROBE_STARTED:
		if (r)
			snprintf(r->probe, sizeof r->probe, "%s", e->name);
		break;
	case TUI_EV_PROBE_FINISHED:
		if (!r)
			break;
		r->done++;
		if (e->worst > r->worst)
			r->worst = e->worst;
		break;
	case TUI_EV_TARGET_FINISHED:
		if (!r || !e->result)
			break;
		target_result_free(u->rep->t[e->slot]);
		u->rep->t[e->slot] = e->result;
		e->result = NULL;
		r->state = ROW_DONE;
		r->t1 = mono_us();
		break;
	case TUI_EV_DOMAINS_STARTED:
		u->dom = DOM_RUNNING;
		break;
	case TUI_EV_DOMAINS_PROGRESS:
		u->dom_done = e->slot;
		break;
	case TUI_EV_DOMAINS_FINISHED:
		if (e->domains)
			merge_domains(u, e->domains);
		free(u->dom_error);
		u->dom_error = xstrdup(e->error);
		u->dom = e->error && !u->rep->ndomains ? DOM_RUNNING : DOM_DONE;
		if (e->error)
			set_msg(u, "DNS: %s", e->error);
		break;
	default:
		break;
	}
	if (e->slot == u->sel || e->kind == TUI_EV_DOMAINS_FINISHED)
		u->dirty = true;
}

static void drain_events(struct ui *u)
{
	struct tui_event *e = tui_events_take(&u->q);
	while (e) {
		struct tui_event *next = e->next;
		apply_event(u, e);
		tui_event_free(e);
		e = next;
	}
}

/* ---- actions ------------------------------------------------------- */

static void save_json(struct ui *u, const char *path)
{
	FILE *fp = fopen(path, "w");
	if (!fp) {
		set_msg(u, "cannot write %s: %s", path, strerror(errno));
		return;
	}
	struct render_opts ro = { 0 };
	int rc = render_json(fp, u->rep, &ro);
	if (fclose(fp) != 0)
		rc = -1;
	if (rc < 0)
		set_msg(u, "writing %s failed", path);
	else
		set_msg(u, "saved the report (%zu targets) to %s", u->rep->n, path);
}

static void rerun(struct ui *u)
{
	if (u->cfg->loaded) {
		set_msg(u, "a loaded report cannot be re-run: run mxprobe tui with its targets");
		return;
	}
	if (u->sel >= u->rep->n) {
		set_msg(u, "select a target to re-run (a domain's addresses are rows of their own)");
		return;
	}
	if (u->rows[u->sel].state != ROW_DONE) {
		set_msg(u, "this target is still being probed");
		return;
	}
	struct tui_req *r;
	if (u->sel < u->cfg->njobs) {
		r = tui_req_one(&u->cfg->jobs[u->sel], u->sel);
	} else {
		/* An MX address of a --domain: its target made again as the
		 * domain run made it (core/domain.h). */
		struct tui_job job = { .opt = u->cfg->opt };
		r = tui_req_one(&job, u->sel);
		for (size_t d = 0; d < u->rep->ndomains; d++)
			for (size_t m = 0; m < u->rep->domains[d].nmx; m++)
				for (size_t k = 0; k < u->rep->domains[d].mx[m].naddr; k++)
					if (u->rep->domains[d].mx[m].addr[k].target == u->sel && !r->owned.host)
						domain_make_spec(&u->rep->domains[d], &u->rep->domains[d].mx[m],
								 &u->rep->domains[d].mx[m].addr[k], &r->owned);
		if (!r->owned.host) {
			tui_worker_free_req(r);
			set_msg(u, "cannot tell which MX address this row was");
			return;
		}
		r->jobs[0].spec = &r->owned;
	}
	u->rows[u->sel].state = ROW_PENDING;
	u->dirty = true;
	set_msg(u, "re-running %s", u->rep->t[u->sel]->input ? u->rep->t[u->sel]->input : "");
	tui_worker_push(&u->w, r);
}

static void do_search(struct ui *u, int dir, bool from_here)
{
	if (!u->search[0])
		return;
	if (!u->view && !u->focus_pane) {
		/* The targets list: the next row whose name matches. */
		size_t n = u->rep->n, base = u->sel < n ? u->sel : 0;
		for (size_t k = from_here ? 0 : 1; n && k <= n; k++) {
			size_t i = dir > 0 ? (base + k) % n : (base + 2 * n - k) % n;
			if (u->rep->t[i]->input && strcasestr(u->rep->t[i]->input, u->search)) {
				select_row(u, i);
				u->msg[0] = '\0';
				return;
			}
		}
		set_msg(u, "no target matches \"%s\"", u->search);
		return;
	}
	if (u->dirty)
		rebuild(u);
	long start = u->view ? (u->hit >= 0 ? u->hit : u->top) : u->cur;
	long from = from_here ? start : start + dir;
	long i = doc_find(&u->doc, u->search, from, dir);
	if (i < 0)
		i = doc_find(&u->doc, u->search, dir > 0 ? 0 : (long)u->doc.n - 1, dir); /* wrap around */
	if (i < 0) {
		set_msg(u, "not found: %s", u->search);
		return;
	}
	u->msg[0] = '\0';
	if (u->view) {
		u->hit = i;
		if (i < u->top || i >= u->top + u->H - 2)
			u->top = i;
	} else {
		u->cur = i;
	}
}

static void open_view(struct ui *u, int v)
{
	if (v != '?' && !sel_target(u)) {
		set_msg(u, u->sel < u->rep->n ? "this target has no results yet" : "select a target for this view");
		return;
	}
	u->view = v;
	u->top = 0;
	u->hit = -1;
	u->dirty = true;
}

/* The line of a finding under the cursor opens what it is about. */
static void enter_finding(struct ui *u)
{
	const struct target_result *t = sel_target(u);
	if (!t || u->cur < 0 || (size_t)u->cur >= u->doc.n)
		return;
	long tag = u->doc.l[u->cur].tag;
	if (tag < 0)
		return;
	size_t p = (size_t)(tag / 1000), k = (size_t)(tag % 1000);
	if (p >= t->nprobes || k >= t->probes[p].n)
		return;
	open_view(u, view_drill_for(&t->probes[p].f[k]));
}

static void move_by(struct ui *u, long delta)
{
	if (u->view) {
		u->top += delta;
		if (u->top < 0)
			u->top = 0;
		return;
	}
	if (u->focus_pane) {
		u->cur += delta;
		if (u->cur < 0)
			u->cur = 0;
		if (u->cur >= (long)u->doc.n)
			u->cur = u->doc.n ? (long)u->doc.n - 1 : 0;
		return;
	}
	long s = (long)u->sel + delta;
	select_row(u, s < 0 ? 0 : (size_t)s);
}

static void prompt_key(struct ui *u, int ch, bool *quit)
{
	(void)quit;
	if (ch == 27) {
		u->prompt = 0;
		return;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (u->ninput)
			u->ninput--;
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		u->input[u->ninput] = '\0';
		int p = u->prompt;
		u->prompt = 0;
		if (p == '/') {
			snprintf(u->search, sizeof u->search, "%s", u->input);
			do_search(u, 1, true);
		} else if (u->ninput) {
			save_json(u, u->input);
		}
		return;
	}
	if (ch >= 0x20 && ch < 0x7f && u->ninput + 1 < sizeof u->input)
		u->input[u->ninput++] = (char)ch;
}

static void mouse_key(struct ui *u)
{
	MEVENT me;
	if (getmouse(&me) != OK)
		return;
	if (u->view) {
		if (me.bstate & BUTTON4_PRESSED)
			move_by(u, -3);
		else if (me.bstate & BUTTON5_PRESSED)
			move_by(u, 3);
		return;
	}
	if (me.y >= u->list_y && me.y < u->list_y + u->list_h) {
		u->focus_pane = false;
		select_row(u, u->list_top + (size_t)(me.y - u->list_y));
	} else if (me.y >= u->pane_y && me.y < u->pane_y + u->pane_h) {
		u->focus_pane = true;
		long i = u->top + (me.y - u->pane_y);
		if (i < (long)u->doc.n)
			u->cur = i;
	}
}

static void key(struct ui *u, int ch, bool *quit)
{
	if (u->prompt) {
		prompt_key(u, ch, quit);
		return;
	}
	u->msg[0] = '\0';
	int page = u->view ? u->H - 3 : u->focus_pane ? u->pane_h - 1 : u->list_h;
	if (page < 1)
		page = 1;
	switch (ch) {
	case 'q':
		if (u->view) {
			u->view = 0;
			u->dirty = true;
		} else {
			*quit = true;
		}
		break;
	case 3: /* Ctrl-C as a key (some terminals) */
		*quit = true;
		break;
	case 27:
		if (u->view) {
			u->view = 0;
			u->dirty = true;
		} else {
			u->focus_pane = false;
		}
		break;
	case KEY_UP:
	case 'k':
		move_by(u, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_by(u, 1);
		break;
	case KEY_PPAGE:
	case 'b' & 0x1f:
		move_by(u, -page);
		break;
	case KEY_NPAGE:
	case 'f' & 0x1f:
	case ' ':
		move_by(u, page);
		break;
	case KEY_HOME:
	case 'g':
		move_by(u, -1000000);
		break;
	case KEY_END:
	case 'G':
		if (u->view)
			u->top = (long)u->doc.n - (u->H - 2);
		else
			move_by(u, 1000000);
		break;
	case '\t': {
		static const int cycle[] = { 'c', 'm', 't', 'w' };
		if (u->view && u->view != '?') {
			size_t i = 0;
			while (i < ARRAY_LEN(cycle) && cycle[i] != u->view)
				i++;
			open_view(u, cycle[(i + 1) % ARRAY_LEN(cycle)]);
		} else if (!u->view) {
			u->focus_pane = !u->focus_pane;
		}
		break;
	}
	case KEY_BTAB:
		if (!u->view)
			u->focus_pane = !u->focus_pane;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (u->view)
			break;
		if (!u->focus_pane)
			u->focus_pane = true;
		else
			enter_finding(u);
		break;
	case 'c':
	case 'm':
	case 't':
	case 'w':
	case '?':
		open_view(u, ch);
		break;
	case '/':
		u->prompt = '/';
		u->ninput = 0;
		break;
	case 'n':
		do_search(u, 1, false);
		break;
	case 'N':
		do_search(u, -1, false);
		break;
	case 'f':
		u->filter = (enum tui_filter)((u->filter + 1) % FILTER__COUNT);
		u->cur = u->top = 0;
		u->dirty = true;
		set_msg(u, "severity filter: %s", tui_filter_name(u->filter));
		break;
	case 's':
		u->prompt = 's';
		u->ninput = (size_t)snprintf(u->input, sizeof u->input, "mxprobe-report.json");
		break;
	case 'r':
		rerun(u);
		break;
	case KEY_MOUSE:
		mouse_key(u);
		break;
	case KEY_RESIZE:
		u->dirty = true;
		break;
	default:
		break;
	}
}

/* ---- setup and the loop -------------------------------------------- */

int tui_check_terminal(char *err, size_t errlen)
{
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		snprintf(err, errlen,
			 "the TUI needs a terminal, and %s is not one; "
			 "use mxprobe check (text, --format json or log) for files and pipes",
			 isatty(STDOUT_FILENO) ? "standard input" : "standard output");
		return -1;
	}
	return 0;
}

static void resize_from_tty(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
}

static void start_jobs(struct ui *u)
{
	if (u->cfg->njobs) {
		struct tui_req *r = xcalloc(1, sizeof *r);
		r->n = u->cfg->njobs;
		r->jobs = xcalloc(r->n, sizeof *r->jobs);
		r->slots = xcalloc(r->n, sizeof *r->slots);
		for (size_t i = 0; i < r->n; i++) {
			r->jobs[i] = u->cfg->jobs[i];
			r->slots[i] = i;
		}
		tui_worker_push(&u->w, r);
	}
	if (u->cfg->domains) {
		struct tui_req *r = xcalloc(1, sizeof *r);
		r->domains = true;
		tui_worker_push(&u->w, r);
	}
}

static void ui_setup_rows(struct ui *u)
{
	const struct tui_config *cfg = u->cfg;
	if (!cfg->loaded)
		for (size_t i = 0; i < cfg->njobs; i++)
			report_add_target(u->rep)->input = xstrdup(cfg->jobs[i].spec->input);
	u->nrows = u->rep->n;
	u->rows = xcalloc(u->nrows ? u->nrows : 1, sizeof *u->rows);
	for (size_t i = 0; i < u->nrows; i++) {
		u->rows[i].state = cfg->loaded ? ROW_DONE : ROW_PENDING;
		u->rows[i].t1 = cfg->loaded ? u->rep->t[i]->duration_us : 0;
	}
	if (cfg->loaded)
		u->dom = u->rep->ndomains ? DOM_DONE : DOM_NONE;
	else
		u->dom = cfg->domains ? DOM_PENDING : DOM_NONE;
}

static void loop(struct ui *u)
{
	bool quit = false;
	u->dirty = true;
	while (!quit) {
		if (sig_quit)
			break;
		if (sig_winch) {
			sig_winch = 0;
			resize_from_tty();
			u->dirty = true;
		}
		drain_events(u);
		draw(u);
		bool busy = !u->cfg->loaded && tui_worker_busy(&u->w);
		struct pollfd pfd[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
					 { .fd = u->q.pipe_rd, .events = POLLIN } };
		int rc = poll(pfd, 2, busy ? 100 : 1000);
		if (rc < 0 && errno != EINTR)
			break;
		u->frame++;
		if (rc > 0 && (pfd[0].revents & (POLLHUP | POLLERR)))
			break;
		int ch;
		while ((ch = getch()) != ERR && !quit) {
			if (ch == KEY_RESIZE)
				u->dirty = true;
			key(u, ch, &quit);
		}
	}
}

int tui_run(const struct tui_config *cfg, struct report *rep, char *err, size_t errlen)
{
	struct ui u;
	memset(&u, 0, sizeof u);
	u.hit = -1;
	u.cfg = cfg;
	u.rep = rep;
	if (tui_check_terminal(err, errlen) < 0)
		return -1;
	if (tui_events_init(&u.q) < 0) {
		snprintf(err, errlen, "cannot create the event pipe: %s", strerror(errno));
		return -1;
	}
	setlocale(LC_CTYPE, "");
	bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	const char *nc = getenv("NO_COLOR");
	bool color = !cfg->no_color && !(nc && *nc);

	ui_setup_rows(&u);
	signals_install(u.q.pipe_wr);
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		signals_restore();
		snprintf(err, errlen, "cannot use the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
		tui_events_clear(&u.q);
		free(u.rows);
		return -1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	/* Home and End as rxvt, screen, tmux and the Linux console send them,
	 * besides the terminfo entry's own. */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[7~", KEY_HOME);
	define_key("\033[8~", KEY_END);
	define_key("\033[H", KEY_HOME);
	define_key("\033[F", KEY_END);
	theme_init(&u.th, color, utf8);

	int rc = 0;
	if (!cfg->loaded) {
		if (tui_worker_start(&u.w, cfg, &u.q) < 0) {
			snprintf(err, errlen, "cannot start the worker thread");
			rc = -1;
			goto out;
		}
		start_jobs(&u);
	}
	loop(&u);
out:;
	int quit_sig = sig_quit;
	/* The terminal first, whatever happens next. */
	endwin();
	delscreen(scr);
	signals_restore();
	if (u.w.started) {
		if (tui_worker_busy(&u.w))
			fprintf(stderr, "mxprobe: waiting for the target being probed to finish "
					"(at most its --target-timeout; Ctrl-C again to kill)\n");
		tui_worker_stop(&u.w);
	}
	/* Results that arrived after the last draw still belong in the report. */
	drain_events(&u);
	tui_events_clear(&u.q);
	doc_clear(&u.doc);
	free(u.rows);
	free(u.dom_error);
	return rc < 0 ? -1 : quit_sig;
}
