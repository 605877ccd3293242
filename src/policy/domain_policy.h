/* \summary: the TLS policies a mail domain publishes for its senders,
 * looked up and judged for --domain: MTA-STS (the _mta-sts TXT record and
 * the policy fetched over HTTPS) and TLS-RPT (the _smtp._tls TXT record);
 * then each MX host checked against the MTA-STS policy (listed by an mx
 * pattern, a certificate that validates for its name, from the MX's own
 * chain and names results), and what a sender that follows MTA-STS does
 * with a message, with the policy in enforce and in testing mode.
 *
 * The lookups run in the DNS phase (cli/batch.c), before any MX is
 * probed; the judgement runs in domain_evaluate (core/domain.c) once the
 * MX targets are in. Findings go to mta_sts_result.checks
 * (mta-sts.*) and tls_rpt_result.checks (tls-rpt.*).
 *
 * specification: RFC 8461 (MTA-STS) sections 3, 4 and 5; RFC 8460
 * (TLS-RPT) section 3. */
#ifndef SRC_POLICY_DOMAIN_POLICY_H
#define SRC_POLICY_DOMAIN_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/options.h"
#include "policy/mta_sts.h"
#include "report/domain.h"

struct dns_resolver;

/* What was found of the domain's MTA-STS; strings from the network are
 * escaped (str_escape) before they are kept. */
struct mta_sts_result {
	bool looked_up;		   /* the TXT query got an answer (records or none) */
	enum dnssec_status dnssec; /* of the TXT answer */
	bool published;		   /* a "v=STSv1;" TXT record exists, valid or not */
	char *txt;		   /* that record (the first, if several) */
	char *id;		   /* its id, NULL if none or invalid */
	bool txt_ok;		   /* exactly one record, valid, with an id */
	char *url;		   /* the policy's URL, when fetched */
	char *host_addresses;	   /* the policy host's addresses (our resolver's), comma-separated */
	long http_status;	   /* 0 if no HTTP answer */
	char *content_type;	   /* as served */
	bool fetched;		   /* 200, text/plain, within the cap, no redirect, certificate valid */
	char *fetch_error;	   /* why the policy could not be used as served (NULL if fetched) */
	bool parsed;		   /* policy holds a parsed body */
	struct sts_policy policy;
	bool usable; /* txt_ok, fetched and policy.valid: a sender applies it */
	/* judged by domain_policy_evaluate */
	int meets; /* 1: every MX listed, with a valid certificate; 0: one is not; -1: could not tell */
	struct probe_result checks; /* mta-sts.* findings */
};

struct tls_rpt_result {
	bool looked_up;
	enum dnssec_status dnssec;
	bool published;		    /* a "v=TLSRPTv1;" record exists */
	char *txt;		    /* that record (escaped) */
	bool valid;		    /* exactly one, valid, rua targets usable */
	struct strvec rua;	    /* the report URIs (escaped) */
	struct probe_result checks; /* tls-rpt.* findings */
};

void mta_sts_result_free(struct mta_sts_result *m); /* NULL is fine */
void tls_rpt_result_free(struct tls_rpt_result *t); /* NULL is fine */

/* Looks up d's MTA-STS record, fetches and parses its policy, and looks
 * up its TLS-RPT record, into d->mta_sts and d->tls_rpt. DNS through r
 * (the run's resolver, --resolver honoured), the policy host resolved by
 * r too and pinned for libcurl; trust: opt->ca_file then the system
 * store. Each DNS query waits at most opt->step_timeout_us, the HTTPS
 * fetch as long, and nothing runs past deadline_us (mono_us clock). Only
 * for a domain with MX hosts (or an implicit MX); others are left alone. */
void domain_policy_discover(struct dns_resolver *r, const struct mx_options *opt, int64_t deadline_us,
			    struct domain_result *d);

/* After the MX targets ran and their fates were decided (domain_evaluate):
 * each MX host against the MTA-STS policy (findings), the MTA-STS
 * sender's fate per address and for the domain, and, when the policy is
 * in enforce, a break of the verdict for every MX host that does not
 * meet it. */
void domain_policy_evaluate(struct report *r, struct domain_result *d);

/* The policies d publishes for its senders, for the verdict: "DANE" (usable
 * DNSSEC-secure TLSA records for an MX host, RFC 7672), "MTA-STS" (a
 * v=STSv1 record, RFC 8461), "DANE and MTA-STS", or NULL (a static
 * string). */
const char *domain_policy_published(const struct domain_result *d);

#endif
