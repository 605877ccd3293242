/* \summary: the results model: report -> targets -> probe results -> findings,
 * plus the artifacts a session leaves (transcript, capabilities, negotiated
 * TLS parameters, the certificate chain).
 *
 * Plain data only: no GnuTLS or socket types. Probes fill it, renderers read
 * it; the model owns every string in it. */
#ifndef SRC_REPORT_MODEL_H
#define SRC_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

enum severity {
	SEV_PASS,
	SEV_INFO,
	SEV_WARN,
	SEV_FAIL,
	SEV_ERROR
};
const char *severity_name(enum severity s); /* "pass", "info", ... */

/* ---- transcript ---------------------------------------------------- */

enum tr_kind {
	TR_SENT,  /* a line we sent (without CRLF) */
	TR_RECV,  /* a line we received (without CRLF) */
	TR_EVENT, /* something that happened: connected, TLS up, ... */
};

struct tr_entry {
	int64_t t_us; /* microseconds since the transcript started */
	enum tr_kind kind;
	char *text; /* printable: untrusted bytes are escaped */
};

struct transcript {
	int64_t start_wall_us; /* wall clock at start */
	int64_t start_mono_us;
	struct tr_entry *e;
	size_t n, cap;
};

void transcript_init(struct transcript *tr);
void transcript_add(struct transcript *tr, enum tr_kind kind, const char *text);
void transcript_addf(struct transcript *tr, enum tr_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds raw bytes, escaped for printing (control bytes as \xNN). */
void transcript_add_bytes(struct transcript *tr, enum tr_kind kind, const void *p, size_t n);
void transcript_clear(struct transcript *tr);

/* ---- artifacts ----------------------------------------------------- */

/* One certificate as the server sent it. Strings are printable. */
struct cert_info {
	char *subject; /* RFC 4514 DN, as GnuTLS prints it */
	char *issuer;
	char *serial_hex;	       /* upper-case hex, no separators (Exchange style) */
	char *sha1_hex;		       /* thumbprint: upper-case hex, no separators */
	char *sha256_hex;	       /* upper-case hex, no separators */
	struct strvec san_dns;	       /* dNSName entries */
	struct strvec san_ip;	       /* iPAddress entries, printed */
	struct strvec san_other;       /* email, URI, ... as "type:value" */
	int64_t not_before, not_after; /* seconds since the epoch */
	char *key_type;		       /* "RSA", "ECDSA", "EdDSA (Ed25519)", ... */
	unsigned key_bits;
	char *sig_alg;	    /* "RSA-SHA256", ... */
	bool is_ca;	    /* basicConstraints cA */
	bool self_signed;   /* subject == issuer and self-verifies */
	unsigned char *der; /* the certificate itself */
	size_t der_len;
};
void cert_info_clear(struct cert_info *ci);

struct ocsp_staple {
	unsigned char *der; /* an OCSPResponse, DER */
	size_t len;
};

struct tls_params {
	char *protocol;	      /* "TLS1.3" */
	char *cipher_suite;   /* IANA name: "TLS_AES_256_GCM_SHA384" */
	char *cipher;	      /* "AES-256-GCM" */
	unsigned cipher_bits; /* key size in bits */
	char *mac;	      /* "AEAD", "SHA256" */
	char *kx;	      /* key exchange algorithm: "ECDHE-RSA", "(TLS1.3)"... */
	char *group;	      /* "X25519", "SECP256R1", "FFDHE2048"; NULL if none */
	unsigned dh_bits;     /* custom DH prime size when no named group */
	char *server_sig_alg; /* signature algorithm of the server's handshake signature */
	char *sni;	      /* server name we sent, NULL if none (IP target) */
	bool resumed;
	bool ext_master_secret;
	bool safe_renegotiation;
	bool ocsp_stapled;   /* the server sent an OCSP staple */
	bool cert_requested; /* the server sent a CertificateRequest */
	int64_t handshake_us;
	/* OCSP responses stapled in the handshake (RFC 6066 section 8; TLS 1.3
	 * may staple one per certificate): staples[i] belongs to chain[i], len 0
	 * where none came. NULL/0 when the server stapled nothing. */
	struct ocsp_staple *staples;
	size_t n_staples;
	/* The CertificateRequest, as it came (RFC 8446 section 4.3.2, RFC 5246
	 * section 7.4.4); empty unless cert_requested. */
	struct strvec ccert_ca_names; /* acceptable CAs, printed DNs; empty = any */
	struct strvec ccert_types;    /* certificate (key) types: "RSA", "ECDSA" */
	struct strvec ccert_sig_algs; /* signature algorithms, when the library tells */
	bool ccert_sent;	      /* we presented a certificate */
};
void tls_params_clear(struct tls_params *tp);

/* The capabilities from one EHLO reply (RFC 5321 section 4.1.1.1 and the
 * extensions' own RFCs). */
struct smtp_caps {
	bool valid;	/* an EHLO reply was parsed */
	char *greeting; /* text of the first line (server name, hello) */
	bool starttls, pipelining, eightbitmime, chunking, binarymime, smtputf8, dsn, enhancedstatuscodes, requiretls,
		auth, size_present, etrn;
	uint64_t size;		  /* SIZE limit, 0 = no limit announced */
	struct strvec auth_mechs; /* upper-case */
	struct strvec unknown;	  /* keywords we do not interpret, as sent */
	struct strvec lines;	  /* every capability line after the greeting */
	/* POP3 and IMAP (proto/pop3.h, proto/imap.h): lines holds the CAPA
	 * lines / CAPABILITY atoms; starttls is STLS / STARTTLS; auth and
	 * auth_mechs are POP3's SASL line / IMAP's AUTH= atoms. */
	bool logindisabled; /* IMAP LOGINDISABLED (RFC 3501 section 6.2.3) */
	bool pop3_user;	    /* POP3 USER: USER/PASS login (RFC 2449 section 6.3) */
};
void smtp_caps_clear(struct smtp_caps *c);

/* A reply as the model keeps it. */
struct reply_info {
	int code;     /* 0 = no reply */
	char enh[16]; /* enhanced status code "5.7.0", "" if none */
	char *text;   /* all lines' text joined with "\n" (without the codes) */
};
void reply_info_clear(struct reply_info *r);

/* The steps of one session, in order; where a failure happened. */
#define SESSION_STEPS(X)                 \
	X(NONE, "none")                  \
	X(DNS, "DNS resolution")         \
	X(CONNECT, "TCP connect")        \
	X(BANNER, "banner")              \
	X(EHLO, "EHLO")                  \
	X(STARTTLS, "reply to STARTTLS") \
	X(HANDSHAKE, "TLS handshake")    \
	X(EHLO_TLS, "EHLO after TLS")    \
	X(QUIT, "QUIT")

enum session_step {
#define STEP_ENUM(n, s) STEP_##n,
	SESSION_STEPS(STEP_ENUM)
#undef STEP_ENUM
};
const char *session_step_name(enum session_step s); /* "TLS handshake" */
const char *session_step_id(enum session_step s);   /* "handshake" */

enum starttls_state {
	STARTTLS_NOT_APPLICABLE, /* implicit TLS, or never reached */
	STARTTLS_NOT_OFFERED,
	STARTTLS_ACCEPTED, /* 220 */
	STARTTLS_REFUSED,  /* 4xx/5xx */
	STARTTLS_BROKEN,   /* no reply, garbage, closed */
};

/* What the standard session saw; probes judge it. */
struct session_facts {
	bool attempted;
	char *remote; /* "127.0.0.1:25" / "[::1]:25" */
	char *local;
	bool connected;
	int64_t connect_us;
	struct reply_info banner;
	int64_t banner_wait_us; /* time from connect to the end of the banner (or to giving up) */
	/* The greeting's timing (RFC 5321 section 4.5.3.2: senders wait 5
	 * minutes): when its first byte came (-1: none came), whether it
	 * trickled in (the first byte early, the end much later: a tarpit),
	 * and what arrived of a greeting that never completed (escaped). */
	int64_t banner_first_byte_us;
	bool banner_trickled;
	char *banner_partial;
	size_t banner_partial_len;
	bool used_helo; /* EHLO refused, HELO worked */
	bool helo_sent; /* HELO was tried (EHLO got 500-504) */
	struct reply_info ehlo;
	struct smtp_caps caps_plain;
	enum starttls_state starttls;
	struct reply_info starttls_reply;
	char *after_starttls; /* bytes that followed the 220, escaped; NULL if none */
	size_t after_starttls_len;
	bool implicit_tls;
	bool tls_attempted;
	bool tls_ok;
	struct tls_params tls;
	char *tls_error;      /* GnuTLS error name, e.g. "GNUTLS_E_FATAL_ALERT_RECEIVED" */
	char *tls_error_text; /* GnuTLS's message */
	int tls_alert;	      /* received alert number, -1 if none */
	char *tls_alert_name;
	struct cert_info *chain; /* as sent, leaf first */
	size_t chain_len;
	struct cert_info *client_chain; /* what we sent, if anything */
	size_t client_chain_len;
	struct reply_info ehlo_tls;
	struct smtp_caps caps_tls;
	struct reply_info quit;
	bool quit_ok;
	/* failure */
	enum session_step failed_step; /* STEP_NONE = success */
	int fail_err;		       /* -MX_E_x */
	char *fail_detail;	       /* what exactly was received, printable */
	struct reply_info r421;	       /* a 421 at any step */
	enum session_step r421_step;
	bool slow; /* a reply took unusually long (tarpit?) */
	enum session_step slow_step;
	int64_t slow_us;
	int late_alert;		   /* alert received after the handshake (TLS 1.3 refusals), -1 if none */
	size_t tr_handshake_entry; /* 1 + index of this session's "TLS handshake complete" transcript entry; 0 = none */
};
void session_facts_clear(struct session_facts *f);

/* ---- findings ------------------------------------------------------ */

struct evidence {
	char *key;
	char *value;
};

struct finding {
	char *id; /* stable: "starttls.offered" */
	enum severity sev;
	char *title;  /* one line */
	char *detail; /* may be NULL */
	char *remedy; /* may be NULL: what the administrator should do */
	char *rfc;    /* may be NULL: "RFC 3207 section 4" */
	struct evidence *ev;
	size_t nev, capev;
};

struct probe_result {
	char *name; /* probe name */
	char *title;
	struct finding *f;
	size_t n, cap;
	int64_t duration_us;
	/* The run's verdict needs this probe's answer (the policy asks for it,
	 * or the user named it): an error finding here exits 3 (engine.h).
	 * true unless the engine says otherwise (scenario steps, for one, are
	 * all asked for). */
	bool required;
};

/* Adds a finding; the returned pointer stays valid until the next add. */
struct finding *probe_result_add(struct probe_result *pr, const char *id, enum severity sev, const char *title);
void finding_set_detail(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_set_remedy(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_set_rfc(struct finding *f, const char *rfc);
void finding_add_ev(struct finding *f, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
enum severity probe_result_worst(const struct probe_result *pr);
/* Frees a probe result's findings and strings (for one not in a target). */
void probe_result_clear(struct probe_result *pr);

/* ---- targets and the report --------------------------------------- */

struct domain_result;
struct wire_summary;
struct message_result; /* mail/headers.h */

enum target_status {
	TARGET_TESTED,	   /* probes ran; findings tell the rest */
	TARGET_UNTESTABLE, /* could not be tested at all (exit 3) */
};

struct target_result {
	char *input;  /* as the user wrote it */
	char *scheme; /* "smtp", "submission", "smtps" */
	char *host;   /* name or address literal, no brackets */
	uint16_t port;
	bool implicit_tls;
	char *address; /* the address probed, printed */
	enum target_status status;
	int64_t started_wall_us;
	int64_t duration_us;
	unsigned connections; /* TCP connections this target cost */
	struct transcript tr;
	struct session_facts facts;
	struct probe_result *probes;
	size_t nprobes, capprobes;
	/* --domain targets (NULL/-1 otherwise): the mail domain, the MX host
	 * (the name SNI and the names check use; host is then the address)
	 * and its preference, -1 for the domain's own address (implicit MX). */
	char *domain;
	char *mx_host;
	int mx_pref;
	/* Further sessions a probe kept (the mtls probe's session with our
	 * certificate), for renderers: the log shows their certificate blocks. */
	struct session_facts *more_sessions;
	size_t n_more_sessions;
	/* The handshake that asked for the other key type's certificate (a
	 * server with an RSA and an ECDSA certificate; core/served.h): 1 + its
	 * index in more_sessions, 0 when none was made; the key type asked for
	 * ("RSA", "ECDSA"; static), and whether it was considered at all. */
	size_t other_key_session;
	const char *other_key_wanted;
	bool other_key_tried;
	/* The whole target's deadline on the mono_us clock (--target-timeout),
	 * shared by every session a probe opens; 0 before the engine sets it. */
	int64_t deadline_us;
	/* What hand-built hellos found (report/tls_enum.h); NULL unless an
	 * enumeration probe ran. */
	struct tls_enum *tls_enum;
	/* The connection budget (net/limiter.h): the server was slowed down
	 * for (a 421 or a tarpit, here or at another target of the same
	 * address), and why (static string, NULL if not). */
	const char *slowed_why;
	/* The deadline runs from the target's first connection slot: waiting
	 * in mxprobe's own queue for a busy address is not the server's time
	 * (proto/session.c); set once the clock runs, kept by a retry. */
	bool clock_started;
	/* What the wire showed (report/wire_model.h): --capture/--wire, mxprobe
	 * pcap. NULL when nothing was captured. */
	struct wire_summary *wire;
};

/* A target result on its own (a worker fills it before it joins a report):
 * _new never fails; _free frees it and everything in it; _free(NULL) is a
 * no-op. report_add_target uses _new; report_clear frees with _free. */
struct target_result *target_result_new(void);
void target_result_free(struct target_result *t);

/* Frees everything a target holds and zeroes it, keeping only its deadline
 * and clock (a retry runs into the same struct; core/pool.c). */
void target_result_reset(struct target_result *t);

struct probe_result *target_add_probe(struct target_result *t, const char *name, const char *title);
enum severity target_worst(const struct target_result *t);
/* The target's verdict, as the exit status reads it (core/engine.h): fail
 * when a finding failed; else error when the target could not be tested or
 * a required check (probe_result.required) could not be made; else the
 * worst of warn, info and pass. A fail outranks the questions it kept from
 * being asked: "worst severity" would call a 454 to STARTTLS an error. */
enum severity target_verdict(const struct target_result *t);

struct report {
	char *tool_version;
	char *policy; /* "may", "encrypt", ... */
	char *ehlo_name;
	int64_t started_wall_us;
	int64_t duration_us;
	struct target_result **t;
	size_t n, cap;
	struct domain_result *domains; /* --domain, in order (report/domain.h) */
	size_t ndomains, capdomains;
	struct message_result *messages; /* mxprobe headers (mail/headers.h) */
	size_t nmessages;
};

void report_init(struct report *r);
struct target_result *report_add_target(struct report *r);
void report_clear(struct report *r);
/* counts of findings per severity over the whole report */
void report_count(const struct report *r, size_t counts[5]);
/* Does any finding of the report (a target's or a domain's) warn? */
bool report_has_warning(const struct report *r);

#endif
