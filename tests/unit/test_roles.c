/* \summary: table-driven rows for the role a target plays (probes/probes.c,
 * issue 9 kind 7), the not-tested mechanism on constructed session facts,
 * and role-aware advice: a POP3/IMAP target without STARTTLS gets POP3/IMAP
 * advice, not an MTA's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/probe.h"
#include "util/err.h"

extern const struct probe probe_starttls;
extern const struct probe probe_chain;

static const struct {
	const char *scheme;
	uint16_t port;
	const char *domain;  /* --domain target */
	const char *dialect; /* NULL: smtp */
	enum probe_role want;
} role_rows[] = {
	{ "smtp", 25, NULL, NULL, ROLE_MX },
	{ "smtp", 2525, NULL, NULL, ROLE_MX },
	{ "smtp", 587, NULL, NULL, ROLE_SUBMISSION },
	{ "smtp", 465, NULL, NULL, ROLE_SUBMISSION },
	{ "smtp", 587, "example.com", NULL, ROLE_MX }, /* an MX address is an MX */
	{ "submission", 25, NULL, NULL, ROLE_SUBMISSION },
	{ "smtps", 465, NULL, NULL, ROLE_SUBMISSION },
	{ "lmtp", 24, NULL, "lmtp", ROLE_LMTP },
	{ "imap", 143, NULL, "imap", ROLE_MAILBOX },
	{ "pop3s", 995, NULL, "pop3", ROLE_MAILBOX },
};

static void test_role_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof role_rows / sizeof role_rows[0]; i++) {
		struct target_result t = { 0 };
		struct target_spec spec = { 0 };
		char scheme[16], domain[32];
		snprintf(scheme, sizeof scheme, "%s", role_rows[i].scheme);
		snprintf(domain, sizeof domain, "%s", role_rows[i].domain ? role_rows[i].domain : "");
		t.scheme = scheme;
		t.port = role_rows[i].port;
		t.domain = role_rows[i].domain ? domain : NULL;
		spec.dialect = role_rows[i].dialect;
		struct probe_ctx ctx = { .t = &t, .spec = &spec };
		print_message("row %zu: %s:%u\n", i, role_rows[i].scheme, role_rows[i].port);
		assert_int_equal(probe_role(&ctx), role_rows[i].want);
	}
	assert_string_equal(probe_role_name(ROLE_MX), "mx");
	assert_string_equal(probe_role_name(ROLE_SUBMISSION), "submission");
}

struct run {
	struct report rep;
	struct target_result *t;
	struct probe_result *pr;
	struct mx_options opt;
	struct target_spec spec;
};

static void setup_run(struct run *r, const char *scheme, const char *dialect)
{
	memset(r, 0, sizeof *r);
	mx_options_defaults(&r->opt);
	report_init(&r->rep);
	r->t = report_add_target(&r->rep);
	r->t->scheme = xstrdup(scheme);
	r->t->host = xstrdup("mail.example");
	r->t->port = 143;
	r->spec.dialect = dialect;
	r->t->facts.attempted = true;
	r->t->facts.tls_alert = -1;
	r->t->facts.late_alert = -1;
}

static void run_probe(struct run *r, const struct probe *p)
{
	r->pr = target_add_probe(r->t, p->name, p->title);
	struct probe_ctx ctx = { .opt = &r->opt, .spec = &r->spec, .t = r->t, .pr = r->pr };
	p->run(&ctx);
}

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

static void test_mailbox_advice(void **state)
{
	(void)state;
	struct run r;
	setup_run(&r, "imap", "imap");
	r.t->facts.caps_plain.valid = true;
	r.t->facts.starttls = STARTTLS_NOT_OFFERED;
	run_probe(&r, &probe_starttls);
	const struct finding *f = find(r.pr, "starttls.missing");
	assert_non_null(f);
	assert_non_null(strstr(f->remedy, "Dovecot"));
	assert_null(strstr(f->remedy, "Postfix"));
	report_clear(&r.rep);

	setup_run(&r, "smtp", NULL);
	r.t->facts.caps_plain.valid = true;
	r.t->facts.starttls = STARTTLS_NOT_OFFERED;
	run_probe(&r, &probe_starttls);
	f = find(r.pr, "starttls.missing");
	assert_non_null(f);
	assert_non_null(strstr(f->remedy, "Postfix"));
	report_clear(&r.rep);
}

/* The shared mechanism: a session that stopped short is "not tested",
 * with the step and the reply; one that ended without TLS says why. */
static void test_not_tested(void **state)
{
	(void)state;
	struct run r;
	setup_run(&r, "smtp", NULL);
	r.t->facts.failed_step = STEP_BANNER;
	r.t->facts.fail_err = -MX_E_SERVICE_UNAVAILABLE;
	r.t->facts.fail_detail = xstrdup("421 4.7.0 too many connections");
	r.t->facts.r421.code = 421;
	strcpy(r.t->facts.r421.enh, "4.7.0");
	r.t->facts.r421.text = xstrdup("too many connections");
	run_probe(&r, &probe_chain);
	const struct finding *f = find(r.pr, "chain.not-tested");
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_ERROR);
	assert_string_equal(ev(f, "stopped_at"), "banner");
	assert_string_equal(ev(f, "reply"), "421 4.7.0 too many connections");
	assert_int_equal(r.pr->n, 1);
	report_clear(&r.rep);

	setup_run(&r, "smtp", NULL);
	r.t->facts.caps_plain.valid = true;
	r.t->facts.starttls = STARTTLS_NOT_OFFERED;
	run_probe(&r, &probe_chain);
	f = find(r.pr, "chain.not-tested");
	assert_non_null(f);
	assert_null(ev(f, "stopped_at"));
	assert_non_null(strstr(f->detail, "does not offer STARTTLS"));
	report_clear(&r.rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_rows),
		cmocka_unit_test(test_mailbox_advice),
		cmocka_unit_test(test_not_tested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
