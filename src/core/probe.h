/* \summary: a probe is a descriptor in a table (OpenSMTPD's table_backend,
 * curl's Curl_ssl). Probes never print: they turn the facts of the target's
 * sessions into findings in the results model. */
#ifndef SRC_CORE_PROBE_H
#define SRC_CORE_PROBE_H

#include "core/options.h"
#include "net/http.h"
#include "net/target.h"
#include "report/model.h"

/* What a probe needs the engine to have done before it runs. */
enum probe_needs {
	NEEDS_NOTHING = 0,
	NEEDS_SESSION = 1 << 0, /* the standard session: banner, EHLO, STARTTLS, TLS, EHLO */
};

struct probe_ctx {
	const struct mx_options *opt;
	const struct target_spec *spec; /* to open more sessions (proto/session.h) */
	struct target_result *t;
	struct probe_result *pr;
	struct http_cache *http;    /* HTTP fetches of this target, each URL once (net/http.h) */
	int64_t deadline;	    /* the target's deadline (mono_us clock): --target-timeout */
	struct trust_stores *trust; /* the target's trust stores, loaded once (pki/verify.h) */
};

struct probe {
	const char *name; /* selectable with --probes */
	const char *title;
	unsigned needs; /* enum probe_needs */
	void (*run)(struct probe_ctx *ctx);
	unsigned flags; /* enum probe_flags */
	/* Runs on every dialect (proto/dialect.h): it judges the session facts
	 * or opens sessions with session_run. false: SMTP and LMTP only. */
	bool any_dialect;
};

enum probe_flags {
	/* Opens one connection of its own (MAIL, RCPT, STARTTLS out of turn;
	 * never DATA): part of the default set on SMTP targets and of its
	 * printed connection budget (PROBE_DEFAULT_CONNECTIONS). */
	PROBE_OWN_CONNECTION = 1 << 0,
	/* Runs whenever the standard session ran, --probes or not: the
	 * diagnosis of a broken session must never be left out, or a narrow
	 * --probes list would turn a 454 to STARTTLS into an all-clear. */
	PROBE_WITH_SESSION = 1 << 1,
	/* An enumeration probe (versions, ciphers, groups, weaknesses): many
	 * connections, so never in the default set, not even on submission;
	 * --enumerate adds them all, --probes names them one by one. */
	PROBE_ENUMERATE = 1 << 2,
};

/* The connections of a default check of an SMTP target: the standard
 * session, the handshake that asks for the server's other key type
 * (--one-key leaves it out), and one each for require-tls, relay and
 * injection (the mtls probe adds one when a client certificate is given).
 * Said in --help. */
#define PROBE_DEFAULT_CONNECTIONS 5

/* --probes: "all", a comma-separated list of names (only those), or
 * "+name"/"-name" items that add to or remove from the default set; the
 * forms mix ("all,-relay", "+stripping,-injection"). Checks the whole
 * list: 0, or -1 with a message in err (empty list, empty item, unknown
 * name, or a -name in a list with plain names or "all" where the items
 * before it do not select that probe: "starttls,-chain" reads as "the
 * default set plus starttls" but would run starttls alone). The cli calls
 * it before any connection (exit 2). */
int probe_spec_check(const char *spec, char *err, size_t errlen);
/* Does spec select the probe? in_default: whether it is in the default set
 * for this target. spec NULL: the default set. */
bool probe_spec_selects(const char *spec, const char *name, bool in_default);
/* Did spec ask for the probe by name (a plain name, +name, or all)? The
 * extra checks that cost a connection beyond the budget (stripping's
 * second EHLO name) run only then. */
bool probe_spec_asks(const char *spec, const char *name);

/* What the target is for (RFC 3207 section 4, RFC 6409, RFC 8314): a
 * public MX must accept mail without TLS; a submission service may and
 * should require TLS and AUTH; POP3/IMAP serve mailboxes. */
enum probe_role {
	ROLE_MX,	 /* smtp:// (port 25, --domain): receives mail from the world */
	ROLE_SUBMISSION, /* submission://, smtps://, or ports 587 and 465 */
	ROLE_LMTP,	 /* lmtp://: local delivery from the MTA */
	ROLE_MAILBOX,	 /* pop3, imap and their implicit-TLS forms */
};
enum probe_role probe_role(const struct probe_ctx *ctx);
const char *probe_role_name(enum probe_role r); /* "mx", "submission", "lmtp", "mailbox" */

/* How far the standard session must have come for a probe's question. */
enum probe_reach {
	REACH_GREETING, /* a greeting was read (220 / +OK / * OK) */
	REACH_HELLO,	/* the capabilities before TLS were read (EHLO, CAPA, CAPABILITY) */
	REACH_TLS,	/* the TLS handshake completed */
	REACH_CHAIN,	/* ... and the server sent a certificate chain */
};

/* Did the standard session reach `need`? If not, adds
 * "<probe>.not-tested" (error) saying what the probe could not ask
 * (`question`, e.g. "whether the chain validates"), the step that stopped
 * the session and what came back, and returns false. A probe never turns
 * a session that did not get there into a pass or a negative claim
 * (DESIGN.md: never claim what was not observed). */
bool probe_session_reached(struct probe_ctx *ctx, enum probe_reach need, const char *question);

/* Before a probe opens a connection of its own: when the standard
 * session ran and stopped before its EHLO was answered (refused, 421,
 * 554, a 5xx to our EHLO name, silence), another connection from here
 * would stop at the same place; adds "<probe>.not-tested" saying so and
 * returns false. DESIGN.md: a 421 is recognised, not retried blindly. */
bool probe_may_connect(struct probe_ctx *ctx, const char *question);

/* Does the run's verdict need this probe's answer? Yes when the policy
 * asks for it (DESIGN.md's table: starttls and diagnose from encrypt,
 * chain, expiry and revocation (unless --revocation off) from verify,
 * names from secure, mtls at domain-secure), when --auth-user asks for
 * auth, --expect-refused for access and --enumerate for the enumeration
 * probes, and for every probe named in --probes. An error finding (not tested) of a required probe makes the
 * run exit 3; of another, it is reported and leaves the exit status alone. */
bool probe_is_required(const struct mx_options *opt, const char *name);

/* Did the standard session end in a refusal of this source (KB823019
 * connection control): TCP refused, a 5xx greeting, or a 5xx to EHLO? A
 * 421 is "try later" (a rate limit, too many connections), not a refusal.
 * Under --expect-refused such a refusal is the answer the access probe
 * judges: the questions it kept other probes from asking are information,
 * not checks that could not be made (which exit 3). */
bool session_refused_source(const struct session_facts *fa);

/* Adds "<probe>.not-tested" (error) for a question that could not be
 * asked: title, the step that stopped it (STEP_NONE: none named), detail
 * (may be NULL) and the server's reply (may be NULL or empty). Returns the
 * finding for more evidence. */
struct finding *probe_not_tested(struct probe_ctx *ctx, const char *title, enum session_step step, const char *detail,
				 const struct reply_info *reply);

/* "MAIL FROM:<probe@EHLO-NAME>", or the null reverse path "MAIL FROM:<>"
 * when the EHLO name is an address literal (a mailbox at an address
 * literal is refused by many servers for reasons that have nothing to do
 * with the question). Owned by the caller. */
char *probe_mail_from(const struct probe_ctx *ctx);

/* The auth probe's judgement of one SASL mechanism offered before TLS:
 * what an eavesdropper gets (probes/auth.c has the table). */
enum auth_exposure {
	AUTH_EXPOSES_PASSWORD,	 /* PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, any unknown name */
	AUTH_CHALLENGE_RESPONSE, /* CRAM-MD5, DIGEST-MD5, NTLM, SCRAM-*: user name and a response */
	AUTH_NO_SECRET,		 /* GSSAPI, GS2-KRB5, EXTERNAL, ANONYMOUS */
};
enum auth_exposure auth_mech_exposure(const char *mech);

struct dialogue; /* proto/dialogue.h */
/* The same for a probe's own conversation that did not get where the
 * question is asked (dialogue_open or a later step failed): its failed
 * step, detail and the refusing reply. */
struct finding *probe_dialogue_not_tested(struct probe_ctx *ctx, const char *title, const struct dialogue *d);

/* NULL-terminated, in the order they run and print. */
extern const struct probe *const probe_table[];
const struct probe *probe_find(const char *name);

/* The severity of a TLS problem (no STARTTLS, a failed handshake) under a
 * policy: info for none, warn for may (opportunistic TLS falls back to
 * plaintext), fail for encrypt and stricter (mail is deferred, then
 * bounced). */
enum severity policy_tls_severity(enum policy p);
/* The severity of a certificate problem that only a verifying sender acts
 * on (a chain that does not validate, a certificate outside its validity
 * period): info for none, warn for may and encrypt (Postfix's encrypt
 * level checks no certificate: the mail is still delivered, over TLS), fail
 * for verify and stricter (deferred, then bounced). The policy_needs table
 * (probe_is_required) says the same: chain and expiry from verify up. */
enum severity policy_verify_severity(enum policy p);

#endif
