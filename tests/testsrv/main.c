/* \summary: mxtestsrv, the in-tree scripted SMTP server for the integration
 * tests: one fakesrv behaviour on one loopback address and port.
 *
 *   mxtestsrv --listen 127.0.0.1:0 --behaviour starttls-454 --ca-out ca.pem
 *
 * prints "PORT <n>" once it listens and serves until SIGTERM or SIGINT (or
 * EOF on stdin with --stdin-stop). Exit 0 after a stop, 1 when it could not
 * start, 2 on bad flags. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "lab/fakesrv.h"
#include "lab/labpki.h"

#define DAY (24 * 60 * 60)

enum lab_cert {
	CERT_VALID,
	CERT_EXPIRED,
	CERT_NOT_YET_VALID,
	CERT_WRONG_NAME
};

static const struct fakesrv_tok lab_cert_names[] = {
	{ CERT_VALID, "valid" },
	{ CERT_EXPIRED, "expired" },
	{ CERT_NOT_YET_VALID, "not-yet-valid" },
	{ CERT_WRONG_NAME, "wrong-name" },
	{ 0, NULL },
};

struct args {
	char addr[64];
	uint16_t port;
	int behaviour;
	const char *cert_file, *key_file, *ca_out, *hostname, *ready_file, *priority;
	enum lab_cert lab_cert;
	unsigned tarpit_ms, banner_delay_ms, read_timeout_ms, hold_ms;
	bool stdin_stop, verbose;
};

static void usage(FILE *f)
{
	fputs("usage: mxtestsrv --listen ADDR:PORT|[ADDR6]:PORT --behaviour NAME\n"
	      "         [--cert-file PEM --key-file PEM |\n"
	      "          --lab-cert valid|expired|not-yet-valid|wrong-name --ca-out PATH]\n"
	      "         [--hostname NAME] [--ready-file PATH] [--stdin-stop]\n"
	      "         [--priority STRING] [--tarpit-ms N] [--banner-delay-ms N]\n"
	      "         [--read-timeout-ms N] [--hold-ms N] [--verbose]\n"
	      "       mxtestsrv --list\n"
	      "Port 0 picks a free port; the port is printed as \"PORT <n>\".\n",
	      f);
}

static void list_behaviours(void)
{
	for (const struct fakesrv_tok *t = fakesrv_behaviour_names; t->name; t++)
		printf("%-26s %s\n", t->name, fakesrv_behaviour_desc(t->value));
}

static int tok_parse(const struct fakesrv_tok *tab, const char *s)
{
	for (; tab->name; tab++)
		if (strcmp(tab->name, s) == 0)
			return tab->value;
	return -1;
}

/* "127.0.0.1:25", "[::1]:25". 0 or -1. */
static int parse_listen(const char *s, struct args *a)
{
	const char *colon;
	size_t alen;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -1;
		alen = (size_t)(rb - s - 1);
		s++;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -1;
		alen = (size_t)(colon - s);
	}
	if (alen == 0 || alen >= sizeof a->addr)
		return -1;
	memcpy(a->addr, s, alen);
	a->addr[alen] = '\0';

	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p > 65535)
		return -1;
	a->port = (uint16_t)p;
	return 0;
}

static int parse_ms(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 600000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

enum {
	OPT_LISTEN = 256,
	OPT_BEHAVIOUR,
	OPT_CERT,
	OPT_KEY,
	OPT_CA_OUT,
	OPT_HOSTNAME,
	OPT_READY,
	OPT_STDIN_STOP,
	OPT_LIST,
	OPT_LAB_CERT,
	OPT_PRIORITY,
	OPT_TARPIT,
	OPT_BANNER_DELAY,
	OPT_READ_TIMEOUT,
	OPT_HOLD,
	OPT_VERBOSE,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "behaviour", required_argument, NULL, OPT_BEHAVIOUR },
	{ "behavior", required_argument, NULL, OPT_BEHAVIOUR },
	{ "cert-file", required_argument, NULL, OPT_CERT },
	{ "key-file", required_argument, NULL, OPT_KEY },
	{ "ca-out", required_argument, NULL, OPT_CA_OUT },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "stdin-stop", no_argument, NULL, OPT_STDIN_STOP },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "lab-cert", required_argument, NULL, OPT_LAB_CERT },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "tarpit-ms", required_argument, NULL, OPT_TARPIT },
	{ "banner-delay-ms", required_argument, NULL, OPT_BANNER_DELAY },
	{ "read-timeout-ms", required_argument, NULL, OPT_READ_TIMEOUT },
	{ "hold-ms", required_argument, NULL, OPT_HOLD },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* One flag; NULL when fine, else what was wrong with it. */
static const char *apply_opt(struct args *a, int o, const char *v, bool *list, bool *help)
{
	int b;

	switch (o) {
	case OPT_LISTEN:
		return parse_listen(v, a) ? "--listen wants ADDR:PORT or [ADDR6]:PORT" : NULL;
	case OPT_BEHAVIOUR:
		b = fakesrv_behaviour_parse(v);
		a->behaviour = b;
		return b < 0 ? "unknown --behaviour (see --list)" : NULL;
	case OPT_LAB_CERT:
		b = tok_parse(lab_cert_names, v);
		a->lab_cert = (enum lab_cert)(b < 0 ? 0 : b);
		return b < 0 ? "--lab-cert wants valid, expired, not-yet-valid or wrong-name" : NULL;
	case OPT_CERT:
		a->cert_file = v;
		return NULL;
	case OPT_KEY:
		a->key_file = v;
		return NULL;
	case OPT_CA_OUT:
		a->ca_out = v;
		return NULL;
	case OPT_HOSTNAME:
		a->hostname = v;
		return NULL;
	case OPT_READY:
		a->ready_file = v;
		return NULL;
	case OPT_PRIORITY:
		a->priority = v;
		return NULL;
	case OPT_STDIN_STOP:
		a->stdin_stop = true;
		return NULL;
	case OPT_VERBOSE:
		a->verbose = true;
		return NULL;
	case OPT_LIST:
		*list = true;
		return NULL;
	case OPT_HELP:
		*help = true;
		return NULL;
	case OPT_TARPIT:
		return parse_ms(v, &a->tarpit_ms) ? "--tarpit-ms wants 0..600000" : NULL;
	case OPT_BANNER_DELAY:
		return parse_ms(v, &a->banner_delay_ms) ? "--banner-delay-ms wants 0..600000" : NULL;
	case OPT_READ_TIMEOUT:
		return parse_ms(v, &a->read_timeout_ms) ? "--read-timeout-ms wants 0..600000" : NULL;
	case OPT_HOLD:
		return parse_ms(v, &a->hold_ms) ? "--hold-ms wants 0..600000" : NULL;
	default:
		return "unknown option (see --help)";
	}
}

/* 0 to run, 1 when done (--list / --help), 2 on bad flags. */
static int parse_args(int argc, char **argv, struct args *a)
{
	bool list = false, help = false, have_listen = false;
	int o;

	memset(a, 0, sizeof *a);
	a->behaviour = -1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (o == '?' || o == ':') {
			fprintf(stderr, "mxtestsrv: bad option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
		const char *bad = apply_opt(a, o, optarg, &list, &help);
		if (bad) {
			fprintf(stderr, "mxtestsrv: %s\n", bad);
			return 2;
		}
		have_listen |= o == OPT_LISTEN;
	}
	if (help || list) {
		help ? usage(stdout) : list_behaviours();
		return 1;
	}
	const char *bad = NULL;
	if (optind < argc)
		bad = "unexpected argument";
	else if (!have_listen)
		bad = "--listen is required";
	else if (a->behaviour < 0)
		bad = "--behaviour is required (see --list)";
	else if (!a->cert_file != !a->key_file)
		bad = "--cert-file and --key-file go together";
	else if (a->cert_file && a->ca_out)
		bad = "--ca-out only works with the lab PKI, not with --cert-file";
	if (bad) {
		fprintf(stderr, "mxtestsrv: %s\n", bad);
		return 2;
	}
	return 0;
}

/* Lab PKI credentials for the chosen kind of certificate. */
static int lab_credentials(const struct args *a, struct labpki *pki, gnutls_certificate_credentials_t *cred, char *err,
			   size_t errlen)
{
	int64_t now = (int64_t)time(NULL);
	int64_t nb = now - DAY, na = now + 90 * DAY;
	char ipsan[80];
	const char *name = a->hostname;
	const char *sans[3];

	switch (a->lab_cert) {
	case CERT_EXPIRED:
		nb = now - 400 * DAY;
		na = now - 30 * DAY;
		break;
	case CERT_NOT_YET_VALID:
		nb = now + 30 * DAY;
		na = now + 400 * DAY;
		break;
	case CERT_WRONG_NAME:
		name = "wrong-name.lab.invalid";
		break;
	default:
		break;
	}
	sans[0] = name;
	sans[1] = NULL;
	sans[2] = NULL;
	/* The tests connect to the address itself: put it in the certificate
	 * too, unless the name is meant to be wrong. */
	if (a->lab_cert != CERT_WRONG_NAME && strcmp(a->addr, "0.0.0.0") && strcmp(a->addr, "::")) {
		snprintf(ipsan, sizeof ipsan, "IP:%s", a->addr);
		sans[1] = ipsan;
	}
	return labpki_issue(pki, name, sans, nb, na, cred, err, errlen);
}

static int write_ready_file(const char *path, uint16_t port)
{
	char *tmp = NULL;
	FILE *f;
	int rc = -1;

	/* Written aside and renamed, so a test polling for it never reads half. */
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		goto out;
	fprintf(f, "PORT %u\n", (unsigned)port);
	if (fclose(f) == EOF || rename(tmp, path) < 0)
		goto out;
	rc = 0;
out:
	free(tmp);
	return rc;
}

static void log_stderr(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "mxtestsrv: %s\n", line);
}

/* Blocks until SIGTERM/SIGINT, or EOF on stdin when asked. */
static void wait_for_stop(int sfd, bool stdin_stop)
{
	struct pollfd p[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = stdin_stop ? STDIN_FILENO : -1, .events = POLLIN },
	};
	char sink[512];

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[0].revents)
			return;
		if (p[1].revents) {
			ssize_t r = read(STDIN_FILENO, sink, sizeof sink);
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
				return;
		}
	}
}

int main(int argc, char **argv)
{
	struct args a;
	struct labpki *pki = NULL;
	struct fakesrv *srv = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	char err[256] = "";
	sigset_t set;
	int sfd = -1, rc = 1, ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret == 1 ? 0 : 2;
	if (!a.hostname)
		a.hostname = "mail.lab.example";

	signal(SIGPIPE, SIG_IGN);
	/* Blocked before the server thread starts, so only signalfd sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "mxtestsrv: signalfd: %s\n", strerror(errno));
		goto out;
	}

	if (a.cert_file) {
		if ((ret = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
		    (ret = gnutls_certificate_set_x509_key_file(cred, a.cert_file, a.key_file, GNUTLS_X509_FMT_PEM)) <
			    0) {
			fprintf(stderr, "mxtestsrv: loading %s / %s: %s\n", a.cert_file, a.key_file,
				gnutls_strerror(ret));
			goto out;
		}
	} else {
		pki = labpki_new(err, sizeof err);
		if (!pki || lab_credentials(&a, pki, &cred, err, sizeof err) < 0) {
			fprintf(stderr, "mxtestsrv: %s\n", err);
			goto out;
		}
		if (a.ca_out && labpki_write_ca_pem(pki, a.ca_out) < 0) {
			fprintf(stderr, "mxtestsrv: writing %s: %s\n", a.ca_out, strerror(errno));
			goto out;
		}
	}

	struct fakesrv_cfg cfg = {
		.addr = a.addr,
		.port = a.port,
		.behaviour = (enum fakesrv_behaviour)a.behaviour,
		.hostname = a.hostname,
		.cred = cred,
		.priority = a.priority,
		.banner_delay_ms = a.banner_delay_ms,
		.tarpit_byte_ms = a.tarpit_ms,
		.read_timeout_ms = a.read_timeout_ms,
		.hold_ms = a.hold_ms,
		.log = a.verbose ? log_stderr : NULL,
	};
	srv = fakesrv_start(&cfg, err, sizeof err);
	if (!srv) {
		fprintf(stderr, "mxtestsrv: %s\n", err);
		goto out;
	}
	printf("PORT %u\n", (unsigned)fakesrv_port(srv));
	fflush(stdout);
	if (a.ready_file && write_ready_file(a.ready_file, fakesrv_port(srv)) < 0) {
		fprintf(stderr, "mxtestsrv: writing %s: %s\n", a.ready_file, strerror(errno));
		goto out;
	}
	wait_for_stop(sfd, a.stdin_stop);
	rc = 0;
out:
	fakesrv_stop(srv);
	if (cred)
		gnutls_certificate_free_credentials(cred);
	labpki_free(pki);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
