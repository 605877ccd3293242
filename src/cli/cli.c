/* \summary: the command line: subcommands, flags, targets, running the
 * engine, rendering, the exit code. Nothing here probes; nothing below
 * here exits. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/tui_cmd.h"
#include "cli/batch.h"
#include "cli/listen_cmd.h"
#include "cli/policy_file.h"
#include "cli/targets_file.h"
#include "core/domain.h"
#include "core/engine.h"
#include "dns/dns.h"
#include "core/options.h"
#include "core/pool.h"
#include "core/probe.h"
#include "core/runcache.h"
#include "lab/lab.h"
#include "mail/headers.h"
#include "net/idn.h"
#include "net/limiter.h"
#include "net/source.h"
#include "net/target.h"
#include "pki/names.h"
#include "pki/revocation.h"
#include "report/progress_line.h"
#include "report/render.h"
#include "report/seal.h"
#include "report/wire_model.h"
#include "scenario/scenario.h"
#include "tls/identity.h"
#include "util/util.h"
#include "wire/wire.h"

#define EXIT_USAGE	2
#define CLI_MAX_DOMAINS 64

static const char usage_text[] =
	"Usage: mxprobe check [OPTIONS] TARGET...\n"
	"       mxprobe lab [OPTIONS]\n"
	"       mxprobe run [OPTIONS] FILE.scn TARGET...\n"
	"       mxprobe tui [OPTIONS] TARGET... | --lab | --load REPORT.json\n"
	"       mxprobe pcap [OPTIONS] FILE...\n"
	"       mxprobe headers [OPTIONS] FILE.eml|-...\n"
	"       mxprobe listen [OPTIONS] [ADDR:]PORT\n"
	"       mxprobe --help | --version\n"
	"\n"
	"Probe mail servers' STARTTLS and TLS: what was offered, what was negotiated,\n"
	"which certificate came back, and where and why a handshake fails.\n"
	"\n"
	"Commands:\n"
	"  check TARGET...        probe each target\n"
	"  lab                    start built-in demo servers on loopback and probe them\n"
	"                         (judged at --policy verify unless --policy is given)\n"
	"  run FILE.scn TARGET... run a scenario script against each target (docs/scenarios.md)\n"
	"  tui TARGET...          the same as check, in a terminal interface: live progress, findings,\n"
	"                         certificate chain, client-certificate request, transcript (docs/tui.md)\n"
	"  pcap FILE...           analyse captures (pcap, pcapng) made by anyone: every mail session,\n"
	"                         credentials in clear, plaintext after STARTTLS, the TLS hellos\n"
	"\n"
	"Targets:\n"
	"  HOST, HOST:PORT        SMTP with STARTTLS (port 25; 465 means implicit TLS, 587 submission)\n"
	"  1.2.3.4[:PORT]         IPv4 address\n"
	"  [2001:db8::1][:PORT]   IPv6 address\n"
	"  smtp://HOST[:PORT]     port 25, STARTTLS\n"
	"  submission://HOST[:PORT]  port 587, STARTTLS\n"
	"  smtps://HOST[:PORT]    port 465, implicit TLS (RFC 8314)\n"
	"  lmtp://HOST[:PORT]     port 24, LHLO, STARTTLS (RFC 2033)\n"
	"  pop3://, pop3s://      POP3: port 110 with STLS (RFC 2595), 995 implicit TLS\n"
	"  imap://, imaps://      IMAP: port 143 with STARTTLS (RFC 3501), 993 implicit TLS\n"
	"  --domain DOMAIN        a mail domain: every address of every MX host, port 25 (repeatable,\n"
	"                         mixes with plain targets; no MX: the domain's own A/AAAA; a null MX\n"
	"                         is reported); adds the domain's verdict and what happens to its mail,\n"
	"                         and checks its MTA-STS policy (fetched over HTTPS, --ca-file trusted\n"
	"                         too) and TLS-RPT record\n"
	"  --resolver IP[:PORT]   send the DNS queries of --domain to this server (default:\n"
	"                         the servers in /etc/resolv.conf); answers are still validated here\n"
	"  --trust-anchor FILE    validate DNSSEC with this DS or DNSKEY file (zone-file form, as\n"
	"                         unbound's trust-anchor-file) instead of the root's key from\n"
	"                         dns-root-data; MX, A, AAAA and TLSA answers are secure, insecure or\n"
	"                         bogus, a bogus one is never used, TLSA records are checked (DANE)\n"
	"  --targets-file FILE    more targets, one per line (as above, or domain:DOMAIN); '-' reads\n"
	"                         standard input; '#' comments; a bad line is reported as FILE:LINE and\n"
	"                         the others run (exit status 2 at the end if nothing worse happened)\n"
	"  --policy-file FILE     partner domains and the level each must meet, one per line:\n"
	"                         DOMAIN LEVEL [name=HOST]... [client-cert=F client-key=F | pkcs12=F]\n"
	"                         (docs/policy-file.md); each is checked as --domain at its own level\n";

static const char usage_options[] =
	"\n"
	"Options:\n"
	"  -f, --format FMT       text (default), json, log (Exchange-style protocol log), jsonl (one\n"
	"                         JSON document per target as it finishes, in input order, then one per\n"
	"                         domain), junit (JUnit XML for CI), nagios (a Monitoring Plugins status\n"
	"                         line with perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN),\n"
	"                         prometheus (node_exporter textfile-collector metrics)\n"
	"      --fail-on LEVEL    fail (default): exit 1 when a finding failed; warn: also when one warned\n"
	"  -p, --policy POLICY    none, may, dane, encrypt (default), verify, secure, domain-secure\n"
	"                         (dane: Postfix's dane level; TLS authenticated by secure TLSA records\n"
	"                         where an MX host has them, opportunistic elsewhere)\n"
	"  -t, --timeout SECONDS  deadline of each step: connect, each reply, the handshake, each DNS\n"
	"                         query (default 10; 0.001 to 86400)\n"
	"      --target-timeout SECONDS  deadline of the whole target, and of a --domain's DNS (default 60)\n"
	"  -e, --ehlo NAME        name to send in EHLO/HELO (default: this host's FQDN; without\n"
	"                         one, the address literal of the source address, [192.0.2.1])\n"
	"      --sni NAME         server name to send in TLS (default: the target host name;\n"
	"                         none for an IP address)\n"
	"      --probes LIST      probes to run: %s\n"
	"                         a list runs only those; all runs every probe; +NAME and -NAME\n"
	"                         add to or remove from the default set (--probes -relay,-injection)\n"
	"      --ca-file FILE     PEM file of CA certificates to trust, before the system store\n"
	"      --warn-days N      warn when a certificate expires within N days (default 30)\n"
	"      --at TIME          judge certificates at TIME: 2026-11-30T12:00:00Z or @EPOCH (after 1970)\n"
	"      --expect-name NAME the certificate must also cover NAME (repeatable)\n"

	"      --revocation MODE  soft (default): a revocation status that cannot be had warns;\n"
	"                         hard: it fails; off: revocation is not checked\n"
	"      --crl-file FILE    a CRL (DER or PEM) to check certificates against, besides the\n"
	"                         ones fetched from their distribution points (repeatable)\n"
	"      --client-cert FILE our client certificate (PEM, leaf first) for the mtls probe\n"
	"      --client-key FILE  its private key (PEM, unencrypted)\n"
	"      --pkcs12 FILE      our client certificate and key from a PKCS#12 (PFX) file\n"
	"      --pkcs12-password-file FILE  the PKCS#12 password: first line of FILE\n"
	"                         (or MXPROBE_PKCS12_PASSWORD in the environment; never on the command line)\n"
	"      --var NAME=VALUE   run: define ${NAME} for the scenario (repeatable)\n"
	"  -o, --output FILE      write the report to FILE instead of standard output\n"
	"  -v, --verbose          text: include the transcript of every session\n"

	"      --no-color         no colours in text output (NO_COLOR in the environment too)\n"
	"  -h, --help             this help\n"
	"  -V, --version          version\n";

/* Printed last; apart from usage_text, which C99 caps at 4095 characters. */
static const char usage_exit[] =
	"\n"
	"Exit status: 0 nothing failed, 1 a finding failed the policy, 2 usage or\n"
	"configuration error (every local file is checked before the first connection),\n"
	"3 a target could not be tested at all or a check the verdict needs could not be made\n"
	"(an error finding of the policy's checks or of a probe named in --probes).\n"
	"--format nagios uses the Monitoring Plugins' codes instead.\n";

static const char usage_tui[] =
	"\nTerminal interface (mxprobe tui; keys: ? inside, docs/tui.md):\n"
	"      --tui              lab, run: show the run in the terminal interface (as mxprobe tui)\n"
	"      --lab              tui: probe the demo lab's servers (as mxprobe lab --tui)\n"
	"      --load FILE        tui: open a saved report (check --format json) instead of probing\n"
	"  It needs a terminal (80x24 or larger); NO_COLOR and --no-color give a monochrome screen.\n";
static const char usage_batch[] =
	"\nMany targets at once:\n"
	"  -j, --jobs N           targets probed side by side (default: one per target, at most %d)\n"
	"      --per-host N       connections open at once to one server address (default 2)\n"
	"      --max-connections N  connections open at once in all (default 256)\n"
	"                         A server that tarpits gets one connection at a time, one that answers\n"
	"                         421 also a pause before each; a target turned away with 421 is tried\n"
	"                         once more\n"
	"  -q, --quiet            no progress line on standard error (it shows only on a terminal)\n";

static const char usage_submission[] =
	"\nThe default check of an SMTP target opens at most %d connections (one more for\n"
	"mtls with a client certificate, one more for stripping when named in --probes):\n"
	"  the standard session  banner, EHLO, STARTTLS, handshake, EHLO, QUIT: what every probe\n"
	"                         without a connection of its own judges\n"
	"  the other key type     a handshake offering only ECDSA after an RSA certificate (or RSA\n"
	"                         after ECDSA), to judge a second certificate (--one-key: none)\n"
	"  require-tls            EHLO, MAIL FROM before STARTTLS, RSET, QUIT (530 expected on\n"
	"                         submission; a public MX must accept, RFC 3207 section 4)\n"
	"  relay                  EHLO, STARTTLS, EHLO, MAIL FROM, RCPT TO a .invalid recipient\n"
	"                         without AUTH, RSET, QUIT; never DATA, so nothing can be relayed\n"
	"  injection              EHLO, then \"STARTTLS\\r\\nNOOP\\r\\n\" in one write, the handshake,\n"
	"                         QUIT inside TLS: the first reply tells (CVE-2011-0411)\n"
	"  POP3, IMAP and LMTP targets: the standard session only. Leave the three out\n"
	"  with --probes -require-tls,-relay,-injection. After a refusal, a 421 or silence\n"
	"  before EHLO is answered, no further connection is opened.\n"
	"\nSubmission security and connection control (KB823019):\n"
	"      --source ADDR      connect from this local address (connection control tests)\n"
	"      --expect-refused   this source should be refused: refused at TCP, in the banner (554)\n"
	"                         or at EHLO passes, accepted fails (access probe)\n"
	"      --auth-user USER   auth probe: try a real AUTH (PLAIN or LOGIN) inside TLS as USER, only\n"
	"                         to a server whose certificate validates and covers the name\n"
	"                         (else auth.not-sent); the password is redacted from every output\n"
	"      --auth-insecure    send the credentials even to a server that did not authenticate\n"
	"                         (self-signed, wrong name): lab servers only\n"
	"      --auth-password-file FILE  its password: first line of FILE (or MXPROBE_AUTH_PASSWORD\n"
	"                         in the environment; never on the command line)\n";

static const char usage_slow_and_keys[] =
	"\nSlow greetings and servers with two certificates:\n"
	"      --greeting-timeout SECONDS  wait this long for the greeting (default 60: greet\n"
	"                         pauses of 10-30 s are common; RFC 5321 senders wait 5 minutes);\n"
	"                         a greeting wait beyond --timeout is not counted in --target-timeout\n"
	"      --one-key          skip the second handshake that asks for the server's other\n"
	"                         certificate (ECDSA after RSA, RSA after ECDSA; one connection)\n";

static const char usage_enumerate[] =
	"\nEnumeration (hand-built ClientHellos on connections of their own):\n"
	"  The probes versions (SSLv2 to TLS 1.3, fallback SCSV), ciphers (every accepted suite\n"
	"  per version, its strength, forward secrecy, AEAD, server or client order), groups\n"
	"  (ECDHE/FFDHE groups, DH prime size) and weaknesses (RC4, 3DES, EXPORT, NULL, aNULL,\n"
	"  static RSA, DH below 2048 bits, compression, renegotiation, EMS) cost about one\n"
	"  connection per accepted suite and version, plus one per version and three more,\n"
	"  one connection at a time. They never run by default; the report prints the\n"
	"  connections used.\n"
	"      --enumerate        add versions, ciphers, groups and weaknesses to the probes run\n";

static const char usage_wire[] =
	"\nWire checks (libpcap; docs/wire.md):\n"
	"      --wire             check and run: capture our own connections (libpcap, BPF on the\n"
	"                         target's address and port) and check what crossed the wire\n"
	"      --capture FILE     the same, and keep the capture in FILE (pcap; with several targets\n"
	"                         FILE-HOST-PORT.EXT each); needs root or CAP_NET_RAW, else a note\n"
	"      --filter BPF       pcap: analyse only the packets this BPF expression matches\n";

static const char usage_headers[] =
	"\nmxprobe headers FILE.eml|-...: read the Received chain of a delivered message (- reads\n"
	"  standard input; the header section only, at most 1 MiB) and tell each hop: from where to\n"
	"  where, when, and the TLS version, cipher and bits as each MTA wrote them (Postfix, Exim,\n"
	"  Exchange/Office 365, Sendmail, Gmail, RFC 3848 ESMTPS/LMTPS), plus the TLS parts of\n"
	"  (ARC-)Authentication-Results. A hop in clear fails under --policy encrypt and above, warns\n"
	"  under may; a weak version or suite warns (fails from verify). -f text|json, -p, -o, -v apply.\n";

static const char usage_listen[] =
	"\nmxprobe listen [ADDR:]PORT: a diagnostic SMTP receiver for the partner's side of domain\n"
	"  security: offers STARTTLS (--implicit: TLS at once), requests a client certificate (CA\n"
	"  names from --ca-file), and reports per session the client, EHLO, ClientHello, TLS, the\n"
	"  client chain's verdict and, with --partner DOMAIN, whether a domain-secure receive policy\n"
	"  would pass it. Never stores or relays mail (550 at DATA; --accept-data: 250, headers kept).\n"
	"  --cert/--key or --pkcs12, --sessions N, --duration SECS, -f text|jsonl|log; the whole\n"
	"  list: mxprobe listen --help.\n";

static void print_usage(FILE *out)
{
	char names[256] = "";
	for (const struct probe *const *p = probe_table; *p; p++) {
		if (names[0])
			strncat(names, ",", sizeof names - strlen(names) - 1);
		strncat(names, (*p)->name, sizeof names - strlen(names) - 1);
	}
	fputs(usage_text, out);
	fprintf(out, usage_options, names);
	fputs(usage_slow_and_keys, out);
	fprintf(out, usage_batch, POOL_DEFAULT_MAX_JOBS);
	fprintf(out, usage_submission, PROBE_DEFAULT_CONNECTIONS);
	fputs(usage_enumerate, out);
	fputs(usage_wire, out);
	fputs(usage_tui, out);
	fputs(usage_headers, out);
	fputs(usage_listen, out);
	fputs(usage_exit, out);
	fputs("\nDemo lab setups (mxprobe lab):\n", out);
	lab_print_setups(out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* Option values come from outside: the one escaping rule (util.h). */
	char *safe = str_sanitize(msg, false);
	fprintf(stderr, "mxprobe: %s (see mxprobe --help)\n", safe);
	free(safe);
	free(msg);
	return EXIT_USAGE;
}

/* A configuration error (a local input that cannot be used): one line on
 * stderr, escaped, exit 2, before any connection. */
static int config_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int config_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *safe = str_sanitize(msg, false);
	fprintf(stderr, "mxprobe: %s\n", safe);
	free(safe);
	free(msg);
	return EXIT_USAGE;
}

static int parse_seconds(const char *s, int64_t *out_us)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	/* 1 ms to one day: below a millisecond no deadline can be kept */
	if (errno || end == s || *end || !(v >= 0.001) || v > 86400)
		return -1;
	*out_us = (int64_t)(v * 1e6);
	return 0;
}

/* The EHLO name: this host's FQDN when it has one; NULL otherwise, and
 * each session then sends the address literal of its own source address
 * (RFC 5321 section 4.1.4: "the client SHOULD send an address literal"
 * when it has no meaningful name; servers and blocklists punish made-up
 * names such as mxprobe.invalid). */
static char *default_ehlo_name(void)
{
	char host[256];
	if (gethostname(host, sizeof host) == 0) {
		host[sizeof host - 1] = '\0';
		if (strchr(host, '.') && target_host_name_ok(host))
			return xstrdup(host);
	}
	return NULL;
}

static bool ehlo_name_ok(const char *s)
{
	if (!*s || strlen(s) > 255)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

#define CLI_MAX_COUNT 10000

/* --jobs, --per-host, --max-connections: 1 to CLI_MAX_COUNT. */
static int parse_count(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > CLI_MAX_COUNT)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* --warn-days: a whole number of days, 0 to 3650. */
static int parse_days(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 3650)
		return -1;
	*out = (int)v;
	return 0;
}

/* The last instant --at accepts: 9999-12-31T23:59:59Z, what the time
 * functions and the ISO 8601 printers handle. */
#define MX_MAX_TIME 253402300799LL

/* --at: "@EPOCH" or ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" (or a date alone,
 * meaning midnight UTC). -1: not a time; -2: a time outside what --at
 * accepts, the same range in both forms: after 1970-01-01T00:00:00Z (0 is
 * "now" in struct mx_options, and no certificate question needs it) up to
 * MX_MAX_TIME. */
static int parse_time(const char *s, int64_t *out)
{
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		bool digits = isdigit((unsigned char)s[1]) || (s[1] == '-' && isdigit((unsigned char)s[2]));
		if (!digits || *end)
			return -1;
		if (errno || v <= 0 || v > MX_MAX_TIME)
			return -2;
		*out = (int64_t)v;
		return 0;
	}
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (strcmp(end, "Z") == 0 || strcmp(end, "+00:00") == 0))
		goto ok;
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
ok:
	if (tm.tm_year < 70 || tm.tm_year > 9999 - 1900)
		return -2;
	struct tm asked = tm;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	/* timegm normalises: 2026-02-29 would become March 1st, 24:00 or a
	 * leap second the next minute. A date that does not exist is refused. */
	if (tm.tm_mday != asked.tm_mday || tm.tm_mon != asked.tm_mon || tm.tm_hour != asked.tm_hour ||
	    tm.tm_min != asked.tm_min || tm.tm_sec != asked.tm_sec)
		return -1;
	if (t <= 0 || (int64_t)t > MX_MAX_TIME)
		return -2;
	*out = (int64_t)t;
	return 0;
}

enum {
	OPT_TARGET_TIMEOUT = 256,
	OPT_SNI,
	OPT_PROBES,
	OPT_NO_COLOR,
	OPT_CA_FILE,
	OPT_WARN_DAYS,
	OPT_AT,
	OPT_EXPECT_NAME
};
enum {
	OPT_ENUMERATE = 1400,
};
enum {
	OPT_SOURCE = 800,
	OPT_EXPECT_REFUSED,
	OPT_AUTH_USER,
	OPT_AUTH_PASSWORD_FILE,
	OPT_AUTH_INSECURE
};
enum {
	OPT_REVOCATION = 700,
	OPT_CRL_FILE
};
enum {
	OPT_DOMAIN = 500,
	OPT_RESOLVER
};
enum {
	OPT_VAR = 600
};
enum {
	OPT_GREETING_TIMEOUT = 900,
	OPT_ONE_KEY,
	OPT_PER_HOST,
	OPT_MAX_CONNECTIONS,
	OPT_TARGETS_FILE,
	OPT_POLICY_FILE,
	OPT_TRUST_ANCHOR,
	OPT_FAIL_ON,
	OPT_WIRE,
	OPT_CAPTURE,
	OPT_FILTER
};
enum {
	OPT_TUI = 1000,
	OPT_LAB,
	OPT_LOAD
};
enum {
	OPT_CLIENT_CERT = 400,
	OPT_CLIENT_KEY,
	OPT_PKCS12,
	OPT_PKCS12_PASSWORD_FILE
};

static const struct option long_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "policy", required_argument, NULL, 'p' },
	{ "timeout", required_argument, NULL, 't' },
	{ "target-timeout", required_argument, NULL, OPT_TARGET_TIMEOUT },
	{ "ehlo", required_argument, NULL, 'e' },
	{ "sni", required_argument, NULL, OPT_SNI },
	{ "probes", required_argument, NULL, OPT_PROBES },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "warn-days", required_argument, NULL, OPT_WARN_DAYS },
	{ "at", required_argument, NULL, OPT_AT },
	{ "expect-name", required_argument, NULL, OPT_EXPECT_NAME },
	{ "revocation", required_argument, NULL, OPT_REVOCATION },
	{ "crl-file", required_argument, NULL, OPT_CRL_FILE },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "resolver", required_argument, NULL, OPT_RESOLVER },
	{ "trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR },
	{ "client-cert", required_argument, NULL, OPT_CLIENT_CERT },
	{ "client-key", required_argument, NULL, OPT_CLIENT_KEY },
	{ "pkcs12", required_argument, NULL, OPT_PKCS12 },
	{ "pkcs12-password-file", required_argument, NULL, OPT_PKCS12_PASSWORD_FILE },
	{ "var", required_argument, NULL, OPT_VAR },
	{ "greeting-timeout", required_argument, NULL, OPT_GREETING_TIMEOUT },
	{ "one-key", no_argument, NULL, OPT_ONE_KEY },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "expect-refused", no_argument, NULL, OPT_EXPECT_REFUSED },
	{ "enumerate", no_argument, NULL, OPT_ENUMERATE },
	{ "auth-user", required_argument, NULL, OPT_AUTH_USER },
	{ "auth-password-file", required_argument, NULL, OPT_AUTH_PASSWORD_FILE },
	{ "auth-insecure", no_argument, NULL, OPT_AUTH_INSECURE },
	{ "tui", no_argument, NULL, OPT_TUI },
	{ "lab", no_argument, NULL, OPT_LAB },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "jobs", required_argument, NULL, 'j' },
	{ "per-host", required_argument, NULL, OPT_PER_HOST },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "targets-file", required_argument, NULL, OPT_TARGETS_FILE },
	{ "policy-file", required_argument, NULL, OPT_POLICY_FILE },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "wire", no_argument, NULL, OPT_WIRE },
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	struct mx_options opt;
	bool policy_given; /* --policy was on the command line */
	const char *output;
	bool no_color;
	char *ehlo_owned;
	/* our client certificate (mtls probe) */
	const char *client_cert, *client_key, *pkcs12, *pkcs12_password_file;
	struct tls_identity *identity;
	/* --domain, --resolver (cli/domains.c) */
	const char *domains[CLI_MAX_DOMAINS];
	size_t ndomains;
	char resolver[96];	  /* libunbound's "IP@PORT"; "" = /etc/resolv.conf */
	const char *trust_anchor; /* --trust-anchor FILE, checked before any connection; NULL = root key */
	/* --auth-user's password (auth probe); wiped and freed at the end */
	const char *auth_password_file;
	char *auth_password;
	/* the TUI: --tui (lab, run), --lab and --load FILE (tui) */
	bool tui, lab;
	const char *load;
	/* run: --var NAME=VALUE, in order */
	const char *vars[SCN_MAX_VARS];
	size_t nvars;
	/* local inputs loaded and checked before the first connection */
	char *ca_pem;		   /* --ca-file's text (opt.ca_pem points here) */
	struct rev_crls *crls;	   /* --crl-file (opt.crls) */
	struct redact redact;	   /* every known secret (opt.redact) */
	FILE *out;		   /* -o, opened before probing; NULL = stdout */
	struct scenario *scenario; /* run: the parsed scenario */
	const char *scenario_path; /* run: its file */
				   /* --sni, --expect-name, --domain given with U-labels, in A-labels */
#define CLI_MAX_IDN (1 + MX_MAX_EXPECT_NAMES + CLI_MAX_DOMAINS)
	char idn[CLI_MAX_IDN][256];
	size_t n_idn;
	/* many targets at once (cli/batch.c) */
	unsigned jobs, per_host, max_connections;
	const char *targets_file, *policy_file;
	bool fail_on_warn, quiet;
	/* pcap: --filter BPF */
	const char *filter;
};

/* Size caps of the local input files (the limit is in the error message). */
#define CAP_CA_FILE  (16u << 20) /* a big system bundle is some 200 KiB */
#define CAP_CRL_FILE (64u << 20) /* large CAs' CRLs run to tens of MiB */
#define CAP_IDENTITY (1u << 20)	 /* a certificate chain and a key, or a PKCS#12 */
#define CAP_PASSWORD (64u << 10) /* a password file: its first line counts */

/* A name option's value in A-labels (IDNA2008 / UTS #46, net/idn.h): the
 * value itself when it is ASCII; NULL with err set when it is not valid
 * IDNA. DNS, SNI and name matching all use the A-label form. */
static const char *idn_arg(struct cli *cl, const char *flag, const char *v, char *err, size_t errlen)
{
	if (!idn_has_non_ascii(v))
		return v;
	char e[300];
	char *a = idn_to_alabels(v, e, sizeof e);
	if (!a) {
		snprintf(err, errlen, "%s %s", flag, e);
		return NULL;
	}
	if (!target_host_name_ok(a)) {
		snprintf(err, errlen, "%s: the internationalised name's A-label form '%s' is not a valid host name",
			 flag, a);
		free(a);
		return NULL;
	}
	if (cl->n_idn == CLI_MAX_IDN || strlen(a) >= sizeof cl->idn[0]) {
		snprintf(err, errlen, "%s: too many or too long internationalised names", flag);
		free(a);
		return NULL;
	}
	char *slot = cl->idn[cl->n_idn++];
	memcpy(slot, a, strlen(a) + 1);
	free(a);
	return slot;
}

static const char *option_name(int c)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/* The first line of a password file (without its line end), which must
 * be a regular, non-empty file whose first line is not empty: an empty
 * password sent by mistake is worse than a clear error. 0, or -1 with err. */
static int read_password_file(const char *flag, const char *path, char **out, char *err, size_t errlen)
{
	char *data = NULL, why[160];
	size_t len = 0;
	*out = NULL;
	if (file_read_local(path, CAP_PASSWORD, &data, &len, why, sizeof why) < 0) {
		snprintf(err, errlen, "--%s %s: %s", flag, path, why);
		return -1;
	}
	/* the first line by its bytes: a NUL inside must not cut it short */
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) : len;
	if (n && data[n - 1] == '\r')
		n--;
	int rc = 0;
	if (n == 0 || memchr(data, '\0', n)) {
		snprintf(err, errlen, "--%s %s: %s", flag, path,
			 n == 0 ? "the first line is empty" : "the first line holds a NUL byte");
		rc = -1;
	} else {
		*out = xstrndup(data, n);
	}
	explicit_bzero(data, len);
	free(data);
	return rc;
}

/* The PKCS#12 password: the first line of --pkcs12-password-file, else
 * MXPROBE_PKCS12_PASSWORD, else none. Never from argv, where every user
 * of the machine can read it (ps). 0, or -1 with err set. */
static int read_password(const struct cli *cl, char **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!cl->pkcs12_password_file) {
		const char *env = getenv("MXPROBE_PKCS12_PASSWORD");
		*out = env ? xstrdup(env) : NULL;
		return 0;
	}
	return read_password_file("pkcs12-password-file", cl->pkcs12_password_file, out, err, errlen);
}

/* A file option's file: regular, not empty, at most cap bytes (then
 * GnuTLS reads it). 0, or an exit status after one line on stderr. */
static int check_file(const char *flag, const char *path, size_t cap)
{
	char *data = NULL, why[160];
	size_t len = 0;
	if (file_read_local(path, cap, &data, &len, why, sizeof why) < 0)
		return config_error("--%s %s: %s", flag, path, why);
	explicit_bzero(data, len); /* a key file */
	free(data);
	return 0;
}

/* Loads our client certificate if one was given: 0, or an exit status. */
static int load_identity(struct cli *cl)
{
	char err[512] = "";
	if (cl->pkcs12 && (cl->client_cert || cl->client_key))
		return usage_error("--pkcs12 and --client-cert/--client-key: give one or the other");
	if (!cl->pkcs12 && (!cl->client_cert) != (!cl->client_key))
		return usage_error("--client-cert and --client-key go together");
	if (cl->pkcs12_password_file && !cl->pkcs12)
		return usage_error("--pkcs12-password-file needs --pkcs12");
	int rc = 0;
	const char *files[] = { cl->pkcs12, cl->client_cert, cl->client_key };
	const char *flags[] = { "pkcs12", "client-cert", "client-key" };
	for (size_t i = 0; i < ARRAY_LEN(files); i++)
		if (files[i] && check_file(flags[i], files[i], CAP_IDENTITY) != 0)
			return EXIT_USAGE;
	if (cl->pkcs12) {
		char *pass = NULL;
		if (read_password(cl, &pass, err, sizeof err) < 0)
			return config_error("%s", err);
		rc = tls_identity_load_pkcs12(cl->pkcs12, pass, &cl->identity, err, sizeof err);
		redact_add_secret(&cl->redact, pass, NULL);
		if (pass) {
			explicit_bzero(pass, strlen(pass));
			free(pass);
		}
	} else if (cl->client_cert) {
		rc = tls_identity_load_pem(cl->client_cert, cl->client_key, &cl->identity, err, sizeof err);
	}
	if (rc < 0)
		return config_error("%s", err);
	if (cl->identity && !tls_identity_checks(cl->identity)->key_matches) {
		/* Presenting it would fail the handshake and look like the
		 * server's fault: a configuration error, here and now. */
		if (cl->pkcs12)
			return config_error("--pkcs12 %s: the private key does not belong to the certificate",
					    cl->pkcs12);
		return config_error("--client-key %s does not belong to the certificate in --client-cert %s",
				    cl->client_key, cl->client_cert);
	}
	cl->opt.client_identity = cl->identity;
	return -1;
}

/* The AUTH password: the first line of --auth-password-file, else
 * MXPROBE_AUTH_PASSWORD. Never from argv (ps shows it to every user).
 * 0, or -1 with err set. */
static int load_auth_password(struct cli *cl, char *err, size_t errlen)
{
	if (!cl->opt.auth_user) {
		if (cl->auth_password_file) {
			snprintf(err, errlen, "--auth-password-file needs --auth-user");
			return -1;
		}
		return 0;
	}
	if (cl->auth_password_file) {
		if (read_password_file("auth-password-file", cl->auth_password_file, &cl->auth_password, err, errlen) <
		    0)
			return -1;
	} else if (getenv("MXPROBE_AUTH_PASSWORD") && *getenv("MXPROBE_AUTH_PASSWORD")) {
		cl->auth_password = xstrdup(getenv("MXPROBE_AUTH_PASSWORD"));
	} else {
		snprintf(err, errlen,
			 "--auth-user needs a password: --auth-password-file FILE or MXPROBE_AUTH_PASSWORD");
		return -1;
	}
	cl->opt.auth_password = cl->auth_password;
	redact_add_secret(&cl->redact, cl->auth_password, cl->opt.auth_user);
	return 0;
}

static void wipe_auth_password(struct cli *cl)
{
	if (cl->auth_password) {
		explicit_bzero(cl->auth_password, strlen(cl->auth_password));
		free(cl->auth_password);
		cl->auth_password = NULL;
	}
}

/* Parses flags from argv[optind...]; returns 0, or an exit status. */
static int parse_flags(struct cli *cl, int argc, char **argv)
{
	int c;
	opterr = 0;
	/* The leading ':' makes a missing value ':' rather than '?'. */
	while ((c = getopt_long(argc, argv, ":f:p:t:e:o:j:qvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") == 0)
				cl->opt.format = FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				cl->opt.format = FORMAT_JSON;
			else if (strcmp(optarg, "log") == 0)
				cl->opt.format = FORMAT_LOG;
			else if (strcmp(optarg, "jsonl") == 0)
				cl->opt.format = FORMAT_JSONL;
			else if (strcmp(optarg, "junit") == 0)
				cl->opt.format = FORMAT_JUNIT;
			else if (strcmp(optarg, "nagios") == 0)
				cl->opt.format = FORMAT_NAGIOS;
			else if (strcmp(optarg, "prometheus") == 0)
				cl->opt.format = FORMAT_PROMETHEUS;
			else
				return usage_error("--format '%s': expected text, json, log, jsonl, junit, nagios or "
						   "prometheus",
						   optarg);
			break;
		case 'p':
			cl->policy_given = true;
			if (policy_parse(optarg, &cl->opt.policy) < 0)
				return usage_error(
					"--policy '%s': expected none, may, dane, encrypt, verify, secure or "
					"domain-secure",
					optarg);
			break;
		case 't':
			if (parse_seconds(optarg, &cl->opt.step_timeout_us) < 0)
				return usage_error("--timeout '%s': expected a number of seconds from 0.001 to 86400",
						   optarg);
			break;
		case OPT_TARGET_TIMEOUT:
			if (parse_seconds(optarg, &cl->opt.target_timeout_us) < 0)
				return usage_error(
					"--target-timeout '%s': expected a number of seconds from 0.001 to 86400",
					optarg);
			break;
		case OPT_GREETING_TIMEOUT:
			if (parse_seconds(optarg, &cl->opt.greeting_timeout_us) < 0)
				return usage_error(
					"--greeting-timeout '%s': expected a number of seconds from 0.001 to 86400",
					optarg);
			break;
		case OPT_ONE_KEY:
			cl->opt.one_key = true;
			break;
		case 'e':
			if (!ehlo_name_ok(optarg))
				return usage_error("--ehlo '%s': expected a host name without spaces", optarg);
			cl->opt.ehlo_name = optarg;
			break;
		case OPT_SNI: {
			char ierr[400];
			const char *v = idn_arg(cl, "--sni", optarg, ierr, sizeof ierr);
			if (!v)
				return usage_error("%s", ierr);
			if (!ehlo_name_ok(v))
				return usage_error("--sni '%s': expected a host name", optarg);
			if (names_is_ip_literal(v) || v[0] == '[') /* RFC 6066 section 3: never an address */
				return usage_error("--sni '%s': an address is never sent as a server name; "
						   "--expect-name requires it in the certificate",
						   optarg);
			cl->opt.sni = v;
			break;
		}
		case OPT_PROBES: {
			char bad[160];
			if (probe_spec_check(optarg, bad, sizeof bad) < 0)
				return usage_error("--probes: %s", bad);
			cl->opt.probes = optarg;
			break;
		}
		case OPT_CA_FILE:
			cl->opt.ca_file = optarg; /* loaded and checked by load_trust */
			break;
		case OPT_WARN_DAYS:
			if (parse_days(optarg, &cl->opt.warn_days) < 0)
				return usage_error("--warn-days '%s': expected a whole number of days, 0 to 3650",
						   optarg);
			break;
		case OPT_AT: {
			int prc = parse_time(optarg, &cl->opt.at);
			if (prc == -2)
				return usage_error("--at '%s': out of range: a time after 1970-01-01T00:00:00Z "
						   "(@1 and on) up to 9999-12-31T23:59:59Z",
						   optarg);
			if (prc < 0)
				return usage_error("--at '%s': expected a UTC time such as 2026-11-30T12:00:00Z, "
						   "or @EPOCH",
						   optarg);
			break;
		}
		case OPT_CLIENT_CERT:
		case OPT_CLIENT_KEY:
		case OPT_PKCS12:
		case OPT_PKCS12_PASSWORD_FILE:
			/* loaded and checked by load_identity */
			*(c == OPT_CLIENT_CERT	? &cl->client_cert
			  : c == OPT_CLIENT_KEY ? &cl->client_key
			  : c == OPT_PKCS12	? &cl->pkcs12
						: &cl->pkcs12_password_file) = optarg;
			break;
		case OPT_DOMAIN: {
			char ierr[400];
			const char *v = idn_arg(cl, "--domain", optarg, ierr, sizeof ierr);
			if (!v)
				return usage_error("%s", ierr);
			if (!dns_domain_ok(v))
				return usage_error("--domain '%s': expected a mail domain such as example.com", optarg);
			if (cl->ndomains >= CLI_MAX_DOMAINS)
				return usage_error("--domain: at most %d domains", CLI_MAX_DOMAINS);
			cl->domains[cl->ndomains++] = v;
			break;
		}
		case OPT_RESOLVER:
			if (dns_resolver_arg_parse(optarg, cl->resolver, sizeof cl->resolver) < 0)
				return usage_error("--resolver '%s': expected IP or IP:PORT ([IPv6]:PORT)", optarg);
			break;
		case OPT_TRUST_ANCHOR: {
			char terr[600];
			if (dns_trust_anchor_check(optarg, terr, sizeof terr) < 0)
				return usage_error("%s", terr);
			cl->trust_anchor = optarg;
			break;
		}
		case OPT_EXPECT_NAME: {
			char ierr[400];
			const char *v = idn_arg(cl, "--expect-name", optarg, ierr, sizeof ierr);
			if (!v)
				return usage_error("%s", ierr);
			if (!ehlo_name_ok(v))
				return usage_error("--expect-name '%s': expected a host name or address", optarg);
			if (cl->opt.n_expect_names >= MX_MAX_EXPECT_NAMES)
				return usage_error("--expect-name: at most %d names", MX_MAX_EXPECT_NAMES);
			cl->opt.expect_names[cl->opt.n_expect_names++] = v;
			break;
		}
		case OPT_REVOCATION:
			if (revocation_mode_parse(optarg, &cl->opt.revocation) < 0)
				return usage_error("--revocation '%s': expected soft, hard or off", optarg);
			break;
		case OPT_CRL_FILE: /* loaded and checked by load_trust */
			if (cl->opt.n_crl_files >= MX_MAX_CRL_FILES)
				return usage_error("--crl-file: at most %d files", MX_MAX_CRL_FILES);
			cl->opt.crl_files[cl->opt.n_crl_files++] = optarg;
			break;
		case OPT_VAR: {
			const char *eq = strchr(optarg, '=');
			size_t nl = eq ? (size_t)(eq - optarg) : 0;
			bool ok = nl > 0 && nl <= 64 &&
				  strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
						 "0123456789") == nl &&
				  !(optarg[0] >= '0' && optarg[0] <= '9') && !strpbrk(eq + 1, "\r\n");
			if (!ok)
				return usage_error("--var '%.64s': expected NAME=VALUE (NAME: letters, digits, _)",
						   optarg);
			if (cl->nvars >= SCN_MAX_VARS)
				return usage_error("--var: at most %d variables", SCN_MAX_VARS);
			cl->vars[cl->nvars++] = optarg;
			break;
		}
		case OPT_SOURCE: {
			char err[160];
			if (source_check(optarg, err, sizeof err) < 0)
				return usage_error("--source '%s': %s", optarg, err);
			cl->opt.source = optarg;
			break;
		}
		case OPT_EXPECT_REFUSED:
			cl->opt.expect_refused = true;
			break;
		case OPT_ENUMERATE:
			cl->opt.enumerate = true;
			break;
		case OPT_AUTH_USER:
			if (!*optarg || strlen(optarg) > 255 || strpbrk(optarg, "\r\n"))
				return usage_error(
					"--auth-user: expected a user name of 1 to 255 characters on one line");
			cl->opt.auth_user = optarg;
			break;
		case OPT_AUTH_PASSWORD_FILE: /* read and checked by load_auth_password */
			cl->auth_password_file = optarg;
			break;
		case OPT_AUTH_INSECURE:
			cl->opt.auth_insecure = true;
			break;
		case 'j':
		case OPT_PER_HOST:
		case OPT_MAX_CONNECTIONS: {
			unsigned v;
			if (parse_count(optarg, &v) < 0)
				return usage_error("--%s '%s': expected a whole number from 1 to %d",
						   c == 'j' ? "jobs" : option_name(c), optarg, CLI_MAX_COUNT);
			*(c == 'j' ? &cl->jobs : c == OPT_PER_HOST ? &cl->per_host : &cl->max_connections) = v;
			break;
		}
		case OPT_TARGETS_FILE:
			if (strcmp(optarg, "-") != 0 && access(optarg, R_OK) != 0)
				return usage_error("--targets-file '%s': %s", optarg, strerror(errno));
			cl->targets_file = optarg;
			break;
		case OPT_POLICY_FILE:
			if (access(optarg, R_OK) != 0)
				return usage_error("--policy-file '%s': %s", optarg, strerror(errno));
			cl->policy_file = optarg;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "warn") != 0 && strcmp(optarg, "fail") != 0)
				return usage_error("--fail-on '%s': expected warn or fail", optarg);
			cl->fail_on_warn = strcmp(optarg, "warn") == 0;
			break;
		case 'q':
			cl->quiet = true;
			break;
		case OPT_WIRE:
			cl->opt.wire = true;
			break;
		case OPT_CAPTURE:
			if (!*optarg)
				return usage_error("--capture: expected a file name");
			cl->opt.capture_file = optarg;
			cl->opt.wire = true;
			break;
		case OPT_FILTER:
			if (!*optarg || strlen(optarg) > 4096)
				return usage_error("--filter: expected a BPF expression (pcap-filter(7))");
			cl->filter = optarg;
			break;
		case 'o':
			cl->output = optarg;
			break;
		case 'v':
			cl->opt.verbose = true;
			break;
		case OPT_NO_COLOR:
			cl->no_color = true;
			break;
		case OPT_TUI:
			cl->tui = true;
			break;
		case OPT_LAB:
			cl->lab = true;
			break;
		case OPT_LOAD:
			if (access(optarg, R_OK) != 0)
				return usage_error("--load '%s': %s", optarg, strerror(errno));
			cl->load = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'V':
			printf("mxprobe %s (GnuTLS %s)\n", MXPROBE_VERSION, gnutls_check_version(NULL));
			return 0;
		case ':':
			return usage_error("option --%s needs a value", option_name(optopt));
		default:
			if (optopt > 0 && optopt < 128 && argv[optind - 1][0] == '-' && argv[optind - 1][1] != '-')
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

/* -o: opened before the first connection, so a path that cannot be
 * written stops the run before it costs anything. 0, or an exit status. */
static int open_output(struct cli *cl)
{
	if (!cl->output || cl->out)
		return 0;
	/* fopen "w" would truncate it: a report written over the CA, a key or
	 * the password file the run was given destroys that input. */
	struct stat os;
	if (stat(cl->output, &os) == 0) {
		const char *inputs[8 + MX_MAX_CRL_FILES] = { cl->opt.ca_file,	       cl->client_cert,
							     cl->client_key,	       cl->pkcs12,
							     cl->pkcs12_password_file, cl->auth_password_file,
							     cl->scenario_path };
		size_t n = 7;
		for (size_t i = 0; i < cl->opt.n_crl_files && n < ARRAY_LEN(inputs); i++)
			inputs[n++] = cl->opt.crl_files[i];
		for (size_t i = 0; i < n; i++) {
			struct stat is;
			if (inputs[i] && stat(inputs[i], &is) == 0 && is.st_dev == os.st_dev && is.st_ino == os.st_ino)
				return config_error("-o %s: is the input file %s; the report would overwrite it",
						    cl->output, inputs[i]);
		}
	}
	cl->out = fopen(cl->output, "w");
	if (!cl->out)
		return config_error("-o %s: cannot be written: %s", cl->output, strerror(errno));
	return 0;
}

/* --ca-file and --crl-file: read once, checked, and handed to the probes
 * (opt.ca_pem, opt.crls). 0, or an exit status. */
static int load_trust(struct cli *cl)
{
	char why[160];
	if (cl->opt.ca_file) {
		size_t len = 0;
		if (file_read_local(cl->opt.ca_file, CAP_CA_FILE, &cl->ca_pem, &len, why, sizeof why) < 0)
			return config_error("--ca-file %s: %s", cl->opt.ca_file, why);
		gnutls_x509_trust_list_t tl;
		if (gnutls_x509_trust_list_init(&tl, 0) < 0)
			return config_error("--ca-file %s: out of memory", cl->opt.ca_file);
		gnutls_datum_t d = { .data = (unsigned char *)cl->ca_pem, .size = (unsigned)len };
		int rc = gnutls_x509_trust_list_add_trust_mem(tl, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		gnutls_x509_trust_list_deinit(tl, 1);
		if (rc <= 0)
			return config_error("--ca-file %s: no PEM certificate in it%s%s", cl->opt.ca_file,
					    rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
		cl->opt.ca_pem = cl->ca_pem;
	}
	if (cl->opt.n_crl_files) {
		cl->crls = rev_crls_new();
		for (size_t i = 0; i < cl->opt.n_crl_files; i++) {
			const char *f = cl->opt.crl_files[i];
			char *data = NULL;
			size_t len = 0;
			if (file_read_local(f, CAP_CRL_FILE, &data, &len, why, sizeof why) < 0)
				return config_error("--crl-file %s: %s", f, why);
			int rc = rev_crls_add(cl->crls, (const unsigned char *)data, len, f);
			free(data);
			if (rc < 0)
				return config_error("--crl-file %s: no CRL in it (neither DER nor PEM)", f);
		}
		cl->opt.crls = cl->crls;
	}
	return 0;
}

/* Renders rep into -o's file (opened by open_output) or standard output,
 * and closes the file; with jsonl the targets went out as they finished
 * (run_check), only the domains are left. 0, or EXIT_USAGE when writing
 * failed. */
static int render_to(struct cli *cl, const struct report *rep, bool write_failed)
{
	if (open_output(cl) != 0) /* already open on every path that probed */
		return EXIT_USAGE;
	FILE *out = cl->out ? cl->out : stdout;
	const char *nc = getenv("NO_COLOR");
	struct render_opts ro = {
		.color = !cl->no_color && !(nc && *nc) && !cl->output && isatty(fileno(out)),
		.verbose = cl->opt.verbose,
		.warn_days = cl->opt.warn_days,
		.fail_on_warn = cl->fail_on_warn,
		.at = mx_options_at(&cl->opt),
	};
	int rc;
	switch (cl->opt.format) {
	case FORMAT_JSON:
		rc = render_json(out, rep, &ro);
		break;
	case FORMAT_LOG:
		rc = render_log(out, rep, &ro);
		break;
	case FORMAT_JSONL:
		rc = render_jsonl_domains(out, rep);
		break;
	case FORMAT_JUNIT:
		rc = render_junit(out, rep, &ro);
		break;
	case FORMAT_NAGIOS:
		rc = render_nagios(out, rep, &ro);
		break;
	case FORMAT_PROMETHEUS:
		rc = render_prometheus(out, rep, &ro);
		break;
	default:
		rc = render_text(out, rep, &ro);
		break;
	}
	if (write_failed || fflush(out) != 0)
		rc = -1;
	if (cl->out && fclose(out) != 0)
		rc = -1;
	cl->out = NULL;
	if (rc < 0) {
		fprintf(stderr, "mxprobe: writing the report failed\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* run: the scenario file, parsed before the first connection; its secrets
 * join the ones to scrub. 0, or an exit status. */
static int load_scenario(struct cli *cl, int argc, char **argv)
{
	if (optind >= argc)
		return usage_error("run needs a scenario file and at least one target");
	struct scn_parse_opts po = { .vars = cl->vars, .nvars = cl->nvars };
	char err[600];
	cl->scenario_path = argv[optind];
	if (scenario_load(argv[optind], &po, &cl->scenario, err, sizeof err) < 0) {
		/* FILE:LINE:COLUMN: first, as compilers say it, escaped */
		char *safe = str_sanitize(err, false);
		fprintf(stderr, "%s\n", safe);
		free(safe);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < cl->scenario->n; i++)
		redact_add_secret(&cl->redact, cl->scenario->s[i].secret, cl->scenario->s[i].arg);
	return 0;
}

/* An address target of the other family than --source can never be
 * reached from it: fail closed before any connection. 0, or -1 with a
 * one-line message in err. */
static int check_source_family(const struct mx_options *opt, const struct target_spec *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (!opt->source || !spec->family || source_sockaddr(opt->source, spec->family, &ss, &len) != -2)
		return 0;
	snprintf(err, errlen, "target '%s': an IPv%c address cannot be reached from --source %s (IPv%c)", spec->input,
		 spec->family == AF_INET ? '4' : '6', opt->source, spec->family == AF_INET ? '6' : '4');
	return -1;
}

/* Every local input, loaded and checked before the first connection
 * (fail closed, issue 8): the AUTH password, our client identity, trust
 * anchors and CRLs, the scenario. -1 to go on, or an exit status (2) after
 * one line on stderr. -o is opened once the targets are parsed. */
static int load_local_inputs(struct cli *cl, const char *cmd, int argc, char **argv)
{
	char err[512];
	if (load_auth_password(cl, err, sizeof err) < 0)
		return usage_error("%s", err);
	int rc = load_identity(cl);
	if (rc >= 0)
		return rc;
	if ((rc = load_trust(cl)) != 0)
		return rc;
	if (strcmp(cmd, "run") == 0 && (rc = load_scenario(cl, argc, argv)) != 0)
		return rc;
	return -1;
}

/* --format jsonl: each target as soon as it and those before it are done. */
struct jsonl_sink {
	FILE *out;
	const struct report *rep;
	bool failed;
};

static void emit_jsonl(void *user, size_t index, const struct target_result *t)
{
	(void)t;
	struct jsonl_sink *j = user;
	if (render_jsonl_target(j->out, j->rep, index) < 0 || fflush(j->out) != 0)
		j->failed = true;
}

static void say_bad_line(void *user, const char *msg)
{
	(void)user;
	fprintf(stderr, "mxprobe: %s\n", msg);
}

/* The partners of --policy-file, each with its own copy of the run's
 * options (the same shared objects: limiter, caches; its own level,
 * expected names and client certificate). */
struct partners {
	struct partner_list list;
	struct mx_options *opt;
	struct tls_identity **id;
};

static void partners_clear(struct partners *p)
{
	for (size_t i = 0; i < p->list.n; i++)
		tls_identity_free(p->id[i]);
	free(p->id);
	free(p->opt);
	partner_list_clear(&p->list);
}

/* Loads the policy file and each partner's client certificate: 0, or an
 * exit status (said on stderr as FILE:LINE:COLUMN). */
static int load_partners(const struct cli *cl, struct partners *p)
{
	char err[700];
	if (policy_file_load(cl->policy_file, &p->list, err, sizeof err) < 0) {
		fprintf(stderr, "mxprobe: %s\n", err);
		return EXIT_USAGE;
	}
	p->opt = xcalloc(p->list.n, sizeof *p->opt);
	p->id = xcalloc(p->list.n, sizeof *p->id);
	for (size_t i = 0; i < p->list.n; i++) {
		const struct partner *pa = &p->list.p[i];
		char ierr[512] = "";
		int rc = 0;
		if (pa->pkcs12) {
			char *pass = NULL;
			struct cli tmp = { .pkcs12_password_file = pa->pkcs12_password_file };
			rc = read_password(&tmp, &pass, ierr, sizeof ierr);
			if (rc == 0)
				rc = tls_identity_load_pkcs12(pa->pkcs12, pass, &p->id[i], ierr, sizeof ierr);
			if (pass) {
				explicit_bzero(pass, strlen(pass));
				free(pass);
			}
		} else if (pa->client_cert) {
			rc = tls_identity_load_pem(pa->client_cert, pa->client_key, &p->id[i], ierr, sizeof ierr);
		}
		if (rc < 0) {
			fprintf(stderr, "mxprobe: %s:%u:%u: expected a usable client certificate for %s, got: %s\n",
				cl->policy_file, pa->line, pa->col, pa->domain, ierr);
			return EXIT_USAGE;
		}
		struct mx_options *o = &p->opt[i];
		*o = cl->opt;
		o->policy = pa->policy;
		if (pa->nnames) {
			o->n_expect_names = pa->nnames;
			for (size_t k = 0; k < pa->nnames; k++)
				o->expect_names[k] = pa->names[k];
		}
		if (p->id[i])
			o->client_identity = p->id[i];
	}
	return 0;
}

/* mxprobe check: the targets, --targets-file, --domain and --policy-file on
 * the worker pool. -1 to go on and render (-o is open), or an exit
 * status. *bad_lines: --targets-file lines that were skipped. */
static int run_check(struct cli *cl, int argc, char **argv, struct report *rep, unsigned *bad_lines)
{
	int status = -1;
	size_t nargs = (size_t)(argc - optind);
	struct targets_list file = { 0 };
	struct partners partners = { 0 };
	struct target_spec *specs = xcalloc(nargs + 1, sizeof *specs);
	size_t nspecs = 0;
	struct batch_domain *doms = NULL;
	size_t ndoms = 0;
	struct conn_limiter *lim = NULL;
	struct progress_line *pl = NULL;

	for (; nspecs < nargs; nspecs++) {
		char err[512];
		if (target_parse(argv[optind + (int)nspecs], &specs[nspecs], err, sizeof err) < 0) {
			status = usage_error("%s", err);
			goto out;
		}
		/* an address of the other family than --source: before any connection */
		if (check_source_family(&cl->opt, &specs[nspecs], err, sizeof err) < 0) {
			nspecs++; /* parsed: cleared at out */
			status = usage_error("%s", err);
			goto out;
		}
	}
	if (cl->policy_file && (status = load_partners(cl, &partners)) != 0)
		goto out;
	status = -1;
	if (cl->targets_file) {
		bool in = strcmp(cl->targets_file, "-") == 0;
		FILE *fp = in ? stdin : fopen(cl->targets_file, "r");
		if (!fp || targets_file_read(fp, cl->targets_file, &file, say_bad_line, NULL) < 0) {
			fprintf(stderr, "mxprobe: --targets-file %s: %s\n", cl->targets_file,
				fp ? "read error" : strerror(errno));
			status = EXIT_USAGE;
		}
		if (fp && !in)
			fclose(fp);
		if (status >= 0)
			goto out;
		*bad_lines = file.bad;
	}
	size_t nfile_domains = 0;
	for (size_t i = 0; i < file.n; i++)
		nfile_domains += file.e[i].domain != NULL;
	specs = xrealloc(specs, (nspecs + file.n + 1) * sizeof *specs);
	for (size_t i = 0; i < file.n; i++)
		if (!file.e[i].domain) {
			specs[nspecs++] = file.e[i].spec; /* moved */
			memset(&file.e[i].spec, 0, sizeof file.e[i].spec);
		}
	/* Domains: a partner's line wins over the same domain given plainly. */
	doms = xcalloc(cl->ndomains + nfile_domains + partners.list.n + 1, sizeof *doms);
	for (size_t i = 0; i < partners.list.n; i++)
		doms[ndoms++] = (struct batch_domain){ partners.list.p[i].domain, &partners.opt[i] };
	for (size_t i = 0; i < cl->ndomains + file.n; i++) {
		const char *name = i < cl->ndomains ? cl->domains[i] : file.e[i - cl->ndomains].domain;
		bool dup = !name;
		for (size_t k = 0; !dup && k < ndoms; k++)
			dup = strcasecmp(doms[k].name, name) == 0;
		if (!dup)
			doms[ndoms++] = (struct batch_domain){ name, &cl->opt };
	}
	if (nspecs == 0 && ndoms == 0) {
		status =
			file.bad
				? EXIT_USAGE
				: usage_error(
					  "check needs at least one target, --domain, --targets-file or --policy-file");
		if (file.bad)
			fprintf(stderr, "mxprobe: no usable target in %s\n", cl->targets_file);
		goto out;
	}
	if ((status = open_output(cl)) != 0)
		goto out;
	status = -1;

	/* The connection budget, shared by every copy of the options. */
	int64_t backoff = cl->opt.step_timeout_us / 2;
	backoff = backoff < 1000000 ? 1000000 : backoff > 10000000 ? 10000000 : backoff;
	lim = conn_limiter_new(cl->max_connections ? cl->max_connections : 256, cl->per_host ? cl->per_host : 2,
			       backoff);
	cl->opt.limiter = lim;
	for (size_t i = 0; i < partners.list.n; i++)
		partners.opt[i].limiter = lim;

	if (!cl->quiet && isatty(STDERR_FILENO))
		pl = progress_line_new(stderr, nspecs);
	struct jsonl_sink sink = { .out = cl->out ? cl->out : stdout, .rep = rep };
	struct pool_opts po = {
		.jobs = cl->jobs,
		.progress = pl ? progress_line_ops() : NULL,
		.progress_user = pl,
		.emit = cl->opt.format == FORMAT_JSONL ? emit_jsonl : NULL,
		.emit_user = &sink,
	};
	struct batch b = { .opt = &cl->opt,
			   .resolver = cl->resolver[0] ? cl->resolver : NULL,
			   .trust_anchor = cl->trust_anchor,
			   .specs = specs,
			   .nspecs = nspecs,
			   .domains = doms,
			   .ndomains = ndoms,
			   .pool = &po };
	char err[512];
	if (batch_run(&b, rep, err, sizeof err) < 0) {
		fprintf(stderr, "mxprobe: DNS: %s\n", err);
		status = 3;
	}
	progress_line_free(pl);
	if (sink.failed) {
		fprintf(stderr, "mxprobe: writing the report failed\n");
		status = EXIT_USAGE;
	}
out:
	cl->opt.limiter = NULL;
	conn_limiter_free(lim);
	for (size_t i = 0; i < nspecs; i++)
		target_spec_clear(&specs[i]);
	free(specs);
	free(doms);
	targets_list_clear(&file);
	partners_clear(&partners);
	return status;
}

/* mxprobe run FILE.scn TARGET...: the scenario once per target, into the
 * same report model as check. -1 to go on and render, or an exit status. */
static int run_scenario(struct cli *cl, int argc, char **argv, struct report *rep)
{
	if (optind >= argc)
		return usage_error("run needs a scenario file and at least one target");
	if (optind + 1 >= argc)
		return usage_error("run needs at least one target after %s", argv[optind]);
	const struct scenario *sc = cl->scenario;
	size_t n = (size_t)(argc - optind - 1);
	struct target_spec *specs = xcalloc(n, sizeof *specs);
	int status = -1;
	size_t parsed = 0;
	for (; parsed < n; parsed++) {
		char terr[512];
		if (target_parse(argv[optind + 1 + (int)parsed], &specs[parsed], terr, sizeof terr) < 0) {
			status = usage_error("%s", terr);
			break;
		}
		if (check_source_family(&cl->opt, &specs[parsed], terr, sizeof terr) < 0) {
			status = usage_error("%s", terr);
			parsed++;
			break;
		}
	}
	if (status < 0 && open_output(cl) != 0)
		status = EXIT_USAGE;
	for (size_t i = 0; i < parsed; i++) {
		if (status < 0)
			scenario_run_target(sc, &cl->opt, &specs[i], report_add_target(rep));
		target_spec_clear(&specs[i]);
	}
	free(specs);
	return status;
}

/* mxprobe pcap FILE...: each capture file is a "target" of the report
 * with the wire probe's findings. -1 to go on and render, or an exit
 * status (2: a file that cannot be read as a capture, a bad --filter). */
static int run_pcap(struct cli *cl, int argc, char **argv, struct report *rep)
{
	if (optind >= argc)
		return usage_error("pcap needs at least one capture file");
	if (cl->opt.wire)
		return usage_error("--wire and --capture are for check and run; pcap reads files");
	for (int i = optind; i < argc; i++)
		if (access(argv[i], R_OK) != 0)
			return usage_error("%s: %s", argv[i], strerror(errno));
	for (int i = optind; i < argc; i++) {
		struct target_result *t = report_add_target(rep);
		t->input = xstrdup(argv[i]);
		t->scheme = xstrdup("pcap");
		t->host = xstrdup(argv[i]);
		t->started_wall_us = wall_us();
		t->facts.tls_alert = t->facts.late_alert = -1;
		transcript_init(&t->tr);
		int64_t t0 = mono_us();
		char err[600];
		if (wire_pcap_file(argv[i], cl->filter, cl->opt.policy, t, err, sizeof err) < 0)
			return config_error("%s", err);
		if (t->wire && t->wire->error) {
			/* Not read to its end: what it holds is not known (exit 3
			 * unless a finding failed). */
			(void)config_error("%s: %s", argv[i], t->wire->error);
			t->status = TARGET_UNTESTABLE;
		}
		t->duration_us = mono_us() - t0;
	}
	return -1;
}

/* Without capture rights the probes went on; one line says so, once. */
static void note_wire_not_tested(const struct report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		for (size_t j = 0; j < rep->t[i]->nprobes; j++)
			for (size_t k = 0; k < rep->t[i]->probes[j].n; k++) {
				const struct finding *f = &rep->t[i]->probes[j].f[k];
				if (strcmp(f->id, "wire.not-tested") == 0) {
					fprintf(stderr, "mxprobe: --capture/--wire: %s\n",
						f->detail ? f->detail : f->title);
					return;
				}
			}
}

/* tui, lab --tui, run --tui: the interface, then -o and the exit status
 * as check has them (the lab's failures are its point: 0 once it ran). */
static int tui_command(struct cli *cl, const char *cmd, int argc, char **argv, struct report *rep)
{
	bool is_tui = strcmp(cmd, "tui") == 0;
	if (cl->tui && strcmp(cmd, "lab") != 0 && strcmp(cmd, "run") != 0)
		return usage_error("--tui goes with lab and run (mxprobe tui is check in the interface)");
	if ((cl->lab || cl->load) && !is_tui)
		return usage_error("--lab and --load go with mxprobe tui");
	if (cl->policy_file)
		return usage_error("--policy-file is not in the TUI yet: use mxprobe check --policy-file");
	if (cl->targets_file && strcmp(cl->targets_file, "-") == 0)
		return usage_error("--targets-file -: the TUI reads its keys from standard input; give a file");
	bool lab = cl->lab || strcmp(cmd, "lab") == 0;
	if (lab && optind < argc)
		return usage_error("the lab takes no targets ('%s')", argv[optind]);
	struct cli_tui_args a = {
		.opt = &cl->opt,
		.cmd = is_tui ? "check" : cmd,
		.args = argv + optind,
		.nargs = (size_t)(argc - optind),
		.domains = cl->domains,
		.ndomains = cl->ndomains,
		.resolver = cl->resolver[0] ? cl->resolver : NULL,
		.trust_anchor = cl->trust_anchor,
		.vars = cl->vars,
		.nvars = cl->nvars,
		.load = cl->load,
		.lab = lab,
		.no_color = cl->no_color,
		.targets_file = cl->targets_file,
		.jobs = cl->jobs,
		.per_host = cl->per_host,
		.max_connections = cl->max_connections,
	};
	bool ran = false;
	int status = cli_tui(&a, rep, &ran);
	if (!ran || status != 0)
		return status;
	/* What the interface showed was sealed target by target; -o gets
	 * the report through the same step as check's. */
	report_seal(rep, &cl->redact);
	if (cl->output && (status = render_to(cl, rep, false)) != 0)
		return status;
	return lab ? 0 : domain_exit_code(rep, engine_exit_code(rep));
}

/* mxprobe headers FILE...: every message read and parsed before anything
 * is rendered (fail closed: an unreadable file or one without a header
 * field is exit 2), then one report with a section per message. */
static int run_headers(struct cli *cl, int argc, char **argv)
{
	if (optind >= argc)
		return usage_error("headers needs a message file (or - for standard input)");
	/* The log is the layout of a protocol session, jsonl/junit/nagios/
	 * prometheus are per target: a message is neither. */
	if (cl->opt.format != FORMAT_TEXT && cl->opt.format != FORMAT_JSON)
		return usage_error("headers: --format text or json (the other formats are per session or target)");
	struct report rep;
	report_init(&rep);
	rep.tool_version = xstrdup(MXPROBE_VERSION);
	rep.policy = xstrdup(policy_name(cl->opt.policy));
	rep.ehlo_name = xstrdup("[not used]");
	int status = 0;
	for (int i = optind; i < argc && status == 0; i++) {
		char err[256];
		char *data = NULL;
		size_t len = 0;
		bool truncated = false;
		if (mail_load(argv[i], &data, &len, &truncated, err, sizeof err) < 0 ||
		    mail_check(&rep, argv[i], data, len, truncated, cl->opt.policy, err, sizeof err) < 0)
			status = config_error("headers %s: %s", argv[i], err);
		free(data);
	}
	if (status == 0)
		status = open_output(cl);
	if (status == 0) {
		rep.duration_us = wall_us() - rep.started_wall_us;
		report_seal(&rep, NULL);
		status = render_to(cl, &rep, false);
	}
	if (status == 0)
		status = mail_exit_code(&rep, 0);
	if (cl->out)
		fclose(cl->out);
	report_clear(&rep);
	return status;
}

int cli_main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		/* The convention: a short usage on stderr, the whole help on --help. */
		fputs("Usage: mxprobe check [OPTIONS] TARGET... | --domain DOMAIN\n"
		      "       mxprobe run [OPTIONS] FILE.scn TARGET...\n"
		      "       mxprobe lab [OPTIONS]\n"
		      "       mxprobe headers [OPTIONS] FILE.eml|-\n"
		      "       mxprobe listen [OPTIONS] [ADDR:]PORT\n"
		      "See mxprobe --help for the options, or man mxprobe.\n",
		      stderr);
		return EXIT_USAGE;
	}
	struct cli cl = { 0 };
	mx_options_defaults(&cl.opt);
	const char *cmd = argv[1];
	if (cmd[0] == '-') {
		/* Only --help and --version stand before a command. */
		optind = 1;
		int rc = parse_flags(&cl, argc, argv);
		if (rc >= 0)
			return rc;
		return usage_error("expected a command: check, lab, run, tui, pcap, headers or listen");
	}
	/* listen has flags of its own (src/cli/listen_cmd.c) */
	if (strcmp(cmd, "listen") == 0)
		return cli_listen(argc, argv);
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "lab") != 0 && strcmp(cmd, "run") != 0 &&
	    strcmp(cmd, "tui") != 0 && strcmp(cmd, "pcap") != 0 && strcmp(cmd, "headers") != 0)
		return usage_error("unknown command '%s': expected check, lab, run, tui, pcap, headers or listen", cmd);
	optind = 2;
	int rc = parse_flags(&cl, argc, argv);
	if (rc >= 0)
		return rc;
	if (strcmp(cmd, "headers") == 0)
		return run_headers(&cl, argc, argv);
	/* The lab's certificate cases (expired, wrong CA) are the point of the
	 * demo: they are judged as by a sender that verifies, unless asked. */
	if (!cl.policy_given && (strcmp(cmd, "lab") == 0 || cl.lab))
		cl.opt.policy = POLICY_VERIFY;
	if (cl.nvars && strcmp(cmd, "run") != 0)
		return usage_error("--var defines a scenario's ${NAME}: only with mxprobe run");
	if (!cl.opt.ehlo_name)
		cl.opt.ehlo_name = cl.ehlo_owned = default_ehlo_name(); /* NULL: address literals */
	redact_init(&cl.redact);
	cl.opt.redact = &cl.redact;

	struct report rep;
	report_init(&rep);
	int status = load_local_inputs(&cl, cmd, argc, argv);
	if (status >= 0)
		goto out;
	rep.tool_version = xstrdup(MXPROBE_VERSION);
	rep.policy = xstrdup(policy_name(cl.opt.policy));
	rep.ehlo_name = xstrdup(cl.opt.ehlo_name ? cl.opt.ehlo_name : "[address literal]");

	/* Trust stores and CRL/OCSP answers, shared by every target of the run. */
	cl.opt.run = run_cache_new(&cl.opt);
	status = 0;
	if (strcmp(cmd, "tui") == 0 || cl.tui || cl.lab || cl.load) {
		status = tui_command(&cl, cmd, argc, argv, &rep);
		goto out;
	}
	unsigned bad_lines = 0;
	if (cl.filter && strcmp(cmd, "pcap") != 0) {
		status = usage_error("--filter is for pcap");
		goto out;
	}
	if (cl.opt.wire && strcmp(cmd, "lab") == 0) {
		status = usage_error("--wire and --capture are for check and run");
		goto out;
	}
	/* Several targets, several captures: FILE-HOST-PORT.EXT each. */
	cl.opt.capture_per_target = cl.ndomains > 0 || cl.targets_file || cl.policy_file ||
				    (strcmp(cmd, "run") == 0 ? argc - optind > 2 : argc - optind > 1);
	if (strcmp(cmd, "pcap") == 0) {
		status = run_pcap(&cl, argc, argv, &rep);
		if (status >= 0)
			goto out;
		status = 0;
	} else if (strcmp(cmd, "lab") == 0) {
		if (optind < argc) {
			status = usage_error("lab takes no targets ('%s')", argv[optind]);
			goto out;
		}
		if ((status = open_output(&cl)) != 0)
			goto out;
		char err[256];
		if (lab_run(&cl.opt, &rep, err, sizeof err) < 0) {
			config_error("lab: %s", err);
			status = 3;
			goto out;
		}
	} else if (strcmp(cmd, "run") == 0) {
		status = run_scenario(&cl, argc, argv, &rep);
		if (status >= 0)
			goto out;
		status = 0;
	} else {
		status = run_check(&cl, argc, argv, &rep, &bad_lines);
		if (status >= 0)
			goto out;
		status = 0;
	}
	rep.duration_us = wall_us() - rep.started_wall_us;
	if (cl.opt.wire)
		note_wire_not_tested(&rep);
	/* The one step before any renderer: everything redacted and escaped
	 * (targets were sealed as they finished; this covers the rest). */
	report_seal(&rep, &cl.redact);
	status = render_to(&cl, &rep, false);
	/* The lab's failures are its point: it exits 0 once it has run. */
	if (status == 0 && strcmp(cmd, "lab") != 0) {
		status = domain_exit_code(&rep, engine_exit_code(&rep));
		/* --fail-on warn: a warning fails the run as a failure does */
		if (cl.fail_on_warn && status != 1 && report_has_warning(&rep))
			status = 1;
		/* The Monitoring Plugins' codes replace ours (docs/formats.md). */
		if (cl.opt.format == FORMAT_NAGIOS)
			status = nagios_status(&rep);
		/* skipped --targets-file lines: the file needs fixing */
		if (status == 0 && bad_lines)
			status = EXIT_USAGE;
	}
out:
	run_cache_free(cl.opt.run);
	cl.opt.run = NULL;
	if (cl.out)
		fclose(cl.out);
	report_clear(&rep);
	free(cl.ehlo_owned);
	wipe_auth_password(&cl);
	tls_identity_free(cl.identity);
	scenario_free(cl.scenario);
	rev_crls_free(cl.crls);
	free(cl.ca_pem);
	redact_clear(&cl.redact);
	return status;
}
