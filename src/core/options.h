/* \summary: what the user asked for, as the engine and probes see it. */
#ifndef SRC_CORE_OPTIONS_H
#define SRC_CORE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ordered by what a sender demands of PKIX TLS, so that "p >= POLICY_X"
 * reads "at least as strict as X". POLICY_DANE is Postfix's "dane" level
 * (Exim: hosts_try_dane / hosts_require_dane for hosts with TLSA): where a
 * host publishes usable DNSSEC-secure TLSA records, TLS is mandatory and
 * authenticated by them (RFC 7672), else it is opportunistic like may; so
 * for every PKIX check it ranks with may, and the dane probe judges the
 * TLSA records. */
enum policy {
	POLICY_NONE,
	POLICY_MAY,
	POLICY_DANE,
	POLICY_ENCRYPT,
	POLICY_VERIFY,
	POLICY_SECURE,
	POLICY_DOMAIN_SECURE
};
const char *policy_name(enum policy p);
int policy_parse(const char *s, enum policy *out); /* 0 or -1 */

enum out_format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_LOG,
	FORMAT_JSONL,	   /* one JSON document per target, then per domain (report/jsonl.c) */
	FORMAT_JUNIT,	   /* JUnit XML for CI (report/junit.c) */
	FORMAT_NAGIOS,	   /* a Monitoring Plugins status line (report/nagios.c) */
	FORMAT_PROMETHEUS, /* textfile-collector exposition (report/prometheus.c) */
};

struct tls_identity; /* tls/identity.h */
struct run_cache;    /* core/runcache.h */
struct rev_crls;     /* pki/revocation.h */
struct redact;	     /* report/seal.h */
struct conn_limiter; /* net/limiter.h */

/* Whether "could not check revocation" warns (soft), fails (hard), or
 * revocation is not checked at all (off). */
enum revocation_mode {
	REVOCATION_SOFT,
	REVOCATION_HARD,
	REVOCATION_OFF
};
const char *revocation_mode_name(enum revocation_mode m);
int revocation_mode_parse(const char *s, enum revocation_mode *out); /* 0 or -1 */

struct mx_options {
	int64_t step_timeout_us; /* connect, each read, the handshake */
	/* The wait for the greeting (banner): senders wait minutes (RFC 5321
	 * section 4.5.3.2), and greet pauses of 10 to 30 s are common. */
	int64_t greeting_timeout_us;
	int64_t target_timeout_us; /* the whole target */
	const char *ehlo_name;	   /* --ehlo or the FQDN; NULL: the address literal of each connection's source */
	enum policy policy;
	enum out_format format;
	bool color;
	bool verbose;
	const char *sni;    /* override the server name sent; NULL = target host */
	const char *probes; /* comma list, NULL = default set */
	bool enumerate;	    /* --enumerate: add the versions, ciphers, groups and weaknesses probes */
	int64_t now;	    /* "now" for decisions (seconds since epoch) */
	/* certificates (chain, expiry, names probes) */
	const char *ca_file;  /* --ca-file: PEM trust anchors, tried before the system store */
	const char *ca_pem;   /* the same as PEM text (the lab's CA); used without ca_file */
	bool no_system_trust; /* leave the system store out (the lab) */
	int warn_days;	      /* --warn-days: "expiring soon" below this many days */
	int64_t at;	      /* --at: judge validity at this instant; 0 = now */
	bool one_key;	      /* --one-key: no second handshake for the other key type's certificate */
#define MX_MAX_EXPECT_NAMES 16
	const char *expect_names[MX_MAX_EXPECT_NAMES]; /* --expect-name, in order */
	size_t n_expect_names;
	/* revocation probe */
	enum revocation_mode revocation; /* --revocation: soft (default), hard, off */
#define MX_MAX_CRL_FILES 16
	const char *crl_files[MX_MAX_CRL_FILES]; /* --crl-file, in order */
	size_t n_crl_files;
	/* mtls probe: our client certificate (--client-cert/--client-key or
	 * --pkcs12), loaded by the cli; NULL = none */
	const struct tls_identity *client_identity;
	/* connection control and submission security (probes auth, access,
	 * relay, require-tls, injection, stripping) */
	const char *source;	   /* --source: numeric address to connect from; NULL = the kernel's choice */
	bool expect_refused;	   /* --expect-refused: this source must be refused (access probe) */
	const char *auth_user;	   /* --auth-user: try a real AUTH inside TLS */
	const char *auth_password; /* from --auth-password-file or MXPROBE_AUTH_PASSWORD; never argv */
	/* What the run's targets share (trust stores, CRL/OCSP answers),
	 * made by the CLI before the first target; NULL: each target has its
	 * own. Thread-safe. */
	struct run_cache *run;
	bool auth_insecure; /* --auth-insecure: send credentials to an unauthenticated server too */
	/* CRLs of --crl-file, loaded and checked by the cli before the first
	 * connection (pki/revocation.h); NULL = the probe loads crl_files */
	const struct rev_crls *crls;
	/* The secrets to scrub from the model (report/seal.h), filled by the
	 * cli; NULL = escaping only */
	const struct redact *redact;
	/* The run's connection budget (net/limiter.h), shared by every worker
	 * thread (thread-safe); NULL = no caps (a scenario run, the lab). */
	struct conn_limiter *limiter;
	/* wire checks (wire/wire.h): --wire captures each target's connections
	 * and analyses them; --capture FILE also keeps the capture (with
	 * several targets FILE-HOST-PORT.EXT each, capture_per_target) */
	bool wire;
	const char *capture_file;
	bool capture_per_target;
};

/* The instant certificates are judged at: --at, else "now". */
int64_t mx_options_at(const struct mx_options *o);

void mx_options_defaults(struct mx_options *o);

#endif
