/* \summary: live capture with libpcap (wire/capture.h).
 *
 * The interface is the one the route to the target uses: connect() a UDP
 * socket (no packet is sent), take its local address, and find the
 * interface that holds it; "any" when none does. The BPF filter keeps only
 * TCP to and from the target's addresses and port. */
#include "wire/capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

struct wire_capture {
	pcap_t *p;
	pcap_dumper_t *dump;
	pthread_t thread;
	int stop_pipe[2];
	uint64_t packets;
};

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
			      &((const struct sockaddr_in *)(const void *)b)->sin_addr, 4) == 0;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
	return false;
}

/* The interface holding the local address the route to ai uses. */
static char *route_interface(const struct addrinfo *ai)
{
	struct sockaddr_storage local;
	socklen_t ll = sizeof local;
	int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return xstrdup("any");
	bool ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 && getsockname(fd, (struct sockaddr *)&local, &ll) == 0;
	close(fd);
	if (!ok)
		return xstrdup("any");
	pcap_if_t *all = NULL;
	char err[PCAP_ERRBUF_SIZE];
	char *name = NULL;
	if (pcap_findalldevs(&all, err) == 0) {
		for (pcap_if_t *d = all; d && !name; d = d->next)
			for (pcap_addr_t *a = d->addresses; a && !name; a = a->next)
				if (same_addr(a->addr, (struct sockaddr *)&local))
					name = xstrdup(d->name);
		pcap_freealldevs(all);
	}
	return name ? name : xstrdup("any");
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct wire_capture *c = (struct wire_capture *)user;
	pcap_dump((u_char *)c->dump, h, bytes);
	c->packets++;
}

static void *capture_thread(void *arg)
{
	struct wire_capture *c = arg;
	struct pollfd pf[2] = { { .fd = pcap_get_selectable_fd(c->p), .events = POLLIN },
				{ .fd = c->stop_pipe[0], .events = POLLIN } };
	for (;;) {
		poll(pf, 2, 100);
		pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
		if (pf[1].revents)
			break;
	}
	/* What the kernel queued before the stop still goes in the file:
	 * drain until it stays quiet for 50 ms. */
	for (int quiet = 0; quiet < 5;) {
		poll(pf, 1, 10);
		quiet = pcap_dispatch(c->p, -1, on_packet, (u_char *)c) > 0 ? 0 : quiet + 1;
	}
	return NULL;
}

static char *bpf_for(uint16_t port, struct addrinfo *res)
{
	struct buf b;
	buf_init(&b, 4096);
	char *head = xasprintf("tcp port %u and (", port);
	buf_append(&b, head, strlen(head));
	free(head);
	int n = 0;
	for (struct addrinfo *ai = res; ai && n < 16; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		const void *src = ai->ai_family == AF_INET
					  ? (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
					  : (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
		if (!inet_ntop(ai->ai_family, src, a, sizeof a))
			continue;
		char *term = xasprintf("%shost %s", n++ ? " or " : "", a);
		buf_append(&b, term, strlen(term));
		free(term);
	}
	buf_append(&b, ")", 2);
	return b.data;
}

struct wire_capture *wire_capture_start(const char *host, uint16_t port, const char *path, char *err, size_t errlen,
					bool *no_rights)
{
	*no_rights = false;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG }, *res = NULL;
	int gai = getaddrinfo(host, NULL, &hints, &res);
	if (gai != 0) {
		snprintf(err, errlen, "cannot resolve %s to filter the capture: %s", host, gai_strerror(gai));
		return NULL;
	}
	char *ifname = route_interface(res);
	char *filter = bpf_for(port, res);
	freeaddrinfo(res);
	struct wire_capture *c = xcalloc(1, sizeof *c);
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	bool prog_ok = false;
	c->p = pcap_create(ifname, perr);
	if (!c->p) {
		snprintf(err, errlen, "capture on %s: %s", ifname, perr);
		goto fail;
	}
	pcap_set_snaplen(c->p, 262144);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_buffer_size(c->p, 4 << 20);
	int rc = pcap_activate(c->p);
	if (rc < 0) {
		*no_rights = rc == PCAP_ERROR_PERM_DENIED;
		snprintf(err, errlen, "capture on %s: %s", ifname,
			 *no_rights ? "no capture rights (needs root or CAP_NET_RAW)" : pcap_geterr(c->p));
		goto fail;
	}
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "capture filter '%s': %s", filter, pcap_geterr(c->p));
		goto fail;
	}
	prog_ok = true;
	if (pcap_setfilter(c->p, &prog) < 0 || pcap_setnonblock(c->p, 1, perr) < 0) {
		snprintf(err, errlen, "capture on %s: %s", ifname, pcap_geterr(c->p));
		goto fail;
	}
	pcap_freecode(&prog);
	prog_ok = false;
	c->dump = pcap_dump_open(c->p, path);
	if (!c->dump) {
		snprintf(err, errlen, "capture file %s: %s", path, pcap_geterr(c->p));
		goto fail;
	}
	if (pipe(c->stop_pipe) < 0 || pthread_create(&c->thread, NULL, capture_thread, c) != 0) {
		snprintf(err, errlen, "capture: cannot start its thread");
		goto fail;
	}
	free(ifname);
	free(filter);
	return c;
fail:
	if (prog_ok)
		pcap_freecode(&prog);
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->p)
		pcap_close(c->p);
	for (int i = 0; i < 2; i++)
		if (c->stop_pipe[i] >= 0)
			close(c->stop_pipe[i]);
	free(c);
	free(ifname);
	free(filter);
	return NULL;
}

uint64_t wire_capture_stop(struct wire_capture *c)
{
	if (!c)
		return 0;
	while (write(c->stop_pipe[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(c->thread, NULL);
	uint64_t n = c->packets;
	pcap_dump_close(c->dump);
	pcap_close(c->p);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	free(c);
	return n;
}
