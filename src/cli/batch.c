/* \summary: many targets at once (see batch.h). */
#include "cli/batch.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/domain.h"
#include "dns/dns.h"
#include "policy/domain_policy.h"
#include "report/domain.h"
#include "util/util.h"

/* What makes two MX addresses the same probe. */
struct mx_key {
	const struct mx_options *opt;
	const char *mx_host;
	const char *address;
	const char *domain; /* NULL unless the domain is part of the question */
	size_t job;
};

static bool key_equal(const struct mx_key *a, const struct mx_key *b)
{
	return a->opt == b->opt && strcasecmp(a->mx_host, b->mx_host) == 0 && strcmp(a->address, b->address) == 0 &&
	       (!a->domain) == (!b->domain) && (!a->domain || strcasecmp(a->domain, b->domain) == 0);
}

/* The names probe checks a --domain target's partner domain itself, and at
 * domain-secure (without --expect-name) a miss fails: then the domain is
 * part of what is asked. */
static bool domain_in_question(const struct mx_options *o)
{
	return o->policy >= POLICY_DOMAIN_SECURE && o->n_expect_names == 0;
}

int batch_run(const struct batch *b, struct report *rep, char *err, size_t errlen)
{
	size_t cap = b->nspecs + 16;
	struct pool_job *jobs = xcalloc(cap, sizeof *jobs);
	size_t njobs = 0;
	for (size_t i = 0; i < b->nspecs; i++)
		jobs[njobs++] = (struct pool_job){ .spec = &b->specs[i], .opt = b->opt, .t = report_add_target(rep) };

	/* All of DNS first: report_add_domain may move the array, and the
	 * addresses must stay put while jobs point at them. */
	struct target_spec **mx_specs = NULL; /* owned: one per MX job */
	size_t nmx_specs = 0;
	struct mx_key *keys = NULL;
	size_t nkeys = 0;
	int rc = 0;
	if (b->ndomains) {
		struct dns_resolver *res = dns_resolver_new(b->resolver, b->trust_anchor, err, errlen);
		if (!res) {
			rc = -1;
			goto out;
		}
		for (size_t i = 0; i < b->ndomains; i++) {
			struct domain_result *d = report_add_domain(rep, b->domains[i].name);
			if (b->domains[i].opt != b->opt)
				d->policy = xstrdup(policy_name(b->domains[i].opt->policy));
			/* Each domain's DNS phase (MX, then A/AAAA of every MX
			 * host) ends within its --target-timeout, however slow
			 * the resolver. */
			int64_t deadline = mono_us() + b->domains[i].opt->target_timeout_us;
			dns_resolve_domain(res, b->opt->step_timeout_us, deadline, d);
			/* The budget, reported when DNS used all of it. */
			if (mono_us() >= deadline && !d->error)
				d->error =
					xasprintf("DNS used the domain's whole time budget (--target-timeout %.1f s); "
						  "queries not answered by then count as failed",
						  (double)b->domains[i].opt->target_timeout_us / 1e6);
			/* Its MTA-STS policy and TLS-RPT record, in the same budget. */
			domain_policy_discover(res, b->domains[i].opt, deadline, d);
		}
		dns_resolver_free(res);
	}
	for (size_t i = 0; i < rep->ndomains; i++) {
		struct domain_result *d = &rep->domains[i];
		const struct mx_options *o = b->domains[i].opt;
		for (size_t m = 0; m < d->nmx; m++) {
			struct mx_host *h = &d->mx[m];
			for (size_t k = 0; k < h->naddr; k++) {
				struct mx_key key = { .opt = o,
						      .mx_host = h->host,
						      .address = h->addr[k].address,
						      .domain = domain_in_question(o) ? d->name : NULL };
				size_t found = SIZE_MAX;
				for (size_t q = 0; q < nkeys && found == SIZE_MAX; q++)
					if (key_equal(&keys[q], &key))
						found = keys[q].job;
				if (found != SIZE_MAX) {
					h->addr[k].target = found;
					continue;
				}
				struct target_spec *spec = xmalloc(sizeof *spec);
				domain_make_spec(d, h, &h->addr[k], spec);
				mx_specs = xrealloc(mx_specs, (nmx_specs + 1) * sizeof *mx_specs);
				mx_specs[nmx_specs++] = spec;
				if (njobs == cap) {
					cap *= 2;
					jobs = xrealloc(jobs, cap * sizeof *jobs);
				}
				jobs[njobs] = (struct pool_job){ .spec = spec, .opt = o, .t = report_add_target(rep) };
				h->addr[k].target = njobs;
				key.job = njobs++;
				keys = xrealloc(keys, (nkeys + 1) * sizeof *keys);
				keys[nkeys++] = key;
			}
		}
	}
	/* libcurl's global set-up is net/http.c's, once under pthread_once
	 * when the first worker needs HTTP (it is opened with dlopen). */
	pool_run(jobs, njobs, b->pool);
	if (rep->ndomains)
		domain_evaluate(rep, b->opt);
out:
	for (size_t i = 0; i < nmx_specs; i++) {
		target_spec_clear(mx_specs[i]);
		free(mx_specs[i]);
	}
	free(mx_specs);
	free(keys);
	free(jobs);
	return rc;
}
