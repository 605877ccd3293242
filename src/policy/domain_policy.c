/* \summary: MTA-STS and TLS-RPT of a mail domain: lookup, fetch, and the
 * MX hosts judged against the policy (see domain_policy.h).
 * specification: RFC 8461 sections 3.1-3.3, 4.1, 4.2, 5; RFC 8460
 * section 3. */
#include "policy/domain_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/domain.h"
#include "dns/dns.h"
#include "net/http.h"
#include "policy/tls_rpt.h"
#include "util/util.h"

/* At most this many mta-sts.syntax findings per policy: the first ones
 * say what is wrong, a thousand more would drown the report. */
#define MAX_SYNTAX_FINDINGS 20
/* RFC 8461 section 3.2 suggests max_age in weeks; below a day a policy
 * protects little against a downgrade between fetches. */
#define SHORT_MAX_AGE	    86400LL

void mta_sts_result_free(struct mta_sts_result *m)
{
	if (!m)
		return;
	free(m->txt);
	free(m->id);
	free(m->url);
	free(m->host_addresses);
	free(m->content_type);
	free(m->fetch_error);
	sts_policy_clear(&m->policy);
	probe_result_clear(&m->checks);
	free(m);
}

void tls_rpt_result_free(struct tls_rpt_result *t)
{
	if (!t)
		return;
	free(t->txt);
	strvec_clear(&t->rua);
	probe_result_clear(&t->checks);
	free(t);
}

static struct finding *add(struct probe_result *pr, const char *id, enum severity sev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A finding with a formatted title. */
static struct finding *add(struct probe_result *pr, const char *id, enum severity sev, const char *fmt, ...)
{
	struct finding *f = probe_result_add(pr, id, sev, "");
	va_list ap;
	va_start(ap, fmt);
	free(f->title);
	f->title = xvasprintf(fmt, ap);
	va_end(ap);
	return f;
}

static char *esc(const char *s)
{
	return str_escape(s, strlen(s), 1024);
}

static int64_t left_us(int64_t deadline_us, int64_t want)
{
	int64_t left = deadline_us - mono_us();
	return left < want ? left : want;
}

/* ---- MTA-STS: the TXT record ----------------------------------------- */

/* Judges the _mta-sts TXT answer into m (published, txt, id, txt_ok) and
 * its findings. */
static void sts_txt(struct mta_sts_result *m, const char *domain, const struct dns_txt *txt)
{
	const char *name = "_mta-sts";
	struct strvec sts = { 0 };
	const char *near = NULL; /* "v=STS..." but not "v=STSv1;": discarded by senders */
	for (size_t i = 0; i < txt->rec.n; i++) {
		const char *s = txt->rec.v[i];
		if (sts_txt_is_sts(s, strlen(s)))
			strvec_push(&sts, s);
		else if (str_has_prefix_ci(s, "v=sts") && !near)
			near = s;
	}
	if (sts.n == 0) {
		if (near) {
			m->published = true;
			m->txt = esc(near);
			char *id = NULL, err[300];
			sts_txt_parse(near, strlen(near), &id, err, sizeof err);
			free(id);
			/* ids: mta-sts.txt-syntax */
			struct finding *f =
				add(&m->checks, "mta-sts.txt-syntax", SEV_FAIL,
				    "%s.%s TXT is not a valid MTA-STS record: senders ignore it", name, domain);
			finding_set_detail(f,
					   "RFC 8461 section 3.1: records that do not begin with \"v=STSv1;\" are "
					   "discarded, so senders see no MTA-STS policy for %s.",
					   domain);
			finding_add_ev(f, "record", "%s", m->txt);
			finding_add_ev(f, "problem", "%s", err);
			finding_set_rfc(f, "RFC 8461 section 3.1");
			finding_set_remedy(f, "Publish \"v=STSv1; id=YYYYMMDDnn\" at %s.%s.", name, domain);
		} else {
			/* ids: mta-sts.absent */
			struct finding *f = add(&m->checks, "mta-sts.absent", SEV_INFO,
						"%s publishes no MTA-STS policy (no %s.%s TXT record%s)", domain, name,
						domain, txt->rec.n ? " beginning with \"v=STSv1;\"" : "");
			finding_set_detail(f, "Senders that follow MTA-STS use opportunistic TLS for %s.", domain);
			for (size_t i = 0; i < txt->rec.n; i++) { /* what is there instead (an SPF record, ...) */
				char *e = esc(txt->rec.v[i]);
				finding_add_ev(f, "record", "%s", e);
				free(e);
			}
			finding_set_rfc(f, "RFC 8461 section 3.1");
		}
		strvec_clear(&sts);
		return;
	}
	m->published = true;
	m->txt = esc(sts.v[0]);
	if (sts.n > 1) {
		/* ids: mta-sts.txt-multiple */
		struct finding *f =
			add(&m->checks, "mta-sts.txt-multiple", SEV_FAIL,
			    "%zu MTA-STS TXT records at %s.%s: senders assume there is no policy", sts.n, name, domain);
		finding_set_detail(f, "RFC 8461 section 3.1: \"If the number of resulting records is not one ... "
				      "senders MUST assume the recipient domain does not have an available "
				      "MTA-STS policy.\"");
		for (size_t i = 0; i < sts.n; i++) {
			char *e = esc(sts.v[i]);
			finding_add_ev(f, "record", "%s", e);
			free(e);
		}
		finding_set_rfc(f, "RFC 8461 section 3.1");
		finding_set_remedy(f, "Keep exactly one \"v=STSv1; id=...\" record at %s.%s.", name, domain);
		strvec_clear(&sts);
		return;
	}
	char *id = NULL, err[300];
	enum sts_txt_status st = sts_txt_parse(sts.v[0], strlen(sts.v[0]), &id, err, sizeof err);
	strvec_clear(&sts);
	if (st == STS_TXT_OK) {
		m->id = esc(id);
		free(id);
		m->txt_ok = true;
		return;
	}
	free(id);
	bool no_id = st == STS_TXT_NO_ID;
	/* ids: mta-sts.id-missing mta-sts.txt-syntax */
	struct finding *f = add(&m->checks, no_id ? "mta-sts.id-missing" : "mta-sts.txt-syntax", SEV_FAIL,
				"%s.%s TXT: %s", name, domain, err);
	finding_set_detail(f,
			   "RFC 8461 section 3.1: a record that is syntactically invalid makes senders assume "
			   "the domain has no available MTA-STS policy.%s",
			   no_id ? " The id tells senders when to fetch the policy again." : "");
	finding_add_ev(f, "record", "%s", m->txt);
	finding_set_rfc(f, "RFC 8461 section 3.1");
	finding_set_remedy(f, "Publish \"v=STSv1; id=YYYYMMDDnn\" (id: 1 to 32 letters and digits, changed with "
			      "every policy change), fields separated by \";\".");
}

/* ---- MTA-STS: the policy --------------------------------------------- */

/* "text/plain", maybe with parameters ("; charset=utf-8"). */
static bool is_text_plain(const char *ct)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

static void fetch_failed(struct mta_sts_result *m, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fetch_failed(struct mta_sts_result *m, const char *id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = xvasprintf(fmt, ap);
	va_end(ap);
	m->fetch_error = esc(why);
	free(why);
	struct finding *f = add(&m->checks, id, SEV_FAIL, "The MTA-STS policy could not be used: %s", m->fetch_error);
	finding_set_detail(f, "RFC 8461 section 5.1: a sender that cannot fetch the policy (and has none cached) "
			      "delivers as if the domain had no MTA-STS; one with a cached policy keeps applying "
			      "the old one until it expires.");
	if (m->url)
		finding_add_ev(f, "url", "%s", m->url);
	if (m->host_addresses)
		finding_add_ev(f, "address", "%s", m->host_addresses);
	finding_set_rfc(f, "RFC 8461 section 3.3");
}

/* Resolves the policy host through our resolver: "host:443:a,[b]" for
 * CURLOPT_RESOLVE, or NULL (fetch_failed said why). */
static char *policy_host_pin(struct dns_resolver *r, const struct mx_options *opt, int64_t deadline_us,
			     struct mta_sts_result *m, const char *host)
{
	struct mx_host h = { .pref = -1, .host = xstrdup(host) };
	dns_resolve_host(r, opt->step_timeout_us, deadline_us, &h);
	char *pin = NULL;
	if (h.naddr == 0) {
		/* ids: mta-sts.fetch-failed */
		fetch_failed(m, "mta-sts.fetch-failed", "%s", h.error ? h.error : "the policy host has no address");
	} else {
		struct strvec addrs = { 0 }, bracketed = { 0 };
		for (size_t i = 0; i < h.naddr; i++) {
			strvec_push(&addrs, h.addr[i].address);
			strvec_push_owned(&bracketed, h.addr[i].family == AF_INET6
							      ? xasprintf("[%s]", h.addr[i].address)
							      : xstrdup(h.addr[i].address));
		}
		m->host_addresses = strvec_join(&addrs, ", ");
		char *list = strvec_join(&bracketed, ",");
		pin = xasprintf("%s:443:%s", host, list);
		free(list);
		strvec_clear(&addrs);
		strvec_clear(&bracketed);
	}
	mx_host_clear(&h);
	return pin;
}

static void policy_findings(struct mta_sts_result *m, const char *domain)
{
	const struct sts_policy *p = &m->policy;
	size_t shown = 0;
	for (size_t i = 0; i < p->nprob && shown < MAX_SYNTAX_FINDINGS; i++, shown++) {
		const struct sts_problem *pr = &p->prob[i];
		/* ids: mta-sts.syntax */
		struct finding *f;
		if (pr->line)
			f = add(&m->checks, "mta-sts.syntax", pr->fatal ? SEV_FAIL : SEV_WARN,
				"MTA-STS policy line %u: %s", pr->line, pr->what);
		else
			f = add(&m->checks, "mta-sts.syntax", pr->fatal ? SEV_FAIL : SEV_WARN, "MTA-STS policy: %s",
				pr->what);
		finding_set_detail(f, "%s",
				   pr->fatal ? "Senders cannot use a policy with this error: they deliver as if "
					       "the domain had no MTA-STS (RFC 8461 section 3.2)."
					     : "Senders use the rest of the policy.");
		if (pr->line) {
			finding_add_ev(f, "line", "%u", pr->line);
			finding_add_ev(f, "text", "%s", pr->text);
		}
		finding_add_ev(f, "url", "%s", m->url);
		finding_set_rfc(f, "RFC 8461 section 3.2");
		finding_set_remedy(f,
				   "Fix the policy at %s: \"version: STSv1\", \"mode: enforce\" (or testing, "
				   "none), one \"mx: HOST\" line per MX host (\"*.\" only as the whole leftmost "
				   "label), \"max_age: SECONDS\" (up to %lld), one \"key: value\" per line.",
				   m->url, STS_MAX_AGE_MAX);
	}
	if (!p->valid)
		return;
	char *mx = strvec_join(&p->mx, ", ");
	/* ids: mta-sts.valid */
	struct finding *f = add(&m->checks, "mta-sts.valid", SEV_PASS, "MTA-STS policy of %s: mode %s, max_age %lld",
				domain, sts_mode_name(p->mode), p->max_age);
	finding_add_ev(f, "id", "%s", m->id ? m->id : "");
	finding_add_ev(f, "mode", "%s", sts_mode_name(p->mode));
	finding_add_ev(f, "max_age", "%lld", p->max_age);
	finding_add_ev(f, "mx", "%s", mx);
	finding_add_ev(f, "url", "%s", m->url);
	finding_set_rfc(f, "RFC 8461 section 3.2");
	free(mx);
	if (p->mode == STS_MODE_TESTING) {
		/* ids: mta-sts.mode-testing */
		f = add(&m->checks, "mta-sts.mode-testing", SEV_INFO,
			"MTA-STS in testing mode: senders deliver even to an MX that fails the policy, and report it");
		finding_set_detail(f, "RFC 8461 section 5: in testing mode failures are reported through TLS-RPT "
				      "(RFC 8460), not enforced.");
		finding_set_rfc(f, "RFC 8461 section 5");
		finding_set_remedy(f, "Once the reports show no failures, switch to \"mode: enforce\".");
	} else if (p->mode == STS_MODE_NONE) {
		/* ids: mta-sts.mode-none */
		f = add(&m->checks, "mta-sts.mode-none", SEV_INFO,
			"MTA-STS mode none: senders treat %s as having no active policy", domain);
		finding_set_rfc(f, "RFC 8461 section 5");
	}
	if (p->mode != STS_MODE_NONE && p->max_age < SHORT_MAX_AGE) {
		/* ids: mta-sts.max-age-short */
		f = add(&m->checks, "mta-sts.max-age-short", SEV_INFO,
			"MTA-STS max_age %lld s is under a day: a policy expires between fetches", p->max_age);
		finding_set_rfc(f, "RFC 8461 section 3.2");
		finding_set_remedy(f, "RFC 8461 suggests weeks (e.g. max_age: 604800) once the policy works.");
	}
}

static void sts_fetch(struct dns_resolver *r, const struct mx_options *opt, int64_t deadline_us,
		      struct mta_sts_result *m, const char *domain)
{
	char *host = xasprintf("mta-sts.%s", domain);
	m->url = xasprintf("https://%s/.well-known/mta-sts.txt", host);
	char *pin = policy_host_pin(r, opt, deadline_us, m, host);
	if (!pin) {
		free(host);
		return;
	}
	int64_t timeout = left_us(deadline_us, opt->step_timeout_us);
	if (timeout <= 0) {
		fetch_failed(m, "mta-sts.fetch-failed",
			     "not fetched: the domain's deadline (--target-timeout) had passed");
		free(pin);
		free(host);
		return;
	}
	struct http_strict_request rq = {
		.url = m->url,
		.resolve = pin,
		.ca_file = opt->ca_file,
		.no_system_trust = opt->no_system_trust,
		.timeout_us = timeout,
		.max_bytes = STS_MAX_POLICY_BYTES,
	};
	struct http_strict_response resp;
	http_get_strict(&rq, &resp);
	m->http_status = resp.code;
	m->content_type = resp.content_type ? esc(resp.content_type) : NULL;
	if (resp.cert_failed) {
		/* ids: mta-sts.policy-cert-invalid */
		fetch_failed(m, "mta-sts.policy-cert-invalid",
			     "the certificate of %s does not validate (RFC 8461 section 3.3 requires a valid "
			     "certificate for the policy host): %s",
			     host, resp.error ? resp.error : "TLS failed");
	} else if (resp.code >= 300 && resp.code <= 399) {
		char *loc = resp.location ? esc(resp.location) : xstrdup("(no Location)");
		/* ids: mta-sts.redirect */
		fetch_failed(m, "mta-sts.redirect",
			     "HTTP %ld redirect to %s: senders do not follow redirects (RFC 8461 section 3.3)",
			     resp.code, loc);
		finding_add_ev(&m->checks.f[m->checks.n - 1], "location", "%s", loc);
		free(loc);
	} else if (resp.status != HTTP_OK) {
		fetch_failed(m, "mta-sts.fetch-failed", "%s (%s)", resp.error ? resp.error : "failed",
			     http_status_name(resp.status));
	} else if (!is_text_plain(resp.content_type)) {
		/* ids: mta-sts.content-type */
		fetch_failed(m, "mta-sts.content-type",
			     "served as \"%s\", not text/plain (RFC 8461 section 3.2: the policy is served "
			     "as \"text/plain\")",
			     resp.content_type ? resp.content_type : "(no Content-Type)");
	} else {
		m->fetched = true;
	}
	if (resp.status == HTTP_OK) {
		m->parsed = true;
		sts_policy_parse((const char *)resp.body, resp.len, &m->policy);
	}
	http_strict_response_clear(&resp);
	free(pin);
	free(host);
}

static void mta_sts_discover(struct dns_resolver *r, const struct mx_options *opt, int64_t deadline_us,
			     struct domain_result *d)
{
	struct mta_sts_result *m = d->mta_sts = xcalloc(1, sizeof *m);
	m->meets = -1;
	m->checks.name = xstrdup("mta-sts");
	m->checks.title = xstrdup("MTA-STS (RFC 8461)");
	m->policy.max_age = -1;
	char *name = xasprintf("_mta-sts.%s", d->name);
	struct dns_txt txt;
	dns_resolve_txt(r, name, opt->step_timeout_us, deadline_us, &txt);
	m->dnssec = txt.dnssec;
	if (txt.found < 0) {
		char *why = esc(txt.error ? txt.error : "the query failed");
		/* ids: mta-sts.dns-error */
		struct finding *f = add(&m->checks, "mta-sts.dns-error", SEV_ERROR,
					"MTA-STS not tested: the %s TXT query failed: %s", name, why);
		finding_set_detail(f, "Without the TXT record it is unknown whether %s publishes MTA-STS.", d->name);
		finding_set_rfc(f, "RFC 8461 section 3.1");
		free(why);
	} else {
		m->looked_up = true;
		sts_txt(m, d->name, &txt);
	}
	dns_txt_clear(&txt);
	free(name);
	/* A policy behind a broken record is fetched too: what is wrong with
	 * it is worth knowing before the record is fixed. */
	if (m->published) {
		sts_fetch(r, opt, deadline_us, m, d->name);
		if (m->parsed)
			policy_findings(m, d->name);
	}
	m->usable = m->txt_ok && m->fetched && m->parsed && m->policy.valid;
}

/* ---- TLS-RPT ------------------------------------------------------- */

static void tls_rpt_discover(struct dns_resolver *r, const struct mx_options *opt, int64_t deadline_us,
			     struct domain_result *d)
{
	struct tls_rpt_result *t = d->tls_rpt = xcalloc(1, sizeof *t);
	t->checks.name = xstrdup("tls-rpt");
	t->checks.title = xstrdup("TLS-RPT (RFC 8460)");
	char *name = xasprintf("_smtp._tls.%s", d->name);
	struct dns_txt txt;
	dns_resolve_txt(r, name, opt->step_timeout_us, deadline_us, &txt);
	t->dnssec = txt.dnssec;
	struct strvec rpt = { 0 };
	const char *near = NULL;
	for (size_t i = 0; txt.found > 0 && i < txt.rec.n; i++) {
		const char *s = txt.rec.v[i];
		if (tls_rpt_is_rpt(s, strlen(s)))
			strvec_push(&rpt, s);
		else if (str_has_prefix_ci(s, "v=tlsrpt") && !near)
			near = s;
	}
	struct finding *f = NULL;
	if (txt.found < 0) {
		char *why = esc(txt.error ? txt.error : "the query failed");
		/* ids: tls-rpt.dns-error */
		f = add(&t->checks, "tls-rpt.dns-error", SEV_ERROR, "TLS-RPT not tested: the %s TXT query failed: %s",
			name, why);
		free(why);
	} else if (rpt.n == 0 && !near) {
		t->looked_up = true;
		bool testing = d->mta_sts && d->mta_sts->usable && d->mta_sts->policy.mode == STS_MODE_TESTING;
		/* ids: tls-rpt.absent */
		f = add(&t->checks, "tls-rpt.absent", testing ? SEV_WARN : SEV_INFO,
			"%s publishes no TLS-RPT record (%s TXT): senders cannot report TLS failures", d->name, name);
		if (testing)
			finding_set_detail(f, "MTA-STS in testing mode is there to collect reports; without a "
					      "TLS-RPT record no sender sends any.");
		finding_set_remedy(f, "Publish \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\" at %s.", d->name, name);
	} else if (rpt.n > 1) {
		t->looked_up = t->published = true;
		t->txt = esc(rpt.v[0]);
		/* ids: tls-rpt.multiple */
		f = add(&t->checks, "tls-rpt.multiple", SEV_FAIL,
			"%zu TLS-RPT records at %s: senders assume there is none", rpt.n, name);
		for (size_t i = 0; i < rpt.n; i++) {
			char *e = esc(rpt.v[i]);
			finding_add_ev(f, "record", "%s", e);
			free(e);
		}
		finding_set_remedy(f, "Keep exactly one \"v=TLSRPTv1; rua=...\" record at %s.", name);
	} else {
		t->looked_up = t->published = true;
		const char *rec = rpt.n ? rpt.v[0] : near;
		t->txt = esc(rec);
		char err[300];
		struct strvec rua = { 0 };
		enum tls_rpt_status st = tls_rpt_parse(rec, strlen(rec), &rua, err, sizeof err);
		for (size_t i = 0; i < rua.n; i++)
			strvec_push_owned(&t->rua, esc(rua.v[i]));
		strvec_clear(&rua);
		char *e = esc(err);
		if (st == TLS_RPT_OK) {
			t->valid = true;
			char *list = strvec_join(&t->rua, ", ");
			/* ids: tls-rpt.present */
			f = add(&t->checks, "tls-rpt.present", SEV_PASS, "TLS-RPT reports for %s go to %s", d->name,
				list);
			finding_add_ev(f, "record", "%s", t->txt);
			free(list);
		} else if (st == TLS_RPT_BAD_URI) {
			/* ids: tls-rpt.bad-rua */
			f = add(&t->checks, "tls-rpt.bad-rua", SEV_FAIL, "%s TXT: %s", name, e);
			finding_add_ev(f, "record", "%s", t->txt);
			finding_set_remedy(f, "Give rua= mailto:ADDRESS or https://HOST/PATH targets, separated by "
					      "\",\".");
		} else {
			/* ids: tls-rpt.syntax */
			f = add(&t->checks, "tls-rpt.syntax", SEV_FAIL, "%s TXT is not a valid TLS-RPT record: %s",
				name, e);
			finding_set_detail(f, "RFC 8460 section 3: senders ignore a record they cannot parse, "
					      "and send no reports.");
			finding_add_ev(f, "record", "%s", t->txt);
			finding_set_remedy(f, "Publish \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\" at %s.", d->name, name);
		}
		free(e);
	}
	if (f)
		finding_set_rfc(f, "RFC 8460 section 3");
	strvec_clear(&rpt);
	dns_txt_clear(&txt);
	free(name);
}

void domain_policy_discover(struct dns_resolver *r, const struct mx_options *opt, int64_t deadline_us,
			    struct domain_result *d)
{
	if (d->kind != DOMAIN_MX && d->kind != DOMAIN_IMPLICIT_MX)
		return;
	mta_sts_discover(r, opt, deadline_us, d);
	tls_rpt_discover(r, opt, deadline_us, d);
}

/* ---- the MX hosts against the policy --------------------------------- */

static bool target_has_id(const struct target_result *t, const char *id)
{
	for (size_t i = 0; i < t->nprobes; i++)
		for (size_t j = 0; j < t->probes[i].n; j++)
			if (strcmp(t->probes[i].f[j].id, id) == 0)
				return true;
	return false;
}

/* RFC 8461 section 4.2: TLS, a chain to a trusted root, not expired, and
 * a subjectAltName dNSName for the MX host. 1 meets it, 0 not (*why set,
 * static), -1 could not tell. */
static int address_meets(const struct target_result *t, const char **why)
{
	struct fate_input in;
	fate_input_from_target(t, &in);
	*why = NULL;
	if (!in.reachable) {
		/* a sender defers to a server it cannot reach, with or without
		 * MTA-STS: what its certificate would be is not known */
		*why = "not reachable: the connection, the banner or EHLO failed";
		return -1;
	}
	if (!in.tls_ok) {
		*why = in.starttls_offered ? "the TLS session failed (STARTTLS refused, the handshake or EHLO "
					     "after it)"
					   : "STARTTLS is not offered";
		return 0;
	}
	if (in.chain_ok == 0) {
		*why = "the certificate chain does not validate (untrusted, expired or not yet valid)";
		return 0;
	}
	if (in.name_ok == 0) {
		*why = "the certificate does not cover the MX host name";
		return 0;
	}
	if (in.name_ok == 1 && target_has_id(t, "cert.cn-only")) {
		*why = "the MX host name is only in the subject CN; MTA-STS wants a subjectAltName dNSName";
		return 0;
	}
	if (in.chain_ok < 0 || in.name_ok < 0) {
		*why = "unknown: the chain, expiry or names probe did not run";
		return -1;
	}
	return 1;
}

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

static enum severity mode_severity(enum sts_mode mode)
{
	return mode == STS_MODE_ENFORCE ? SEV_FAIL : mode == STS_MODE_TESTING ? SEV_WARN : SEV_INFO;
}

/* Both columns as without MTA-STS: what an opportunistic sender does. */
static void fate_without(struct mx_address *a, const char *why)
{
	for (int k = 0; k < DOMAIN_NSTS_FATES; k++) {
		a->sts_fate[k] = a->evaluated ? a->fate[POLICY_MAY] : FATE_UNKNOWN;
		const char *may = a->evaluated ? a->fate_reason[POLICY_MAY] : "not probed";
		a->sts_reason[k] = may ? xasprintf("%s; %s", why, may) : xstrdup(why);
	}
}

static void judge_host(struct report *r, struct domain_result *d, struct mta_sts_result *m, struct mx_host *h)
{
	const struct sts_policy *p = &m->policy;
	enum severity sev = mode_severity(p->mode);
	int match = sts_policy_match(p, h->host);
	char *patterns = strvec_join(&p->mx, ", ");
	if (match < 0) {
		m->meets = 0;
		/* ids: mta-sts.mx-not-listed */
		struct finding *f = add(&m->checks, "mta-sts.mx-not-listed", sev,
					"MX %s is not listed in the MTA-STS policy of %s", h->host, d->name);
		finding_set_detail(f,
				   "RFC 8461 section 4.1: senders deliver only to MX hosts that match an mx "
				   "pattern of the policy; with mode %s %s.",
				   sts_mode_name(p->mode),
				   p->mode == STS_MODE_ENFORCE ? "mail for this MX is deferred, then bounced"
							       : "senders only report it");
		finding_add_ev(f, "mx", "%s", h->host);
		finding_add_ev(f, "mx_patterns", "%s", patterns);
		finding_add_ev(f, "url", "%s", m->url);
		finding_set_rfc(f, "RFC 8461 section 4.1");
		finding_set_remedy(f, "Add \"mx: %s\" to the policy at %s and change the id of the TXT record.",
				   h->host, m->url);
		if (p->mode == STS_MODE_ENFORCE)
			domain_add_break(d, h->host, NULL, "mta-sts.mx-not-listed");
	}
	int host_meets = match >= 0 ? 1 : 0;
	for (size_t k = 0; k < h->naddr; k++) {
		struct mx_address *a = &h->addr[k];
		const char *why = NULL;
		int ok = a->target < r->n ? address_meets(r->t[a->target], &why) : -1;
		if (a->target >= r->n)
			why = "not probed";
		if (match < 0) {
			ok = 0;
			why = "the MX host is not listed in the MTA-STS policy";
		} else if (ok == 0) {
			host_meets = 0;
			m->meets = 0;
			/* ids: mta-sts.mx-cert-invalid */
			struct finding *f = add(&m->checks, "mta-sts.mx-cert-invalid", sev,
						"MX %s[%s] fails MTA-STS: %s", h->host, a->address, why);
			finding_set_detail(f,
					   "RFC 8461 section 4.2: the MX must offer STARTTLS with a certificate "
					   "that chains to a trusted root, is not expired, and names the MX host in a "
					   "subjectAltName dNSName; with mode %s %s.",
					   sts_mode_name(p->mode),
					   p->mode == STS_MODE_ENFORCE ? "senders defer, then bounce"
								       : "senders only report it");
			finding_add_ev(f, "mx", "%s", h->host);
			finding_add_ev(f, "address", "%s", a->address);
			finding_set_rfc(f, "RFC 8461 section 4.2");
			finding_set_remedy(f,
					   "Give %s a certificate from a public CA (or one the senders trust) "
					   "that names %s, with the full chain.",
					   h->host, h->host);
			if (p->mode == STS_MODE_ENFORCE)
				domain_add_break(d, h->host, a->address, "mta-sts.mx-cert-invalid");
		} else if (ok < 0) {
			if (host_meets == 1)
				host_meets = -1;
			if (m->meets == 1)
				m->meets = -1;
			/* ids: mta-sts.not-tested */
			struct finding *f = add(&m->checks, "mta-sts.not-tested", SEV_ERROR,
						"MX %s[%s] against MTA-STS: not tested (%s)", h->host, a->address, why);
			finding_add_ev(f, "mx", "%s", h->host);
			finding_add_ev(f, "address", "%s", a->address);
		}
		/* the sender's columns */
		bool tls = a->evaluated && a->fate[POLICY_MAY] == FATE_TLS;
		if (ok == 1) {
			a->sts_fate[STS_FATE_ENFORCE] = a->sts_fate[STS_FATE_TESTING] = FATE_TLS;
			continue;
		}
		const char *reach = a->evaluated ? a->fate_reason[POLICY_MAY] : NULL;
		bool unreachable = a->evaluated && a->fate[POLICY_MAY] == FATE_DEFER;
		a->sts_fate[STS_FATE_ENFORCE] = unreachable ? FATE_DEFER : ok < 0 ? FATE_UNKNOWN : FATE_DEFER;
		a->sts_reason[STS_FATE_ENFORCE] = xasprintf("MTA-STS enforce: %s", why);
		a->sts_fate[STS_FATE_TESTING] = unreachable	? FATE_DEFER
						: !a->evaluated ? FATE_UNKNOWN
						: tls		? FATE_TLS
								: FATE_CLEAR;
		a->sts_reason[STS_FATE_TESTING] =
			unreachable ? xstrdup(reach ? reach : "not reachable")
				    : xasprintf("MTA-STS testing: delivered, and reported (TLS-RPT): %s", why);
	}
	if (match >= 0 && host_meets == 1) {
		/* ids: mta-sts.mx-valid */
		struct finding *f = add(&m->checks, "mta-sts.mx-valid", SEV_PASS,
					"MX %s meets the MTA-STS policy (mx: %s, line %u; certificate valid)", h->host,
					p->mx.v[match], p->mx_line[match]);
		finding_add_ev(f, "mx", "%s", h->host);
		finding_add_ev(f, "pattern", "%s", p->mx.v[match]);
		finding_set_rfc(f, "RFC 8461 section 4");
	}
	free(patterns);
}

void domain_policy_evaluate(struct report *r, struct domain_result *d)
{
	struct mta_sts_result *m = d->mta_sts;
	if (!m)
		return;
	bool judge = m->usable && m->policy.mx.n > 0;
	if (judge) {
		m->meets = 1;
		for (size_t i = 0; i < d->nmx; i++)
			judge_host(r, d, m, &d->mx[i]);
	} else {
		const char *why = !m->published ? "no MTA-STS policy: as without MTA-STS (opportunistic TLS)"
				  : m->usable	? "MTA-STS mode none without mx patterns: as without MTA-STS"
					      : "the MTA-STS policy cannot be used: as without MTA-STS (opportunistic "
						"TLS)";
		if (m->published && !m->usable) {
			/* ids: mta-sts.not-tested */
			struct finding *f =
				add(&m->checks, "mta-sts.not-tested", SEV_ERROR,
				    "The MX hosts of %s were not checked against MTA-STS: %s", d->name,
				    m->fetch_error ? m->fetch_error : "the TXT record or the policy is invalid");
			finding_set_rfc(f, "RFC 8461 section 4");
		}
		for (size_t i = 0; i < d->nmx; i++)
			for (size_t k = 0; k < d->mx[i].naddr; k++)
				fate_without(&d->mx[i].addr[k], why);
	}
	/* the domain: the worst over every address; a host without one defers */
	for (int k = 0; k < DOMAIN_NSTS_FATES; k++) {
		d->sts_fate[k] = d->nmx ? FATE_TLS : FATE_DEFER;
		for (size_t i = 0; i < d->nmx; i++) {
			if (d->mx[i].naddr == 0)
				d->sts_fate[k] = FATE_DEFER;
			for (size_t j = 0; j < d->mx[i].naddr; j++)
				if (fate_rank(d->mx[i].addr[j].sts_fate[k]) > fate_rank(d->sts_fate[k]))
					d->sts_fate[k] = d->mx[i].addr[j].sts_fate[k];
		}
	}
}

const char *domain_policy_published(const struct domain_result *d)
{
	bool dane = false;
	for (size_t i = 0; i < d->nmx && !dane; i++)
		dane = mx_tlsa_usable(&d->mx[i].tlsa);
	bool sts = d->mta_sts && d->mta_sts->published;
	return dane && sts ? "DANE and MTA-STS" : dane ? "DANE" : sts ? "MTA-STS" : NULL;
}
