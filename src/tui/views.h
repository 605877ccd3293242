/* \summary: the TUI's panes as docs built from the results model: a
 * target's summary and findings, a domain's MX list and mail fate, and the
 * drill-downs (certificate chain, client-certificate request, transcript
 * in the Exchange log layout, wire summary, help). Read-only over the
 * model; nothing here draws or probes. */
#ifndef SRC_TUI_VIEWS_H
#define SRC_TUI_VIEWS_H

#include <stdint.h>

#include "report/domain.h"
#include "report/model.h"
#include "tui/doc.h"
#include "tui/draw.h"

/* The severity filter the f key cycles: findings below it are hidden. */
enum tui_filter {
	FILTER_ALL,
	FILTER_INFO,
	FILTER_WARN,
	FILTER_FAIL,
	FILTER__COUNT
};
const char *tui_filter_name(enum tui_filter f); /* "all", "info+", ... */

/* Findings get tags: probe index * 1000 + finding index. */
#define TUI_TAG(p, f) ((long)(p)*1000 + (long)(f))

void view_target(struct tui_doc *d, const struct tui_theme *th, const struct target_result *t, enum tui_filter f,
		 int width);
void view_domain(struct tui_doc *d, const struct tui_theme *th, const struct report *r, const struct domain_result *dom,
		 enum tui_filter f, int width);
/* at: the instant the validity bars mark (seconds since the epoch). */
void view_chain(struct tui_doc *d, const struct tui_theme *th, const struct target_result *t, int64_t at, int width);
void view_ccert(struct tui_doc *d, const struct tui_theme *th, const struct target_result *t, int width);
void view_log(struct tui_doc *d, const struct report *r, const struct target_result *t);
void view_wire(struct tui_doc *d, const struct target_result *t, int width);
void view_help(struct tui_doc *d);

/* Which drill-down a finding leads to: 'c' chain, 'm' client-certificate
 * request, 't' transcript. */
int view_drill_for(const struct finding *f);

#endif
