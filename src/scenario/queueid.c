/* \summary: the queue id in a server's reply to the end of DATA, so that a
 * test message can be followed in the server's logs ("verify mail flow").
 * The forms of the servers mail administrators meet: Postfix
 * "250 2.0.0 Ok: queued as 4XyZ", Exim "250 OK id=1q2w3e-0001-ab",
 * Exchange "250 2.6.0 <id> [InternalId=123, ...] Queued mail for delivery",
 * Sendmail "250 2.0.0 x1ABC Message accepted for delivery".
 * specification: RFC 5321 section 4.1.1.4 (the reply text is free-form). */
#include "scenario/scenario.h"

#include <string.h>

#include "util/util.h"

static char *token_after(const char *text, const char *marker, const char *allowed_extra)
{
	const char *p = strcasestr(text, marker);
	if (!p)
		return NULL;
	p += strlen(marker);
	size_t n = 0;
	while (p[n] && n < 64 &&
	       ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
		strchr(allowed_extra, p[n])))
		n++;
	return n ? xstrndup(p, n) : NULL;
}

char *scenario_queue_id(const char *text)
{
	char *id = token_after(text, "queued as ", "");
	if (!id)
		id = token_after(text, "id=", "-");
	if (!id)
		id = token_after(text, "InternalId=", "");
	if (id)
		return id;
	/* Sendmail: "x1ABC23 Message accepted for delivery" */
	const char *m = strcasestr(text, " Message accepted");
	if (m) {
		const char *b = m;
		while (b > text && b[-1] != ' ' && b[-1] != '\n')
			b--;
		if (m - b > 0 && m - b < 64)
			return xstrndup(b, (size_t)(m - b));
	}
	return NULL;
}
