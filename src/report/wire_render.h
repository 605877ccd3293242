/* \summary: the wire summary in the text and log renderers (text.c and
 * log.c call these after a target's probes). */
#ifndef SRC_REPORT_WIRE_RENDER_H
#define SRC_REPORT_WIRE_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/wire_model.h"

/* Text: the capture and one block per mail session (at most 20 unless
 * verbose). Nothing for NULL. */
void render_text_wire(FILE *out, const struct wire_summary *w, bool verbose);

/* Log: "*" event lines, one per session, after the target's transcript. */
void render_log_wire(FILE *out, const struct wire_summary *w);

#endif
