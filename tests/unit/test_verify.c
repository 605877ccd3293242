/* \summary: chain validation and the probes' verdicts over certificates
 * made in memory by the lab PKI: trusted only by its own CA, never by the
 * system store; validity periods left out of the library's verdict (the
 * expiry probe judges them at --at); a store that does not load is an error,
 * not a verdict; the chain, expiry and names probes on a pinned clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "lab/labpki.h"
#include "pki/peer.h"
#include "pki/certinfo.h"
#include "pki/verify.h"

#define NOW ((int64_t)1795000000) /* 2026-11-18, pinned */
#define DAY ((int64_t)86400)

static const char *const sans[] = { "mail.test.example", "IP:127.0.0.1", NULL };

/* One leaf as the session would have captured it. */
static void make_leaf(struct labpki *pki, int64_t nb, int64_t na, struct cert_info *ci)
{
	char *cert_pem = NULL, *key_pem = NULL, err[256];
	assert_int_equal(labpki_issue_pem(pki, "mail.test.example", sans, nb, na, &cert_pem, &key_pem, err, sizeof err),
			 0);
	gnutls_datum_t pem = { .data = (unsigned char *)cert_pem, .size = (unsigned)strlen(cert_pem) };
	gnutls_datum_t der = { NULL, 0 };
	assert_int_equal(gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der), 0);
	memset(ci, 0, sizeof *ci);
	assert_int_equal(cert_info_from_der(der.data, der.size, ci), 0);
	gnutls_free(der.data);
	free(cert_pem);
	free(key_pem);
}

struct fixture {
	struct labpki *pki, *other;
	char *ca_pem, *other_pem;
	struct mx_options opt;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[256];
	fx->pki = labpki_new(err, sizeof err);
	fx->other = labpki_new(err, sizeof err);
	if (!fx->pki || !fx->other)
		return -1;
	fx->ca_pem = labpki_ca_pem(fx->pki);
	fx->other_pem = labpki_ca_pem(fx->other);
	mx_options_defaults(&fx->opt);
	fx->opt.now = NOW;
	fx->opt.no_system_trust = true;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	labpki_free(fx->pki);
	labpki_free(fx->other);
	free(fx->ca_pem);
	free(fx->other_pem);
	free(fx);
	return 0;
}

static void test_trusted_by_own_ca(void **state)
{
	struct fixture *fx = *state;
	struct cert_info leaf;
	struct verify_result v;
	make_leaf(fx->pki, NOW - DAY, NOW + 90 * DAY, &leaf);
	fx->opt.ca_pem = fx->ca_pem;
	verify_chain(NULL, &fx->opt, &leaf, 1, &v);
	assert_null(v.error);
	assert_true(v.trusted);
	assert_string_equal(v.store, "lab CA");
	assert_true(v.leaf_server_auth);
	verify_result_clear(&v);

	fx->opt.ca_pem = fx->other_pem; /* another CA: issuer unknown */
	verify_chain(NULL, &fx->opt, &leaf, 1, &v);
	assert_null(v.error);
	assert_false(v.trusted);
	assert_true(v.status & GNUTLS_CERT_SIGNER_NOT_FOUND);
	assert_false(v.last_issuer_known);
	verify_result_clear(&v);
	cert_info_clear(&leaf);
}

/* The system store is parsed only when the private CA does not answer, and
 * the answer is the one loading both first would give (issue 16). */
static void test_system_store_only_when_needed(void **state)
{
	struct fixture *fx = *state;
	struct cert_info leaf, stranger;
	struct verify_result v;
	make_leaf(fx->pki, NOW - DAY, NOW + 90 * DAY, &leaf);
	make_leaf(fx->other, NOW - DAY, NOW + 90 * DAY, &stranger);
	struct mx_options opt = fx->opt;
	opt.ca_pem = fx->ca_pem;
	opt.no_system_trust = false;
	struct trust_stores *ts = trust_stores_new(&opt);
	assert_false(trust_stores_parsed(ts, "lab CA"));

	/* The lab CA validates: the system store stays unparsed, for the
	 * chain and for the issuer the revocation probe looks up. */
	verify_chain(ts, &opt, &leaf, 1, &v);
	assert_null(v.error);
	assert_true(v.trusted);
	assert_string_equal(v.store, "lab CA");
	assert_string_equal(v.stores, "lab CA");
	verify_result_clear(&v);
	unsigned char *der = NULL;
	size_t len = 0;
	assert_int_equal(verify_find_issuer(ts, &opt, &leaf, 1, 0, &der, &len), 0);
	free(der);
	assert_true(trust_stores_parsed(ts, "lab CA"));
	assert_false(trust_stores_parsed(ts, "system"));

	/* Another CA's leaf: the lab CA refuses, so the system store is
	 * asked (and refuses too); the first store's reasons are reported. */
	verify_chain(ts, &opt, &stranger, 1, &v);
	assert_null(v.error);
	assert_false(v.trusted);
	assert_string_equal(v.stores, "lab CA, system");
	assert_true(v.status & GNUTLS_CERT_SIGNER_NOT_FOUND);
	verify_result_clear(&v);
	assert_true(trust_stores_parsed(ts, "system"));

	/* The same answers from stores loaded for one call alone. */
	verify_chain(NULL, &opt, &leaf, 1, &v);
	assert_true(v.trusted);
	assert_string_equal(v.store, "lab CA");
	verify_result_clear(&v);
	trust_stores_free(ts);
	cert_info_clear(&leaf);
	cert_info_clear(&stranger);
}

/* Targets probed on worker threads share the run's stores: the first
 * verifications race to load them, and every thread gets the same answer. */
struct verify_job {
	struct trust_stores *ts;
	const struct mx_options *opt;
	const struct cert_info *leaf, *stranger;
	int good, bad; /* verdicts seen */
};

static void *verify_worker(void *arg)
{
	struct verify_job *j = arg;
	for (int i = 0; i < 20; i++) {
		struct verify_result v;
		verify_chain(j->ts, j->opt, (i % 2) ? j->stranger : j->leaf, 1, &v);
		if (!v.error && v.trusted == !(i % 2))
			j->good++;
		else
			j->bad++;
		verify_result_clear(&v);
	}
	return NULL;
}

static void test_stores_shared_by_threads(void **state)
{
	struct fixture *fx = *state;
	struct cert_info leaf, stranger;
	make_leaf(fx->pki, NOW - DAY, NOW + 90 * DAY, &leaf);
	make_leaf(fx->other, NOW - DAY, NOW + 90 * DAY, &stranger);
	struct mx_options opt = fx->opt;
	opt.ca_pem = fx->ca_pem;
	struct trust_stores *ts = trust_stores_new(&opt);
	struct verify_job jobs[4];
	pthread_t th[4];
	for (size_t i = 0; i < 4; i++) {
		jobs[i] = (struct verify_job){ .ts = ts, .opt = &opt, .leaf = &leaf, .stranger = &stranger };
		assert_int_equal(pthread_create(&th[i], NULL, verify_worker, &jobs[i]), 0);
	}
	for (size_t i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(jobs[i].good, 20);
		assert_int_equal(jobs[i].bad, 0);
	}
	trust_stores_free(ts);
	cert_info_clear(&leaf);
	cert_info_clear(&stranger);
}

/* The gate for credentials (pki/peer.h): one row per way a server can
 * fail to authenticate, and the ways it can. */
static void test_peer_authenticated_rows(void **state)
{
	struct fixture *fx = *state;
	static const char *const partner[] = { "partner.test.example" };
	static const char *const covered[] = { "mail.test.example" };
	struct {
		const char *name;
		bool own_ca; /* else another CA's anchor */
		int64_t nb, na;
		const char *ref;
		const char *const *expect; /* --expect-name */
		bool want;
		const char *why; /* part of the reason when refused */
	} rows[] = {
		{ "trusted, name", true, NOW - DAY, NOW + 90 * DAY, "mail.test.example", NULL, true, NULL },
		{ "trusted, IP", true, NOW - DAY, NOW + 90 * DAY, "127.0.0.1", NULL, true, NULL },
		{ "name case", true, NOW - DAY, NOW + 90 * DAY, "MAIL.test.example", NULL, true, NULL },
		{ "wrong name", true, NOW - DAY, NOW + 90 * DAY, "other.test.example", NULL, false, "does not cover" },
		{ "wrong name, expect-name covered", true, NOW - DAY, NOW + 90 * DAY, "127.0.0.2", covered, true,
		  NULL },
		{ "expect-name not covered", true, NOW - DAY, NOW + 90 * DAY, "127.0.0.2", partner, false,
		  "nor any --expect-name" },
		{ "untrusted", false, NOW - DAY, NOW + 90 * DAY, "mail.test.example", NULL, false,
		  "does not validate" },
		{ "expired", true, NOW - 90 * DAY, NOW - DAY, "mail.test.example", NULL, false, "expired" },
		{ "not yet valid", true, NOW + DAY, NOW + 90 * DAY, "mail.test.example", NULL, false, "not yet valid" },
		{ "no name at all", true, NOW - DAY, NOW + 90 * DAY, NULL, NULL, false, "does not cover" },
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct cert_info leaf;
		make_leaf(fx->pki, rows[i].nb, rows[i].na, &leaf);
		fx->opt.ca_pem = rows[i].own_ca ? fx->ca_pem : fx->other_pem;
		fx->opt.n_expect_names = rows[i].expect ? 1 : 0;
		if (rows[i].expect)
			fx->opt.expect_names[0] = rows[i].expect[0];
		char why[512] = "";
		bool got = peer_is_authenticated(NULL, &fx->opt, &leaf, 1, rows[i].ref, why, sizeof why);
		if (got != rows[i].want || (rows[i].why && !strstr(why, rows[i].why)))
			fail_msg("row '%s': %s (%s)", rows[i].name, got ? "authenticated" : "refused", why);
		cert_info_clear(&leaf);
	}
	fx->opt.n_expect_names = 0;
	struct cert_info none;
	memset(&none, 0, sizeof none);
	char why[128];
	assert_false(peer_is_authenticated(NULL, &fx->opt, &none, 0, "x", why, sizeof why));
}

/* An expired leaf chains to its root, but the chain does not validate:
 * validity is judged on the path, at the instant the user asked for (--at),
 * so the chain probe never says "validates" beside "expired". */
static void test_expired_leaf_breaks_the_path(void **state)
{
	struct fixture *fx = *state;
	struct cert_info leaf;
	struct verify_result v;
	make_leaf(fx->pki, NOW - 400 * DAY, NOW - 30 * DAY, &leaf);
	fx->opt.ca_pem = fx->ca_pem;
	verify_chain(NULL, &fx->opt, &leaf, 1, &v);
	assert_false(v.trusted);
	assert_true(v.path_complete);
	assert_false(v.path_in_time);
	assert_true(v.time_break_expired);
	assert_int_equal(v.time_break, 0);
	assert_int_equal(v.path_len, 1);
	assert_true(v.status & GNUTLS_CERT_EXPIRED);
	assert_string_equal(v.store, "lab CA");
	verify_result_clear(&v);

	/* The same certificate judged at an instant inside its period. */
	struct mx_options o = fx->opt;
	o.at = NOW - 100 * DAY;
	verify_chain(NULL, &o, &leaf, 1, &v);
	assert_true(v.trusted);
	assert_true(v.path_in_time);
	verify_result_clear(&v);
	cert_info_clear(&leaf);
}

/* Certificates that are on no path: the leaf sent twice after itself is
 * not an issuer, so it is off the path; the path is the leaf alone. */
static void test_off_path(void **state)
{
	struct fixture *fx = *state;
	struct cert_info chain[2];
	struct verify_result v;
	make_leaf(fx->pki, NOW - DAY, NOW + 90 * DAY, &chain[0]);
	make_leaf(fx->other, NOW - 400 * DAY, NOW - 30 * DAY, &chain[1]); /* expired, unrelated */
	fx->opt.ca_pem = fx->ca_pem;
	verify_chain(NULL, &fx->opt, chain, 2, &v);
	assert_true(v.trusted);
	assert_int_equal(v.path_len, 1);
	assert_true(v.on_path[0]);
	assert_false(v.on_path[1]);
	assert_int_equal(v.n_off_path, 1);
	assert_true(v.in_order);
	verify_result_clear(&v);

	/* The chain probe: valid, plus a hygiene warning; the expiry probe:
	 * nothing expired on the path. */
	extern const struct probe probe_chain, probe_expiry;
	const struct probe *probes[] = { &probe_chain, &probe_expiry };
	for (size_t k = 0; k < 2; k++) {
		struct report rep;
		report_init(&rep);
		struct target_result *t = report_add_target(&rep);
		t->host = strdup("mail.test.example");
		t->facts.tls_ok = true;
		t->facts.chain = calloc(2, sizeof *t->facts.chain);
		t->facts.chain_len = 2;
		make_leaf(fx->pki, NOW - DAY, NOW + 90 * DAY, &t->facts.chain[0]);
		make_leaf(fx->other, NOW - 400 * DAY, NOW - 30 * DAY, &t->facts.chain[1]);
		struct probe_result *pr = target_add_probe(t, probes[k]->name, probes[k]->title);
		struct probe_ctx ctx = { .opt = &fx->opt, .t = t, .pr = pr };
		probes[k]->run(&ctx);
		for (size_t i = 0; i < pr->n; i++) {
			assert_string_not_equal(pr->f[i].id, "cert.expired");
			assert_int_not_equal(pr->f[i].sev, SEV_FAIL);
		}
		assert_string_equal(pr->f[0].id, k == 0 ? "cert.chain-valid" : "cert.validity-ok");
		if (k == 0) {
			assert_int_equal(pr->n, 2);
			assert_string_equal(pr->f[1].id, "cert.chain-hygiene");
			assert_int_equal(pr->f[1].sev, SEV_WARN);
		}
		report_clear(&rep);
	}
	cert_info_clear(&chain[0]);
	cert_info_clear(&chain[1]);
}

static void test_store_error(void **state)
{
	struct fixture *fx = *state;
	struct cert_info leaf;
	struct verify_result v;
	make_leaf(fx->pki, NOW - DAY, NOW + 90 * DAY, &leaf);
	fx->opt.ca_pem = NULL;
	fx->opt.ca_file = "/nonexistent/ca.pem";
	verify_chain(NULL, &fx->opt, &leaf, 1, &v);
	assert_non_null(v.error);
	assert_false(v.trusted);
	verify_result_clear(&v);
	fx->opt.ca_file = NULL;
	cert_info_clear(&leaf);
}

static void test_weak_sig_names(void **state)
{
	(void)state;
	assert_true(verify_sig_is_weak("RSA-SHA1"));
	assert_true(verify_sig_is_weak("RSA-MD5"));
	assert_true(verify_sig_is_weak("DSA-SHA1"));
	assert_false(verify_sig_is_weak("RSA-SHA256"));
	assert_false(verify_sig_is_weak("ECDSA-SHA384"));
	assert_false(verify_sig_is_weak(NULL));
}

/* ---- the probes over a pinned clock ---- */

extern const struct probe probe_chain, probe_expiry, probe_names;

static const struct finding *find(const struct probe_result *pr, const char *id)
{
	for (size_t i = 0; i < pr->n; i++)
		if (strcmp(pr->f[i].id, id) == 0)
			return &pr->f[i];
	return NULL;
}

static const char *ev(const struct finding *f, const char *key)
{
	for (size_t i = 0; f && i < f->nev; i++)
		if (strcmp(f->ev[i].key, key) == 0)
			return f->ev[i].value;
	return NULL;
}

struct run {
	struct report rep;
	struct target_result *t;
	struct probe_result *pr;
};

static void run_probe(const struct probe *p, const struct mx_options *opt, struct labpki *pki, int64_t nb, int64_t na,
		      const char *host, struct run *r)
{
	report_init(&r->rep);
	r->t = report_add_target(&r->rep);
	r->t->host = strdup(host);
	r->t->facts.tls_ok = true;
	r->t->facts.chain = calloc(1, sizeof *r->t->facts.chain);
	r->t->facts.chain_len = 1;
	make_leaf(pki, nb, na, &r->t->facts.chain[0]);
	r->pr = target_add_probe(r->t, p->name, p->title);
	struct probe_ctx ctx = { .opt = opt, .t = r->t, .pr = r->pr };
	p->run(&ctx);
}

struct expiry_row {
	const char *name;
	int64_t nb, na; /* relative to the evaluation time */
	int warn_days;
	const char *id;
	enum severity sev;
	const char *days_left; /* substring of the cert[0] evidence */
};

static const struct expiry_row expiry_rows[] = {
	{ "good", -DAY, 90 * DAY, 30, "cert.validity-ok", SEV_PASS, "days_left=90" },
	{ "expired 30 days", -400 * DAY, -30 * DAY - 3600, 30, "cert.expired", SEV_FAIL, "days_left=-30" },
	{ "expired a second ago", -DAY, -1, 30, "cert.expired", SEV_FAIL, "days_left=0" },
	{ "ends right now", -DAY, 0, 30, "cert.expiring-soon", SEV_WARN, "days_left=0" },
	{ "not yet valid", 10 * DAY, 400 * DAY, 30, "cert.not-yet-valid", SEV_FAIL, "days_left=400" },
	{ "5 days", -DAY, 5 * DAY - 60, 30, "cert.expiring-soon", SEV_WARN, "days_left=4" },
	{ "5 days, warn 3", -DAY, 5 * DAY - 60, 3, "cert.validity-ok", SEV_PASS, "days_left=4" },
	{ "30 days exactly", -DAY, 30 * DAY, 30, "cert.validity-ok", SEV_PASS, "days_left=30" },
	{ "29 days", -DAY, 30 * DAY - 1, 30, "cert.expiring-soon", SEV_WARN, "days_left=29" },
};

static void test_expiry_rows(void **state)
{
	struct fixture *fx = *state;
	int failed = 0;
	for (size_t i = 0; i < sizeof expiry_rows / sizeof expiry_rows[0]; i++) {
		const struct expiry_row *row = &expiry_rows[i];
		struct mx_options o = fx->opt;
		o.at = NOW + 1000 * DAY; /* --at: far from the PKI's own "now" */
		o.warn_days = row->warn_days;
		o.policy = POLICY_VERIFY; /* the rows' fail: a sender that verifies (test_expiry_policy) */
		struct run r;
		run_probe(&probe_expiry, &o, fx->pki, o.at + row->nb, o.at + row->na, "mail.test.example", &r);
		const struct finding *f = find(r.pr, row->id);
		const char *c0 = ev(f, "cert[0]");
		if (!f || f->sev != row->sev || r.pr->n != 1 || !c0 || !strstr(c0, row->days_left)) {
			print_error("row '%s': %zu findings, first %s, cert[0] %s\n", row->name, r.pr->n,
				    r.pr->n ? r.pr->f[0].id : "-", c0 ? c0 : "-");
			failed++;
		}
		report_clear(&r.rep);
	}
	assert_int_equal(failed, 0);
}

/* Outside its validity period, per policy: as cert.chain-untrusted, since
 * only a sender that verifies (verify and up) refuses the certificate;
 * Postfix's encrypt checks none and delivers over TLS. */
static void test_expiry_policy(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		enum policy policy;
		enum severity sev;
	} rows[] = {
		{ POLICY_NONE, SEV_INFO },   { POLICY_MAY, SEV_WARN },	  { POLICY_ENCRYPT, SEV_WARN },
		{ POLICY_VERIFY, SEV_FAIL }, { POLICY_SECURE, SEV_FAIL }, { POLICY_DOMAIN_SECURE, SEV_FAIL },
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct mx_options o = fx->opt;
		o.at = NOW + 1000 * DAY;
		o.policy = rows[i].policy;
		for (int late = 0; late < 2; late++) {
			struct run r;
			if (late) /* not valid yet */
				run_probe(&probe_expiry, &o, fx->pki, o.at + 10 * DAY, o.at + 400 * DAY,
					  "mail.test.example", &r);
			else /* expired */
				run_probe(&probe_expiry, &o, fx->pki, o.at - 400 * DAY, o.at - 30 * DAY,
					  "mail.test.example", &r);
			const struct finding *f = find(r.pr, late ? "cert.not-yet-valid" : "cert.expired");
			assert_non_null(f);
			if (f->sev != rows[i].sev)
				fail_msg("policy %d, %s: severity %d, expected %d", (int)rows[i].policy, f->id,
					 (int)f->sev, (int)rows[i].sev);
			assert_int_equal(f->sev, policy_verify_severity(rows[i].policy));
			report_clear(&r.rep);
		}
	}
}

static void test_chain_and_names_probes(void **state)
{
	struct fixture *fx = *state;
	struct mx_options o = fx->opt;
	struct run r;

	o.ca_pem = fx->ca_pem;
	run_probe(&probe_chain, &o, fx->pki, NOW - DAY, NOW + 90 * DAY, "127.0.0.1", &r);
	assert_non_null(find(r.pr, "cert.chain-valid"));
	assert_int_equal(r.pr->n, 1);
	report_clear(&r.rep);

	/* An expired leaf: never "validates" beside "expired". */
	run_probe(&probe_chain, &o, fx->pki, NOW - 400 * DAY, NOW - 30 * DAY, "127.0.0.1", &r);
	assert_null(find(r.pr, "cert.chain-valid"));
	const struct finding *fe = find(r.pr, "cert.chain-untrusted");
	assert_non_null(fe);
	assert_non_null(strstr(ev(fe, "reason"), "expired"));
	assert_non_null(strstr(ev(fe, "path"), "trust anchor"));
	report_clear(&r.rep);

	o.ca_pem = fx->other_pem;
	o.policy = POLICY_VERIFY;
	run_probe(&probe_chain, &o, fx->pki, NOW - DAY, NOW + 90 * DAY, "127.0.0.1", &r);
	const struct finding *f = find(r.pr, "cert.chain-untrusted");
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_FAIL);
	assert_non_null(strstr(ev(f, "reason"), "missing intermediate"));
	report_clear(&r.rep);

	o.policy = POLICY_SECURE;
	o.expect_names[0] = "partner.example";
	o.n_expect_names = 1;
	run_probe(&probe_names, &o, fx->pki, NOW - DAY, NOW + 90 * DAY, "127.0.0.1", &r);
	assert_int_equal(r.pr->n, 2);
	assert_string_equal(r.pr->f[0].id, "cert.name-match");
	assert_string_equal(ev(&r.pr->f[0], "matched_by"), "127.0.0.1");
	assert_string_equal(r.pr->f[1].id, "cert.name-mismatch");
	assert_int_equal(r.pr->f[1].sev, SEV_FAIL);
	assert_string_equal(ev(&r.pr->f[1], "nearest"), "mail.test.example");
	report_clear(&r.rep);
}

/* More certificates than a path may hold (VERIFY_MAX_CHAIN): the ones past
 * it are off the path, and nothing reads past the result's arrays. */
static void test_overlong_chain(void **state)
{
	struct fixture *fx = *state;
	enum {
		N = VERIFY_MAX_CHAIN + 2
	};
	struct report rep;
	report_init(&rep);
	struct target_result *t = report_add_target(&rep);
	t->host = strdup("mail.test.example");
	t->facts.tls_ok = true;
	t->facts.chain = calloc(N, sizeof *t->facts.chain);
	t->facts.chain_len = N;
	for (size_t i = 0; i < N; i++)
		make_leaf(i ? fx->other : fx->pki, NOW - DAY, NOW + 90 * DAY, &t->facts.chain[i]);
	struct mx_options o = fx->opt;
	o.ca_pem = fx->ca_pem;
	struct probe_result *pr = target_add_probe(t, probe_chain.name, probe_chain.title);
	struct probe_ctx ctx = { .opt = &o, .t = t, .pr = pr };
	probe_chain.run(&ctx);
	assert_non_null(find(pr, "cert.chain-valid"));
	const struct finding *h = find(pr, "cert.chain-hygiene");
	assert_non_null(h);
	assert_non_null(ev(h, "off_path[17]"));
	report_clear(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted_by_own_ca),
		cmocka_unit_test(test_system_store_only_when_needed),
		cmocka_unit_test(test_stores_shared_by_threads),
		cmocka_unit_test(test_expired_leaf_breaks_the_path),
		cmocka_unit_test(test_off_path),
		cmocka_unit_test(test_store_error),
		cmocka_unit_test(test_weak_sig_names),
		cmocka_unit_test(test_expiry_rows),
		cmocka_unit_test(test_expiry_policy),
		cmocka_unit_test(test_peer_authenticated_rows),
		cmocka_unit_test(test_chain_and_names_probes),
		cmocka_unit_test(test_overlong_chain),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
