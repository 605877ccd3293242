/* \summary: renderers over the results model. They read the model and keep
 * nothing; none of them probes. */
#ifndef SRC_REPORT_RENDER_H
#define SRC_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/model.h"

struct render_opts {
	bool color;   /* ANSI colours (text only) */
	bool verbose; /* text: include the transcript and passed findings' detail */
};

/* Each returns 0, or -1 when writing failed. */
int render_text(FILE *out, const struct report *r, const struct render_opts *o);
int render_json(FILE *out, const struct report *r, const struct render_opts *o);
/* The Exchange-style verbose protocol log (shared/seeds, exchange2007). */
int render_log(FILE *out, const struct report *r, const struct render_opts *o);

#endif
