/* \summary: libFuzzer target for the --policy-file parser: any bytes either
 * parse into partners with a domain and a level, or give one printable
 * FILE:LINE:COLUMN error line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/policy_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct partner_list l;
	char err[512] = "";
	/* dir "/nonexistent": a file option never names a real file */
	int rc = policy_file_parse((const char *)data, size, "p.conf", "/nonexistent", &l, err, sizeof err);
	if (rc == 0) {
		if (l.n == 0)
			abort();
		for (size_t i = 0; i < l.n; i++)
			if (!l.p[i].domain || l.p[i].policy > POLICY_DOMAIN_SECURE ||
			    l.p[i].nnames > MX_MAX_EXPECT_NAMES)
				abort();
		partner_list_clear(&l);
	} else {
		if (rc != -1 || strncmp(err, "p.conf:", 7) != 0 || l.n != 0)
			abort();
		for (const char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				abort();
	}
	return 0;
}
