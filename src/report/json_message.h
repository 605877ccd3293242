/* \summary: the "messages" part of the JSON report (mxprobe headers;
 * docs/mxprobe.schema.json $defs/message), kept apart from json.c. */
#ifndef SRC_REPORT_JSON_MESSAGE_H
#define SRC_REPORT_JSON_MESSAGE_H

#include <jansson.h>

#include "report/json_domain.h"
#include "report/model.h"

/* The "messages" array: per message its hops, oldest first, the
 * Authentication-Results parts and the headers.* findings. */
json_t *json_messages(const struct report *r, json_finding_fn finding);

#endif
