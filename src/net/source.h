/* \summary: the probe's own source address (--source): parsed once by the
 * cli, bound before every connect, so that access rules for one client
 * address (KB823019 "connect from an excluded address") can be tested. */
#ifndef SRC_NET_SOURCE_H
#define SRC_NET_SOURCE_H

#include <stddef.h>
#include <sys/socket.h>

/* A numeric IPv4 or IPv6 address (no port, no brackets) as a sockaddr of
 * `family` with port 0. 0; -1 if it is not an address; -2 if it is one of
 * another family than the target's. */
int source_sockaddr(const char *addr, int family, struct sockaddr_storage *out, socklen_t *len);

/* Checks that addr is a numeric address this host can bind (it is one of
 * ours). 0, or -1 with a one-line reason in err. */
int source_check(const char *addr, char *err, size_t errlen);

#endif
