/* \summary: --targets-file (see targets_file.h). */
#include "cli/targets_file.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "util/util.h"

static void report(void (*on_error)(void *, const char *), void *user, const char *name, unsigned line, const char *msg)
{
	char *m = xasprintf("%s:%u: %s", name, line, msg);
	if (on_error)
		on_error(user, m);
	free(m);
}

static struct targets_entry *add(struct targets_list *l, unsigned line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->e = xrealloc(l->e, l->cap * sizeof *l->e);
	}
	struct targets_entry *e = &l->e[l->n++];
	memset(e, 0, sizeof *e);
	e->line = line;
	return e;
}

/* One line without its end: trimmed, comment cut. */
static void parse_line(char *s, const char *name, unsigned line, struct targets_list *out,
		       void (*on_error)(void *, const char *), void *user)
{
	char *hash = strchr(s, '#');
	if (hash)
		*hash = '\0';
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	if (!*s)
		return;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f || isspace((unsigned char)*p)) {
			report(on_error, user, name, line,
			       "expected one target on the line, got spaces or control characters");
			out->bad++;
			return;
		}
	if (str_has_prefix_ci(s, "domain:")) {
		const char *d = s + strlen("domain:");
		if (!dns_domain_ok(d)) {
			char *m = xasprintf("'%.200s': expected a mail domain such as domain:example.com", d);
			report(on_error, user, name, line, m);
			free(m);
			out->bad++;
			return;
		}
		add(out, line)->domain = xstrdup(d);
		return;
	}
	struct target_spec spec;
	char err[512];
	if (target_parse(s, &spec, err, sizeof err) < 0) {
		report(on_error, user, name, line, err);
		out->bad++;
		return;
	}
	add(out, line)->spec = spec;
}

int targets_file_read(FILE *fp, const char *name, struct targets_list *out, void (*on_error)(void *, const char *),
		      void *user)
{
	if (strcmp(name, "-") == 0)
		name = "<stdin>";
	char buf[TARGETS_FILE_MAX_LINE + 2];
	unsigned line = 0;
	bool skipping = false; /* the rest of an overlong line */
	while (fgets(buf, sizeof buf, fp)) {
		size_t n = strlen(buf);
		bool whole = n && buf[n - 1] == '\n';
		if (skipping) {
			skipping = !whole;
			continue;
		}
		line++;
		if (!whole && !feof(fp)) {
			char *m = xasprintf("expected a line of at most %d bytes", TARGETS_FILE_MAX_LINE);
			report(on_error, user, name, line, m);
			free(m);
			out->bad++;
			skipping = true;
			continue;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		parse_line(buf, name, line, out, on_error, user);
	}
	return ferror(fp) ? -1 : 0;
}

void targets_list_clear(struct targets_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].domain);
		target_spec_clear(&l->e[i].spec);
	}
	free(l->e);
	memset(l, 0, sizeof *l);
}
