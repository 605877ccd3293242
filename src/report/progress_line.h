/* \summary: the text renderer's progress line: one line on standard error,
 * rewritten in place while targets run ("[12/100] 3 running, 1 failed:
 * mx1.example.com: chain"), erased at the end. The CLI shows it only when
 * standard error is a terminal and --quiet is not given. It is a watcher of
 * the progress events (core/progress.h), like the TUI. */
#ifndef SRC_REPORT_PROGRESS_LINE_H
#define SRC_REPORT_PROGRESS_LINE_H

#include <stddef.h>
#include <stdio.h>

#include "core/progress.h"

struct progress_line;

/* total: the targets known at the start (MX addresses of --domain add to
 * it as they start). Never NULL. */
struct progress_line *progress_line_new(FILE *out, size_t total);
/* Erases the line and frees; NULL is fine. */
void progress_line_free(struct progress_line *pl);
/* The callbacks; user is the progress_line. */
const struct progress_ops *progress_line_ops(void);

#endif
