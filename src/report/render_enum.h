/* \summary: the enumeration artifact (report/tls_enum.h) in the text and
 * JSON reports, kept apart from text.c and json.c, which call these. */
#ifndef SRC_REPORT_RENDER_ENUM_H
#define SRC_REPORT_RENDER_ENUM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "report/model.h"

/* Adds "tls_enumeration" to a target object when an enumeration ran
 * (docs/mxprobe.schema.json $defs/tls_enumeration). */
void json_target_enum(json_t *o, const struct target_result *t);

/* A compact table: one line per version (accepted or how it refused), one
 * line per accepted suite with its strength "(168/168 bits)" and FS/AEAD
 * marks, the groups and the connections used. Nothing when no enumeration
 * ran. */
void text_render_enum(FILE *out, bool color, const struct target_result *t);

#endif
