/* \summary: read a JSON report ("mxprobe/1", what render_json writes) back
 * into the results model, for renderers that show a saved run (the TUI's
 * --load). Independent of any renderer.
 *
 * specification: docs/mxprobe.schema.json, docs/json.md. */
#ifndef SRC_REPORT_JSON_LOAD_H
#define SRC_REPORT_JSON_LOAD_H

#include <stddef.h>

#include "report/model.h"

/* Parses len bytes of JSON text into rep, which this initialises (the
 * caller frees it with report_clear, also after a failure). Values the
 * JSON derives from others (summary counts, "worst") are recomputed, not
 * read. Returns 0, or -1 with a one-line reason in err: not JSON, not
 * schema "mxprobe/1", or a member of the wrong type. */
int report_load_json(const char *text, size_t len, struct report *rep, char *err, size_t errlen);

/* The same from a file; at most 256 MiB are read. */
int report_load_json_file(const char *path, struct report *rep, char *err, size_t errlen);

#endif
