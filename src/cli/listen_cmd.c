/* \summary: `mxprobe listen [ADDR:]PORT`: the command line of the
 * diagnostic receiver (src/listen). Its own flags, every local input
 * checked before the socket is bound (fail closed: exit 2), then
 * lsn_run. The key's password is read from a file or the environment,
 * never argv, and never printed. */
#include "cli/listen_cmd.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen/listen.h"
#include "pki/revocation.h"
#include "tls/identity.h"
#include "tui/listen_view.h"
#include "tui/tui.h"
#include "util/util.h"

#define CAP_PASSWORD  4096
#define CAP_CRL_FILE  (64u << 20) /* as check's --crl-file */
#define MAX_CRL_FILES 8
#define CAP_CA_FILE   (16u << 20)

/* The identity loader (shared with check) names check's flags; ours are
 * --cert and --key. In place. */
static char *flag_names(char *err)
{
	static const char *const from[] = { "--client-cert ", "--client-key " };
	static const char *const to[] = { "--cert ", "--key " };
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(from[i]);
		if (strncmp(err, from[i], n) == 0) {
			size_t m = strlen(to[i]);
			memmove(err + m, err + n, strlen(err + n) + 1);
			memcpy(err, to[i], m);
		}
	}
	return err;
}

static const char listen_usage[] =
	"Usage: mxprobe listen [OPTIONS] [ADDR:]PORT\n"
	"\n"
	"A diagnostic SMTP receiver: point a partner's sending MTA at it and see what it presents\n"
	"(EHLO, ClientHello, TLS, client certificate and its verdict). It never stores or relays mail.\n"
	"ADDR is an IP address ([IPv6]:PORT); without it every address is used.\n"
	"\n"
	"  --cert FILE, --key FILE   our certificate chain and key (PEM); without them (or --pkcs12)\n"
	"                            STARTTLS is not offered\n"
	"  --pkcs12 FILE             the same from a PKCS#12 file; its password: first line of\n"
	"  --pkcs12-password-file F  F, or MXPROBE_PKCS12_PASSWORD (never on the command line)\n"
	"  --ca-file FILE            the partners' roots (PEM): their names are sent in the\n"
	"                            CertificateRequest and client chains are verified against them\n"
	"                            (then the system store); needs --cert/--key or --pkcs12\n"
	"  --crl-file FILE           a CRL (DER or PEM) of a partner CA: client certificates are\n"
	"                            checked against it (repeatable; nothing is fetched; needs a\n"
	"                            certificate as --ca-file does)\n"
	"  --implicit                TLS at once (as on port 465), no STARTTLS\n"
	"  --partner DOMAIN          judge each session as a domain-secure receive policy for DOMAIN\n"
	"                            would (Exchange TLSReceiveDomainSecureList): would pass / refused\n"
	"  --hostname NAME           our name in the banner and EHLO reply (default: this host's)\n"
	"  --accept-data             read the message, keep its headers, answer 250 with a queue id\n"
	"                            (default: 550 at DATA)\n"
	"  --max-size BYTES          message size limit (default 10485760)\n"
	"  --timeout SECS            each read (default 60)\n"
	"  --session-timeout SECS    a whole session (default 300)\n"
	"  --max-concurrent N        sessions at once; more get 421 (default 50)\n"
	"  --sessions N              stop after N sessions\n"
	"  --duration SECS           stop after SECS seconds (SIGINT/SIGTERM stop too, cleanly)\n"
	"  --no-rdns                 do not look up the client's reverse name\n"
	"  -f, --format FMT          text (default), jsonl (one record per session), log (Exchange\n"
	"                            receive-connector protocol log)\n"
	"  -o, --output FILE         write the sessions to FILE instead of standard output\n"
	"  --tui                     show the sessions live in the terminal (a row each, q or Ctrl-C\n"
	"                            stops); the sessions go to -o FILE only; needs a terminal\n"
	"\n"
	"Exit status: 0; 1 when --partner was given and a session would be refused; 2 on a usage or\n"
	"configuration error (before anything is bound); 130/143 after SIGINT/SIGTERM.\n";

enum {
	O_CERT = 256,
	O_KEY,
	O_PKCS12,
	O_PKCS12_PW,
	O_CA_FILE,
	O_IMPLICIT,
	O_PARTNER,
	O_HOSTNAME,
	O_ACCEPT,
	O_MAX_SIZE,
	O_TIMEOUT,
	O_SESSION_TIMEOUT,
	O_MAX_CONC,
	O_SESSIONS,
	O_DURATION,
	O_NO_RDNS,
	O_CRL_FILE,
	O_TUI,
};

static const struct option listen_options[] = {
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "pkcs12", required_argument, NULL, O_PKCS12 },
	{ "pkcs12-password-file", required_argument, NULL, O_PKCS12_PW },
	{ "ca-file", required_argument, NULL, O_CA_FILE },
	{ "implicit", no_argument, NULL, O_IMPLICIT },
	{ "partner", required_argument, NULL, O_PARTNER },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "accept-data", no_argument, NULL, O_ACCEPT },
	{ "max-size", required_argument, NULL, O_MAX_SIZE },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "session-timeout", required_argument, NULL, O_SESSION_TIMEOUT },
	{ "max-concurrent", required_argument, NULL, O_MAX_CONC },
	{ "sessions", required_argument, NULL, O_SESSIONS },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "no-rdns", no_argument, NULL, O_NO_RDNS },
	{ "crl-file", required_argument, NULL, O_CRL_FILE },
	{ "tui", no_argument, NULL, O_TUI },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int usage(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int usage(const char *fmt, const char *arg)
{
	char *a = arg ? str_sanitize(arg, false) : NULL;
	fputs("mxprobe listen: ", stderr);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, a ? a : "");
#pragma GCC diagnostic pop
	fputs(" (see mxprobe listen --help)\n", stderr);
	free(a);
	return 2;
}

/* "FLAG FILE: why", exit status 2. */
static int file_usage(const char *flag, const char *file, const char *why)
{
	char *m = xasprintf("%s %s: %s", flag, file, why);
	int rc = usage("%s", m);
	free(m);
	return rc;
}

/* A whole number in [lo, hi]. */
static bool number(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	if (!s || !*s || !isdigit((unsigned char)*s))
		return false;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* A domain name: letters, digits, hyphens, dots; lower-cased in place, a
 * root dot ("example.com.") dropped so that it compares with certificate
 * names. need_dot: at least two labels (a partner domain). */
static bool domain_ok(char *d, bool need_dot)
{
	size_t n = strlen(d);
	if (n > 1 && d[n - 1] == '.' && d[n - 2] != '.')
		d[--n] = '\0';
	if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' || (need_dot && !strchr(d, '.')))
		return false;
	for (char *p = d; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
		*p = (char)tolower((unsigned char)*p);
	}
	return strstr(d, "..") == NULL;
}

/* "[ADDR:]PORT", "[v6]:PORT". 0 or -1. addr: NULL or owned. */
static int parse_where(const char *s, char **addr, unsigned *port)
{
	unsigned long p;
	*addr = NULL;
	const char *colon = strrchr(s, ':');
	const char *ps = colon ? colon + 1 : s;
	if (!number(ps, 0, 65535, &p))
		return -1;
	*port = (unsigned)p;
	if (!colon)
		return 0;
	size_t n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		*addr = xstrndup(s + 1, n - 2);
	else if (n > 0 && !memchr(s, ':', n))
		*addr = xstrndup(s, n);
	else
		return -1;
	return 0;
}

static int read_secret(const char *path, char **out)
{
	char *data = NULL, why[160];
	size_t len = 0;
	if (file_read_local(path, CAP_PASSWORD, &data, &len, why, sizeof why) < 0)
		return file_usage("--pkcs12-password-file", path, why);
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) : len;
	if (n && data[n - 1] == '\r')
		n--;
	int rc = 0;
	if (n == 0 || memchr(data, '\0', n))
		rc = usage("--pkcs12-password-file: %s", "the first line is empty or holds a NUL byte");
	else
		*out = xstrndup(data, n);
	explicit_bzero(data, len);
	free(data);
	return rc;
}

int cli_listen(int argc, char **argv)
{
	struct lsn_config cfg = {
		.rdns = true,
		.max_size = 10485760,
		.read_timeout_ms = 60000,
		.session_timeout_ms = 300000,
		.max_concurrent = 50,
		.format = LSN_TEXT,
		.out = stdout,
		.err = stderr,
	};
	const char *cert = NULL, *key = NULL, *p12 = NULL, *p12pw = NULL, *output = NULL;
	char *partner = NULL, *addr = NULL, hostname[256] = "";
	struct tls_identity *id = NULL;
	const char *crl_files[MAX_CRL_FILES];
	size_t ncrl = 0;
	struct rev_crls *crls = NULL;
	int status = 2;
	bool tui = false;
	unsigned long v;
	optind = 2;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":f:o:h", listen_options, NULL)) != -1) {
		switch (c) {
		case O_CERT:
			cert = optarg;
			break;
		case O_KEY:
			key = optarg;
			break;
		case O_PKCS12:
			p12 = optarg;
			break;
		case O_PKCS12_PW:
			p12pw = optarg;
			break;
		case O_CA_FILE:
			cfg.ca_file = optarg;
			break;
		case O_IMPLICIT:
			cfg.implicit = true;
			break;
		case O_PARTNER:
			free(partner);
			partner = xstrdup(optarg);
			if (!domain_ok(partner, true)) {
				status = usage("--partner '%s' is not a domain name", optarg);
				goto out;
			}
			break;
		case O_HOSTNAME:
			if (strlen(optarg) >= sizeof hostname || !domain_ok(strcpy(hostname, optarg), false)) {
				status = usage("--hostname '%s' is not a host name", optarg);
				goto out;
			}
			break;
		case O_ACCEPT:
			cfg.accept_data = true;
			break;
		case O_MAX_SIZE:
			if (!number(optarg, 1024, 1UL << 30, &v)) {
				status = usage("--max-size '%s': bytes, 1024 to 1073741824", optarg);
				goto out;
			}
			cfg.max_size = v;
			break;
		case O_TIMEOUT:
		case O_SESSION_TIMEOUT:
		case O_DURATION:
			if (!number(optarg, 1, 86400 * 7, &v)) {
				status = usage(c == O_TIMEOUT		? "--timeout '%s': seconds, 1 to 604800"
					       : c == O_SESSION_TIMEOUT ? "--session-timeout '%s': seconds, 1 to 604800"
									: "--duration '%s': seconds, 1 to 604800",
					       optarg);
				goto out;
			}
			if (c == O_TIMEOUT)
				cfg.read_timeout_ms = (unsigned)v * 1000;
			else if (c == O_SESSION_TIMEOUT)
				cfg.session_timeout_ms = (unsigned)v * 1000;
			else
				cfg.duration_ms = (unsigned)v * 1000;
			break;
		case O_MAX_CONC:
			if (!number(optarg, 1, 10000, &v)) {
				status = usage("--max-concurrent '%s': 1 to 10000", optarg);
				goto out;
			}
			cfg.max_concurrent = (unsigned)v;
			break;
		case O_SESSIONS:
			if (!number(optarg, 1, ULONG_MAX, &v)) {
				status = usage("--sessions '%s': a number, 1 or more", optarg);
				goto out;
			}
			cfg.max_sessions = v;
			break;
		case O_NO_RDNS:
			cfg.rdns = false;
			break;
		case O_CRL_FILE:
			if (ncrl >= MAX_CRL_FILES) {
				status = usage("--crl-file: at most 8 files%s", "");
				goto out;
			}
			crl_files[ncrl++] = optarg;
			break;
		case O_TUI:
			tui = true;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				cfg.format = LSN_TEXT;
			else if (strcmp(optarg, "jsonl") == 0)
				cfg.format = LSN_JSONL;
			else if (strcmp(optarg, "log") == 0)
				cfg.format = LSN_LOG;
			else {
				status = usage("--format '%s': text, jsonl or log", optarg);
				goto out;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(listen_usage, stdout);
			status = 0;
			goto out;
		case ':':
			status = usage("%s needs a value", argv[optind - 1]);
			goto out;
		default:
			status = usage("unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 1) {
		status = usage(optind >= argc ? "needs [ADDR:]PORT%s" : "one [ADDR:]PORT only ('%s')",
			       optind >= argc ? "" : argv[optind + 1]);
		goto out;
	}
	if (parse_where(argv[optind], &addr, &cfg.port) < 0) {
		status = usage("'%s' is not [ADDR:]PORT", argv[optind]);
		goto out;
	}
	cfg.bind_addr = addr;
	char err[512];
	if (tui && tui_check_terminal(err, sizeof err) < 0) {
		fprintf(stderr, "mxprobe listen: %s\n", err);
		goto out;
	}
	if (p12 && (cert || key)) {
		status = usage("--pkcs12 and --cert/--key: give one or the other%s", "");
		goto out;
	}
	if (!p12 && (!cert) != (!key)) {
		status = usage("--cert and --key go together%s", "");
		goto out;
	}
	if (p12pw && !p12) {
		status = usage("--pkcs12-password-file needs --pkcs12%s", "");
		goto out;
	}
	if (cfg.implicit && !cert && !p12) {
		status = usage("--implicit needs a certificate (--cert/--key or --pkcs12)%s", "");
		goto out;
	}
	if (cfg.session_timeout_ms < cfg.read_timeout_ms)
		cfg.read_timeout_ms = cfg.session_timeout_ms;
	if (cert && tls_identity_load_pem(cert, key, &id, err, sizeof err) < 0) {
		status = usage("%s", flag_names(err));
		goto out;
	}
	if (p12) {
		char *pw = NULL;
		if (p12pw && read_secret(p12pw, &pw) != 0)
			goto out;
		if (!pw && getenv("MXPROBE_PKCS12_PASSWORD"))
			pw = xstrdup(getenv("MXPROBE_PKCS12_PASSWORD"));
		int rc = tls_identity_load_pkcs12(p12, pw, &id, err, sizeof err);
		if (pw) {
			explicit_bzero(pw, strlen(pw));
			free(pw);
		}
		if (rc < 0) {
			status = usage("%s", err);
			goto out;
		}
	}
	if ((cfg.ca_file || ncrl) && !cert && !p12) {
		status = usage("--ca-file and --crl-file judge client certificates, which are asked for only over "
			       "TLS: give --cert/--key or --pkcs12%s",
			       "");
		goto out;
	}
	if (cfg.ca_file) { /* its certificates are read before the socket is bound (lsn_run) */
		char *data = NULL, why[160];
		size_t len = 0;
		if (file_read_local(cfg.ca_file, CAP_CA_FILE, &data, &len, why, sizeof why) < 0) {
			status = file_usage("--ca-file", cfg.ca_file, why);
			goto out;
		}
		free(data);
	}
	if (ncrl) {
		crls = rev_crls_new();
		for (size_t i = 0; i < ncrl; i++) {
			char *data = NULL, why[160];
			size_t len = 0;
			if (file_read_local(crl_files[i], CAP_CRL_FILE, &data, &len, why, sizeof why) < 0) {
				status = file_usage("--crl-file", crl_files[i], why);
				goto out;
			}
			int rc = rev_crls_add(crls, (const unsigned char *)data, len, crl_files[i]);
			free(data);
			if (rc < 0) {
				status = usage("--crl-file '%s': no CRL in it (neither DER nor PEM)", crl_files[i]);
				goto out;
			}
		}
		cfg.crls = crls;
	}
	if (!hostname[0] && (gethostname(hostname, sizeof hostname - 1) != 0 || !domain_ok(hostname, false)))
		snprintf(hostname, sizeof hostname, "localhost");
	cfg.hostname = hostname;
	cfg.partner = partner;
	cfg.id = id;
	if (output) { /* checked now, emptied only once the socket is bound (lsn_run) */
		int fd = open(output, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || !(cfg.out = fdopen(fd, "w"))) {
			if (fd >= 0)
				close(fd);
			status = usage("-o '%s': cannot be written", output);
			goto out;
		}
		struct stat st;
		cfg.truncate_out = fstat(fd, &st) == 0 && S_ISREG(st.st_mode); /* not a FIFO or /dev/stdout */
	} else if (tui && !(cfg.out = fopen("/dev/null", "w"))) {	       /* the screen shows the sessions */
		status = usage("--tui: cannot open %s", "/dev/null");
		goto out;
	}
	setvbuf(cfg.out, NULL, _IOLBF, 0);
	status = tui ? tui_listen_run(&cfg, err, sizeof err) : lsn_run(&cfg, err, sizeof err);
	if (status < 0) {
		fprintf(stderr, "mxprobe listen: %s\n", err);
		status = 2;
	} else if (status == 2)
		fprintf(stderr, "mxprobe listen: %s\n", err);
out:
	if (cfg.out && cfg.out != stdout)
		fclose(cfg.out);
	tls_identity_free(id);
	rev_crls_free(crls);
	free(partner);
	free(addr);
	return status;
}
