/* \summary: a mail domain's verdict, the fate of its mail under each
 * policy level, and the consistency of its MX hosts (see domain.h).
 *
 * The fate follows what Postfix does at its TLS security levels (none,
 * may, encrypt, verify, secure) and Exchange Domain Security: with TLS
 * enforced, a message that cannot go over TLS stays in the queue and is
 * retried; when the retry period runs out (Exchange Online: 24 hours,
 * shared/seeds/fope-tls) the sender gets a non-delivery report. With
 * opportunistic TLS (may) the sender falls back to plain text.
 * Mail may go to any MX address (RFC 5321 section 5.1: the lowest
 * preference first, the others when it is busy or down), so the domain is
 * as good as its weakest address. */
#include "core/domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "pki/dane.h"
#include "pki/names.h"
#include "policy/domain_policy.h"
#include "util/util.h"

/* ---- the fate of a message ----------------------------------------- */

/* RFC 7672 section 2.2: with a usable secure TLSA RRset TLS is mandatory
 * and authenticated by the records; with secure records none of which is
 * usable, TLS is mandatory without authentication; a failed TLSA lookup
 * of a secure host takes the host out; without records, opportunistic. */
static enum mail_fate dane_fate(const struct fate_input *in, const char **reason)
{
	switch (in->dane) {
	case DANE_IN_NONE:
		return mail_fate_decide(POLICY_MAY, in, reason);
	case DANE_IN_FAILED:
		*reason = "the TLSA lookup failed or is bogus: a DANE sender does not use this host (RFC 7672 "
			  "section 2.2)";
		return FATE_DEFER;
	case DANE_IN_UNUSABLE:
		return mail_fate_decide(POLICY_ENCRYPT, in, reason);
	default:
		break;
	}
	if (!in->tls_ok) {
		*reason = in->starttls_offered ? "TLSA records make TLS mandatory, and the TLS session failed"
					       : "TLSA records make TLS mandatory, and STARTTLS is not offered";
		return FATE_DEFER;
	}
	if (in->dane == DANE_IN_MISMATCH) {
		*reason = "the certificate matches no usable TLSA record (dane.mismatch)";
		return FATE_DEFER;
	}
	if (in->dane == DANE_IN_UNKNOWN) {
		*reason = "unknown: the dane probe did not compare the chain with the TLSA records";
		return FATE_UNKNOWN;
	}
	return FATE_TLS;
}

enum mail_fate mail_fate_decide(enum policy p, const struct fate_input *in, const char **reason)
{
	*reason = NULL;
	if (!in->reachable) {
		*reason = "not reachable: the connection, the banner or EHLO failed";
		return FATE_DEFER;
	}
	if (p == POLICY_DANE)
		return dane_fate(in, reason);
	if (p == POLICY_NONE) {
		*reason = "policy none: TLS is not used";
		return FATE_CLEAR;
	}
	if (!in->tls_ok) {
		const char *why = in->starttls_offered ? "the TLS session failed (STARTTLS refused, the "
							 "handshake or EHLO after it)"
						       : "STARTTLS is not offered";
		if (p == POLICY_MAY) {
			*reason = in->starttls_offered ? "opportunistic TLS falls back to plain text: the TLS "
							 "session failed"
						       : "opportunistic TLS falls back to plain text: STARTTLS is "
							 "not offered";
			return FATE_CLEAR;
		}
		*reason = why;
		return FATE_DEFER;
	}
	if (p == POLICY_MAY || p == POLICY_ENCRYPT)
		return FATE_TLS;
	if (in->chain_ok < 0) {
		*reason = "unknown: the chain or expiry probe did not run";
		return FATE_UNKNOWN;
	}
	if (in->chain_ok == 0) {
		*reason = "the certificate chain does not validate (untrusted, expired or not yet valid)";
		return FATE_DEFER;
	}
	if (p == POLICY_VERIFY)
		return FATE_TLS;
	if (in->name_ok < 0) {
		*reason = "unknown: the names probe did not run";
		return FATE_UNKNOWN;
	}
	if (in->name_ok == 0) {
		*reason = "the certificate does not cover the MX host name (or an --expect-name)";
		return FATE_DEFER;
	}
	if (p == POLICY_SECURE)
		return FATE_TLS;
	/* Exchange domain security: the partner's domain in the certificate
	 * (a target probed without --domain has none to check: unknown). */
	if (in->domain_name_ok == 0) {
		*reason = "the certificate does not cover the partner's domain (domain security)";
		return FATE_DEFER;
	}
	if (in->mtls_ok < 0) {
		*reason = "unknown: the mtls probe did not run or could not tell";
		return FATE_UNKNOWN;
	}
	if (in->mtls_ok == 0) {
		*reason = "our client certificate is not requested or not accepted (mutual TLS)";
		return FATE_DEFER;
	}
	return FATE_TLS;
}

static const struct probe_result *find_probe(const struct target_result *t, const char *name)
{
	for (size_t i = 0; i < t->nprobes; i++)
		if (strcmp(t->probes[i].name, name) == 0)
			return &t->probes[i];
	return NULL;
}

static bool has_id(const struct probe_result *pr, const char *id)
{
	for (size_t i = 0; pr && i < pr->n; i++)
		if (strcmp(pr->f[i].id, id) == 0)
			return true;
	return false;
}

/* The mtls probe's word, from its finding ids: mtls.rejected or
 * mtls.not-requested is no; mtls.accepted (pass) is yes; otherwise a
 * failed mtls.* finding is no, and anything else cannot tell. */
static int mtls_verdict(const struct probe_result *pr)
{
	if (!pr)
		return -1;
	if (has_id(pr, "mtls.rejected") || has_id(pr, "mtls.not-requested"))
		return 0;
	bool failed = false;
	for (size_t i = 0; i < pr->n; i++) {
		if (strncmp(pr->f[i].id, "mtls.", 5) != 0)
			continue;
		if (strcmp(pr->f[i].id, "mtls.accepted") == 0 && pr->f[i].sev == SEV_PASS)
			return 1;
		failed = failed || pr->f[i].sev == SEV_FAIL;
	}
	return failed ? 0 : -1;
}

/* The names probe's word on the MX name, --sni and --expect-name
 * (partner = false), or on the partner's domain (partner = true): a
 * mismatch is no, a match (DNS-ID or CN) yes, nothing judged unknown. */
static int names_verdict(const struct probe_result *pr, bool partner)
{
	if (!pr)
		return -1;
	int v = -1;
	for (size_t i = 0; i < pr->n; i++) {
		const struct finding *f = &pr->f[i];
		bool is_partner = false;
		for (size_t k = 0; k < f->nev; k++)
			if (strcmp(f->ev[k].key, "checked_as") == 0 &&
			    strcmp(f->ev[k].value, DOMAIN_PARTNER_NAME_CHECK) == 0)
				is_partner = true;
		if (is_partner != partner)
			continue;
		if (strcmp(f->id, "cert.name-mismatch") == 0)
			return 0;
		if (strcmp(f->id, "cert.name-match") == 0 || strcmp(f->id, "cert.cn-only") == 0)
			v = 1;
	}
	return v;
}

/* Does any probe of the target report this id? */
static bool target_has_id(const struct target_result *t, const char *id)
{
	for (size_t i = 0; i < t->nprobes; i++)
		if (has_id(&t->probes[i], id))
			return true;
	return false;
}

/* A server may present an RSA and an ECDSA chain (core/served.h): a sender
 * that verifies gets one of them, so every one must validate. */
static bool every_chain_valid(const struct probe_result *chain)
{
	return has_id(chain, "cert.chain-valid") && !has_id(chain, "cert.chain-untrusted") &&
	       !has_id(chain, "cert.self-signed");
}

void fate_input_from_target(const struct target_result *t, struct fate_input *in)
{
	const struct session_facts *f = &t->facts;
	memset(in, 0, sizeof *in);
	in->reachable = t->status == TARGET_TESTED && f->connected;
	in->starttls_offered = f->implicit_tls || f->caps_plain.starttls;
	in->tls_ok = f->tls_ok && f->failed_step != STEP_HANDSHAKE && f->failed_step != STEP_EHLO_TLS;

	const struct probe_result *chain = find_probe(t, "chain");
	const struct probe_result *expiry = find_probe(t, "expiry");
	if (!chain || has_id(chain, "cert.trust-store-error"))
		in->chain_ok = -1;
	else
		in->chain_ok = every_chain_valid(chain) ? 1 : 0;
	if (in->chain_ok == 1) {
		if (!expiry)
			in->chain_ok = -1;
		else if (has_id(expiry, "cert.expired") || has_id(expiry, "cert.not-yet-valid"))
			in->chain_ok = 0;
	}
	/* verify and up: "not revoked" as well, where revocation was checked */
	if (target_has_id(t, "revocation.revoked") || target_has_id(t, "ocsp.staple-revoked"))
		in->chain_ok = 0;

	const struct probe_result *names = find_probe(t, "names");
	in->name_ok = names_verdict(names, false);
	in->domain_name_ok = names_verdict(names, true);

	in->mtls_ok = mtls_verdict(find_probe(t, "mtls"));
}

enum dane_input fate_input_dane(const struct mx_tlsa *tl, const struct target_result *t)
{
	if (!mx_tlsa_usable(tl)) {
		/* A host whose addresses and MX are secure but whose TLSA lookup
		 * came back bogus (or failed) is not used by a DANE sender. */
		bool secure_host = tl->addr_secure && tl->mx_secure;
		return secure_host && tl->state == TLSA_FAILED ? DANE_IN_FAILED : DANE_IN_NONE;
	}
	bool usable = false;
	for (size_t i = 0; i < tl->nrr && !usable; i++) {
		const char *why;
		usable = dane_tlsa_usability(&tl->rr[i], &why) == DANE_USABLE;
	}
	if (!usable)
		return DANE_IN_UNUSABLE;
	const struct probe_result *dane = find_probe(t, "dane");
	if (has_id(dane, "dane.mismatch") || has_id(dane, "dane.no-tls"))
		return DANE_IN_MISMATCH;
	return has_id(dane, "dane.valid") ? DANE_IN_MATCH : DANE_IN_UNKNOWN;
}

/* ---- targets for MX addresses --------------------------------------- */

void domain_make_spec(const struct domain_result *d, const struct mx_host *h, const struct mx_address *a,
		      struct target_spec *out)
{
	memset(out, 0, sizeof *out);
	out->input = xasprintf("%s[%s]:25", h->host, a->address);
	out->scheme = xstrdup("smtp");
	out->host = xstrdup(a->address);
	out->port = 25;
	out->family = a->family;
	out->domain = xstrdup(d->name);
	out->mx_host = xstrdup(h->host);
	out->mx_pref = h->pref;
	out->tlsa = &h->tlsa;
}

/* ---- the verdict ----------------------------------------------------- */

static int fate_rank(enum mail_fate f)
{
	switch (f) {
	case FATE_TLS:
		return 0;
	case FATE_CLEAR:
		return 1;
	case FATE_UNKNOWN:
		return 2;
	default:
		return 3;
	}
}

/* The ids of the failed findings, or why the target could not be tested. */
static char *failed_reason(const struct target_result *t)
{
	struct strvec ids = { 0 };
	if (t->status != TARGET_TESTED)
		strvec_push_owned(
			&ids, xasprintf("could not be tested (%s failed)", session_step_name(t->facts.failed_step)));
	for (size_t i = 0; i < t->nprobes; i++)
		for (size_t j = 0; j < t->probes[i].n; j++)
			if (t->probes[i].f[j].sev == SEV_FAIL && !strvec_contains_ci(&ids, t->probes[i].f[j].id))
				strvec_push(&ids, t->probes[i].f[j].id);
	char *out = ids.n ? strvec_join(&ids, ", ") : xstrdup("not tested");
	strvec_clear(&ids);
	return out;
}

static bool target_passes(const struct target_result *t)
{
	if (t->status != TARGET_TESTED)
		return false;
	for (size_t i = 0; i < t->nprobes; i++)
		if (probe_result_worst(&t->probes[i]) == SEV_FAIL)
			return false;
	return true;
}

/* An MX address shared by several domains is probed once (cli/batch.c),
 * with the first domain's name checked by the names probe; for the others
 * the partner-domain question is asked of the same leaf here. 1 covered,
 * 0 not, -1 no certificate. */
static int partner_name_ok(const struct target_result *t, const char *domain)
{
	if (!t->facts.tls_ok || t->facts.chain_len == 0)
		return -1;
	const struct cert_info *leaf = &t->facts.chain[0];
	char *cn = names_subject_cn(leaf);
	struct names_presented p = {
		.dns = (const char *const *)leaf->san_dns.v,
		.ndns = leaf->san_dns.n,
		.ip = (const char *const *)leaf->san_ip.v,
		.nip = leaf->san_ip.n,
		.cn = cn,
	};
	struct names_result res;
	names_check(&p, domain, &res);
	free(cn);
	return res.matched ? 1 : 0;
}

static void evaluate_address(struct report *r, struct domain_result *d, const struct mx_host *h, struct mx_address *a)
{
	if (a->target >= r->n)
		return;
	const struct target_result *t = r->t[a->target];
	struct fate_input in;
	fate_input_from_target(t, &in);
	if (t->domain && strcasecmp(t->domain, d->name) != 0 && strcasecmp(d->name, h->host) != 0)
		in.domain_name_ok = partner_name_ok(t, d->name);
	in.dane = fate_input_dane(&h->tlsa, t);
	for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
		const char *why;
		a->fate[p] = mail_fate_decide((enum policy)p, &in, &why);
		a->fate_reason[p] = xstrdup(why);
	}
	a->pass = target_passes(t);
	a->evaluated = true;
	if (!a->pass) {
		char *why = failed_reason(t);
		domain_add_break(d, h->host, a->address, why);
		free(why);
	}
}

/* ---- consistency ----------------------------------------------------- */

struct seen {
	const char *mx;
	const char *addr;
	const char *value;
};

/* What one attribute of a probed address is, or NULL when the session
 * did not get far enough to tell. */
typedef const char *(*attr_fn)(const struct target_result *t);

static const char *attr_starttls(const struct target_result *t)
{
	if (!t->facts.caps_plain.valid || t->facts.implicit_tls)
		return NULL;
	return t->facts.caps_plain.starttls ? "offered" : "not offered";
}

static const char *attr_protocol(const struct target_result *t)
{
	return t->facts.tls_ok ? t->facts.tls.protocol : NULL;
}

static const char *attr_ccert(const struct target_result *t)
{
	if (!t->facts.tls_ok)
		return NULL;
	return t->facts.tls.cert_requested ? "requested" : "not requested";
}

static const char *attr_leaf(const struct target_result *t)
{
	return t->facts.chain_len ? t->facts.chain[0].sha1_hex : NULL;
}

static bool values_differ(const struct seen *v, size_t n, const char *mx)
{
	const char *first = NULL;
	for (size_t i = 0; i < n; i++) {
		if (mx && strcmp(v[i].mx, mx) != 0)
			continue;
		if (!first)
			first = v[i].value;
		else if (strcmp(first, v[i].value) != 0)
			return true;
	}
	return false;
}

static void add_inconsistent(struct domain_result *d, enum severity sev, const char *what, const char *scope,
			     const struct seen *v, size_t n, const char *mx)
{
	/* ids: domain.inconsistent */
	struct finding *f = probe_result_add(&d->checks, "domain.inconsistent", sev, "");
	free(f->title);
	f->title = xasprintf("%s of %s differ: %s", scope, d->name, what);
	finding_set_detail(f,
			   "Mail for %s may go to any of its MX addresses (RFC 5321 section 5.1); "
			   "they do not agree on: %s.",
			   d->name, what);
	finding_set_rfc(f, "RFC 5321 section 5.1");
	finding_set_remedy(f,
			   "Configure every MX host and address of %s alike (certificate, TLS "
			   "versions, STARTTLS, client-certificate requests): what happens to a message "
			   "depends on the address it happens to reach.",
			   d->name);
	for (size_t i = 0; i < n; i++) {
		if (mx && strcmp(v[i].mx, mx) != 0)
			continue;
		finding_add_ev(f, "", "%s", v[i].value);
		struct evidence *e = &f->ev[f->nev - 1];
		free(e->key);
		e->key = xasprintf("%s[%s]", v[i].mx, v[i].addr);
	}
}

static void check_consistency(struct report *r, struct domain_result *d)
{
	static const struct {
		const char *what;
		attr_fn fn;
		bool per_host; /* normal when MX hosts differ, not addresses of one host */
	} attrs[] = {
		{ "STARTTLS offered", attr_starttls, false },
		{ "TLS protocol", attr_protocol, false },
		{ "client certificate requested", attr_ccert, false },
		{ "leaf certificate (SHA-1 thumbprint)", attr_leaf, true },
	};
	size_t total = 0;
	for (size_t i = 0; i < d->nmx; i++)
		total += d->mx[i].naddr;
	struct seen *v = xcalloc(total ? total : 1, sizeof *v);
	for (size_t k = 0; k < ARRAY_LEN(attrs); k++) {
		size_t n = 0;
		for (size_t i = 0; i < d->nmx; i++)
			for (size_t j = 0; j < d->mx[i].naddr; j++) {
				const struct mx_address *a = &d->mx[i].addr[j];
				if (a->target >= r->n)
					continue;
				const char *val = attrs[k].fn(r->t[a->target]);
				if (val)
					v[n++] = (struct seen){ d->mx[i].host, a->address, val };
			}
		if (!values_differ(v, n, NULL))
			continue;
		if (!attrs[k].per_host) {
			add_inconsistent(d, SEV_WARN, attrs[k].what, "MX hosts and addresses", v, n, NULL);
			continue;
		}
		/* Certificates: addresses of one host that differ are a warning
		 * (a load balancer with a forgotten node); different hosts with
		 * their own certificates are normal, worth knowing. */
		bool within = false;
		for (size_t i = 0; i < d->nmx; i++)
			if (values_differ(v, n, d->mx[i].host)) {
				add_inconsistent(d, SEV_WARN, attrs[k].what, "addresses of one MX host", v, n,
						 d->mx[i].host);
				within = true;
			}
		if (!within)
			add_inconsistent(d, SEV_INFO, attrs[k].what, "MX hosts", v, n, NULL);
	}
	free(v);
}

/* The domain's DANE in one line (issue 13 item 5): whether it publishes
 * usable TLSA records for its MX hosts, and whether every address of those
 * hosts meets them. Hosts without records get opportunistic TLS from a
 * DANE sender, which RFC 7672 allows: said, not failed. */
static void check_dane(struct report *r, struct domain_result *d, const struct mx_options *opt)
{
	enum policy pol = opt ? opt->policy : POLICY_ENCRYPT;
	if (d->policy)
		policy_parse(d->policy, &pol);
	size_t published = 0, broken = 0, unknown = 0;
	struct strvec ev = { 0 };
	for (size_t m = 0; m < d->nmx; m++) {
		const struct mx_host *h = &d->mx[m];
		if (!mx_tlsa_usable(&h->tlsa))
			continue;
		published++;
		for (size_t k = 0; k < h->naddr; k++) {
			const struct mx_address *a = &h->addr[k];
			enum dane_input in =
				a->target < r->n ? fate_input_dane(&h->tlsa, r->t[a->target]) : DANE_IN_UNKNOWN;
			const char *word = in == DANE_IN_MATCH	    ? "matches its TLSA records"
					   : in == DANE_IN_MISMATCH ? "matches none of its TLSA records"
					   : in == DANE_IN_UNUSABLE ? "has no usable TLSA record"
								    : "not compared";
			broken += in == DANE_IN_MISMATCH || in == DANE_IN_UNUSABLE;
			unknown += in == DANE_IN_UNKNOWN;
			strvec_push_owned(&ev, xasprintf("%s[%s]\t%s", h->host, a->address, word));
		}
	}
	if (!published) {
		strvec_clear(&ev);
		return;
	}
	enum severity sev = broken		  ? (pol == POLICY_DANE	  ? SEV_FAIL
						     : pol == POLICY_NONE ? SEV_INFO
									  : SEV_WARN)
			    : unknown		  ? SEV_INFO
			    : published == d->nmx ? SEV_PASS
						  : SEV_INFO;
	/* ids: domain.dane */
	struct finding *f = probe_result_add(&d->checks, "domain.dane", sev, "");
	free(f->title);
	f->title = broken    ? xasprintf("%s publishes DANE, and %zu MX address%s do%s not meet it", d->name, broken,
					 broken == 1 ? "" : "es", broken == 1 ? "es" : "")
		   : unknown ? xasprintf("%s publishes DANE; not every MX address was compared", d->name)
		   : published == d->nmx
			   ? xasprintf("%s publishes DANE for every MX host, and they meet it", d->name)
			   : xasprintf("%s publishes DANE for %zu of its %zu MX hosts", d->name, published, d->nmx);
	finding_set_detail(f,
			   "Usable DNSSEC-secure TLSA records for %zu of %zu MX hosts: a DANE sender (Postfix dane, "
			   "Exim hosts_require_dane) authenticates those hosts by them and defers when they do "
			   "not match; it uses opportunistic TLS with the others.",
			   published, d->nmx);
	finding_set_rfc(f, "RFC 7672 section 2.2");
	if (broken)
		finding_set_remedy(f, "Fix the records or the certificates named by the dane.mismatch and "
				      "dane.unusable-usage findings of those addresses.");
	for (size_t i = 0; i < ev.n; i++) {
		char *tab = strchr(ev.v[i], '\t');
		*tab = '\0';
		finding_add_ev(f, ev.v[i], "%s", tab + 1);
	}
	strvec_clear(&ev);
}

void domain_evaluate(struct report *r, const struct mx_options *opt)
{
	for (size_t i = 0; i < r->ndomains; i++) {
		struct domain_result *d = &r->domains[i];
		switch (d->kind) {
		case DOMAIN_NULL_MX:
			d->verdict = VERDICT_NO_MAIL;
			continue;
		case DOMAIN_NXDOMAIN:
		case DOMAIN_DNS_ERROR: {
			d->verdict = VERDICT_ERROR;
			/* One finding, so that the summary, JUnit and Nagios count
			 * what the exit status (3) already says. */
			/* ids: domain.dns-error */
			struct finding *f = probe_result_add(&d->checks, "domain.dns-error", SEV_ERROR, "");
			free(f->title);
			f->title = xasprintf("DNS could not tell where mail for %s goes", d->name);
			finding_set_detail(f, "%s", d->error ? d->error : "the MX query got no usable answer");
			finding_set_rfc(f, "RFC 5321 section 5.1");
			continue;
		}
		default:
			break;
		}
		for (int p = 0; p < DOMAIN_NPOLICIES; p++)
			d->fate[p] = FATE_TLS;
		for (size_t m = 0; m < d->nmx; m++) {
			struct mx_host *h = &d->mx[m];
			if (h->naddr == 0) {
				domain_add_break(d, h->host, NULL, h->error ? h->error : "no address");
				for (int p = 0; p < DOMAIN_NPOLICIES; p++)
					d->fate[p] = FATE_DEFER;
			}
			for (size_t k = 0; k < h->naddr; k++) {
				struct mx_address *a = &h->addr[k];
				evaluate_address(r, d, h, a);
				for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
					enum mail_fate f = a->evaluated ? a->fate[p] : FATE_UNKNOWN;
					if (fate_rank(f) > fate_rank(d->fate[p]))
						d->fate[p] = f;
				}
			}
		}
		if (d->nmx == 0)
			for (int p = 0; p < DOMAIN_NPOLICIES; p++)
				d->fate[p] = FATE_DEFER;
		for (int p = 0; p < DOMAIN_NPOLICIES; p++)
			d->safe[p] = d->fate[p] == FATE_TLS || d->fate[p] == FATE_CLEAR;
		/* MTA-STS: the MX hosts against the policy, the sender's fate */
		domain_policy_evaluate(r, d);
		d->verdict = d->nbroken || d->nmx == 0 ? VERDICT_FAIL : VERDICT_PASS;
		check_consistency(r, d);
		check_dane(r, d, opt);
	}
}

int domain_exit_code(const struct report *r, int status)
{
	bool failed = false, error = false;
	for (size_t i = 0; i < r->ndomains; i++) {
		failed = failed || r->domains[i].verdict == VERDICT_FAIL;
		error = error || r->domains[i].verdict == VERDICT_ERROR;
	}
	if (failed)
		return 1;
	if (error && status == 0)
		return 3;
	return status;
}
