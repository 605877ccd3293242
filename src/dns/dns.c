/* \summary: libunbound resolution of a mail domain (see dns.h).
 *
 * Every query runs with ub_resolve_async and waits on ub_fd() with poll()
 * until its own deadline; a query past it is cancelled. libunbound hands
 * out RDATA uncompressed, which dns/mx.c parses with bounds checks.
 * specification: RFC 5321 section 5.1, RFC 7505, RFC 1035 section 3.4.1
 * (A), RFC 3596 (AAAA). */
#include "dns/dns.h"

#include "net/target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unbound.h>
#include <unistd.h>

#include "dns/mx.h"
#include "pki/dane.h"
#include "util/util.h"

#define RR_A	       1
#define RR_MX	       15
#define RR_TXT	       16
#define RR_AAAA	       28
#define RR_DNSKEY      48
#define RR_TLSA	       52
#define CLASS_IN       1
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3

/* Where the root's trust anchor lives on Debian (package dns-root-data). */
#define ROOT_ANCHOR    "/usr/share/dns/root.key"

struct dns_resolver {
	struct ub_ctx *ctx;
	char *fwd;	  /* "IP@PORT" or NULL (resolv.conf) */
	char *anchor;	  /* what validation uses, in words (domain_result.dnssec_anchor) */
	bool root_anchor; /* validating with the root key we picked ourselves */
	bool primed;	  /* the root anchor was tried against the forwarder */
};

/* libunbound, like the unbound server, answers these special-use and AS112
 * zones itself (unbound.conf(5), "The default zones are ...", unbound
 * 1.17): a --domain under example.test, home.arpa or a private reverse zone
 * would get NXDOMAIN without a single packet sent. Internal zones are where
 * partners test, so every one is made transparent: a zone of our own
 * replaces the default contents, and names without local data (all of
 * them) go to the resolver. ("nodefault" through ub_ctx_set_option left the
 * default answers in place on Debian 12's libunbound; shared/FACTS.md.) */
static const char *const default_local_zones[] = {
	"localhost.",
	"127.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"home.arpa.",
	"onion.",
	"test.",
	"invalid.",
	/* RFC 1918 */
	"10.in-addr.arpa.",
	"16.172.in-addr.arpa.",
	"17.172.in-addr.arpa.",
	"18.172.in-addr.arpa.",
	"19.172.in-addr.arpa.",
	"20.172.in-addr.arpa.",
	"21.172.in-addr.arpa.",
	"22.172.in-addr.arpa.",
	"23.172.in-addr.arpa.",
	"24.172.in-addr.arpa.",
	"25.172.in-addr.arpa.",
	"26.172.in-addr.arpa.",
	"27.172.in-addr.arpa.",
	"28.172.in-addr.arpa.",
	"29.172.in-addr.arpa.",
	"30.172.in-addr.arpa.",
	"31.172.in-addr.arpa.",
	"168.192.in-addr.arpa.",
	/* RFC 3330 (this network, link-local, TEST-NETs, broadcast) */
	"0.in-addr.arpa.",
	"254.169.in-addr.arpa.",
	"2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.",
	"113.0.203.in-addr.arpa.",
	"255.255.255.255.in-addr.arpa.",
	/* RFC 4291 unspecified, RFC 4193 ULA, link-local, the example prefix */
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"d.f.ip6.arpa.",
	"8.e.f.ip6.arpa.",
	"9.e.f.ip6.arpa.",
	"a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.",
	"8.b.d.0.1.0.0.2.ip6.arpa.",
};

/* The shared address space 64..127.100.in-addr.arpa (RFC 6598) is a range:
 * made in the loop below rather than spelled out 64 times. */
static int make_local_zones_transparent(struct ub_ctx *ctx)
{
	char zone[128];
	int rc;
	for (size_t i = 0; i < sizeof default_local_zones / sizeof *default_local_zones; i++) {
		snprintf(zone, sizeof zone, "%s transparent", default_local_zones[i]);
		if ((rc = ub_ctx_set_option(ctx, "local-zone:", zone)) != 0)
			return rc;
	}
	for (int b = 64; b <= 127; b++) {
		snprintf(zone, sizeof zone, "%d.100.in-addr.arpa. transparent", b);
		if ((rc = ub_ctx_set_option(ctx, "local-zone:", zone)) != 0)
			return rc;
	}
	return 0;
}

int dns_resolver_arg_parse(const char *s, char *out, size_t outlen)
{
	char host[64];
	const char *port = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (size_t)(end - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -1;
	} else {
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		if (n >= sizeof host)
			return -1;
		memcpy(host, s, n);
		host[n] = '\0';
		if (colon)
			port = colon + 1;
	}
	unsigned char buf[16];
	if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
		return -1;
	unsigned long p = 53;
	if (port) {
		if (!*port || strlen(port) > 5)
			return -1;
		p = 0;
		for (const char *c = port; *c; c++) {
			if (!isdigit((unsigned char)*c))
				return -1;
			p = p * 10 + (unsigned long)(*c - '0');
		}
		if (p == 0 || p > 65535)
			return -1;
	}
	int w = snprintf(out, outlen, "%s@%lu", host, p);
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

bool dns_domain_ok(const char *s)
{
	/* A mail domain is spelled like a host name. */
	return target_host_name_ok(s);
}

/* A libunbound context: forwarding to fwd (or resolv.conf), validating
 * with the anchor file ta when it is not NULL. */
static struct ub_ctx *make_ctx(const char *fwd, const char *ta, int *rc)
{
	struct ub_ctx *ctx = ub_ctx_create();
	if (!ctx) {
		*rc = UB_NOMEM;
		return NULL;
	}
	/* Threads, not a forked process: the deadlines are ours either way. */
	if ((*rc = ub_ctx_async(ctx, 1)) != 0)
		goto fail;
	/* A resolver on loopback (--resolver 127.0.0.1, systemd-resolved's
	 * 127.0.0.53) is what the user asked for; libunbound refuses it by
	 * default. */
	if ((*rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0)
		goto fail;
	if ((*rc = make_local_zones_transparent(ctx)) != 0)
		goto fail;
	if (fwd)
		*rc = ub_ctx_set_fwd(ctx, fwd);
	else
		*rc = ub_ctx_resolvconf(ctx, NULL);
	if (*rc != 0)
		goto fail;
	/* A DS or DNSKEY file in zone-file format, as unbound's
	 * trust-anchor-file reads it (RFC 4035 section 4.4). */
	if (ta && (*rc = ub_ctx_add_ta_file(ctx, ta)) != 0)
		goto fail;
	return ctx;
fail:
	ub_ctx_delete(ctx);
	return NULL;
}

struct dns_resolver *dns_resolver_new(const char *fwd, const char *trust_anchor, char *err, size_t errlen)
{
	/* The root's key from dns-root-data unless --trust-anchor names
	 * another; with --resolver too: the answers are validated here, not
	 * taken on the resolver's word (its AD bit). */
	bool root = !trust_anchor && access(ROOT_ANCHOR, R_OK) == 0;
	const char *ta = trust_anchor ? trust_anchor : root ? ROOT_ANCHOR : NULL;
	int rc = 0;
	struct ub_ctx *ctx = make_ctx(fwd, ta, &rc);
	if (!ctx) {
		snprintf(err, errlen, "resolver set-up%s%s%s%s: %s", fwd ? " for " : "", fwd ? fwd : "",
			 trust_anchor ? " with the trust anchor " : "", trust_anchor ? trust_anchor : "",
			 ub_strerror(rc));
		return NULL;
	}
	struct dns_resolver *r = xcalloc(1, sizeof *r);
	r->ctx = ctx;
	r->fwd = fwd ? xstrdup(fwd) : NULL;
	r->root_anchor = root;
	r->anchor = trust_anchor ? xasprintf("trust anchor %s (--trust-anchor)", trust_anchor)
		    : root	 ? xasprintf("the root's trust anchor %s", ROOT_ANCHOR)
				 : xasprintf("none: %s is not installed (Debian package dns-root-data), so every "
						   "answer counts as insecure",
					     ROOT_ANCHOR);
	return r;
}

void dns_resolver_free(struct dns_resolver *r)
{
	if (!r)
		return;
	ub_ctx_delete(r->ctx);
	free(r->fwd);
	free(r->anchor);
	free(r);
}

/* ---- one query with a deadline ------------------------------------- */

struct query {
	bool done;
	int err;
	struct ub_result *res;
};

static void query_cb(void *data, int err, struct ub_result *res)
{
	struct query *q = data;
	q->done = true;
	q->err = err;
	q->res = res;
}

struct answer {
	enum mx_answer kind;
	enum dnssec_status dnssec;
	struct ub_result *res; /* MXA_DATA: the records */
	char *error;	       /* MXA_ERROR: in words */
	char *why_bogus;       /* DNSSEC_BOGUS: the validator's reason */
};

static void answer_clear(struct answer *a)
{
	if (a->res)
		ub_resolve_free(a->res);
	free(a->error);
	free(a->why_bogus);
	memset(a, 0, sizeof *a);
}

static const char *rr_name(int type)
{
	switch (type) {
	case RR_MX:
		return "MX";
	case RR_A:
		return "A";
	case RR_AAAA:
		return "AAAA";
	case RR_TLSA:
		return "TLSA";
	case RR_TXT:
		return "TXT";
	case RR_DNSKEY:
		return "DNSKEY";
	default:
		return "?";
	}
}

/* Waits at most timeout_us, and never past deadline_us (mono_us clock). */
static void query(struct dns_resolver *r, const char *name, int type, int64_t timeout_us, int64_t deadline_us,
		  struct answer *a)
{
	memset(a, 0, sizeof *a);
	if (mono_us() >= deadline_us) {
		a->kind = MXA_ERROR;
		a->error = xasprintf("%s %s: not asked, the domain's deadline (--target-timeout) had passed",
				     rr_name(type), name);
		return;
	}
	struct query q = { 0 };
	int id = 0;
	int rc = ub_resolve_async(r->ctx, name, type, CLASS_IN, &q, query_cb, &id);
	if (rc != 0) {
		a->kind = MXA_ERROR;
		a->error = xasprintf("%s %s: %s", rr_name(type), name, ub_strerror(rc));
		return;
	}
	int64_t deadline = mono_us() + timeout_us;
	if (deadline > deadline_us)
		deadline = deadline_us;
	while (!q.done) {
		int64_t left = deadline - mono_us();
		if (left <= 0) {
			ub_cancel(r->ctx, id);
			a->kind = MXA_ERROR;
			a->error = xasprintf(
				"%s %s: no answer within %.1f s%s", rr_name(type), name, (double)timeout_us / 1e6,
				mono_us() >= deadline_us ? " (the domain's deadline, --target-timeout)" : "");
			return;
		}
		struct pollfd pfd = { .fd = ub_fd(r->ctx), .events = POLLIN };
		int n = poll(&pfd, 1, (int)((left + 999) / 1000));
		if (n < 0 && errno != EINTR) {
			ub_cancel(r->ctx, id);
			a->kind = MXA_ERROR;
			a->error = xasprintf("%s %s: poll: %s", rr_name(type), name, strerror(errno));
			return;
		}
		if (n > 0 && (rc = ub_process(r->ctx)) != 0 && !q.done) {
			ub_cancel(r->ctx, id);
			a->kind = MXA_ERROR;
			a->error = xasprintf("%s %s: %s", rr_name(type), name, ub_strerror(rc));
			return;
		}
	}
	if (q.err != 0) {
		a->kind = MXA_ERROR;
		a->error = xasprintf("%s %s: %s", rr_name(type), name, ub_strerror(q.err));
		return;
	}
	struct ub_result *res = q.res;
	a->dnssec = res->secure ? DNSSEC_SECURE : res->bogus ? DNSSEC_BOGUS : DNSSEC_INSECURE;
	if (res->bogus) {
		/* Never used as data (RFC 4035 section 5.5): a validating
		 * sender gets SERVFAIL for it. */
		a->kind = MXA_ERROR;
		a->why_bogus = xstrdup(res->why_bogus ? res->why_bogus : "no reason given");
		a->error = xasprintf("%s %s: DNSSEC validation failed (bogus): %s; a validating sender does not "
				     "use it",
				     rr_name(type), name, a->why_bogus);
		ub_resolve_free(res);
		return;
	}
	if (res->nxdomain || res->rcode == RCODE_NXDOMAIN) {
		a->kind = MXA_NXDOMAIN;
		ub_resolve_free(res);
		return;
	}
	if (res->rcode != 0) {
		a->kind = MXA_ERROR;
		a->error = xasprintf("%s %s: %s (rcode %d)", rr_name(type), name,
				     res->rcode == RCODE_SERVFAIL ? "SERVFAIL" : "error", res->rcode);
		ub_resolve_free(res);
		return;
	}
	if (!res->havedata) {
		a->kind = MXA_NODATA;
		ub_resolve_free(res);
		return;
	}
	a->kind = MXA_DATA;
	a->res = res;
}

/* ---- a domain ------------------------------------------------------ */

void dns_host_add_rdata(struct mx_host *h, char *const *data, const int *len, int family, enum dnssec_status dnssec)
{
	size_t want = family == AF_INET ? 4 : 16;
	for (int i = 0; data[i] && h->naddr < DNS_MAX_ADDRS; i++) {
		if (len[i] < 0 || (size_t)len[i] != want)
			continue; /* malformed: an A is 4 bytes, an AAAA 16 */
		char buf[INET6_ADDRSTRLEN];
		if (!inet_ntop(family, data[i], buf, sizeof buf))
			continue;
		bool dup = false;
		for (size_t k = 0; k < h->naddr; k++)
			dup = dup || strcmp(h->addr[k].address, buf) == 0;
		if (!dup)
			mx_host_add_address(h, buf, family, dnssec);
	}
}

static void add_addresses(struct mx_host *h, const struct answer *a, int family)
{
	if (a->kind != MXA_DATA)
		return;
	dns_host_add_rdata(h, a->res->data, a->res->len, family, a->dnssec);
}

static const char *answer_words(const struct answer *a)
{
	switch (a->kind) {
	case MXA_NXDOMAIN:
		return "NXDOMAIN";
	case MXA_NODATA:
		return "no record";
	case MXA_ERROR:
		return a->error;
	default:
		return "records";
	}
}

/* "_25._tcp.NAME" (RFC 7672 section 2.2.3; --domain targets are port 25). */
static char *tlsa_owner(const char *host)
{
	return xasprintf("_25._tcp.%s", host);
}

/* One TLSA query into tl. true when records or an error came back (the
 * lookup is over), false for "no records here" (try the next name). */
static bool tlsa_query(struct dns_resolver *r, const char *base, int64_t timeout_us, int64_t deadline_us,
		       struct mx_tlsa *tl)
{
	struct answer a;
	char *owner = tlsa_owner(base);
	query(r, owner, RR_TLSA, timeout_us, deadline_us, &a);
	free(tl->name);
	tl->name = owner;
	tl->dnssec = a.dnssec;
	bool done = true;
	switch (a.kind) {
	case MXA_DATA:
		tl->state = TLSA_FOUND;
		tl->base = xstrdup(base);
		for (size_t i = 0; a.res->data[i]; i++) {
			struct tlsa_rr rr;
			if (a.res->len[i] < 0 ||
			    dane_tlsa_parse((const unsigned char *)a.res->data[i], (size_t)a.res->len[i], &rr) < 0) {
				tl->nmalformed++;
				continue;
			}
			tl->rr = xrealloc(tl->rr, (tl->nrr + 1) * sizeof *tl->rr);
			tl->rr[tl->nrr++] = rr;
		}
		break;
	case MXA_NODATA:
	case MXA_NXDOMAIN:
		tl->state = TLSA_NONE;
		done = false;
		break;
	default:
		tl->state = TLSA_FAILED;
		free(tl->why);
		tl->why = xstrdup(a.why_bogus ? a.why_bogus : a.error ? a.error : "the lookup failed");
		break;
	}
	answer_clear(&a);
	return done;
}

/* RFC 7672 section 2.2.3: the TLSA records of an MX host, at the
 * CNAME-expanded name first when every link of the alias chain is secure,
 * then at the name the MX record gives. Looked up even when nothing is
 * signed: records in an unsigned zone are worth reporting (dane.insecure). */
static void lookup_tlsa(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us, struct mx_host *h,
			bool mx_secure)
{
	struct mx_tlsa *tl = &h->tlsa;
	tl->mx_secure = mx_secure;
	if (h->naddr == 0) {
		tl->state = TLSA_NOT_ASKED;
		tl->why = xstrdup("the MX host has no address a sender could use");
		return;
	}
	tl->addr_secure = true;
	for (size_t k = 0; k < h->naddr; k++)
		tl->addr_secure = tl->addr_secure && h->addr[k].dnssec == DNSSEC_SECURE;
	if (h->canonical && tl->addr_secure && tlsa_query(r, h->canonical, timeout_us, deadline_us, tl))
		return;
	tlsa_query(r, h->host, timeout_us, deadline_us, tl);
}

/* The CNAME-expanded name of an answer, when it differs from name. */
static char *expanded_name(const struct answer *a, const char *name)
{
	if (a->kind != MXA_DATA || !a->res->canonname)
		return NULL;
	char c[256];
	snprintf(c, sizeof c, "%s", a->res->canonname);
	size_t n = strlen(c);
	if (n > 1 && c[n - 1] == '.')
		c[n - 1] = '\0';
	return strcasecmp(c, name) == 0 || !target_host_name_ok(c) ? NULL : xstrdup(c);
}

/* The A and AAAA answers of h->host, with their DNSSEC status. */
static void resolve_addresses(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us, struct mx_host *h)
{
	struct answer a4, a6;
	query(r, h->host, RR_A, timeout_us, deadline_us, &a4);
	query(r, h->host, RR_AAAA, timeout_us, deadline_us, &a6);
	h->dnssec_a = a4.dnssec;
	h->dnssec_aaaa = a6.dnssec;
	h->why_bogus_a = a4.why_bogus ? xstrdup(a4.why_bogus) : NULL;
	h->why_bogus_aaaa = a6.why_bogus ? xstrdup(a6.why_bogus) : NULL;
	/* Only a secure alias chain counts for DANE (RFC 7672 section 2.2.3). */
	h->canonical = expanded_name(a4.dnssec == DNSSEC_SECURE ? &a4 : &a6, h->host);
	add_addresses(h, &a4, AF_INET);
	add_addresses(h, &a6, AF_INET6);
	if (h->naddr == 0)
		h->error =
			xasprintf("no address for %s: A: %s; AAAA: %s", h->host, answer_words(&a4), answer_words(&a6));
	answer_clear(&a4);
	answer_clear(&a6);
}

/* An MX host: its addresses, then its TLSA records (RFC 7672 section 2.2). */
static void resolve_host(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us, struct mx_host *h,
			 bool mx_secure)
{
	resolve_addresses(r, timeout_us, deadline_us, h);
	lookup_tlsa(r, timeout_us, deadline_us, h, mx_secure);
}

/* With a forwarder and the root anchor we picked ourselves, a resolver
 * that cannot give the root's DNSKEY (a private resolver serving its own
 * zones) would make every answer bogus; then the answers are taken
 * unvalidated, and the report says so. --trust-anchor is never dropped. */
static void prime_root_anchor(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us)
{
	if (r->primed || !r->fwd || !r->root_anchor)
		return;
	r->primed = true;
	struct answer a;
	query(r, ".", RR_DNSKEY, timeout_us, deadline_us, &a);
	bool ok = a.kind == MXA_DATA && a.dnssec == DNSSEC_SECURE;
	char *why = a.why_bogus ? xstrdup(a.why_bogus) : xstrdup(answer_words(&a));
	answer_clear(&a);
	int rc = 0;
	struct ub_ctx *plain = ok ? NULL : make_ctx(r->fwd, NULL, &rc);
	if (plain) {
		ub_ctx_delete(r->ctx);
		r->ctx = plain;
		free(r->anchor);
		r->anchor = xasprintf("none: the resolver %s did not give the root's DNSKEY validated (%s), as a "
				      "private resolver does; answers are taken as insecure (--trust-anchor FILE "
				      "validates its zones)",
				      r->fwd, why);
		r->root_anchor = false;
	}
	free(why);
}

/* ---- TXT records and single hosts --------------------------------- */

void dns_resolve_host(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us, struct mx_host *h)
{
	resolve_addresses(r, timeout_us, deadline_us, h);
}

char *dns_txt_rdata_text(const unsigned char *p, size_t n)
{
	if (n == 0)
		return NULL;
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t len = p[i++];
		if (len > n - i) {
			free(out);
			return NULL;
		}
		for (size_t k = 0; k < len; k++)
			out[o++] = p[i + k] ? (char)p[i + k] : '\x7f';
		i += len;
	}
	out[o] = '\0';
	return out;
}

void dns_resolve_txt(struct dns_resolver *r, const char *name, int64_t timeout_us, int64_t deadline_us,
		     struct dns_txt *out)
{
	memset(out, 0, sizeof *out);
	struct answer a;
	query(r, name, RR_TXT, timeout_us, deadline_us, &a);
	out->dnssec = a.dnssec;
	switch (a.kind) {
	case MXA_DATA:
		out->found = 1;
		for (int i = 0; a.res->data[i]; i++) {
			char *t = a.res->len[i] < 0 ? NULL
						    : dns_txt_rdata_text((const unsigned char *)a.res->data[i],
									 (size_t)a.res->len[i]);
			if (!t) {
				out->found = -1;
				free(out->error);
				out->error = xasprintf("TXT %s: a malformed TXT record", name);
				continue;
			}
			strvec_push_owned(&out->rec, t);
		}
		break;
	case MXA_NXDOMAIN:
	case MXA_NODATA:
		out->found = 0;
		break;
	default:
		out->found = -1;
		out->error = xstrdup(a.error ? a.error : "TXT query failed");
		break;
	}
	answer_clear(&a);
}

void dns_txt_clear(struct dns_txt *t)
{
	if (!t)
		return;
	strvec_clear(&t->rec);
	free(t->error);
	memset(t, 0, sizeof *t);
}

/* The MX records of an answer, parsed and sorted; -1 if one is malformed. */
static int parse_mx(const struct answer *a, struct mx_rr **out, size_t *n)
{
	size_t count = 0;
	while (a->res->data[count])
		count++;
	struct mx_rr *v = xcalloc(count ? count : 1, sizeof *v);
	for (size_t i = 0; i < count; i++) {
		if (a->res->len[i] < 0 ||
		    mx_rdata_parse((const unsigned char *)a->res->data[i], (size_t)a->res->len[i], &v[i]) < 0) {
			free(v);
			return -1;
		}
	}
	mx_sort(v, count);
	*out = v;
	*n = count;
	return 0;
}

void dns_resolve_domain(struct dns_resolver *r, int64_t timeout_us, int64_t deadline_us, struct domain_result *d)
{
	char name[256];
	snprintf(name, sizeof name, "%s", d->name);
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';

	prime_root_anchor(r, timeout_us, deadline_us);
	d->dnssec_anchor = xstrdup(r->anchor);
	struct answer a;
	query(r, name, RR_MX, timeout_us, deadline_us, &a);
	d->dnssec = a.dnssec;
	d->why_bogus = a.why_bogus ? xstrdup(a.why_bogus) : NULL;
	bool mx_secure = a.dnssec == DNSSEC_SECURE;
	struct mx_rr *v = NULL;
	size_t n = 0;
	if (a.kind == MXA_DATA && parse_mx(&a, &v, &n) < 0) {
		answer_clear(&a);
		d->kind = DOMAIN_DNS_ERROR;
		d->error = xasprintf("MX %s: a malformed MX record", name);
		return;
	}
	switch (mx_decide(a.kind, v, n)) {
	case MXD_NXDOMAIN:
		d->kind = DOMAIN_NXDOMAIN;
		d->error = xasprintf("%s does not exist (NXDOMAIN)", name);
		break;
	case MXD_ERROR:
		d->kind = DOMAIN_DNS_ERROR;
		d->error = a.error ? xstrdup(a.error) : xasprintf("MX %s: no usable MX host name", name);
		break;
	case MXD_NULL_MX:
		d->kind = DOMAIN_NULL_MX;
		d->error = xasprintf("%s has a null MX (\"MX 0 .\", RFC 7505): this domain accepts no mail", name);
		break;
	case MXD_IMPLICIT:
		d->kind = DOMAIN_IMPLICIT_MX;
		resolve_host(r, timeout_us, deadline_us, domain_add_mx(d, -1, name), mx_secure);
		break;
	case MXD_USE_MX:
		d->kind = DOMAIN_MX;
		for (size_t i = 0; i < n; i++) {
			if (v[i].host[0] == '\0')
				continue; /* "." beside other MX records: RFC 7505 section 3 */
			bool dup = false;
			for (size_t k = 0; k < d->nmx; k++)
				dup = dup || strcasecmp(d->mx[k].host, v[i].host) == 0;
			if (dup)
				continue;
			if (d->nmx == DNS_MAX_MX) {
				d->error = xasprintf("more than %d MX hosts: only the first %d probed", DNS_MAX_MX,
						     DNS_MAX_MX);
				break;
			}
			struct mx_host *h = domain_add_mx(d, v[i].pref, v[i].host);
			if (!v[i].host_ok) {
				h->error = xasprintf("MX %u %s: not a valid host name", v[i].pref, v[i].host);
				continue;
			}
			resolve_host(r, timeout_us, deadline_us, h, mx_secure);
		}
		break;
	}
	free(v);
	answer_clear(&a);
}

/* Does libunbound itself accept the file? A record with a DS or DNSKEY
 * word and bad RDATA passes the scan above but makes the validator's
 * set-up fail at the first query. The context answers one question from a
 * local zone ("invalid.", RFC 6761 section 6.4), so nothing is sent; its
 * log goes to a temporary file and its first error line becomes ours. */
static int trust_anchor_load(const char *path, char *err, size_t errlen)
{
	struct ub_ctx *ctx = ub_ctx_create();
	FILE *log = tmpfile();
	struct ub_result *res = NULL;
	int rc = -1, urc = UB_NOMEM;
	/* zone_add finalizes the context: the anchor goes in first. */
	if (ctx && log && (urc = ub_ctx_debugout(ctx, log)) == 0 && (urc = ub_ctx_add_ta_file(ctx, path)) == 0 &&
	    (urc = ub_ctx_zone_add(ctx, "invalid.", "static")) == 0)
		urc = ub_resolve(ctx, "mxprobe.invalid.", 1 /* A */, 1 /* IN */, &res);
	if (urc == 0) {
		rc = 0;
	} else {
		char line[512], why[512] = "";
		if (log && fseek(log, 0, SEEK_SET) == 0) {
			while (fgets(line, sizeof line, log)) {
				const char *e = strstr(line, "error: ");
				if (e) {
					snprintf(why, sizeof why, "%s", e + 7);
					why[strcspn(why, "\r\n")] = '\0';
					break;
				}
			}
		}
		char *safe = str_sanitize(why[0] ? why : ub_strerror(urc), false);
		snprintf(err, errlen, "--trust-anchor %s: unbound cannot use it: %s", path, safe);
		free(safe);
	}
	ub_resolve_free(res);
	if (ctx) {
		ub_ctx_debugout(ctx, NULL); /* libunbound keeps the log FILE in a global */
		ub_ctx_delete(ctx);
	}
	if (log)
		fclose(log);
	return rc;
}

int dns_trust_anchor_check(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "--trust-anchor %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	int rc = -1;
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--trust-anchor %s: not a regular file", path);
		goto out;
	}
	if (st.st_size > 64 * 1024) {
		snprintf(err, errlen, "--trust-anchor %s: larger than 64 KiB, not a trust-anchor file", path);
		goto out;
	}
	/* A line "owner [TTL] [IN] DS|DNSKEY ..." as unbound's
	 * trust-anchor-file and ldns-keygen's .ds/.key files have it. */
	char line[4096];
	while (fgets(line, sizeof line, fp)) {
		char *save = NULL;
		for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
			if (w[0] == ';')
				break;
			if (strcasecmp(w, "DS") == 0 || strcasecmp(w, "DNSKEY") == 0) {
				rc = 0;
				goto out;
			}
		}
	}
	snprintf(err, errlen,
		 "--trust-anchor %s: no DS or DNSKEY record in it (zone-file form, as unbound's "
		 "trust-anchor-file)",
		 path);
out:
	fclose(fp);
	return rc == 0 ? trust_anchor_load(path, err, errlen) : rc;
}
