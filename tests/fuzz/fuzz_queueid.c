/* \summary: libFuzzer target for the queue id extraction from a reply to
 * the end of DATA (scenario_queue_id): any text, NULL or a non-empty token
 * that occurs in the text and obeys the escaping rule once sanitized.
 * specification: RFC 5321 section 4.1.1.4. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	char *id = scenario_queue_id(text);
	if (id) {
		if (!id[0] || !strstr(text, id))
			abort();
		char *s = str_sanitize(id, false);
		if (!str_is_safe(s, strlen(s), false))
			abort();
		free(s);
	}
	free(id);
	free(text);
	return 0;
}
