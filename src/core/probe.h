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
	/* Sends MAIL, RCPT or AUTH, or opens connections of its own: in the
	 * default set (no --probes) only on submission targets
	 * (submission://, smtps://); otherwise only when named in --probes. */
	PROBE_OPT_IN = 1 << 0,
	/* Runs whenever the standard session ran, --probes or not: the
	 * diagnosis of a broken session must never be left out, or a narrow
	 * --probes list would turn a 454 to STARTTLS into an all-clear. */
	PROBE_WITH_SESSION = 1 << 1,
	/* An enumeration probe (versions, ciphers, groups, weaknesses): many
	 * connections, so never in the default set, not even on submission;
	 * --enumerate adds them all, --probes names them one by one. */
	PROBE_ENUMERATE = 1 << 2,
};

/* Is name in the comma-separated --probes list? */
bool probe_list_has(const char *list, const char *name);

/* NULL-terminated, in the order they run and print. */
extern const struct probe *const probe_table[];
const struct probe *probe_find(const char *name);

/* The severity of a TLS problem (no STARTTLS, a failed handshake) under a
 * policy: info for none, warn for may (opportunistic TLS falls back to
 * plaintext), fail for encrypt and stricter (mail is deferred, then
 * bounced). */
enum severity policy_tls_severity(enum policy p);

#endif
