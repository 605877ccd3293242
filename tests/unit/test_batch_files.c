/* \summary: the files of a batch run, table-driven: --targets-file lines
 * (targets, domain: lines, comments, bad lines named FILE:LINE and skipped)
 * and --policy-file lines (levels, options, FILE:LINE:COLUMN errors), plus
 * the connection limiter's caps and the pool's input order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/policy_file.h"
#include "cli/targets_file.h"
#include "core/pool.h"
#include "net/limiter.h"
#include "util/err.h"
#include "util/util.h"

/* ---- --targets-file ---- */

struct errs {
	char text[2048];
};

static void collect(void *user, const char *msg)
{
	struct errs *e = user;
	strncat(e->text, msg, sizeof e->text - strlen(e->text) - 2);
	strcat(e->text, "\n");
}

static void read_text(const char *text, struct targets_list *l, struct errs *e)
{
	char *copy = xstrdup(text);
	FILE *fp = fmemopen(copy, strlen(copy), "r");
	assert_non_null(fp);
	memset(l, 0, sizeof *l);
	memset(e, 0, sizeof *e);
	assert_int_equal(targets_file_read(fp, "t.txt", l, collect, e), 0);
	fclose(fp);
	free(copy);
}

static void test_targets_file_rows(void **state)
{
	(void)state;
	struct targets_list l;
	struct errs e;
	read_text("# survey\n"
		  "\n"
		  "mx1.example.com\n"
		  "  mx2.example.com:2525   # trailing comment\r\n"
		  "submission://mail.example.com\n"
		  "domain:example.org\n"
		  "DOMAIN:Example.NET\n"
		  "[2001:db8::1]:25\n"
		  "not a target\n"
		  "domain:\n"
		  "domain:bad..name\n"
		  "host:99999\n"
		  "ftp://x.example\n"
		  "last.example.com",
		  &l, &e);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.bad, 5);
	assert_string_equal(l.e[0].spec.host, "mx1.example.com");
	assert_int_equal(l.e[0].line, 3);
	assert_int_equal(l.e[1].spec.port, 2525);
	assert_int_equal(l.e[1].line, 4);
	assert_string_equal(l.e[2].spec.scheme, "submission");
	assert_int_equal(l.e[2].spec.port, 587);
	assert_string_equal(l.e[3].domain, "example.org");
	assert_string_equal(l.e[4].domain, "Example.NET");
	assert_string_equal(l.e[5].spec.host, "2001:db8::1");
	assert_string_equal(l.e[6].spec.host, "last.example.com"); /* no final newline */
	assert_int_equal(l.e[6].line, 14);
	assert_non_null(strstr(e.text, "t.txt:9: "));
	assert_non_null(strstr(e.text, "t.txt:10: "));
	assert_non_null(strstr(e.text, "t.txt:11: "));
	assert_non_null(strstr(e.text, "t.txt:12: "));
	assert_non_null(strstr(e.text, "t.txt:13: "));
	targets_list_clear(&l);
}

static void test_targets_file_long_line(void **state)
{
	(void)state;
	char *text = xmalloc(TARGETS_FILE_MAX_LINE * 3 + 64);
	memset(text, 'a', TARGETS_FILE_MAX_LINE * 3);
	strcpy(text + TARGETS_FILE_MAX_LINE * 3, "\nok.example.com\n");
	struct targets_list l;
	struct errs e;
	read_text(text, &l, &e);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.bad, 1);
	assert_int_equal(l.e[0].line, 2); /* the long line counts once */
	assert_non_null(strstr(e.text, "t.txt:1: expected a line of at most"));
	targets_list_clear(&l);
	free(text);
}

static void test_targets_file_stdin_name(void **state)
{
	(void)state;
	char text[] = "nope nope\n";
	FILE *fp = fmemopen(text, strlen(text), "r");
	struct targets_list l = { 0 };
	struct errs e = { { 0 } };
	assert_int_equal(targets_file_read(fp, "-", &l, collect, &e), 0);
	fclose(fp);
	assert_non_null(strstr(e.text, "<stdin>:1: "));
	targets_list_clear(&l);
}

/* ---- --policy-file ---- */

struct policy_row {
	const char *name;
	const char *text;
	const char *err; /* NULL: parses; else the start of the message after "p.conf:" */
};

static const struct policy_row policy_rows[] = {
	{ "two partners", "woodgrovebank.com domain-secure\nfabrikam.com verify # comment\n", NULL },
	{ "names", "contoso.com secure name=mail.contoso.com name=mx2.contoso.com\n", NULL },
	{ "levels any case", "a.example NONE\nb.example May\nc.example encrypt\n", NULL },
	{ "tabs and CRLF", "\tx.example\tsecure\t\r\n", NULL },
	{ "only comments", "# nothing\n\n", "2:1: expected at least one partner line" },
	{ "empty", "", "1:1: expected at least one partner line" },
	{ "bad domain", "not_a..domain verify\n", "1:1: expected a partner's mail domain" },
	{ "no level", "fabrikam.com\n", "1:13: expected a level after the domain" },
	{ "bad level", "fabrikam.com  strict\n", "1:15: expected a level: none, may" },
	{ "bad option", "fabrikam.com verify colour=red\n", "1:21: expected an option name=HOST" },
	{ "option without =", "fabrikam.com verify name\n", "1:21: expected an option" },
	{ "empty value", "fabrikam.com verify name=\n", "1:26: expected a value after '='" },
	{ "bad name", "fabrikam.com verify name=bad..name\n", "1:26: expected a host name" },
	{ "duplicate", "a.example may\nA.example verify\n", "2:1: expected each domain once (first on line 1)" },
	{ "missing file", "a.example verify client-cert=/nonexistent/c.pem\n", "1:30: expected a readable file" },
	{ "cert without key", "a.example verify client-cert=/dev/null\n",
	  "1:1: expected client-cert= and client-key= together" },
	{ "control char", "a.example \001verify\n", "1:11: expected printable text" },
	{ "NUL", "a.example verify\n\0b.example may\n", "2:1: expected printable text" },
};

static void test_policy_file_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(policy_rows); i++) {
		const struct policy_row *r = &policy_rows[i];
		size_t len = strlen(r->text);
		if (strcmp(r->name, "NUL") == 0)
			len = sizeof "a.example verify\n\0b.example may\n" - 1;
		struct partner_list l;
		char err[512] = "";
		int rc = policy_file_parse(r->text, len, "p.conf", "", &l, err, sizeof err);
		if (!r->err) {
			if (rc != 0)
				fail_msg("row '%s': %s", r->name, err);
			partner_list_clear(&l);
			continue;
		}
		if (rc == 0)
			fail_msg("row '%s' parsed", r->name);
		char want[256];
		snprintf(want, sizeof want, "p.conf:%s", r->err);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("row '%s': got \"%s\", want \"%s...\"", r->name, err, want);
		assert_int_equal(l.n, 0);
	}
}

static void test_policy_file_values(void **state)
{
	(void)state;
	struct partner_list l;
	char err[512];
	const char *text = "woodgrovebank.com domain-secure name=mail.woodgrovebank.com\nfabrikam.com verify\n";
	assert_int_equal(policy_file_parse(text, strlen(text), "p.conf", "", &l, err, sizeof err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.p[0].domain, "woodgrovebank.com");
	assert_int_equal(l.p[0].policy, POLICY_DOMAIN_SECURE);
	assert_int_equal(l.p[0].nnames, 1);
	assert_string_equal(l.p[0].names[0], "mail.woodgrovebank.com");
	assert_int_equal(l.p[1].policy, POLICY_VERIFY);
	assert_int_equal(l.p[1].line, 2);
	partner_list_clear(&l);
}

/* Relative file names are taken from the policy file's folder. */
static void test_policy_file_relative(void **state)
{
	(void)state;
	char dir[] = "/tmp/mxunit-policy-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *cert = xasprintf("%s/c.pem", dir), *key = xasprintf("%s/c.key", dir);
	FILE *f = fopen(cert, "w");
	fclose(f);
	f = fopen(key, "w");
	fclose(f);
	struct partner_list l;
	char err[512];
	const char *text = "a.example domain-secure client-cert=c.pem client-key=c.key\n";
	assert_int_equal(policy_file_parse(text, strlen(text), "p.conf", dir, &l, err, sizeof err), 0);
	assert_string_equal(l.p[0].client_cert, cert);
	assert_string_equal(l.p[0].client_key, key);
	partner_list_clear(&l);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	free(cert);
	free(key);
}

/* ---- the limiter ---- */

static struct sockaddr_in v4(const char *a, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static void test_limiter_caps(void **state)
{
	(void)state;
	struct conn_limiter *l = conn_limiter_new(3, 2, 200000);
	struct sockaddr_in a = v4("192.0.2.1", 25), a2 = v4("192.0.2.1", 587), b = v4("192.0.2.2", 25);
	const struct sockaddr *sa = (const struct sockaddr *)&a, *sa2 = (const struct sockaddr *)&a2,
			      *sb = (const struct sockaddr *)&b;
	assert_int_equal(conn_limiter_acquire(l, sa, mono_us() + 1000, NULL), 0);
	assert_int_equal(conn_limiter_acquire(l, sa2, mono_us() + 1000, NULL), 0); /* same address, other port */
	/* per host: a third to the same address waits until its deadline */
	int64_t waited = 0;
	assert_int_equal(conn_limiter_acquire(l, sa, mono_us() + 20000, &waited), -MX_E_NO_SLOT);
	assert_true(waited >= 15000);
	assert_int_equal(conn_limiter_acquire(l, sb, mono_us() + 1000, NULL), 0);
	/* global: 3 open */
	struct sockaddr_in c = v4("192.0.2.3", 25);
	assert_int_equal(conn_limiter_acquire(l, (const struct sockaddr *)&c, mono_us() + 1000, NULL), -MX_E_NO_SLOT);
	conn_limiter_release(l, sb);
	assert_int_equal(conn_limiter_acquire(l, (const struct sockaddr *)&c, mono_us() + 1000, NULL), 0);
	assert_int_equal(conn_limiter_peak_per_host(l), 2);
	assert_int_equal(conn_limiter_peak_global(l), 3);
	conn_limiter_release(l, sa);
	conn_limiter_release(l, sa2);
	conn_limiter_release(l, (const struct sockaddr *)&c);
	conn_limiter_free(l);
}

static void test_limiter_slow_down(void **state)
{
	(void)state;
	struct conn_limiter *l = conn_limiter_new(0, 2, 100000);
	struct sockaddr_in a = v4("192.0.2.9", 25);
	const struct sockaddr *sa = (const struct sockaddr *)&a;
	assert_true(conn_limiter_slow_down(l, sa, true));
	assert_false(conn_limiter_slow_down(l, sa, true)); /* once */
	assert_true(conn_limiter_is_slowed(l, sa));
	/* the pause: not before 100 ms */
	int64_t waited = 0;
	assert_int_equal(conn_limiter_acquire(l, sa, mono_us() + 1000000, &waited), 0);
	assert_true(waited >= 80000);
	/* slowed: one at a time */
	assert_int_equal(conn_limiter_acquire(l, sa, mono_us() + 30000, NULL), -MX_E_NO_SLOT);
	conn_limiter_release(l, sa);
	/* a tarpit: one at a time, no pause */
	struct sockaddr_in b = v4("192.0.2.10", 25);
	const struct sockaddr *sb = (const struct sockaddr *)&b;
	assert_true(conn_limiter_slow_down(l, sb, false));
	assert_int_equal(conn_limiter_acquire(l, sb, mono_us() + 1000, &waited), 0);
	assert_true(waited < 50000);
	assert_int_equal(conn_limiter_acquire(l, sb, mono_us() + 20000, NULL), -MX_E_NO_SLOT);
	conn_limiter_release(l, sb);
	assert_int_equal(conn_limiter_acquire(l, sb, mono_us() + 1000, NULL), 0);
	conn_limiter_release(l, sb);
	conn_limiter_free(l);
}

/* ---- the pool's order ---- */

struct order {
	size_t seen[64];
	size_t n;
};

static void record(void *user, size_t index, const struct target_result *t)
{
	(void)t;
	struct order *o = user;
	o->seen[o->n++] = index;
}

/* Targets that fail at once (DNS of an invalid name): the pool still hands
 * them out in input order, whatever order the workers finish them. */
static void test_pool_order(void **state)
{
	(void)state;
	struct mx_options opt;
	mx_options_defaults(&opt);
	opt.ehlo_name = "unit.example";
	opt.probes = "starttls";
	struct report rep;
	report_init(&rep);
	struct target_spec specs[20];
	struct pool_job jobs[20];
	for (size_t i = 0; i < 20; i++) {
		char name[64], err[256];
		snprintf(name, sizeof name, "h%zu.invalid", i);
		assert_int_equal(target_parse(name, &specs[i], err, sizeof err), 0);
		jobs[i] = (struct pool_job){ .spec = &specs[i], .opt = &opt, .t = report_add_target(&rep) };
	}
	struct order o = { .n = 0 };
	struct pool_opts po = { .jobs = 7, .emit = record, .emit_user = &o };
	pool_run(jobs, 20, &po);
	assert_int_equal(o.n, 20);
	for (size_t i = 0; i < 20; i++) {
		assert_int_equal(o.seen[i], i);
		assert_string_equal(rep.t[i]->input, specs[i].input);
		target_spec_clear(&specs[i]);
	}
	assert_int_equal(pool_threads(&po, 20), 7);
	struct pool_opts dflt = { 0 };
	assert_int_equal(pool_threads(&dflt, 3), 3);
	assert_int_equal(pool_threads(&dflt, 5000), POOL_DEFAULT_MAX_JOBS);
	report_clear(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets_file_rows),
		cmocka_unit_test(test_targets_file_long_line),
		cmocka_unit_test(test_targets_file_stdin_name),
		cmocka_unit_test(test_policy_file_rows),
		cmocka_unit_test(test_policy_file_values),
		cmocka_unit_test(test_policy_file_relative),
		cmocka_unit_test(test_limiter_caps),
		cmocka_unit_test(test_limiter_slow_down),
		cmocka_unit_test(test_pool_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
