/* \summary: the mail-domain part of the results model (see domain.h):
 * constructors, destructors and the names of its enums. */
#include "report/domain.h"

#include <stdlib.h>
#include <string.h>

#include "policy/domain_policy.h"
#include "util/util.h"

static const char *const dnssec_names[] = { "unknown", "insecure", "secure", "bogus" };

const char *dnssec_status_name(enum dnssec_status s)
{
	return (unsigned)s < ARRAY_LEN(dnssec_names) ? dnssec_names[s] : "unknown";
}

static const char *const kind_ids[] = { "mx", "implicit-mx", "null-mx", "nxdomain", "dns-error" };

const char *domain_mx_kind_id(enum domain_mx_kind k)
{
	return (unsigned)k < ARRAY_LEN(kind_ids) ? kind_ids[k] : "dns-error";
}

static const char *const fate_ids[] = { "unknown", "deliver-tls", "deliver-clear", "defer-bounce" };
static const char *const fate_texts[] = {
	"unknown",
	"deliver over TLS",
	"deliver in clear",
	"defer, then bounce (NDR) after the retry period",
};

const char *mail_fate_id(enum mail_fate f)
{
	return (unsigned)f < ARRAY_LEN(fate_ids) ? fate_ids[f] : "unknown";
}

const char *mail_fate_text(enum mail_fate f)
{
	return (unsigned)f < ARRAY_LEN(fate_texts) ? fate_texts[f] : "unknown";
}

static const char *const verdict_ids[] = { "pass", "fail", "no-mail", "error" };

static const char *const tlsa_lookup_ids[] = { "not-asked", "none", "found", "failed" };

const char *tlsa_lookup_id(enum tlsa_lookup s)
{
	return (unsigned)s < ARRAY_LEN(tlsa_lookup_ids) ? tlsa_lookup_ids[s] : "not-asked";
}

bool mx_tlsa_usable(const struct mx_tlsa *t)
{
	return t->state == TLSA_FOUND && t->dnssec == DNSSEC_SECURE && t->addr_secure && t->mx_secure;
}

const char *domain_verdict_id(enum domain_verdict v)
{
	return (unsigned)v < ARRAY_LEN(verdict_ids) ? verdict_ids[v] : "error";
}

const struct probe_result *domain_policy_checks(const struct domain_result *d, size_t i)
{
	if (i == 0)
		return d->mta_sts ? &d->mta_sts->checks : NULL;
	if (i == 1)
		return d->tls_rpt ? &d->tls_rpt->checks : NULL;
	return NULL;
}

struct domain_result *report_add_domain(struct report *r, const char *name)
{
	if (r->ndomains == r->capdomains) {
		r->capdomains = r->capdomains ? r->capdomains * 2 : 4;
		r->domains = xrealloc(r->domains, r->capdomains * sizeof *r->domains);
	}
	struct domain_result *d = &r->domains[r->ndomains++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->checks.name = xstrdup("domain");
	d->checks.title = xstrdup("Consistency across the domain's MX hosts and addresses");
	return d;
}

struct mx_host *domain_add_mx(struct domain_result *d, int pref, const char *host)
{
	if (d->nmx == d->capmx) {
		d->capmx = d->capmx ? d->capmx * 2 : 4;
		d->mx = xrealloc(d->mx, d->capmx * sizeof *d->mx);
	}
	struct mx_host *h = &d->mx[d->nmx++];
	memset(h, 0, sizeof *h);
	h->pref = pref;
	h->host = xstrdup(host);
	return h;
}

struct mx_address *mx_host_add_address(struct mx_host *h, const char *address, int family, enum dnssec_status dnssec)
{
	if (h->naddr == h->capaddr) {
		h->capaddr = h->capaddr ? h->capaddr * 2 : 4;
		h->addr = xrealloc(h->addr, h->capaddr * sizeof *h->addr);
	}
	struct mx_address *a = &h->addr[h->naddr++];
	memset(a, 0, sizeof *a);
	a->address = xstrdup(address);
	a->family = family;
	a->dnssec = dnssec;
	a->target = SIZE_MAX;
	return a;
}

void domain_add_break(struct domain_result *d, const char *mx, const char *address, const char *reason)
{
	if (d->nbroken == d->capbroken) {
		d->capbroken = d->capbroken ? d->capbroken * 2 : 4;
		d->broken = xrealloc(d->broken, d->capbroken * sizeof *d->broken);
	}
	struct domain_break *b = &d->broken[d->nbroken++];
	b->mx = xstrdup(mx);
	b->address = xstrdup(address);
	b->reason = xstrdup(reason);
}

const char *domain_policy_name(const struct report *r, const struct domain_result *d)
{
	return d->policy ? d->policy : r->policy ? r->policy : "encrypt";
}

void mx_host_clear(struct mx_host *h)
{
	for (size_t j = 0; j < h->naddr; j++) {
		free(h->addr[j].address);
		for (size_t k = 0; k < DOMAIN_NPOLICIES; k++)
			free(h->addr[j].fate_reason[k]);
		for (int k = 0; k < DOMAIN_NSTS_FATES; k++)
			free(h->addr[j].sts_reason[k]);
	}
	free(h->addr);
	free(h->host);
	free(h->error);
	free(h->why_bogus_a);
	free(h->why_bogus_aaaa);
	free(h->canonical);
	for (size_t j = 0; j < h->tlsa.nrr; j++)
		free(h->tlsa.rr[j].data);
	free(h->tlsa.rr);
	free(h->tlsa.name);
	free(h->tlsa.base);
	free(h->tlsa.why);
	memset(h, 0, sizeof *h);
}

void domain_result_clear(struct domain_result *d)
{
	for (size_t i = 0; i < d->nmx; i++)
		mx_host_clear(&d->mx[i]);
	free(d->mx);
	for (size_t i = 0; i < d->nbroken; i++) {
		free(d->broken[i].mx);
		free(d->broken[i].address);
		free(d->broken[i].reason);
	}
	free(d->broken);
	free(d->policy);
	probe_result_clear(&d->checks);
	mta_sts_result_free(d->mta_sts);
	tls_rpt_result_free(d->tls_rpt);
	free(d->name);
	free(d->error);
	free(d->why_bogus);
	free(d->dnssec_anchor);
	memset(d, 0, sizeof *d);
}

void report_domains_clear(struct report *r)
{
	for (size_t i = 0; i < r->ndomains; i++)
		domain_result_clear(&r->domains[i]);
	free(r->domains);
	r->domains = NULL;
	r->ndomains = r->capdomains = 0;
}
