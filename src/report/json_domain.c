/* \summary: JSON for --domain: per domain the MX list (preference, host,
 * addresses, DNSSEC status), the verdict, the addresses that break it and
 * the fate of its mail per policy level (docs/mxprobe.schema.json). */
#include "report/json_domain.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/options.h"
#include "net/idn.h"
#include "pki/dane.h"
#include "policy/domain_policy.h"
#include "report/domain.h"

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jfate(const struct mx_address *a, int p)
{
	enum mail_fate f = a->evaluated ? a->fate[p] : FATE_UNKNOWN;
	const char *reason = a->evaluated ? a->fate_reason[p] : "not probed";
	return json_pack("{s:s, s:s, s:o}", "action", mail_fate_id(f), "text", mail_fate_text(f), "reason",
			 jstr_or_null(reason));
}

/* The MTA-STS sender's columns of the fate table (domain_policy.h). */
static const char *const sts_fate_keys[DOMAIN_NSTS_FATES] = { "mta-sts-enforce", "mta-sts-testing" };

static json_t *jaddress(const struct report *r, const struct mx_address *a, bool sts)
{
	json_t *fate = json_object();
	for (int p = 0; p < DOMAIN_NPOLICIES; p++)
		json_object_set_new(fate, policy_name((enum policy)p), jfate(a, p));
	for (int k = 0; k < DOMAIN_NSTS_FATES; k++) {
		enum mail_fate f = sts ? a->sts_fate[k] : FATE_UNKNOWN;
		const char *why = sts ? a->sts_reason[k] : "MTA-STS was not looked up";
		json_object_set_new(fate, sts_fate_keys[k],
				    json_pack("{s:s, s:s, s:o}", "action", mail_fate_id(f), "text", mail_fate_text(f),
					      "reason", jstr_or_null(why)));
	}
	bool probed = a->target < r->n;
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "address", a->address, "family",
			 a->family == AF_INET6 ? "ipv6" : "ipv4", "dnssec", dnssec_status_name(a->dnssec), "target",
			 probed ? json_integer((json_int_t)a->target) : json_null(), "pass",
			 a->evaluated ? json_boolean(a->pass) : json_null(), "fate", fate);
}

/* The TLSA lookup of an MX host (RFC 7672 section 2.2): the records as
 * published, and whether a DANE sender uses them. */
static json_t *jtlsa(const struct mx_tlsa *tl)
{
	json_t *recs = json_array();
	for (size_t i = 0; i < tl->nrr; i++) {
		char *text = dane_tlsa_text(&tl->rr[i]);
		json_array_append_new(recs,
				      json_pack("{s:i, s:i, s:i, s:s}", "usage", tl->rr[i].usage, "selector",
						tl->rr[i].selector, "matching_type", tl->rr[i].mtype, "text", text));
		free(text);
	}
	return json_pack("{s:s, s:o, s:o, s:s, s:o, s:b, s:b, s:b, s:o, s:i}", "lookup", tlsa_lookup_id(tl->state),
			 "name", jstr_or_null(tl->name), "base", jstr_or_null(tl->base), "dnssec",
			 dnssec_status_name(tl->dnssec), "why", jstr_or_null(tl->why), "mx_secure", tl->mx_secure,
			 "addresses_secure", tl->addr_secure, "usable", mx_tlsa_usable(tl), "records", recs,
			 "malformed", (int)tl->nmalformed);
}

static json_t *jmx(const struct report *r, const struct mx_host *h, bool sts)
{
	json_t *addrs = json_array();
	for (size_t i = 0; i < h->naddr; i++)
		json_array_append_new(addrs, jaddress(r, &h->addr[i], sts));
	json_t *o = json_pack("{s:o, s:s, s:b, s:s, s:s, s:o, s:o}", "preference",
			      h->pref >= 0 ? json_integer(h->pref) : json_null(), "host", h->host, "implicit",
			      h->pref < 0, "dnssec_a", dnssec_status_name(h->dnssec_a), "dnssec_aaaa",
			      dnssec_status_name(h->dnssec_aaaa), "error", jstr_or_null(h->error), "addresses", addrs);
	json_object_set_new(o, "why_bogus_a", jstr_or_null(h->why_bogus_a));
	json_object_set_new(o, "why_bogus_aaaa", jstr_or_null(h->why_bogus_aaaa));
	json_object_set_new(o, "canonical", jstr_or_null(h->canonical));
	json_object_set_new(o, "tlsa", jtlsa(&h->tlsa));
	return o;
}

static json_t *jfindings(const struct probe_result *pr, json_finding_fn finding)
{
	json_t *a = json_array();
	for (size_t i = 0; i < pr->n; i++)
		json_array_append_new(a, finding(&pr->f[i]));
	return a;
}

static json_t *jsts_policy(const struct mta_sts_result *m)
{
	if (!m->parsed)
		return json_null();
	const struct sts_policy *p = &m->policy;
	json_t *mx = json_array();
	for (size_t i = 0; i < p->mx.n; i++)
		json_array_append_new(mx, json_string(p->mx.v[i]));
	const char *ends = p->crlf && p->lf ? "mixed" : p->crlf ? "crlf" : p->lf ? "lf" : "none";
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:s}", "valid", p->valid, "version",
			 p->version_ok ? json_string("STSv1") : json_null(), "mode",
			 p->mode != STS_MODE_UNSET ? json_string(sts_mode_name(p->mode)) : json_null(), "max_age",
			 p->max_age >= 0 ? json_integer(p->max_age) : json_null(), "mx", mx, "line_endings", ends);
}

static json_t *jmeets(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

/* MTA-STS and TLS-RPT of a domain (policy/domain_policy.h), and the MTA-STS
 * sender's columns of the domain's fate; null when not looked up. */
static void json_domain_policies(json_t *o, const struct domain_result *d, json_t *fate, json_finding_fn finding)
{
	const struct mta_sts_result *m = d->mta_sts;
	const struct tls_rpt_result *t = d->tls_rpt;
	json_t *published = json_array();
	const char *pub = domain_policy_published(d);
	if (pub && strstr(pub, "DANE"))
		json_array_append_new(published, json_string("dane"));
	if (pub && strstr(pub, "MTA-STS"))
		json_array_append_new(published, json_string("mta-sts"));
	json_object_set_new(o, "published_policies", published);
	bool judged = m && (d->verdict == VERDICT_PASS || d->verdict == VERDICT_FAIL);
	for (int k = 0; k < DOMAIN_NSTS_FATES; k++)
		json_object_set_new(fate, sts_fate_keys[k],
				    json_string(mail_fate_id(judged ? d->sts_fate[k] : FATE_UNKNOWN)));
	if (m) {
		json_object_set_new(
			o, "mta_sts",
			json_pack("{s:b, s:b, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:b, s:o, s:o}",
				  "looked_up", m->looked_up, "published", m->published, "dnssec",
				  dnssec_status_name(m->dnssec), "record", jstr_or_null(m->txt), "id",
				  jstr_or_null(m->id), "record_valid", m->txt_ok, "url", jstr_or_null(m->url),
				  "policy_host_addresses", jstr_or_null(m->host_addresses), "http_status",
				  m->http_status ? json_integer(m->http_status) : json_null(), "content_type",
				  jstr_or_null(m->content_type), "fetched", m->fetched, "error",
				  jstr_or_null(m->fetch_error), "policy", jsts_policy(m), "usable", m->usable, "meets",
				  jmeets(m->usable ? m->meets : -1), "findings", jfindings(&m->checks, finding)));
	} else {
		json_object_set_new(o, "mta_sts", json_null());
	}
	if (t) {
		json_t *rua = json_array();
		for (size_t i = 0; i < t->rua.n; i++)
			json_array_append_new(rua, json_string(t->rua.v[i]));
		json_object_set_new(o, "tls_rpt",
				    json_pack("{s:b, s:b, s:s, s:o, s:b, s:o, s:o}", "looked_up", t->looked_up,
					      "published", t->published, "dnssec", dnssec_status_name(t->dnssec),
					      "record", jstr_or_null(t->txt), "valid", t->valid, "rua", rua, "findings",
					      jfindings(&t->checks, finding)));
	} else {
		json_object_set_new(o, "tls_rpt", json_null());
	}
}

static json_t *jdomain(const struct report *r, const struct domain_result *d, json_finding_fn finding)
{
	json_t *broken = json_array();
	for (size_t i = 0; i < d->nbroken; i++)
		json_array_append_new(broken, json_pack("{s:s, s:o, s:s}", "mx", d->broken[i].mx, "address",
							jstr_or_null(d->broken[i].address), "reason",
							d->broken[i].reason ? d->broken[i].reason : ""));
	json_t *mx = json_array();
	for (size_t i = 0; i < d->nmx; i++)
		json_array_append_new(mx, jmx(r, &d->mx[i], d->mta_sts != NULL));
	bool judged = d->verdict == VERDICT_PASS || d->verdict == VERDICT_FAIL;
	json_t *fate = json_object();
	json_t *safe = json_array();
	for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
		const char *name = policy_name((enum policy)p);
		json_object_set_new(fate, name, json_string(mail_fate_id(judged ? d->fate[p] : FATE_UNKNOWN)));
		if (judged && d->safe[p])
			json_array_append_new(safe, json_string(name));
	}
	json_t *findings = json_array();
	for (size_t i = 0; i < d->checks.n; i++)
		json_array_append_new(findings, finding(&d->checks.f[i]));
	/* An internationalised domain: its U-label form beside the A-labels. */
	char *u = idn_to_ulabels(d->name);
	json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "domain", d->name,
			      "domain_unicode", jstr_or_null(u), "mx_kind", domain_mx_kind_id(d->kind), "dnssec",
			      dnssec_status_name(d->dnssec), "error", jstr_or_null(d->error), "verdict",
			      domain_verdict_id(d->verdict), "policy", domain_policy_name(r, d), "broken", broken, "mx",
			      mx, "fate", fate, "safe_policies", safe, "findings", findings);
	free(u);
	json_object_set_new(o, "dnssec_why_bogus", jstr_or_null(d->why_bogus));
	json_object_set_new(o, "dnssec_anchor", jstr_or_null(d->dnssec_anchor));
	json_domain_policies(o, d, fate, finding);
	return o;
}

json_t *json_domain_one(const struct report *r, const struct domain_result *d, json_finding_fn finding)
{
	return jdomain(r, d, finding);
}

json_t *json_domains(const struct report *r, json_finding_fn finding)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->ndomains; i++)
		json_array_append_new(a, jdomain(r, &r->domains[i], finding));
	return a;
}

void json_target_domain(json_t *o, const struct target_result *t)
{
	if (!o)
		return;
	json_object_set_new(o, "domain", jstr_or_null(t->domain));
	json_object_set_new(o, "mx_host", jstr_or_null(t->mx_host));
	json_object_set_new(o, "mx_pref", t->mx_host && t->mx_pref >= 0 ? json_integer(t->mx_pref) : json_null());
}
