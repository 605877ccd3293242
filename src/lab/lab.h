/* \summary: the built-in demo lab (`mxprobe lab`): scripted servers on
 * 127.0.0.1, one per kind of trouble, probed like any other target.
 *
 * Everything the lab needs is made in memory: a lab CA (labpki), servers
 * on ephemeral ports (fakesrv). Nothing listens after lab_run returns. */
#ifndef SRC_LAB_LAB_H
#define SRC_LAB_LAB_H

#include <stddef.h>
#include <stdio.h>

#include "core/options.h"
#include "net/target.h"
#include "report/model.h"

/* Starts every lab setup, probes each with engine_run_target() into a new
 * target of rep (input "lab:NAME (127.0.0.1:PORT)"), stops them all.
 * 0, or -1 with a message in err when the lab could not be set up. */
int lab_run(const struct mx_options *opt, struct report *rep, char *err, size_t errlen);

/* The same for the named setups only (NULL-terminated; NULL = all), in the
 * lab's order. An unknown name is an error before anything starts. */
int lab_run_only(const struct mx_options *opt, const char *const *names, struct report *rep, char *err, size_t errlen);

/* A lab that stays up (the TUI re-runs its targets): lab_start starts the
 * named setups (NULL = all) and returns them, or NULL with err set;
 * lab_stop stops every server and frees it (NULL is a no-op). For each
 * started setup i < lab_session_count(): the options to probe it with (the
 * caller's, with the lab CA as the only trust anchor) and its target, both
 * owned by the lab and valid until lab_stop. */
struct lab_session;
struct lab_session *lab_start(const struct mx_options *opt, const char *const *names, char *err, size_t errlen);
size_t lab_session_count(const struct lab_session *ls);
const struct mx_options *lab_session_options(const struct lab_session *ls, size_t i);
const struct target_spec *lab_session_target(const struct lab_session *ls, size_t i);
void lab_stop(struct lab_session *ls);

/* The setups, in the order lab_run probes them. */
size_t lab_setup_count(void);
const char *lab_setup_name(size_t i);	     /* NULL past the end */
const char *lab_setup_description(size_t i); /* one line; NULL past the end */

/* For --help: one "  NAME  description" line per setup. */
void lab_print_setups(FILE *out);

#endif
