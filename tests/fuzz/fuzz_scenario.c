/* \summary: libFuzzer target for the scenario parser (src/scenario/): any
 * bytes as a scenario file. An error is exactly one printable line
 * "fuzz.scn:LINE:COLUMN: expected X, got Y" whose line exists in the input;
 * a parsed scenario has statements with their source lines, compiled
 * regexes that run, and no secret in any text that can be shown.
 * Files and the environment are not read (no_io): secrets and env get
 * placeholders. The seed corpus is scenarios/ (the shipped files, replayed
 * by the ctest fuzz.scenario_shipped and copied in by run.sh) plus the
 * malformed files in corpus/scenario.
 * specification: docs/scenarios.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const char *err, const uint8_t *data, size_t size)
{
	unsigned line = 0, col = 0;
	int used = 0;
	if (sscanf(err, "fuzz.scn:%u:%u: %n", &line, &col, &used) != 2 || used == 0)
		abort();
	if (!strstr(err, ": expected ") || !strstr(err, ", got "))
		abort();
	if (!str_is_safe(err, strlen(err), false)) /* the one escaping rule */
		abort();
	/* the line exists (an empty file reports line 1) */
	unsigned lines = 1;
	for (size_t i = 0; i + 1 < size; i++)
		if (data[i] == '\n')
			lines++;
	if (line < 1 || line > lines || col < 1 || col > SCN_MAX_LINE + 1)
		abort();
}

static void check_ok(const struct scenario *sc)
{
	if (sc->n == 0 || !sc->name)
		abort();
	for (size_t i = 0; i < sc->n; i++) {
		const struct scn_stmt *st = &sc->s[i];
		if (!st->src || st->line < 1)
			abort();
		if (st->ex.has_re)
			(void)regexec(&st->ex.re, "250-mx.example ESMTP\nSTARTTLS", 0, NULL, 0);
		if (st->ex.ncodes > SCN_MAX_CODES)
			abort();
		/* the placeholder secret of no_io mode is "secret": it may only be auth's password */
		if (st->op == SCN_AUTH_PLAIN && (!st->secret || strcmp(st->secret, "secret") != 0))
			abort();
		if (st->op != SCN_AUTH_PLAIN && st->secret)
			abort();
		const char *shown[] = { st->arg, st->arg2, st->then.msg, st->els.msg };
		for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++)
			if (shown[k] && (strchr(shown[k], '\n') || strchr(shown[k], '\r')))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const vars[] = { "CLIENT_CERT=c.pem", "CLIENT_KEY=c.key", "PARTNER=mx.partner.example",
					    "RCPT=postmaster@example.com" };
	struct scn_parse_opts po = { .vars = vars, .nvars = 4, .no_io = true };
	/* an exactly sized copy: a read past the end is an ASan report */
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	struct scenario *sc = NULL;
	char err[700];
	err[0] = '\0';
	int rc = scenario_parse("fuzz.scn", text, size, &po, &sc, err, sizeof err);
	if (rc == 0) {
		if (!sc)
			abort();
		check_ok(sc);
		scenario_free(sc);
	} else {
		if (rc != -1 || sc)
			abort();
		check_error(err, data, size);
	}
	free(text);
	return 0;
}
