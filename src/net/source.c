/* \summary: the probe's own source address (--source).
 * specification: POSIX bind(2); RFC 4291 (IPv6 text forms). */
#include "net/source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int source_sockaddr(const char *addr, int family, struct sockaddr_storage *out, socklen_t *len)
{
	struct in_addr a4;
	struct in6_addr a6;
	int have = inet_pton(AF_INET, addr, &a4) == 1 ? AF_INET : inet_pton(AF_INET6, addr, &a6) == 1 ? AF_INET6 : 0;
	if (!have)
		return -1;
	if (have != family)
		return -2;
	memset(out, 0, sizeof *out);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;
		sin->sin_family = AF_INET;
		sin->sin_addr = a4;
		*len = sizeof *sin;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a6;
		*len = sizeof *sin6;
	}
	return 0;
}

int source_check(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (source_sockaddr(addr, family, &ss, &len) < 0) {
		snprintf(err, errlen, "expected a numeric IPv4 or IPv6 address of this host");
		return -1;
	}
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int rc = bind(fd, (struct sockaddr *)&ss, len);
	int e = errno;
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bind it: %s", strerror(e));
		return -1;
	}
	return 0;
}
