/* \summary: --domain: DNS first, then one target per MX address, then the
 * domain's verdict (see domains.h). */
#include "cli/domains.h"

#include <stdio.h>

#include "core/domain.h"
#include "core/engine.h"
#include "dns/dns.h"
#include "net/target.h"
#include "report/domain.h"
#include "util/util.h"

int cli_run_domains(const struct mx_options *opt, const char *resolver, const char *const *domains, size_t n,
		    struct report *rep, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	struct dns_resolver *res = dns_resolver_new(resolver, err, errlen);
	if (!res)
		return -1;
	/* All of DNS first: report_add_domain may move the array, and the
	 * addresses must stay put while targets point at them. */
	/* Each domain's DNS phase (MX, then A/AAAA of every MX host) ends
	 * within its --target-timeout, however slow the resolver. */
	for (size_t i = 0; i < n; i++) {
		int64_t t0 = mono_us(), deadline = t0 + opt->target_timeout_us;
		struct domain_result *d = report_add_domain(rep, domains[i]);
		dns_resolve_domain(res, opt->step_timeout_us, deadline, d);
		/* The budget, reported when DNS used all of it. */
		if (mono_us() >= deadline && !d->error)
			d->error = xasprintf("DNS used the domain's whole time budget (--target-timeout %.1f s); "
					     "queries not answered by then count as failed",
					     (double)opt->target_timeout_us / 1e6);
	}
	dns_resolver_free(res);

	for (size_t i = 0; i < rep->ndomains; i++) {
		struct domain_result *d = &rep->domains[i];
		for (size_t m = 0; m < d->nmx; m++) {
			struct mx_host *h = &d->mx[m];
			for (size_t k = 0; k < h->naddr; k++) {
				struct target_spec spec;
				domain_make_spec(d, h, &h->addr[k], &spec);
				struct target_result *t = report_add_target(rep);
				h->addr[k].target = rep->n - 1;
				engine_run_target(opt, &spec, t, NULL, NULL);
				target_spec_clear(&spec);
			}
		}
	}
	domain_evaluate(rep, opt);
	return 0;
}
