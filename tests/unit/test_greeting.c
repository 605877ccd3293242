/* \summary: the greeting's delay as the starttls probe judges it (issue 9):
 * nothing below 2 s, information for a greet pause or a trickle, a warning
 * from 30 s (where clients with a 30 s timeout give up); a slow greeting is
 * smtp.greeting-delay, never smtp.slow-reply.
 * specification: RFC 5321 section 4.5.3.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "net/target.h"

extern const struct probe probe_starttls;

#define S 1000000LL

struct greeting_row {
	const char *name;
	int64_t wait_us, first_byte_us;
	bool trickled;
	bool slow;		 /* the session noted the banner as a slow reply */
	const char *trickled_ev; /* NULL: no smtp.greeting-delay finding */
	enum severity sev;
};

static const struct greeting_row rows[] = {
	{ "prompt", S / 100, S / 100, false, false, NULL, SEV_PASS },
	{ "2 s exactly", 2 * S, 2 * S, false, false, NULL, SEV_PASS },
	{ "greet pause 12 s", 12 * S, 12 * S, false, true, "no", SEV_INFO },
	{ "tarpit 7 s", 7 * S, S / 100, true, true, "yes", SEV_INFO },
	{ "pause 29.9 s", 29900000LL, 29900000LL, false, true, "no", SEV_INFO },
	{ "pause 30 s", 30 * S, 30 * S, false, true, "no", SEV_WARN },
	{ "pause 45 s", 45 * S, 45 * S, false, true, "no", SEV_WARN },
	{ "trickle 40 s", 40 * S, S / 10, true, true, "yes", SEV_WARN },
};

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

static void test_greeting_rows(void **state)
{
	(void)state;
	int failed = 0;
	struct mx_options opt;
	mx_options_defaults(&opt);
	struct target_spec spec = { .input = "mx.example", .scheme = "smtp", .host = "mx.example", .port = 25 };
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct greeting_row *row = &rows[i];
		struct report rep;
		report_init(&rep);
		struct target_result *t = report_add_target(&rep);
		t->host = strdup("mx.example");
		t->port = 25;
		struct session_facts *f = &t->facts;
		f->attempted = f->connected = true;
		f->banner.code = 220;
		f->banner.text = strdup("mx.example ESMTP");
		f->banner_wait_us = row->wait_us;
		f->banner_first_byte_us = row->first_byte_us;
		f->banner_trickled = row->trickled;
		f->slow = row->slow;
		f->slow_step = STEP_BANNER;
		f->slow_us = row->wait_us;
		f->tls_alert = f->late_alert = -1;
		struct probe_result *pr = target_add_probe(t, probe_starttls.name, probe_starttls.title);
		struct probe_ctx ctx = { .opt = &opt, .spec = &spec, .t = t, .pr = pr };
		probe_starttls.run(&ctx);
		const struct finding *g = find(pr, "smtp.greeting-delay");
		bool ok = row->trickled_ev ? g && g->sev == row->sev && strcmp(ev(g, "trickled"), row->trickled_ev) == 0
					   : g == NULL;
		ok = ok && find(pr, "smtp.slow-reply") == NULL;
		if (!ok) {
			print_error("row '%s': greeting-delay %s, severity %d\n", row->name, g ? "present" : "absent",
				    g ? (int)g->sev : -1);
			failed++;
		}
		report_clear(&rep);
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
