/* \summary: parse a target as the user writes it (see target.h).
 * specification: RFC 3986 section 3.2.2 (IPv6 literals in brackets),
 * RFC 6409 (submission, 587), RFC 8314 (implicit TLS, 465). */
#include "net/target.h"

#include "net/idn.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util/util.h"

struct scheme {
	const char *name;
	uint16_t port;
	bool implicit_tls;
	const char *dialect; /* proto/dialect.h: what is spoken before (or inside) TLS */
};

static const struct scheme schemes[] = {
	{ "smtp", 25, false, "smtp" },	{ "submission", 587, false, "smtp" },
	{ "smtps", 465, true, "smtp" }, { "lmtp", 24, false, "lmtp" }, /* RFC 2033 */
	{ "pop3", 110, false, "pop3" },				       /* RFC 1939, STLS: RFC 2595 */
	{ "pop3s", 995, true, "pop3" },				       /* RFC 8314 */
	{ "imap", 143, false, "imap" },				       /* RFC 3501/9051, STARTTLS */
	{ "imaps", 993, true, "imap" },				       /* RFC 8314 */
	{ NULL, 0, false, NULL },
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *full = xvasprintf(fmt, ap);
	va_end(ap);
	/* Cut between characters, never inside a UTF-8 sequence: the message
	 * is one printable line (the one escaping rule, util.h). */
	size_t len = strlen(full);
	if (errlen && len >= errlen) {
		len = errlen - 1;
		while (len > 0 && ((unsigned char)full[len] & 0xC0) == 0x80)
			len--;
	}
	if (errlen) {
		memcpy(err, full, len);
		err[len] = '\0';
	}
	free(full);
	return -1;
}

static int parse_port(const char *s, uint16_t *out)
{
	if (!*s || strlen(s) > 5)
		return -1;
	unsigned long v = 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* RFC 1123 host name: labels of letters, digits, hyphens (and the
 * underscore some internal names carry), 1..63 octets, 253 in all. */
bool target_host_name_ok(const char *h)
{
	size_t len = strlen(h);
	if (len && h[len - 1] == '.')
		len--;
	/* RFC 1035 section 2.3.4: 255 octets on the wire, 253 characters. */
	if (len == 0 || len > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if (c == '-' && (label == 0 || i + 1 == len || h[i + 1] == '.'))
			return false;
		if (++label > 63)
			return false;
	}
	if (label == 0)
		return false;
	/* RFC 3696 section 2: a top-level label is never all-numeric, so
	 * "1.2.3" or "256.1.1.1" is a mistyped address, not a name. */
	size_t last = len - label;
	for (size_t i = last; i < len; i++)
		if (!isdigit((unsigned char)h[i]))
			return true;
	return false;
}

static int parse(const char *s, const char *shown, struct target_spec *out, char *err, size_t errlen);

int target_parse(const char *s, struct target_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!s)
		s = "";
	/* Error messages quote the input: never echo control bytes. */
	char *shown = str_escape(s, strlen(s), 200);
	int rc = parse(s, shown, out, err, errlen);
	free(shown);
	return rc;
}

static int parse(const char *s, const char *shown, struct target_spec *out, char *err, size_t errlen)
{
	if (!s || !*s)
		return fail(err, errlen,
			    "empty target: expected HOST, HOST:PORT, [IPv6]:PORT or SCHEME://HOST[:PORT] "
			    "(smtp, submission, smtps, lmtp, pop3, pop3s, imap, imaps)");
	/* Bytes from 0x80 are UTF-8 of an internationalised name (below). */
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
			return fail(err, errlen, "target '%s': unexpected whitespace or control character", shown);

	const struct scheme *sc = &schemes[0];
	const char *rest = s;
	const char *sep = strstr(s, "://");
	if (sep) {
		size_t n = (size_t)(sep - s);
		sc = NULL;
		for (const struct scheme *c = schemes; c->name; c++)
			if (strlen(c->name) == n && strncasecmp(s, c->name, n) == 0)
				sc = c;
		if (!sc) {
			char *bad = str_escape(s, n, 64); /* the message is one printable line */
			fail(err, errlen,
			     "target '%s': unknown scheme '%s', expected smtp://, submission://, smtps://, "
			     "lmtp://, pop3://, pop3s://, imap:// or imaps://",
			     shown, bad);
			free(bad);
			return -1;
		}
		rest = sep + 3;
		/* allow a trailing slash, as URLs are often pasted that way */
	}

	char *hostport = xstrdup(rest);
	size_t hl = strlen(hostport);
	if (hl && hostport[hl - 1] == '/')
		hostport[--hl] = '\0';
	if (strchr(hostport, '/') || strchr(hostport, '@') || strchr(hostport, '?')) {
		free(hostport);
		return fail(err, errlen, "target '%s': expected HOST[:PORT] after the scheme, without path or user",
			    shown);
	}

	char *host = NULL;
	const char *portstr = NULL;
	int family = 0;
	if (hostport[0] == '[') {
		char *close = strchr(hostport, ']');
		if (!close) {
			free(hostport);
			return fail(err, errlen, "target '%s': missing ']' after the IPv6 address", shown);
		}
		*close = '\0';
		host = xstrdup(hostport + 1);
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1] != '\0') {
			free(host);
			free(hostport);
			return fail(err, errlen, "target '%s': expected ':PORT' or nothing after ']'", shown);
		}
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			char *bad = str_escape(host, strlen(host), 64);
			fail(err, errlen, "target '%s': '%s' is not an IPv6 address", shown, bad);
			free(bad);
			free(host);
			free(hostport);
			return -1;
		}
		family = AF_INET6;
	} else {
		char *colon = strchr(hostport, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* A bare IPv6 address without port: accept it when it parses. */
			struct in6_addr a6;
			if (inet_pton(AF_INET6, hostport, &a6) != 1) {
				free(hostport);
				return fail(err, errlen,
					    "target '%s': an IPv6 address with a port needs brackets: [ADDR]:PORT",
					    shown);
			}
			host = xstrdup(hostport);
			family = AF_INET6;
		} else {
			if (colon) {
				*colon = '\0';
				portstr = colon + 1;
			}
			host = xstrdup(hostport);
			struct in_addr a4;
			if (idn_has_non_ascii(host)) {
				/* U-labels: DNS, SNI and name matching use the A-labels. */
				char ierr[256];
				char *alabels = idn_to_alabels(host, ierr, sizeof ierr);
				if (!alabels) {
					fail(err, errlen, "target '%s': %s", shown, ierr);
					free(host);
					free(hostport);
					return -1;
				}
				free(host);
				host = alabels;
				out->host_unicode = idn_to_ulabels(host);
			}
			if (inet_pton(AF_INET, host, &a4) == 1)
				family = AF_INET;
			else if (!target_host_name_ok(host)) {
				char *bad = str_escape(host, strlen(host), 64);
				fail(err, errlen, "target '%s': '%s' is neither a host name nor an IPv4 address", shown,
				     bad);
				free(bad);
				free(host);
				free(hostport);
				free(out->host_unicode);
				out->host_unicode = NULL;
				return -1;
			}
		}
	}

	uint16_t port = sc->port;
	if (portstr && parse_port(portstr, &port) < 0) {
		char *bad = str_escape(portstr, strlen(portstr), 16);
		fail(err, errlen, "target '%s': port '%s' is not a number from 1 to 65535", shown, bad);
		free(bad);
		free(host);
		free(hostport);
		free(out->host_unicode);
		out->host_unicode = NULL;
		return -1;
	}
	free(hostport);
	/* Without a scheme, the well-known ports say what is meant. */
	if (!sep && port == 465)
		sc = &schemes[2];
	else if (!sep && port == 587)
		sc = &schemes[1];

	/* Host names compare case-insensitively; keep them lower case. */
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	out->input = xstrdup(s);
	out->scheme = xstrdup(sc->name);
	out->host = host;
	out->port = port;
	out->implicit_tls = sc->implicit_tls;
	out->family = family;
	out->dialect = sc->dialect;
	return 0;
}

void target_spec_clear(struct target_spec *t)
{
	free(t->input);
	free(t->scheme);
	free(t->host);
	free(t->host_unicode);
	free(t->domain);
	free(t->mx_host);
	memset(t, 0, sizeof *t);
}
