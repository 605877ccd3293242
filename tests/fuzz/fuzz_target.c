/* \summary: libFuzzer target for target_parse, the user's (or a script's)
 * target string. A parsed target, written back as a URL, parses to the same
 * target; an error is one printable line.
 * specification: RFC 3986 section 3.2.2, RFC 1123 section 2.1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/target.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct target_spec *a, const struct target_spec *b)
{
	if (strcmp(a->scheme, b->scheme) != 0 || strcmp(a->host, b->host) != 0 || a->port != b->port ||
	    a->implicit_tls != b->implicit_tls || a->family != b->family)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* target_parse takes a C string: an exactly sized copy, cut at a NUL */
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	struct target_spec t;
	char err[256];
	err[0] = '\0';
	int rc = target_parse(s, &t, err, sizeof err);
	if (rc < 0) {
		if (rc != -1 || err[0] == '\0' || t.host || t.scheme || t.input)
			abort();
		/* one printable line: the message goes to a terminal */
		if (!str_is_safe(err, strlen(err), false)) /* the one escaping rule */
			abort();
	} else {
		if (rc != 0 || !t.host || !t.scheme || !t.input || t.port == 0 || strcmp(t.input, s) != 0)
			abort();
		if (t.family != 0 && t.family != AF_INET && t.family != AF_INET6)
			abort();
		size_t ulen = strlen(t.scheme) + strlen(t.host) + 16;
		char *url = malloc(ulen);
		if (!url)
			abort();
		snprintf(url, ulen, t.family == AF_INET6 ? "%s://[%s]:%u" : "%s://%s:%u", t.scheme, t.host,
			 (unsigned)t.port);
		struct target_spec again;
		if (target_parse(url, &again, err, sizeof err) != 0)
			abort();
		same_or_abort(&t, &again);
		target_spec_clear(&again);
		free(url);
	}
	target_spec_clear(&t);

	/* a small error buffer must still be terminated and never overrun */
	char small[8];
	if (target_parse(s, &t, small, sizeof small) < 0 && strlen(small) >= sizeof small)
		abort();
	target_spec_clear(&t);
	free(s);
	return 0;
}
