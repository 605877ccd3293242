/* \summary: the probe table. One line per probe; they run and print in
 * this order. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "util/err.h"
#include "proto/dialect.h"
#include "proto/dialogue.h"

extern const struct probe probe_starttls;
extern const struct probe probe_chain;
extern const struct probe probe_expiry;
extern const struct probe probe_names;
extern const struct probe probe_revocation;
extern const struct probe probe_dane;
extern const struct probe probe_diagnose;
extern const struct probe probe_mailbox_login;
extern const struct probe probe_auth;
extern const struct probe probe_stripping;
extern const struct probe probe_access;
extern const struct probe probe_require_tls;
extern const struct probe probe_relay;
extern const struct probe probe_injection;
extern const struct probe probe_mtls;
extern const struct probe probe_versions;
extern const struct probe probe_ciphers;
extern const struct probe probe_groups;
extern const struct probe probe_weaknesses;

const struct probe *const probe_table[] = {
	&probe_starttls,      /* STARTTLS, TLS parameters, capabilities across TLS */
	&probe_chain,	      /* chain validation, order, signatures, keys, EKU */
	&probe_expiry,	      /* validity periods of every certificate, days left */
	&probe_names,	      /* RFC 6125: the host and every --expect-name */
	&probe_revocation,    /* CRL, OCSP, stapling, must-staple */
	&probe_dane,	      /* RFC 7672: the MX host's TLSA records against the served chains */
	&probe_mtls,	      /* client-certificate request, demand, acceptance */
	&probe_diagnose,      /* where a failed session broke, and why */
	&probe_mailbox_login, /* POP3/IMAP: USER, LOGIN, AUTH=PLAIN before TLS */
	&probe_auth,	      /* AUTH before/after TLS; a real AUTH with --auth-user */
	&probe_stripping,     /* STARTTLS mangled or hidden by a middlebox */
	&probe_access,	      /* connection control: --expect-refused */
	&probe_require_tls,   /* opt-in: MAIL before STARTTLS must get 530 */
	&probe_relay,	      /* opt-in: RCPT to a foreign domain without AUTH */
	&probe_injection,     /* opt-in: STARTTLS command injection */
	&probe_versions,      /* enumeration: SSLv2 to TLS 1.3, fallback SCSV */
	&probe_ciphers,	      /* enumeration: every accepted suite per version */
	&probe_groups,	      /* enumeration: ECDHE/FFDHE groups, DH prime size */
	&probe_weaknesses,    /* enumeration: RC4, 3DES, EXPORT, Logjam, CRIME, ... */
	NULL,
};

/* One item of a --probes list: its name and how it is meant. */
enum spec_op {
	SPEC_ONLY, /* a plain name: part of an explicit set */
	SPEC_ADD,  /* +name */
	SPEC_DEL,  /* -name */
	SPEC_ALL,  /* all */
};

static enum spec_op spec_item(const char *p, size_t len, const char **name, size_t *nlen)
{
	*name = p;
	*nlen = len;
	if (len && (p[0] == '+' || p[0] == '-')) {
		*name = p + 1;
		*nlen = len - 1;
		return p[0] == '+' ? SPEC_ADD : SPEC_DEL;
	}
	if (len == 3 && strncasecmp(p, "all", 3) == 0)
		return SPEC_ALL;
	return SPEC_ONLY;
}

static const struct probe *find_n(const char *name, size_t n)
{
	for (const struct probe *const *p = probe_table; *p; p++)
		if (strlen((*p)->name) == n && strncasecmp((*p)->name, name, n) == 0)
			return *p;
	return NULL;
}

/* Does the list start from the empty set (a plain name or "all" in it)
 * rather than from the default set (+name/-name items only)? */
static bool spec_is_explicit(const char *spec)
{
	for (const char *p = spec; *p;) {
		size_t len = strcspn(p, ",");
		const char *name;
		size_t n;
		enum spec_op op = spec_item(p, len, &name, &n);
		if (op == SPEC_ONLY || op == SPEC_ALL)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* The probe's place in probe_table (find_n's answer). */
static size_t table_index(const struct probe *pr)
{
	size_t i = 0;
	while (probe_table[i] != pr)
		i++;
	return i;
}

int probe_spec_check(const char *spec, char *err, size_t errlen)
{
	if (!*spec) {
		snprintf(err, errlen, "empty list: name probes, all, or +name/-name");
		return -1;
	}
	bool explicit_set = spec_is_explicit(spec);
	_Static_assert(ARRAY_LEN(probe_table) <= 64, "the selection below is a 64-bit mask");
	uint64_t selected = 0; /* explicit_set: what the items so far select, by table index */
	for (const char *p = spec;;) {
		size_t len = strcspn(p, ",");
		const char *name;
		size_t n;
		enum spec_op op = spec_item(p, len, &name, &n);
		if (n == 0) {
			snprintf(err, errlen, "empty item in '%s'", spec);
			return -1;
		}
		const struct probe *pr = op == SPEC_ALL ? NULL : find_n(name, n);
		if (op != SPEC_ALL && !pr) {
			snprintf(err, errlen, "unknown probe '%.*s'", (int)(n < 64 ? n : 64), name);
			return -1;
		}
		if (op == SPEC_ALL) {
			selected = ~(uint64_t)0;
		} else if (op != SPEC_DEL) {
			selected |= (uint64_t)1 << table_index(pr);
		} else if (explicit_set && !(selected & ((uint64_t)1 << table_index(pr)))) {
			/* "starttls,-chain": the plain name already leaves chain out,
			 * so the removal says the list was read as "the default set
			 * plus starttls"; refuse it rather than guess. */
			snprintf(err, errlen,
				 "'-%.*s' removes a probe the list does not select: plain names select only "
				 "those probes (to change the default set, use +name and -name alone)",
				 (int)(n < 64 ? n : 64), name);
			return -1;
		} else {
			selected &= ~((uint64_t)1 << table_index(pr));
		}
		p += len;
		if (!*p)
			return 0;
		p++;
	}
}

/* Walks spec in order for one probe: the base is the default set when
 * every item is +/-, else the empty set; later items win. */
static bool spec_walk(const char *spec, const char *probe, bool in_default, bool *asked)
{
	bool on = spec_is_explicit(spec) ? false : in_default;
	*asked = false;
	size_t pn = strlen(probe);
	for (const char *p = spec; *p;) {
		size_t len = strcspn(p, ",");
		const char *name;
		size_t n;
		enum spec_op op = spec_item(p, len, &name, &n);
		bool match = op == SPEC_ALL || (n == pn && strncasecmp(name, probe, n) == 0);
		if (match) {
			on = op != SPEC_DEL;
			*asked = on;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return on;
}

bool probe_spec_selects(const char *spec, const char *name, bool in_default)
{
	bool asked;
	return spec ? spec_walk(spec, name, in_default, &asked) : in_default;
}

bool probe_spec_asks(const char *spec, const char *name)
{
	bool asked = false;
	if (spec)
		spec_walk(spec, name, false, &asked);
	return asked;
}

const struct probe *probe_find(const char *name)
{
	for (const struct probe *const *p = probe_table; *p; p++)
		if (strcasecmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

enum severity policy_tls_severity(enum policy p)
{
	switch (p) {
	case POLICY_NONE:
		return SEV_INFO;
	case POLICY_MAY:
	case POLICY_DANE: /* opportunistic where no usable TLSA (the dane probe judges those) */
		return SEV_WARN;
	default:
		return SEV_FAIL;
	}
}

enum severity policy_verify_severity(enum policy p)
{
	switch (p) {
	case POLICY_NONE:
		return SEV_INFO;
	case POLICY_MAY:
	case POLICY_DANE: /* TLSA records, not the PKIX chain, authenticate */
	case POLICY_ENCRYPT:
		return SEV_WARN;
	default:
		return SEV_FAIL;
	}
}

enum probe_role probe_role(const struct probe_ctx *ctx)
{
	const struct target_result *t = ctx->t;
	const struct dialect *d = dialect_find(ctx->spec ? ctx->spec->dialect : NULL);
	if (!d->smtp_family)
		return ROLE_MAILBOX;
	if (d != &dialect_smtp)
		return ROLE_LMTP;
	const char *scheme = t->scheme ? t->scheme : "smtp";
	if (strcmp(scheme, "submission") == 0 || strcmp(scheme, "smtps") == 0)
		return ROLE_SUBMISSION;
	/* A bare host on the submission ports is submission too. */
	if (!t->domain && (t->port == 587 || t->port == 465))
		return ROLE_SUBMISSION;
	return ROLE_MX;
}

const char *probe_role_name(enum probe_role r)
{
	switch (r) {
	case ROLE_SUBMISSION:
		return "submission";
	case ROLE_LMTP:
		return "lmtp";
	case ROLE_MAILBOX:
		return "mailbox";
	default:
		return "mx";
	}
}

struct finding *probe_not_tested(struct probe_ctx *ctx, const char *title, enum session_step step, const char *detail,
				 const struct reply_info *reply)
{
	char *id = xasprintf("%s.not-tested", ctx->pr->name);
	struct finding *f = probe_result_add(ctx->pr, id, SEV_ERROR, title);
	free(id);
	if (step != STEP_NONE) {
		finding_set_detail(f, "The session stopped at the %s%s%s.", session_step_name(step),
				   detail && *detail ? ": " : "", detail ? detail : "");
		finding_add_ev(f, "stopped_at", "%s", session_step_id(step));
	} else if (detail) {
		finding_set_detail(f, "%s", detail);
	}
	if (reply && reply->code)
		finding_add_ev(f, "reply", "%d%s%s %s", reply->code, reply->enh[0] ? " " : "", reply->enh,
			       reply->text ? reply->text : "");
	return f;
}

/* Where the standard session stopped short of `need`, and why; NULL when
 * it got there. The step goes to *step (STEP_NONE: it ended normally but
 * without the thing: STARTTLS not offered, no certificate). */
static const char *shortfall(const struct session_facts *fa, enum probe_reach need, enum session_step *step)
{
	*step = STEP_NONE;
	bool hello = fa->caps_plain.valid || fa->used_helo || fa->caps_tls.valid;
	bool reached = need == REACH_GREETING ? fa->banner.code != 0 || fa->tls_ok
		       : need == REACH_HELLO  ? hello
		       : need == REACH_TLS    ? fa->tls_ok
					      : fa->tls_ok && fa->chain_len > 0;
	if (reached)
		return NULL;
	if (!fa->attempted)
		return "the standard session did not run";
	if (fa->failed_step != STEP_NONE && fa->failed_step != STEP_QUIT) {
		*step = fa->failed_step;
		return fa->fail_detail ? fa->fail_detail : "";
	}
	if (need >= REACH_TLS && fa->starttls == STARTTLS_NOT_OFFERED)
		return fa->used_helo ? "TLS never started: EHLO was refused and HELO offers no STARTTLS"
				     : "TLS never started: the server does not offer STARTTLS";
	if (need == REACH_CHAIN && fa->tls_ok)
		return "the server sent no certificate in the handshake";
	return "the session ended before that step";
}

/* The reply that stopped the standard session at `step`, if one came. */
static const struct reply_info *stopping_reply(const struct session_facts *fa, enum session_step step)
{
	if (fa->r421.code)
		return &fa->r421;
	if (step == STEP_BANNER && fa->banner.code)
		return &fa->banner;
	if (step == STEP_EHLO && fa->ehlo.code)
		return &fa->ehlo;
	if (step == STEP_STARTTLS && fa->starttls_reply.code)
		return &fa->starttls_reply;
	return NULL;
}

/* The policy from which each probe's answer is part of the verdict. */
static const struct {
	const char *name;
	enum policy from;
} policy_needs[] = {
	{ "starttls", POLICY_ENCRYPT },	  { "diagnose", POLICY_ENCRYPT },  { "chain", POLICY_VERIFY },
	{ "expiry", POLICY_VERIFY },	  { "revocation", POLICY_VERIFY }, { "names", POLICY_SECURE },
	{ "mtls", POLICY_DOMAIN_SECURE }, { NULL, POLICY_NONE },
};

bool probe_is_required(const struct mx_options *opt, const char *name)
{
	if (probe_spec_asks(opt->probes, name))
		return true;
	const struct probe *p = probe_find(name);
	if (opt->enumerate && p && (p->flags & PROBE_ENUMERATE))
		return true;
	if (strcasecmp(name, "auth") == 0)
		return opt->auth_user != NULL;
	if (strcasecmp(name, "access") == 0)
		return opt->expect_refused;
	if (strcasecmp(name, "revocation") == 0 && opt->revocation == REVOCATION_OFF)
		return false;
	/* DANE authenticates by the TLSA records alone: the PKIX probes rank
	 * it with may (core/options.h), the dane probe is what it needs. */
	if (strcasecmp(name, "dane") == 0)
		return opt->policy == POLICY_DANE;
	for (size_t i = 0; policy_needs[i].name; i++)
		if (strcasecmp(name, policy_needs[i].name) == 0)
			return opt->policy >= policy_needs[i].from;
	return false;
}

bool session_refused_source(const struct session_facts *fa)
{
	if (fa->fail_err == -MX_E_SERVICE_UNAVAILABLE)
		return false;
	return (fa->failed_step == STEP_CONNECT && fa->fail_err == -MX_E_REFUSED) ||
	       (fa->failed_step == STEP_BANNER && fa->banner.code >= 500) ||
	       (fa->failed_step == STEP_EHLO && fa->ehlo.code >= 500);
}

/* more: the probe was about to open a connection of its own. */
static bool reached_or_say(struct probe_ctx *ctx, enum probe_reach need, const char *question, bool more)
{
	const struct session_facts *fa = &ctx->t->facts;
	enum session_step step;
	const char *why = shortfall(fa, need, &step);
	if (!why)
		return true;
	char *title = xasprintf("Not tested: %s", question);
	/* The reply goes into the evidence; the detail does not repeat it. */
	const struct reply_info *reply = stopping_reply(fa, step);
	const char *said = reply && step != STEP_NONE ? NULL : why;
	struct finding *f = probe_not_tested(ctx, title, step, said, reply);
	free(title);
	if (more) {
		char *first = f->detail ? xstrdup(f->detail) : xasprintf("%s.", said ? said : "");
		finding_set_detail(f,
				   "%s No further connection was opened: one from the same address with the same EHLO "
				   "name would stop there too, and a server that asks us to go away (421) is not "
				   "hammered.",
				   first);
		free(first);
	}
	if (fa->tls_alert >= 0)
		finding_add_ev(f, "tls_alert", "%s (%d)", fa->tls_alert_name ? fa->tls_alert_name : "?", fa->tls_alert);
	if (ctx->opt->expect_refused && session_refused_source(fa)) {
		f->sev = SEV_INFO;
		finding_add_ev(f, "expected", "this source was refused, as --expect-refused says it should be");
	}
	return false;
}

bool probe_session_reached(struct probe_ctx *ctx, enum probe_reach need, const char *question)
{
	return reached_or_say(ctx, need, question, false);
}

bool probe_may_connect(struct probe_ctx *ctx, const char *question)
{
	if (!ctx->t->facts.attempted)
		return true; /* no standard session to learn from */
	return reached_or_say(ctx, REACH_HELLO, question, true);
}

struct finding *probe_dialogue_not_tested(struct probe_ctx *ctx, const char *title, const struct dialogue *d)
{
	return probe_not_tested(ctx, title, d->failed_step, d->detail, &d->refusal);
}

char *probe_mail_from(const struct probe_ctx *ctx)
{
	const char *n = ctx->opt->ehlo_name;
	if (!n || n[0] == '[')
		return xstrdup("MAIL FROM:<>");
	return xasprintf("MAIL FROM:<probe@%s>", n);
}
