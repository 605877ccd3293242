/* \summary: the text report's --domain section (text.c calls it). */
#ifndef SRC_REPORT_TEXT_DOMAIN_H
#define SRC_REPORT_TEXT_DOMAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "report/model.h"

void render_text_domains(FILE *out, const struct report *r, bool color);

#endif
