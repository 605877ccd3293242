/* \summary: `mxprobe listen --tui`: the diagnostic receiver (src/listen)
 * shown live in the terminal. The listener runs on its own thread as in
 * text mode; each session, as it ends, becomes a row (client, EHLO, TLS,
 * client certificate, verdict for --partner) with the selected session's
 * whole report below it. Drawing, colours (NO_COLOR), the locale's line
 * characters and the terminal's restore are the TUI's (tui/draw.h). */
#ifndef SRC_TUI_LISTEN_VIEW_H
#define SRC_TUI_LISTEN_VIEW_H

#include <stddef.h>

#include "listen/listen.h"

/* Runs lsn_run(cfg) on a thread and shows its sessions until q or Ctrl-C
 * (then the listener stops: the open sessions get 421) or, after
 * --sessions / --duration, until q. cfg->on_session and cfg->err are
 * set here (err is captured and printed to stderr once the terminal is
 * restored: "listening on" and the summary, as in text mode). Returns
 * lsn_run's status (q: 0 rather than 130, unless a session would be
 * refused), or -1 with err set when the terminal cannot be used. The
 * caller checks tui_check_terminal first. */
int tui_listen_run(struct lsn_config *cfg, char *err, size_t errlen);

#endif
