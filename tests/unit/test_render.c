/* \summary: the renderers over a report built by hand: the JSON document
 * (shape, values, the schema in docs/), the Exchange-style log (certificate
 * blocks before the handshake event) and the text report (colour or none).
 * Times are pinned, so the output does not depend on the clock. */
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
#include "util/err.h"

#define T0 1795341209123000LL /* 2026-11-22T09:53:29.123Z */

static const char leaf_sha1[] = "DC27B5F8657F84B15B5004BE63CE482721871582";

static void reply_set(struct reply_info *r, int code, const char *enh, const char *text)
{
	r->code = code;
	snprintf(r->enh, sizeof r->enh, "%s", enh);
	r->text = xstrdup(text);
}

static void cert_fill(struct cert_info *ci, const char *subject, const char *issuer, const char *serial,
		      const char *sha1, size_t der_len)
{
	ci->subject = xstrdup(subject);
	ci->issuer = xstrdup(issuer);
	ci->serial_hex = xstrdup(serial);
	ci->sha1_hex = xstrdup(sha1);
	ci->sha256_hex = xstrdup("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
	ci->not_before = 1767225600; /* 2026-01-01 */
	ci->not_after = 1798761600;  /* 2027-01-01 */
	ci->key_type = xstrdup("RSA");
	ci->key_bits = 2048;
	ci->sig_alg = xstrdup("RSA-SHA256");
	ci->der = xmalloc(der_len);
	for (size_t i = 0; i < der_len; i++)
		ci->der[i] = (unsigned char)i;
	ci->der_len = der_len;
}

/* Adds a transcript line at a fixed time. */
static void tr_at(struct transcript *tr, int64_t t_us, enum tr_kind k, const char *text)
{
	transcript_add(tr, k, text);
	tr->e[tr->n - 1].t_us = t_us;
}

static void good_target(struct report *r)
{
	struct target_result *t = report_add_target(r);
	t->input = xstrdup("mx.example.com");
	t->scheme = xstrdup("smtp");
	t->host = xstrdup("mx.example.com");
	t->port = 25;
	t->address = xstrdup("192.0.2.10");
	t->status = TARGET_TESTED;
	t->started_wall_us = T0;
	t->duration_us = 412345;
	t->connections = 1;

	struct session_facts *f = &t->facts;
	f->attempted = true;
	f->remote = xstrdup("192.0.2.10:25");
	f->local = xstrdup("192.0.2.99:40000");
	f->connected = true;
	f->connect_us = 1500;
	reply_set(&f->banner, 220, "", "mx.example.com ESMTP");
	f->banner_wait_us = 3250;
	reply_set(&f->ehlo, 250, "", "mx.example.com\nPIPELINING\nSIZE 10240000\nSTARTTLS");
	f->caps_plain.valid = true;
	f->caps_plain.greeting = xstrdup("mx.example.com");
	f->caps_plain.starttls = true;
	f->caps_plain.pipelining = true;
	f->caps_plain.size_present = true;
	f->caps_plain.size = 10240000;
	strvec_push(&f->caps_plain.lines, "PIPELINING");
	strvec_push(&f->caps_plain.lines, "SIZE 10240000");
	strvec_push(&f->caps_plain.lines, "STARTTLS");
	f->starttls = STARTTLS_ACCEPTED;
	reply_set(&f->starttls_reply, 220, "2.0.0", "Ready to start TLS");
	f->tls_attempted = true;
	f->tls_ok = true;
	f->tls.protocol = xstrdup("TLS1.3");
	f->tls.cipher_suite = xstrdup("TLS_AES_256_GCM_SHA384");
	f->tls.cipher = xstrdup("AES-256-GCM");
	f->tls.cipher_bits = 256;
	f->tls.mac = xstrdup("AEAD");
	f->tls.kx = xstrdup("ECDHE-RSA");
	f->tls.group = xstrdup("X25519");
	f->tls.server_sig_alg = xstrdup("RSA-PSS-RSAE-SHA256");
	f->tls.sni = xstrdup("mx.example.com");
	f->tls.ext_master_secret = true;
	f->tls.safe_renegotiation = true;
	f->tls.handshake_us = 23456;

	f->chain = xcalloc(2, sizeof *f->chain);
	f->chain_len = 2;
	cert_fill(&f->chain[0], "CN=mx.example.com", "CN=Example CA,O=Example", "446DD186000A00002819", leaf_sha1, 11);
	strvec_push(&f->chain[0].san_dns, "mx.example.com");
	strvec_push(&f->chain[0].san_dns, "mail.example.com");
	cert_fill(&f->chain[1], "CN=Example CA,O=Example", "CN=Example Root", "01",
		  "0000000000000000000000000000000000000001", 100);
	f->chain[1].is_ca = true;
	f->client_chain = xcalloc(1, sizeof *f->client_chain);
	f->client_chain_len = 1;
	cert_fill(&f->client_chain[0], "CN=edge.example.net", "CN=edge.example.net", "CA2EDF2487C6F09B4E413FD3812A7F89",
		  "E8DA062786FD097DD8D79FF10C583CC23AD64F6C", 3);
	strvec_push(&f->client_chain[0].san_dns, "edge.example.net");
	reply_set(&f->ehlo_tls, 250, "", "mx.example.com\nPIPELINING");
	f->caps_tls.valid = true;
	reply_set(&f->quit, 221, "2.0.0", "Bye");
	f->quit_ok = true;

	struct transcript *tr = &t->tr;
	tr->start_wall_us = T0;
	tr_at(tr, 1000, TR_EVENT, "connected to 192.0.2.10:25");
	tr_at(tr, 3000, TR_RECV, "220 mx.example.com ESMTP");
	tr_at(tr, 3100, TR_SENT, "EHLO probe.example.org");
	tr_at(tr, 4000, TR_RECV, "250-mx.example.com");
	tr_at(tr, 4001, TR_RECV, "250 STARTTLS");
	tr_at(tr, 4100, TR_SENT, "STARTTLS");
	tr_at(tr, 5000, TR_RECV, "220 2.0.0 Ready to start TLS");
	tr_at(tr, 28456, TR_EVENT, "TLS handshake complete: TLS1.3 TLS_AES_256_GCM_SHA384");
	tr_at(tr, 29000, TR_SENT, "EHLO probe.example.org");
	tr_at(tr, 30000, TR_RECV, "250 mx.example.com");
	tr_at(tr, 30100, TR_SENT, "QUIT");
	tr_at(tr, 31000, TR_RECV, "221 2.0.0 Bye");

	struct probe_result *pr = target_add_probe(t, "starttls", "STARTTLS and handshake");
	pr->duration_us = 30000;
	struct finding *fd = probe_result_add(pr, "starttls.offered", SEV_PASS, "STARTTLS is offered");
	finding_set_rfc(fd, "RFC 3207 section 4");
	fd = probe_result_add(pr, "tls.no-ocsp-staple", SEV_WARN, "No OCSP staple");
	finding_set_detail(fd, "The server sent no OCSP response during the handshake.");
	finding_set_remedy(fd, "Enable OCSP stapling.");
	finding_add_ev(fd, "protocol", "%s", "TLS1.3");
	/* not UTF-8: the renderer has to escape it rather than fail */
	finding_add_ev(fd, "note", "caf%c", '\xe9');
}

static void failed_target(struct report *r)
{
	struct target_result *t = report_add_target(r);
	t->input = xstrdup("smtps://[2001:db8::1]:465");
	t->scheme = xstrdup("smtps");
	t->host = xstrdup("2001:db8::1");
	t->port = 465;
	t->implicit_tls = true;
	t->status = TARGET_UNTESTABLE;
	t->started_wall_us = T0 + 500000;
	t->duration_us = 10000000;
	t->connections = 1;
	struct session_facts *f = &t->facts;
	f->attempted = true;
	f->implicit_tls = true;
	f->failed_step = STEP_CONNECT;
	f->fail_err = -MX_E_REFUSED;
	f->fail_detail = xstrdup("connect: Connection refused");
	tr_at(&t->tr, 500, TR_EVENT, "connect to [2001:db8::1]:465 failed: Connection refused");
	struct probe_result *pr = target_add_probe(t, "starttls", "STARTTLS and handshake");
	struct finding *fd = probe_result_add(pr, "target.unreachable", SEV_ERROR, "The target could not be reached");
	finding_set_detail(fd, "Connection refused.");
}

static int setup(void **state)
{
	struct report *r = xcalloc(1, sizeof *r);
	report_init(r);
	r->tool_version = xstrdup("0.1.0");
	r->policy = xstrdup("encrypt");
	r->ehlo_name = xstrdup("probe.example.org");
	r->started_wall_us = T0;
	r->duration_us = 10500000;
	good_target(r);
	failed_target(r);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	report_clear(*state);
	free(*state);
	return 0;
}

typedef int (*render_fn)(FILE *, const struct report *, const struct render_opts *);

static char *render_mem(render_fn fn, const struct report *r, bool color, bool verbose)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct render_opts o = { .color = color, .verbose = verbose };
	assert_int_equal(fn(f, r, &o), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

/* ---- JSON ---------------------------------------------------------- */

static json_t *get(json_t *o, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_is_array(o))
			o = json_array_get(o, strtoul(k, NULL, 10));
		else
			o = json_object_get(o, k);
	}
	free(copy);
	assert_non_null(o);
	return o;
}

static void assert_jstr(json_t *root, const char *path, const char *want)
{
	json_t *v = get(root, path);
	assert_true(json_is_string(v));
	assert_string_equal(json_string_value(v), want);
}

static void assert_jint(json_t *root, const char *path, json_int_t want)
{
	json_t *v = get(root, path);
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), want);
}

static void assert_jnull(json_t *root, const char *path)
{
	assert_true(json_is_null(get(root, path)));
}

static void test_json_shape(void **state)
{
	char *s = render_mem(render_json, *state, false, false);
	size_t len = strlen(s);
	assert_true(len > 0 && s[len - 1] == '\n');
	assert_non_null(strstr(s, "\n  \"tool\": {\n    \"name\": \"mxprobe\"")); /* 2-space indent */

	json_error_t err;
	json_t *root = json_loads(s, 0, &err);
	if (!root)
		fail_msg("json_loads: %s at line %d", err.text, err.line);

	/* keys in the documented order */
	static const char *const top[] = { "schema",	"tool",	   "started", "duration_ms", "policy",
					   "ehlo_name", "summary", "targets", "domains" };
	size_t i = 0;
	for (void *it = json_object_iter(root); it; it = json_object_iter_next(root, it), i++) {
		assert_true(i < ARRAY_LEN(top));
		assert_string_equal(json_object_iter_key(it), top[i]);
	}
	assert_int_equal(i, ARRAY_LEN(top));

	assert_jstr(root, "schema", "mxprobe/1");
	assert_jstr(root, "tool.version", "0.1.0");
	assert_jstr(root, "started", "2026-11-22T09:53:29.123Z");
	assert_jstr(root, "policy", "encrypt");
	assert_jint(root, "summary.targets", 2);
	assert_jint(root, "summary.pass", 1);
	assert_jint(root, "summary.warn", 1);
	assert_jint(root, "summary.fail", 0);
	assert_jint(root, "summary.error", 1);

	/* the good target */
	assert_jstr(root, "targets.0.status", "tested");
	assert_jstr(root, "targets.0.worst", "warn");
	assert_jint(root, "targets.0.port", 25);
	assert_true(json_is_false(get(root, "targets.0.implicit_tls")));
	assert_jstr(root, "targets.0.session.failed_step", "none");
	assert_jnull(root, "targets.0.session.error");
	assert_jint(root, "targets.0.session.banner.code", 220);
	assert_jnull(root, "targets.0.session.banner.enhanced");
	assert_jstr(root, "targets.0.session.starttls.state", "accepted");
	assert_jstr(root, "targets.0.session.starttls.reply.enhanced", "2.0.0");
	assert_jnull(root, "targets.0.session.starttls.bytes_after_reply");
	assert_jint(root, "targets.0.session.capabilities.plain.size", 10240000);
	assert_true(json_is_true(get(root, "targets.0.session.capabilities.plain.starttls")));
	assert_jnull(root, "targets.0.session.capabilities.tls.size");
	json_decref(root);
	free(s);
}

static void test_json_values(void **state)
{
	char *s = render_mem(render_json, *state, false, false);
	json_t *root = json_loads(s, 0, NULL);
	assert_non_null(root);

	assert_jstr(root, "targets.0.session.tls.protocol", "TLS1.3");
	assert_jstr(root, "targets.0.session.tls.group", "X25519");
	assert_jint(root, "targets.0.session.tls.cipher_bits", 256);
	assert_jnull(root, "targets.0.session.tls_error");
	assert_jnull(root, "targets.0.session.reply_421");
	assert_jnull(root, "targets.0.session.slow");
	assert_true(json_real_value(get(root, "targets.0.session.tls.handshake_ms")) == 23.456);
	assert_int_equal(json_array_size(get(root, "targets.0.chain")), 2);
	assert_int_equal(json_array_size(get(root, "targets.0.client_chain")), 1);
	assert_jstr(root, "targets.0.chain.0.sha1", leaf_sha1);
	assert_jstr(root, "targets.0.chain.0.san_dns.1", "mail.example.com");
	assert_jstr(root, "targets.0.chain.0.not_after", "2027-01-01T00:00:00Z");
	/* bytes 00..0A -> base64 */
	assert_jstr(root, "targets.0.chain.0.pem",
		    "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQo=\n-----END CERTIFICATE-----\n");
	/* 100 bytes -> 136 base64 characters in lines of 64 */
	const char *pem = json_string_value(get(root, "targets.0.chain.1.pem"));
	const char *body = strchr(pem, '\n') + 1;
	assert_int_equal(strcspn(body, "\n"), 64);
	assert_int_equal(strcspn(body + 65, "\n"), 64);
	assert_int_equal(strcspn(body + 130, "\n"), 8);
	assert_true(json_is_true(get(root, "targets.0.chain.1.is_ca")));

	assert_jstr(root, "targets.0.probes.0.worst", "warn");
	assert_jstr(root, "targets.0.probes.0.findings.0.rfc", "RFC 3207 section 4");
	assert_jnull(root, "targets.0.probes.0.findings.0.detail");
	assert_jstr(root, "targets.0.probes.0.findings.1.remedy", "Enable OCSP stapling.");
	assert_jstr(root, "targets.0.probes.0.findings.1.evidence.protocol", "TLS1.3");
	assert_jstr(root, "targets.0.probes.0.findings.1.evidence.note", "caf\\xE9");
	assert_jstr(root, "targets.0.transcript.1.kind", "recv");
	assert_jstr(root, "targets.0.transcript.2.kind", "sent");
	assert_jstr(root, "targets.0.transcript.0.kind", "event");
	assert_true(json_real_value(get(root, "targets.0.transcript.1.t_ms")) == 3.0);
	assert_non_null(strstr(s, "\"t_ms\": 4.001,"));

	/* the failed target */
	assert_jstr(root, "targets.1.status", "untestable");
	assert_jstr(root, "targets.1.worst", "error");
	assert_jstr(root, "targets.1.host", "2001:db8::1");
	assert_jnull(root, "targets.1.address");
	assert_jstr(root, "targets.1.session.failed_step", "connect");
	assert_jstr(root, "targets.1.session.error", "REFUSED");
	assert_jstr(root, "targets.1.session.error_detail", "connect: Connection refused");
	assert_jnull(root, "targets.1.session.banner");
	assert_jnull(root, "targets.1.session.tls");
	assert_jnull(root, "targets.1.session.capabilities.plain");
	assert_jstr(root, "targets.1.session.starttls.state", "not-applicable");
	assert_int_equal(json_array_size(get(root, "targets.1.chain")), 0);
	json_decref(root);
	free(s);
}

static void test_json_schema(void **state)
{
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") != 0)
		skip();
	/* the schema next to this source file: <root>/tests/unit/test_render.c */
	char root[4096];
	snprintf(root, sizeof root, "%s", __FILE__);
	char *cut = strstr(root, "tests/unit/test_render.c");
	if (cut)
		*cut = '\0';
	char *schema = xasprintf("%sdocs/mxprobe.schema.json", cut ? root : "");
	if (access(schema, R_OK) != 0) {
		free(schema);
		skip();
	}

	char path[] = "/tmp/mxprobe-render-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(render_json(f, *state, NULL), 0);
	assert_int_equal(fclose(f), 0);

	char *cmd = xasprintf("/usr/bin/python3 -c 'import json, sys, jsonschema; "
			      "jsonschema.validate(json.load(open(sys.argv[2])), "
			      "json.load(open(sys.argv[1])), "
			      "cls=jsonschema.Draft202012Validator)' '%s' '%s'",
			      schema, path);
	int rc = system(cmd);
	unlink(path);
	free(cmd);
	free(schema);
	assert_int_equal(rc, 0);
}

/* ---- log ----------------------------------------------------------- */

/* Asserts each line occurs as a whole line of s, in this order; returns
 * where the last one starts. */
static const char *assert_lines_in_order(const char *s, const char *const *lines, size_t n)
{
	char *text = xasprintf("\n%s", s); /* every line now follows a '\n' */
	size_t at = 0, last_off = 0;
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		char *want = xasprintf("\n%s\n", lines[i]);
		const char *p = strstr(text + at, want);
		if (p) {
			last_off = (size_t)(p - text);
			at = last_off + strlen(want) - 1; /* the '\n' ending it starts the next */
		} else {
			print_error("missing or out of order: \"%s\"\n", lines[i]);
			ok = false;
		}
		free(want);
	}
	free(text);
	if (!ok)
		fail();
	return s + last_off;
}

static void test_log(void **state)
{
	char *s = render_mem(render_log, *state, false, false);
	static const char *const lines[] = {
		"#Software: mxprobe 0.1.0",
		"#Date: 2026-11-22T09:53:29.123Z",
		"#Session: mx.example.com 192.0.2.10:25 192.0.2.99:40000",
		"*connected to 192.0.2.10:25",
		"<220 mx.example.com ESMTP",
		">EHLO probe.example.org",
		"<250 STARTTLS",
		">STARTTLS",
		"<220 2.0.0 Ready to start TLS",
		"*Sending certificate",
		"*CN=edge.example.net, Certificate subject",
		"*CN=edge.example.net, Certificate issuer name",
		"*CA2EDF2487C6F09B4E413FD3812A7F89, Certificate serial number",
		"*E8DA062786FD097DD8D79FF10C583CC23AD64F6C, Certificate thumbprint",
		"*edge.example.net, Certificate alternate names",
		"*Received certificate",
		"*CN=mx.example.com, Certificate subject",
		"*CN=Example CA, O=Example, Certificate issuer name",
		"*446DD186000A00002819, Certificate serial number",
		"*DC27B5F8657F84B15B5004BE63CE482721871582, Certificate thumbprint",
		"*mx.example.com;mail.example.com, Certificate alternate names",
		"*TLS handshake complete: TLS1.3 TLS_AES_256_GCM_SHA384",
		">EHLO probe.example.org",
		">QUIT",
		"<221 2.0.0 Bye",
		"",
		"#Software: mxprobe 0.1.0",
		"#Session: smtps://[2001:db8::1]:465 - -",
		"*connect to [2001:db8::1]:465 failed: Connection refused",
	};
	assert_lines_in_order(s, lines, ARRAY_LEN(lines));
	/* the blocks appear once, only for the target that has a chain */
	const char *first = strstr(s, "*Received certificate");
	assert_null(strstr(first + 1, "*Received certificate"));
	assert_int_equal(strncmp(s, "#Software: ", 11), 0);
	free(s);
}

/* Without a handshake event, the blocks go at the end of the target. */
static void test_log_certs_at_end(void **state)
{
	(void)state;
	struct report r;
	report_init(&r);
	r.tool_version = xstrdup("0.1.0");
	struct target_result *t = report_add_target(&r);
	t->input = xstrdup("mx.example.com");
	t->started_wall_us = T0;
	t->facts.chain = xcalloc(1, sizeof *t->facts.chain);
	t->facts.chain_len = 1;
	cert_fill(&t->facts.chain[0], "CN=a", "CN=b", "0A", leaf_sha1, 4);
	tr_at(&t->tr, 10, TR_RECV, "220 hi");
	tr_at(&t->tr, 20, TR_EVENT, "TLS handshake failed");
	char *s = render_mem(render_log, &r, false, false);
	static const char *const lines[] = {
		"<220 hi",
		"*TLS handshake failed",
		"*Received certificate",
		"*CN=a, Certificate subject",
		"*CN=b, Certificate issuer name",
		"*0A, Certificate serial number",
		"*DC27B5F8657F84B15B5004BE63CE482721871582, Certificate thumbprint",
		"*, Certificate alternate names",
	};
	const char *last = assert_lines_in_order(s, lines, ARRAY_LEN(lines));
	assert_string_equal(last, "*, Certificate alternate names\n");
	assert_null(strstr(s, "Sending certificate"));
	free(s);
	report_clear(&r);
}

/* ---- text ---------------------------------------------------------- */

static void test_text_plain(void **state)
{
	char *s = render_mem(render_text, *state, false, false);
	assert_null(strchr(s, '\x1b'));
	assert_non_null(strstr(s, "== mx.example.com  [192.0.2.10]  tested  1 connection  0.412s\n"));
	assert_non_null(strstr(s, "EHLO         250, 3 extensions\n"));
	assert_non_null(strstr(s, "STARTTLS     accepted (220 2.0.0 Ready to start TLS)"));
	assert_non_null(strstr(s, "TLS1.3 TLS_AES_256_GCM_SHA384, group X25519"));
	assert_non_null(strstr(s, "CN=mx.example.com\n"));
	assert_non_null(strstr(s, "2027-01-01T00:00:00Z"));
	assert_non_null(strstr(s, "    [PASS] STARTTLS is offered  (starttls.offered)\n"));
	assert_non_null(strstr(s, "    [WARN] No OCSP staple  (tls.no-ocsp-staple)\n"));
	assert_non_null(strstr(s, "           protocol=TLS1.3\n"));
	assert_non_null(strstr(s, "           Remedy: Enable OCSP stapling.\n"));
	assert_non_null(strstr(s, "    [ERR ] The target could not be reached  (target.unreachable)\n"
				  "           Connection refused.\n"));
	assert_non_null(strstr(s, "failed at    TCP connect: connection refused"));
	/* a passed finding's detail only when verbose; no transcript either */
	assert_null(strstr(s, "RFC 3207 section 4"));
	assert_null(strstr(s, "+0.003s"));
	assert_non_null(strstr(s, "Summary: 1 pass, 0 info, 1 warn, 0 fail, 1 error in 2 targets\n"));
	free(s);
}

static void test_text_verbose(void **state)
{
	char *s = render_mem(render_text, *state, false, true);
	assert_null(strchr(s, '\x1b'));
	assert_non_null(strstr(s, "  +0.003s < 220 mx.example.com ESMTP\n"));
	assert_non_null(strstr(s, "  +0.003s > EHLO probe.example.org\n"));
	assert_non_null(strstr(s, "  +0.028s * TLS handshake complete"));
	assert_non_null(strstr(s, "Reference: RFC 3207 section 4"));
	free(s);
}

static void test_text_color(void **state)
{
	char *s = render_mem(render_text, *state, true, false);
	assert_non_null(strchr(s, '\x1b'));
	assert_non_null(strstr(s, "\x1b[32m[PASS]\x1b[0m"));
	assert_non_null(strstr(s, "\x1b[33m[WARN]\x1b[0m"));
	assert_non_null(strstr(s, "\x1b[35m[ERR ]\x1b[0m"));
	assert_non_null(strstr(s, "\x1b[1m== mx.example.com"));
	free(s);
}

/* Control bytes from a hostile peer must not reach the terminal. */
static void test_text_strips_control(void **state)
{
	(void)state;
	struct report r;
	report_init(&r);
	struct target_result *t = report_add_target(&r);
	t->input = xstrdup("evil.example");
	t->facts.attempted = true;
	t->facts.connected = true;
	reply_set(&t->facts.banner, 220, "", "evil \x1b[2J banner");
	struct probe_result *pr = target_add_probe(t, "banner", "Banner");
	struct finding *fd = probe_result_add(pr, "banner.odd", SEV_WARN, "odd\x1b]0;title\a");
	finding_set_detail(fd, "line one\nline two");
	char *s = render_mem(render_text, &r, false, false);
	assert_null(strchr(s, '\x1b'));
	assert_null(strchr(s, '\a'));
	assert_non_null(strstr(s, "evil ?[2J banner"));
	assert_non_null(strstr(s, "           line one\n           line two\n"));
	free(s);
	report_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log, setup, teardown),
		cmocka_unit_test(test_log_certs_at_end),
		cmocka_unit_test_setup_teardown(test_text_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_verbose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_color, setup, teardown),
		cmocka_unit_test(test_text_strips_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
