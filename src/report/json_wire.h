/* \summary: the "wire" part of a JSON target (docs/mxprobe.schema.json
 * $defs/wire), kept apart from json.c, which calls it. */
#ifndef SRC_REPORT_JSON_WIRE_H
#define SRC_REPORT_JSON_WIRE_H

#include <jansson.h>

#include "report/wire_model.h"

/* The wire summary, or null when there is none. New reference. */
json_t *json_wire(const struct wire_summary *w);

#endif
