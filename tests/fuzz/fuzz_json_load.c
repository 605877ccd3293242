/* \summary: libFuzzer target for the JSON report reader (--load,
 * report/json_load.c): any bytes either load, or fail with a one-line
 * reason; what loads renders back to JSON that loads again and renders the
 * same (the reader and the renderer agree on every value they let in). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json_load.h"
#include "report/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render(const struct report *r, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	if (!fp)
		abort();
	struct render_opts ro = { 0 };
	if (render_json(fp, r, &ro) != 0)
		abort();
	fclose(fp);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report r;
	char err[512] = "";
	if (report_load_json((const char *)data, size, &r, err, sizeof err) < 0) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		report_clear(&r);
		return 0;
	}
	size_t n1, n2;
	char *j1 = render(&r, &n1);
	struct report back;
	if (report_load_json(j1, n1, &back, err, sizeof err) < 0)
		abort();
	char *j2 = render(&back, &n2);
	if (n1 != n2 || memcmp(j1, j2, n1) != 0)
		abort();
	free(j1);
	free(j2);
	report_clear(&back);
	report_clear(&r);
	return 0;
}
