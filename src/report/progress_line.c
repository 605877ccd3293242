/* \summary: the progress line (see progress_line.h). The pool calls these
 * under its lock (core/progress.h), so the counters need none of their own. */
#include "report/progress_line.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct progress_line {
	FILE *out;
	size_t total, started, finished, running, failed;
	bool drawn;
	int64_t last_draw_us;
	bool *seen; /* a retried target starts twice: count it once */
	size_t nseen;
};

struct progress_line *progress_line_new(FILE *out, size_t total)
{
	struct progress_line *pl = xcalloc(1, sizeof *pl);
	pl->out = out;
	pl->total = total;
	return pl;
}

void progress_line_free(struct progress_line *pl)
{
	if (!pl)
		return;
	if (pl->drawn) {
		fputs("\r\033[K", pl->out);
		fflush(pl->out);
	}
	free(pl->seen);
	free(pl);
}

/* At most ten redraws a second; the last state always shows at the end
 * because the report follows. */
static void draw(struct progress_line *pl, const struct target_result *t, const char *what, bool force)
{
	int64_t now = mono_us();
	if (!force && pl->drawn && now - pl->last_draw_us < 100000)
		return;
	pl->last_draw_us = now;
	pl->drawn = true;
	size_t total = pl->total > pl->started ? pl->total : pl->started;
	char name[64];
	snprintf(name, sizeof name, "%s", t && t->input ? t->input : "");
	fprintf(pl->out, "\r\033[K[%zu/%zu] %zu running, %zu failed%s%s%s%s", pl->finished, total, pl->running,
		pl->failed, name[0] ? ": " : "", name, what ? ": " : "", what ? what : "");
	fflush(pl->out);
}

static void on_target_started(void *user, size_t index, const struct target_result *t)
{
	struct progress_line *pl = user;
	if (index >= pl->nseen) {
		size_t n = index + 64;
		pl->seen = xrealloc(pl->seen, n * sizeof *pl->seen);
		memset(pl->seen + pl->nseen, 0, (n - pl->nseen) * sizeof *pl->seen);
		pl->nseen = n;
	}
	if (!pl->seen[index]) {
		pl->seen[index] = true;
		pl->started++;
		pl->running++;
	}
	draw(pl, t, NULL, false);
}

static void on_probe_started(void *user, size_t index, const struct target_result *t, const char *probe)
{
	(void)index;
	draw(user, t, probe, false);
}

static void on_target_finished(void *user, size_t index, const struct target_result *t)
{
	(void)index;
	struct progress_line *pl = user;
	if (pl->running)
		pl->running--;
	pl->finished++;
	if (t->status != TARGET_TESTED || target_worst(t) == SEV_FAIL)
		pl->failed++;
	draw(pl, t, "done", pl->finished == pl->total);
}

static const struct progress_ops ops = {
	.target_started = on_target_started,
	.probe_started = on_probe_started,
	.probe_finished = NULL,
	.target_finished = on_target_finished,
};

const struct progress_ops *progress_line_ops(void)
{
	return &ops;
}
