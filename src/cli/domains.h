/* \summary: `mxprobe check --domain DOMAIN`: resolve each mail domain
 * (src/dns), probe every address of every MX host as its own target, then
 * judge the domain (src/core/domain.c). */
#ifndef SRC_CLI_DOMAINS_H
#define SRC_CLI_DOMAINS_H

#include <stddef.h>

#include "core/options.h"
#include "report/model.h"

#define CLI_MAX_DOMAINS 64

/* resolver: libunbound's "IP@PORT", or NULL for /etc/resolv.conf.
 * 0, or -1 when the resolver could not be set up (err says why). */
int cli_run_domains(const struct mx_options *opt, const char *resolver, const char *const *domains, size_t n,
		    struct report *rep, char *err, size_t errlen);

#endif
