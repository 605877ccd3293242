/* \summary: the "domains" part of the JSON report (docs/mxprobe.schema.json
 * $defs/domain), kept apart from json.c, which calls it. */
#ifndef SRC_REPORT_JSON_DOMAIN_H
#define SRC_REPORT_JSON_DOMAIN_H

#include <jansson.h>

#include "report/model.h"

typedef json_t *(*json_finding_fn)(const struct finding *f);

/* The "domains" array; findings are rendered by json.c's own function. */
json_t *json_domains(const struct report *r, json_finding_fn finding);
/* One domain of r (jsonl). */
json_t *json_domain_one(const struct report *r, const struct domain_result *d, json_finding_fn finding);

/* Adds "domain", "mx_host", "mx_pref" to a target object. */
void json_target_domain(json_t *o, const struct target_result *t);

#endif
