/* \summary: renderers over the results model. They read the model and keep
 * nothing; none of them probes. */
#ifndef SRC_REPORT_RENDER_H
#define SRC_REPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "report/model.h"

struct render_opts {
	bool color;	   /* ANSI colours (text only) */
	bool verbose;	   /* text: include the transcript and passed findings' detail */
	int warn_days;	   /* nagios: the warning threshold of the leaf's days to expiry */
	bool fail_on_warn; /* junit: a warning is a <failure> (--fail-on warn) */
	int64_t at;	   /* the instant certificates were judged at (days to expiry) */
};

/* Each returns 0, or -1 when writing failed. */
int render_text(FILE *out, const struct report *r, const struct render_opts *o);
int render_json(FILE *out, const struct report *r, const struct render_opts *o);
/* The Exchange-style verbose protocol log (shared/seeds, exchange2007). */
int render_log(FILE *out, const struct report *r, const struct render_opts *o);
/* A DN as Exchange's protocol log prints it ("CN=a, O=b, S=State"):
 * RFC 4514 order, ", " between attributes, S for ST. Owned. (Also used by
 * mxprobe listen's receive log.) */
char *log_dn_exchange_style(const char *dn);

/* --format jsonl (report/jsonl.c): one "mxprobe/1" document per line that
 * validates against docs/mxprobe.schema.json by itself. A target's line
 * holds that target alone; a domain's line holds the domain alone, its
 * addresses' "target" numbering the run's target lines from 0. */
int render_jsonl_target(FILE *out, const struct report *r, size_t index);
int render_jsonl_domains(FILE *out, const struct report *r);

/* --format junit (report/junit.c): one <testsuite> per target and per
 * domain, one <testcase> per finding; fail is a <failure>, error (could
 * not test) an <error>, warn a <failure> only with fail_on_warn. Validates
 * against tests/schemas/junit.xsd (the Jenkins/Ant JUnit format). */
int render_junit(FILE *out, const struct report *r, const struct render_opts *o);

/* --format nagios (report/nagios.c): one status line, "MXPROBE OK - ...",
 * with perfdata, then one line per target (Monitoring Plugins guidelines). */
int render_nagios(FILE *out, const struct report *r, const struct render_opts *o);
/* The plugin's exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
int nagios_status(const struct report *r);

/* --format prometheus (report/prometheus.c): the text exposition format
 * for node_exporter's textfile collector (checked with promtool). */
int render_prometheus(FILE *out, const struct report *r, const struct render_opts *o);

#endif
