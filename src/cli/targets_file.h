/* \summary: --targets-file FILE|-: one target per line, as on the command
 * line (host, host:port, URL such as submission://host), or a mail domain
 * as "domain:example.com"; "#" starts a comment, blank lines are skipped.
 * A bad line is reported as FILE:LINE: and the others still run. */
#ifndef SRC_CLI_TARGETS_FILE_H
#define SRC_CLI_TARGETS_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "net/target.h"

/* A line longer than this is an error, not a target. */
#define TARGETS_FILE_MAX_LINE 1024

struct targets_entry {
	unsigned line;
	char *domain;		 /* "domain:NAME" lines: the domain; NULL otherwise */
	struct target_spec spec; /* other lines: the parsed target */
};

struct targets_list {
	struct targets_entry *e;
	size_t n, cap;
	unsigned bad; /* lines reported as errors */
};

/* Reads every line of fp; name is what errors call the file ("-" reads as
 * "<stdin>"). Each bad line goes to on_error as "FILE:LINE: message" and is
 * counted in out->bad. Returns 0, or -1 when fp could not be read (err). */
int targets_file_read(FILE *fp, const char *name, struct targets_list *out,
		      void (*on_error)(void *user, const char *msg), void *user);
void targets_list_clear(struct targets_list *l);

#endif
