/* \summary: the enumeration artifact (report/tls_enum.h) in the text and
 * JSON reports: the compact table (one line per version, one per suite with
 * "(168/168 bits)" and FS/AEAD marks, refusals escaped), and
 * tls_enumeration with IANA names and code points, valid against
 * docs/mxprobe.schema.json.
 * specification: docs/json.md, docs/mxprobe.schema.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/model.h"
#include "report/render.h"
#include "report/tls_enum.h"
#include "tls/hello.h"

static void add_suite(struct enum_version *ev, uint32_t code, const char *group, unsigned dh_bits)
{
	ev->suites = xrealloc(ev->suites, (ev->n_suites + 1) * sizeof *ev->suites);
	struct enum_suite *s = &ev->suites[ev->n_suites++];
	memset(s, 0, sizeof *s);
	s->code = code;
	s->group = xstrdup(group);
	s->dh_bits = dh_bits;
	s->dh_prime_name = dh_bits == 1024 ? xstrdup("RFC 2409 group 2 (Oakley 1024)") : NULL;
}

static int setup(void **state)
{
	struct report *r = xcalloc(1, sizeof *r);
	report_init(r);
	r->tool_version = xstrdup("test");
	r->policy = xstrdup("may");
	r->ehlo_name = xstrdup("client.example");
	struct target_result *t = report_add_target(r);
	t->input = xstrdup("mx.example.test");
	t->scheme = xstrdup("smtp");
	t->host = xstrdup("mx.example.test");
	t->port = 25;
	struct tls_enum *e = xcalloc(1, sizeof *e);
	e->highest = HV_TLS12;
	e->fallback_scsv = 1;
	e->connections = 9;
	struct enum_version *v = &e->v[HV_TLS12];
	v->tested = v->accepted = v->complete = true;
	v->order = ORDER_SERVER;
	v->reneg_info = v->ems = true;
	add_suite(v, 0xC02F, "x25519", 0);
	add_suite(v, 0x0016, NULL, 1024);
	add_suite(v, 0x000A, NULL, 0);
	e->v[HV_TLS13].tested = true;
	e->v[HV_TLS13].refusal = xstrdup("alert 70 Error in protocol version\x1b[2J");
	e->v[HV_SSL2].tested = e->v[HV_SSL2].accepted = e->v[HV_SSL2].complete = true;
	add_suite(&e->v[HV_SSL2], 0x0700C0, NULL, 0);
	e->groups = xcalloc(1, sizeof *e->groups);
	e->groups[0] = (struct enum_group){ 0x001d, xstrdup("x25519"), 255, false };
	e->n_groups = 1;
	e->groups_complete = true;
	e->groups_via = "TLS1.2 ServerKeyExchange";
	e->dh_bits = 1024;
	e->dh_prime_name = xstrdup("RFC 2409 group 2 (Oakley 1024)");
	e->dh_suite = 0x0016;
	e->dh_version = HV_TLS12;
	t->tls_enum = e;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	report_clear(*state);
	free(*state);
	return 0;
}

static char *render_mem(int (*fn)(FILE *, const struct report *, const struct render_opts *), const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct render_opts o = { 0 };
	assert_int_equal(fn(f, r, &o), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_text_table(void **state)
{
	char *s = render_mem(render_text, *state);
	static const char *const want[] = {
		"  Enumeration (hand-built hellos, 9 connections)\n",
		"    TLS1.3  no   alert 70 Error in protocol version\\x1B[2J\n",
		"    TLS1.2  yes  3 suites, server order\n",
		"            ECDHE-RSA-AES128-GCM-SHA256              (128/128 bits)   FS AEAD x25519\n",
		"            EDH-RSA-DES-CBC3-SHA                     (168/168 bits)   FS - DH 1024 RFC 2409 group 2 "
		"(Oakley 1024)\n",
		"            DES-CBC3-SHA                             (168/168 bits)   -  -\n",
		"    SSLv2   yes  1 suite\n",
		"            DES-CBC3-MD5                             (168/168 bits)   -  -\n",
		"    groups  x25519\n",
	};
	const char *at = s;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *p = strstr(at, want[i]);
		if (!p)
			print_error("missing or out of order: %s\n---\n%s", want[i], s);
		assert_non_null(p);
		at = p + strlen(want[i]);
	}
	assert_null(strchr(s, '\x1b'));
	free(s);
}

static void test_json(void **state)
{
	char *s = render_mem(render_json, *state);
	json_error_t err;
	json_t *root = json_loads(s, 0, &err);
	assert_non_null(root);
	json_t *e = json_object_get(json_array_get(json_object_get(root, "targets"), 0), "tls_enumeration");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "connections")), 9);
	assert_string_equal(json_string_value(json_object_get(e, "highest")), "TLS1.2");
	assert_true(json_is_true(json_object_get(e, "fallback_scsv_honoured")));
	json_t *versions = json_object_get(e, "versions");
	assert_int_equal(json_array_size(versions), 3); /* untested versions are left out */
	json_t *v12 = json_array_get(versions, 1);
	assert_string_equal(json_string_value(json_object_get(v12, "version")), "TLS1.2");
	assert_string_equal(json_string_value(json_object_get(v12, "order")), "server");
	json_t *s1 = json_array_get(json_object_get(v12, "suites"), 1);
	assert_string_equal(json_string_value(json_object_get(s1, "code")), "0x0016");
	assert_string_equal(json_string_value(json_object_get(s1, "iana")), "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA");
	assert_string_equal(json_string_value(json_object_get(s1, "openssl")), "EDH-RSA-DES-CBC3-SHA");
	assert_int_equal(json_integer_value(json_object_get(s1, "bits")), 168);
	assert_int_equal(json_integer_value(json_object_get(s1, "dh_bits")), 1024);
	assert_true(json_is_true(json_object_get(s1, "fs")));
	assert_true(json_is_false(json_object_get(s1, "aead")));
	json_t *v2 = json_array_get(versions, 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(v2, "suites"), 0), "code")),
		"0x0700C0");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "dh"), "prime")),
			    "RFC 2409 group 2 (Oakley 1024)");
	json_decref(root);

	/* valid against the schema, when python3-jsonschema is there */
	if (access("/usr/bin/python3", X_OK) == 0 &&
	    system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/mxprobe-render-enum-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
		close(fd);
		char *cmd = xasprintf("/usr/bin/python3 -c 'import json, sys, jsonschema; "
				      "jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), "
				      "cls=jsonschema.Draft202012Validator)' docs/mxprobe.schema.json '%s'",
				      path);
		int rc = system(cmd);
		unlink(path);
		free(cmd);
		assert_int_equal(rc, 0);
	}
	free(s);
}

static void test_absent(void **state)
{
	(void)state;
	struct report r;
	report_init(&r);
	struct target_result *t = report_add_target(&r);
	t->input = xstrdup("a");
	t->scheme = xstrdup("smtp");
	t->host = xstrdup("a");
	char *s = render_mem(render_text, &r);
	assert_null(strstr(s, "Enumeration"));
	free(s);
	s = render_mem(render_json, &r);
	assert_null(strstr(s, "tls_enumeration"));
	free(s);
	report_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test(test_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
