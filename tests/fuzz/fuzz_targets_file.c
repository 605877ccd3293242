/* \summary: libFuzzer target for the --targets-file reader: any bytes give
 * targets and domains, or FILE:LINE errors that are counted, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/targets_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *user, const char *msg)
{
	if (strncmp(msg, "t.txt:", 6) != 0)
		abort();
	(*(unsigned *)user)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	char *copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	FILE *fp = fmemopen(copy, size, "r");
	if (!fp)
		abort();
	struct targets_list l = { 0 };
	unsigned errors = 0;
	if (targets_file_read(fp, "t.txt", &l, count, &errors) != 0)
		abort();
	if (errors != l.bad)
		abort();
	for (size_t i = 0; i < l.n; i++)
		if (!l.e[i].domain && !l.e[i].spec.host)
			abort();
	targets_list_clear(&l);
	fclose(fp);
	free(copy);
	return 0;
}
