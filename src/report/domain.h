/* \summary: the mail-domain part of the results model: what DNS said about a
 * domain given with --domain (its MX hosts, their addresses, the DNSSEC
 * status of every answer), the policy verdict, and what a sending server at
 * each policy level would do with a message for it.
 *
 * specification: RFC 5321 section 5.1 (MX order, implicit MX), RFC 7505
 * (null MX), RFC 4035 (DNSSEC status as the validator reports it).
 * Plain data like model.h; the report owns it (report_clear frees it). */
#ifndef SRC_REPORT_DOMAIN_H
#define SRC_REPORT_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/model.h"

/* The validator's word on one answer (libunbound's ub_result). */
enum dnssec_status {
	DNSSEC_UNKNOWN,	 /* no answer to judge (query failed) */
	DNSSEC_INSECURE, /* not signed, or no trust anchor to validate with */
	DNSSEC_SECURE,	 /* validated */
	DNSSEC_BOGUS,	 /* signed, but validation failed */
};
const char *dnssec_status_name(enum dnssec_status s); /* "secure", ... */

/* What DNS said about the domain's mail exchangers. */
enum domain_mx_kind {
	DOMAIN_MX,	    /* MX records; hosts in preference order */
	DOMAIN_IMPLICIT_MX, /* no MX: the domain's own A/AAAA (RFC 5321 section 5.1) */
	DOMAIN_NULL_MX,	    /* "MX 0 ." (RFC 7505): the domain accepts no mail */
	DOMAIN_NXDOMAIN,    /* the domain does not exist */
	DOMAIN_DNS_ERROR,   /* SERVFAIL, timeout, a malformed answer */
};
const char *domain_mx_kind_id(enum domain_mx_kind k); /* "mx", "implicit-mx", ... */

/* The policy levels in the order of enum policy (core/options.h). */
#define DOMAIN_NPOLICIES 7

/* What a sending MTA at one policy level does with a message for one
 * address (or, summed up, for the domain). */
enum mail_fate {
	FATE_UNKNOWN, /* a probe the decision needs did not run */
	FATE_TLS,     /* deliver over TLS */
	FATE_CLEAR,   /* deliver in clear */
	FATE_DEFER,   /* defer, then bounce (NDR) once the retry period is over */
};
const char *mail_fate_id(enum mail_fate f);   /* "deliver-tls", ... */
const char *mail_fate_text(enum mail_fate f); /* "deliver over TLS", ... */

enum domain_verdict {
	VERDICT_PASS,	 /* every MX address passes the policy */
	VERDICT_FAIL,	 /* at least one does not (named in `broken`) */
	VERDICT_NO_MAIL, /* null MX: nothing to deliver to */
	VERDICT_ERROR,	 /* DNS could not tell (NXDOMAIN, SERVFAIL, timeout) */
};
const char *domain_verdict_id(enum domain_verdict v); /* "pass", ... */

/* The MTA-STS sender's columns in the fate table. */
#define DOMAIN_NSTS_FATES 2
#define STS_FATE_ENFORCE  0
#define STS_FATE_TESTING  1

struct mta_sts_result; /* policy/domain_policy.h */
struct tls_rpt_result; /* policy/domain_policy.h */

struct mx_address {
	char *address;		   /* printed, no brackets */
	int family;		   /* AF_INET / AF_INET6 */
	enum dnssec_status dnssec; /* of the A or AAAA answer it came from */
	size_t target;		   /* index into report.t; SIZE_MAX = not probed */
	bool evaluated;		   /* pass and fate are set */
	bool pass;		   /* no finding failed the policy */
	enum mail_fate fate[DOMAIN_NPOLICIES];
	char *fate_reason[DOMAIN_NPOLICIES]; /* why (NULL for a plain TLS delivery) */
	/* What a sender that follows MTA-STS (RFC 8461) does, with the
	 * domain's policy in mode enforce [STS_FATE_ENFORCE] and in mode
	 * testing [STS_FATE_TESTING] (policy/domain_policy.h). */
	enum mail_fate sts_fate[DOMAIN_NSTS_FATES];
	char *sts_reason[DOMAIN_NSTS_FATES];
};

/* One TLSA record (RFC 6698 section 2.1): certificate usage, selector,
 * matching type and the association data. */
struct tlsa_rr {
	uint8_t usage;	  /* 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (RFC 7218) */
	uint8_t selector; /* 0 the whole certificate, 1 its SubjectPublicKeyInfo */
	uint8_t mtype;	  /* 0 exact, 1 SHA2-256, 2 SHA2-512 */
	unsigned char *data;
	size_t len;
};

/* How the TLSA lookup of an MX host ended (RFC 7672 section 2.2). */
enum tlsa_lookup {
	TLSA_NOT_ASKED, /* no address to deliver to, or the run had no resolver: why says */
	TLSA_NONE,	/* no TLSA records (NODATA or NXDOMAIN) */
	TLSA_FOUND,	/* records came back: rr, and dnssec says whether they count */
	TLSA_FAILED,	/* SERVFAIL, a timeout, a bogus or malformed answer: why says */
};
const char *tlsa_lookup_id(enum tlsa_lookup s); /* "not-asked", "none", "found", "failed" */

/* The TLSA RRset of an MX host as DNS gave it, and whether a DANE sender
 * uses it: only when the TLSA answer and the host's address records are
 * DNSSEC-secure (RFC 7672 sections 2.2.2 and 2.2.3). */
struct mx_tlsa {
	enum tlsa_lookup state;
	enum dnssec_status dnssec; /* of the TLSA answer (or of its denial) */
	char *name;		   /* the owner asked last: "_25._tcp.mx.example" */
	char *base;		   /* the TLSA base domain the records were found at (name checks); NULL */
	char *why;		   /* not asked, failed, the validator's why_bogus; NULL */
	bool mx_secure;		   /* the MX answer (or the implicit MX's own) was secure */
	bool addr_secure;	   /* every address answer the host's addresses came from was secure */
	struct tlsa_rr *rr;
	size_t nrr;
	size_t nmalformed; /* records that did not parse (not in rr) */
};

/* Does a sender that does DANE use these records? Found and secure, the
 * host's address records secure (RFC 7672 section 2.2.2), and the MX
 * answer secure: section 2.2.1 lets a client use TLSA records of hosts
 * from an insecure MX RRset, but Postfix's dane level and Exim's
 * hosts_require_dane do not, and their behaviour is what is predicted. */
bool mx_tlsa_usable(const struct mx_tlsa *t);

struct mx_host {
	int pref;   /* MX preference; -1 for an implicit MX */
	char *host; /* no trailing dot */
	enum dnssec_status dnssec_a, dnssec_aaaa;
	char *why_bogus_a, *why_bogus_aaaa; /* the validator's reason when bogus; else NULL */
	char *canonical;		    /* the CNAME-expanded name when the host is an alias; else NULL */
	struct mx_tlsa tlsa;		    /* looked up when the run does DNS (--domain) */
	char *error;			    /* its addresses could not be resolved; NULL if fine */
	struct mx_address *addr;
	size_t naddr, capaddr;
};

/* One domain that breaks the verdict: which MX, which address, why. */
struct domain_break {
	char *mx;
	char *address; /* NULL when the host has no address */
	char *reason;  /* the failed finding ids, or what went wrong */
};

struct domain_result {
	char *name;
	enum domain_mx_kind kind;
	enum dnssec_status dnssec; /* of the MX answer */
	char *why_bogus;	   /* the validator's reason when the MX answer is bogus; else NULL */
	/* What DNSSEC was validated with: "root trust anchor FILE", "trust
	 * anchor FILE (--trust-anchor)", or why nothing was; NULL if unknown. */
	char *dnssec_anchor;
	char *error; /* DNS problem in words; NULL if none */
	struct mx_host *mx;
	size_t nmx, capmx;
	/* filled in by domain_evaluate (core/domain.h) */
	enum domain_verdict verdict;
	struct domain_break *broken;
	size_t nbroken, capbroken;
	enum mail_fate fate[DOMAIN_NPOLICIES]; /* the worst over every address */
	bool safe[DOMAIN_NPOLICIES];	       /* no address defers, none unknown */
	struct probe_result checks;	       /* domain.* findings */
	/* The level this domain was judged at: a partner's own level from
	 * --policy-file; NULL = the run's (report.policy). */
	char *policy;
	/* The domain's published TLS policies (policy/domain_policy.h); NULL
	 * when not looked up (no MX to deliver to). */
	struct mta_sts_result *mta_sts;
	struct tls_rpt_result *tls_rpt;
	enum mail_fate sts_fate[DOMAIN_NSTS_FATES]; /* the worst over every address */
};
/* The policy a domain was judged at (its own, else the run's). */
const char *domain_policy_name(const struct report *r, const struct domain_result *d);

/* The findings about the domain's published policies (MTA-STS, TLS-RPT:
 * policy/domain_policy.h), i from 0 to DOMAIN_NPOLICY_CHECKS - 1; NULL
 * when that part was not looked up. Renderers that count or list a
 * domain's findings walk these besides checks. */
#define DOMAIN_NPOLICY_CHECKS 2
const struct probe_result *domain_policy_checks(const struct domain_result *d, size_t i);

struct domain_result *report_add_domain(struct report *r, const char *name);
struct mx_host *domain_add_mx(struct domain_result *d, int pref, const char *host);
struct mx_address *mx_host_add_address(struct mx_host *h, const char *address, int family, enum dnssec_status dnssec);
void domain_add_break(struct domain_result *d, const char *mx, const char *address, const char *reason);
/* Frees what h owns (addresses, answers' reasons, TLSA records) and zeroes
 * it; h itself is the caller's. */
void mx_host_clear(struct mx_host *h);
void domain_result_clear(struct domain_result *d);
void report_domains_clear(struct report *r);

#endif
