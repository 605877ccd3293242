/* \summary: the JSON report read back into the model (report/json_load.c):
 * a report built by hand with every part the schema has (session, TLS,
 * staples, client-certificate request, chain, findings with evidence,
 * transcript, a domain with its MX list and fates) goes out as JSON, comes
 * back, and goes out again byte for byte the same; so do the shipped
 * samples; broken input is refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "report/domain.h"
#include "report/json_load.h"
#include "report/model.h"
#include "report/render.h"
#include "report/tls_enum.h"
#include "report/wire_model.h"
#include "util/err.h"

#define T0 1795341209123000LL /* 2026-11-22T09:53:29.123Z */

static void reply_set(struct reply_info *r, int code, const char *enh, const char *text)
{
	r->code = code;
	snprintf(r->enh, sizeof r->enh, "%s", enh);
	r->text = xstrdup(text);
}

static void cert_fill(struct cert_info *ci, const char *subject, const char *issuer, int64_t nb, int64_t na)
{
	ci->subject = xstrdup(subject);
	ci->issuer = xstrdup(issuer);
	ci->serial_hex = xstrdup("0A1B2C");
	ci->sha1_hex = xstrdup("DC27B5F8657F84B15B5004BE63CE482721871582");
	ci->sha256_hex = xstrdup("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
	strvec_push(&ci->san_dns, "mail.example.test");
	strvec_push(&ci->san_dns, "*.example.test");
	strvec_push(&ci->san_ip, "127.0.0.1");
	strvec_push(&ci->san_other, "email:postmaster@example.test");
	ci->not_before = nb;
	ci->not_after = na;
	ci->key_type = xstrdup("ECDSA");
	ci->key_bits = 256;
	ci->sig_alg = xstrdup("ECDSA-SHA256");
	ci->der_len = 100;
	ci->der = xmalloc(ci->der_len);
	for (size_t i = 0; i < ci->der_len; i++)
		ci->der[i] = (unsigned char)(i * 7);
}

/* The second handshake (core/served.h): an RSA certificate, then an alert. */
static void other_key(struct target_result *t)
{
	t->more_sessions = xcalloc(1, sizeof *t->more_sessions);
	t->n_more_sessions = 1;
	t->other_key_session = 1;
	t->other_key_wanted = "RSA";
	t->other_key_tried = true;
	struct session_facts *o = &t->more_sessions[0];
	o->tls_alert = o->late_alert = -1;
	o->tls_ok = false;
	o->failed_step = STEP_HANDSHAKE;
	o->fail_detail = xstrdup("alert 40");
	o->tls.protocol = xstrdup("TLS1.3");
	o->tls.cipher_suite = xstrdup("TLS_AES_128_GCM_SHA256");
	o->tls_error = xstrdup("GNUTLS_E_FATAL_ALERT_RECEIVED");
	o->tls_error_text = xstrdup("A TLS fatal alert has been received.");
	o->tls_alert = 40;
	o->tls_alert_name = xstrdup("Handshake failed");
	o->chain_len = 1;
	o->chain = xcalloc(1, sizeof *o->chain);
	cert_fill(&o->chain[0], "CN=mx1.example.test (RSA)", "CN=Example CA,O=Example", 1767225600, 1798761600);
}

/* The enumeration (report/tls_enum.h): two versions, a DHE prime, groups. */
static void enumeration(struct target_result *t)
{
	struct tls_enum *e = xcalloc(1, sizeof *e);
	t->tls_enum = e;
	e->connections = 17;
	e->stopped = xstrdup("421 too many connections");
	e->highest = 4; /* HV_TLS12 */
	e->fallback_scsv = 1;
	struct enum_version *v = &e->v[4];
	v->tested = v->accepted = v->complete = v->reneg_info = v->ems = true;
	v->order = ORDER_SERVER;
	v->n_suites = 2;
	v->suites = xcalloc(2, sizeof *v->suites);
	v->suites[0].code = 0xC02B;
	v->suites[0].group = xstrdup("x25519");
	v->suites[1].code = 0x009E;
	v->suites[1].dh_bits = 2048;
	v->suites[1].dh_prime_name = xstrdup("ffdhe2048");
	e->v[1].tested = true; /* SSLv3 refused */
	e->v[1].refusal = xstrdup("alert 40 handshake_failure");
	e->n_groups = 2;
	e->groups = xcalloc(2, sizeof *e->groups);
	e->groups[0] = (struct enum_group){ 0x001D, xstrdup("x25519"), 253, false };
	e->groups[1] = (struct enum_group){ 0x0100, xstrdup("ffdhe2048"), 2048, true };
	e->groups_complete = true;
	e->groups_via = "TLS1.2 ServerKeyExchange";
	e->dh_bits = 2048;
	e->dh_prime_name = xstrdup("ffdhe2048");
	e->dh_suite = 0x009E;
}

/* What the wire showed (report/wire_model.h): one session with both hellos. */
static void wire(struct target_result *t)
{
	struct wire_summary *w = wire_summary_new();
	t->wire = w;
	w->link_type = xstrdup("EN10MB");
	w->filter = xstrdup("host 127.0.0.1 and tcp port 25");
	w->error = xstrdup("packet 12: truncated");
	w->packets = 30;
	w->packets_skipped = 1;
	w->tcp_connections = 2;
	w->mail_sessions = 1;
	w->n = w->cap = 1;
	w->s = xcalloc(1, sizeof *w->s);
	struct wire_session *s = &w->s[0];
	s->client = xstrdup("127.0.0.1:40000");
	s->server = xstrdup("127.0.0.1:25");
	s->protocol = xstrdup("smtp");
	s->tls_mode = xstrdup("starttls");
	s->ehlo_name = xstrdup("client.example.test");
	strvec_push(&s->capabilities, "STARTTLS");
	s->tls_version = xstrdup("TLS1.2");
	s->cipher_suite = xstrdup("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	struct wire_hello *h = &s->client_hello;
	h->seen = true;
	h->version = xstrdup("TLS1.2");
	strvec_push(&h->versions, "TLS1.3");
	strvec_push(&h->suites, "TLS_AES_128_GCM_SHA256");
	h->sni = xstrdup("mx1.example.test");
	strvec_push(&h->groups, "x25519");
	strvec_push(&h->key_shares, "x25519");
	strvec_push(&h->extensions, "server_name");
	memset(h->random_hex, 'a', 64);
	s->server_hello.seen = s->server_hello.hello_retry = true;
	strvec_push(&s->cert_subjects, "CN=mx1.example.test");
	strvec_push(&s->cert_subjects, "CN=Example CA");
	strvec_push(&s->cert_sha256, "0011");
	strvec_push(&s->error_replies, "454 4.7.0 later");
	s->last_reply = xstrdup("221 Bye");
	strvec_push(&s->credentials, "AUTH PLAIN (user alice)");
	s->plaintext_after_starttls = true;
	s->plaintext_dir = xstrdup("server");
	s->plaintext_offset = 120;
	s->plaintext_bytes = xstrdup("250 injected");
	s->start_wall_us = T0;
	s->duration_us = 5000;
	s->packets = 29;
	s->bytes_c2s = 900;
	s->bytes_s2c = 3000;
	s->round_trips = 7;
	s->connect_us = 100;
	s->greeting_us = 700;
	s->ehlo_us = s->starttls_us = -1;
	s->handshake_us = 2000;
	s->gap_bytes = 3;
	s->truncated = s->handshake_seen = s->closed = true;
}

static void full_target(struct report *r)
{
	struct target_result *t = report_add_target(r);
	t->input = xstrdup("mx1.example.test");
	t->scheme = xstrdup("smtp");
	t->host = xstrdup("127.0.0.1");
	t->port = 25;
	t->address = xstrdup("127.0.0.1");
	t->started_wall_us = T0;
	t->duration_us = 12345;
	t->connections = 2;
	t->domain = xstrdup("example.test");
	t->mx_host = xstrdup("mx1.example.test");
	t->mx_pref = 10;
	struct session_facts *f = &t->facts;
	f->attempted = f->connected = true;
	f->remote = xstrdup("127.0.0.1:25");
	f->local = xstrdup("127.0.0.1:40000");
	f->connect_us = 250;
	reply_set(&f->banner, 220, "", "mx1.example.test ESMTP");
	f->banner_wait_us = 1000;
	reply_set(&f->ehlo, 250, "", "mx1.example.test\nPIPELINING\nSTARTTLS");
	f->caps_plain.valid = true;
	f->caps_plain.greeting = xstrdup("mx1.example.test");
	f->caps_plain.starttls = f->caps_plain.pipelining = true;
	f->caps_plain.size_present = true;
	f->caps_plain.size = 10240000;
	strvec_push(&f->caps_plain.lines, "PIPELINING");
	strvec_push(&f->caps_plain.lines, "STARTTLS");
	strvec_push(&f->caps_plain.unknown, "X-ODD");
	f->starttls = STARTTLS_ACCEPTED;
	reply_set(&f->starttls_reply, 220, "2.0.0", "Ready to start TLS");
	f->after_starttls = xstrdup("250 injected\\r\\n");
	f->after_starttls_len = 14;
	f->tls_attempted = f->tls_ok = true;
	struct tls_params *tp = &f->tls;
	tp->protocol = xstrdup("TLS1.2");
	tp->cipher_suite = xstrdup("TLS_ECDHE_ECDSA_AES_128_GCM_SHA256");
	tp->cipher = xstrdup("AES-128-GCM");
	tp->cipher_bits = 128;
	tp->mac = xstrdup("AEAD");
	tp->kx = xstrdup("ECDHE-ECDSA");
	tp->group = xstrdup("X25519");
	tp->server_sig_alg = xstrdup("ECDSA-SECP256R1-SHA256");
	tp->sni = xstrdup("mx1.example.test");
	tp->ext_master_secret = tp->safe_renegotiation = tp->ocsp_stapled = tp->cert_requested = true;
	tp->handshake_us = 4321;
	tp->n_staples = 2;
	tp->staples = xcalloc(2, sizeof *tp->staples);
	tp->staples[0].len = 5;
	tp->staples[0].der = xmalloc(5);
	memcpy(tp->staples[0].der, "\x30\x03\x0a\x01\x00", 5);
	strvec_push(&tp->ccert_ca_names, "CN=Example CA,O=Example");
	strvec_push(&tp->ccert_types, "ECDSA");
	strvec_push(&tp->ccert_sig_algs, "ECDSA-SHA256");
	tp->ccert_sent = true;
	f->chain_len = 2;
	f->chain = xcalloc(2, sizeof *f->chain);
	cert_fill(&f->chain[0], "CN=mx1.example.test", "CN=Example CA,O=Example", 1767225600, 1798761600);
	cert_fill(&f->chain[1], "CN=Example CA,O=Example", "CN=Example CA,O=Example", 1700000000, 1900000000);
	f->chain[1].is_ca = f->chain[1].self_signed = true;
	f->client_chain_len = 1;
	f->client_chain = xcalloc(1, sizeof *f->client_chain);
	cert_fill(&f->client_chain[0], "CN=us.example.test", "CN=Example CA,O=Example", 1767225600, 1798761600);
	reply_set(&f->ehlo_tls, 250, "", "mx1.example.test\nAUTH PLAIN");
	f->caps_tls.valid = f->caps_tls.auth = true;
	strvec_push(&f->caps_tls.auth_mechs, "PLAIN");
	reply_set(&f->quit, 221, "2.0.0", "Bye");
	f->quit_ok = true;
	f->slow = true;
	f->slow_step = STEP_BANNER;
	f->slow_us = 2500000;
	reply_set(&f->r421, 421, "4.3.2", "shutting down");
	f->r421_step = STEP_EHLO_TLS;
	f->late_alert = 116;
	struct probe_result *pr = target_add_probe(t, "starttls", "STARTTLS offered and accepted");
	pr->duration_us = 1;
	struct finding *fd = probe_result_add(pr, "starttls.offered", SEV_PASS, "STARTTLS is offered");
	finding_add_ev(fd, "reply", "220 2.0.0 Ready");
	finding_add_ev(fd, "ehlo", "250-STARTTLS");
	fd = probe_result_add(pr, "wire.plaintext-after-starttls", SEV_FAIL, "bytes after the 220");
	finding_set_detail(fd, "14 bytes followed the STARTTLS reply");
	finding_set_remedy(fd, "fix the server");
	finding_set_rfc(fd, "RFC 3207 section 4.2");
	pr = target_add_probe(t, "cert", "The certificate");
	pr->duration_us = 999;
	probe_result_add(pr, "cert.expired", SEV_WARN, "expires in 3 days");
	transcript_add(&t->tr, TR_EVENT, "Connected to 127.0.0.1:25");
	transcript_add(&t->tr, TR_RECV, "220 mx1.example.test ESMTP");
	transcript_add(&t->tr, TR_SENT, "EHLO client.example.test");
	for (size_t i = 0; i < t->tr.n; i++)
		t->tr.e[i].t_us = (int64_t)i * 1500;
	f->banner_first_byte_us = 700;
	f->banner_trickled = true;
	f->banner_partial = xstrdup("220 mx1.exa");
	f->banner_partial_len = strlen(f->banner_partial);
	other_key(t);
	enumeration(t);
	wire(t);
}

static void untestable_target(struct report *r)
{
	struct target_result *t = report_add_target(r);
	t->input = xstrdup("[::1]:2525");
	t->scheme = xstrdup("smtp");
	t->host = xstrdup("::1");
	t->port = 2525;
	t->mx_pref = -1;
	t->status = TARGET_UNTESTABLE;
	t->started_wall_us = T0 + 5000;
	t->facts.failed_step = STEP_CONNECT;
	t->facts.fail_err = -MX_E_REFUSED;
	t->facts.fail_detail = xstrdup("connection refused");
	t->facts.tls_error = xstrdup("GNUTLS_E_FATAL_ALERT_RECEIVED");
	t->facts.tls_error_text = xstrdup("A TLS fatal alert has been received.");
	t->facts.tls_alert = 40;
	t->facts.tls_alert_name = xstrdup("Handshake failed");
	struct probe_result *pr = target_add_probe(t, "session", "The standard session");
	probe_result_add(pr, "connect.failed", SEV_ERROR, "no connection");
}

static void full_domain(struct report *r)
{
	struct domain_result *d = report_add_domain(r, "example.test");
	d->kind = DOMAIN_MX;
	d->dnssec = DNSSEC_SECURE;
	struct mx_host *h = domain_add_mx(d, 10, "mx1.example.test");
	h->dnssec_a = DNSSEC_SECURE;
	h->dnssec_aaaa = DNSSEC_INSECURE;
	struct mx_address *a = mx_host_add_address(h, "127.0.0.1", AF_INET, DNSSEC_SECURE);
	a->target = 0;
	a->evaluated = true;
	a->pass = false;
	for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
		a->fate[p] = p < 2 ? FATE_TLS : FATE_DEFER;
		a->fate_reason[p] = p < 2 ? NULL : xstrdup("wire.plaintext-after-starttls");
	}
	h = domain_add_mx(d, 20, "mx2.example.test");
	h->error = xstrdup("SERVFAIL");
	a = mx_host_add_address(h, "::1", AF_INET6, DNSSEC_BOGUS);
	(void)a;
	d->verdict = VERDICT_FAIL;
	domain_add_break(d, "mx1.example.test", "127.0.0.1", "wire.plaintext-after-starttls");
	domain_add_break(d, "mx2.example.test", NULL, "SERVFAIL");
	for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
		d->fate[p] = p < 2 ? FATE_TLS : FATE_DEFER;
		d->safe[p] = p < 2;
	}
	d = report_add_domain(r, "partner.test");
	d->policy = xstrdup("domain-secure");
	d->kind = DOMAIN_NULL_MX;
	d->verdict = VERDICT_NO_MAIL;
	d = &r->domains[0];
	struct finding *fd = probe_result_add(&d->checks, "domain.inconsistent", SEV_WARN, "MX hosts differ");
	finding_add_ev(fd, "mx1", "TLS1.2");
}

static char *json_of(const struct report *r, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	assert_non_null(fp);
	struct render_opts ro = { 0 };
	assert_int_equal(render_json(fp, r, &ro), 0);
	fclose(fp);
	return buf;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct report r;
	report_init(&r);
	r.tool_version = xstrdup("0.1.0");
	r.policy = xstrdup("secure");
	r.ehlo_name = xstrdup("client.example.test");
	r.started_wall_us = T0;
	r.duration_us = 20001;
	full_target(&r);
	untestable_target(&r);
	full_domain(&r);
	size_t len1, len2;
	char *j1 = json_of(&r, &len1);

	struct report back;
	char err[256] = "";
	assert_int_equal(report_load_json(j1, len1, &back, err, sizeof err), 0);
	char *j2 = json_of(&back, &len2);
	assert_string_equal(j2, j1);

	/* A few values straight from the model, not only through the JSON. */
	assert_int_equal(back.n, 2);
	const struct target_result *t = back.t[0];
	assert_int_equal(t->started_wall_us, T0);
	assert_int_equal(t->facts.chain_len, 2);
	assert_int_equal(t->facts.chain[0].der_len, 100);
	assert_memory_equal(t->facts.chain[0].der, r.t[0]->facts.chain[0].der, 100);
	assert_int_equal(t->facts.chain[0].not_after, 1798761600);
	assert_int_equal(t->facts.tls.staples[0].len, 5);
	assert_true(t->facts.tls.cert_requested);
	assert_string_equal(t->facts.tls.ccert_ca_names.v[0], "CN=Example CA,O=Example");
	assert_int_equal(t->probes[0].f[1].sev, SEV_FAIL);
	assert_string_equal(t->probes[0].f[0].ev[1].key, "ehlo");
	assert_int_equal(t->tr.n, 3);
	assert_int_equal(t->tr.e[2].kind, TR_SENT);
	assert_int_equal(t->facts.banner_first_byte_us, 700);
	assert_true(t->facts.banner_trickled);
	assert_int_equal(t->other_key_session, 1);
	assert_string_equal(t->other_key_wanted, "RSA");
	assert_int_equal(t->more_sessions[0].chain_len, 1);
	assert_int_equal(t->more_sessions[0].tls_alert, 40);
	assert_non_null(t->tls_enum);
	assert_int_equal(t->tls_enum->v[4].suites[1].code, 0x009E);
	assert_int_equal(t->tls_enum->dh_suite, 0x009E);
	assert_int_equal(t->tls_enum->groups[1].code, 0x0100);
	assert_non_null(t->wire);
	assert_int_equal(t->wire->s[0].start_wall_us, T0);
	assert_int_equal(t->wire->s[0].ehlo_us, -1);
	assert_int_equal(t->wire->s[0].cert_sha256.n, 1);
	assert_null(back.t[1]->tls_enum);
	assert_null(back.t[1]->wire);
	assert_int_equal(back.t[1]->other_key_session, 0);
	assert_int_equal(back.t[1]->status, TARGET_UNTESTABLE);
	assert_int_equal(back.t[1]->facts.fail_err, -MX_E_REFUSED);
	assert_int_equal(back.ndomains, 2);
	assert_null(back.domains[0].policy);
	assert_string_equal(back.domains[1].policy, "domain-secure");
	assert_int_equal(back.domains[0].mx[0].addr[0].target, 0);
	assert_int_equal(back.domains[0].mx[0].addr[0].fate[4], FATE_DEFER);
	size_t c1[5], c2[5];
	report_count(&r, c1);
	report_count(&back, c2);
	assert_memory_equal(c1, c2, sizeof c1);

	free(j1);
	free(j2);
	report_clear(&back);
	report_clear(&r);
}

/* The shipped samples were written by render_json: they come back whole. */
static void test_samples(void **state)
{
	(void)state;
	static const char *const files[] = { "samples/lab.json", "samples/postfix-good.json" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		struct report r;
		char err[512] = "";
		int rc = report_load_json_file(files[i], &r, err, sizeof err);
		if (rc < 0)
			fail_msg("%s", err);
		size_t len;
		char *out = json_of(&r, &len);
		FILE *fp = fopen(files[i], "rb");
		assert_non_null(fp);
		char *orig = xmalloc(len + 2);
		size_t n = fread(orig, 1, len + 1, fp);
		fclose(fp);
		orig[n] = '\0';
		assert_int_equal(n, len);
		assert_string_equal(out, orig);
		free(orig);
		free(out);
		report_clear(&r);
	}
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *why;
	} rows[] = {
		{ "", "not JSON" },
		{ "{\"schema\": \"mxprobe/1\", ", "not JSON" },
		{ "[1, 2]", "not an mxprobe report" },
		{ "{\"schema\": \"mxprobe/2\", \"targets\": []}", "not an mxprobe report" },
		{ "{\"schema\": \"mxprobe/1\"}", "\"targets\" is not an array" },
		{ "{\"schema\": \"mxprobe/1\", \"targets\": [1]}", "a target is not an object" },
		{ "{\"schema\": \"mxprobe/1\", \"targets\": [{\"probes\": {}}]}", "\"probes\" is not an array" },
		{ "{\"schema\": \"mxprobe/1\", \"targets\": [{\"probes\": [{\"findings\": [\"x\"]}]}]}",
		  "a finding is not an object" },
		{ "{\"schema\": \"mxprobe/1\", \"schema\": \"mxprobe/1\", \"targets\": []}", "not JSON" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct report r;
		char err[256] = "";
		assert_int_equal(report_load_json(rows[i].json, strlen(rows[i].json), &r, err, sizeof err), -1);
		if (!strstr(err, rows[i].why))
			fail_msg("row %zu: '%s' does not say '%s'", i, err, rows[i].why);
		report_clear(&r);
	}
	struct report r;
	char err[256];
	assert_int_equal(report_load_json_file("/nonexistent/report.json", &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/report.json"));
	report_clear(&r);
}

/* Mistyped optional members read as absent; hostile strings stay strings. */
static void test_lenient(void **state)
{
	(void)state;
	static const char j[] = "{\"schema\": \"mxprobe/1\", \"targets\": [{\"input\": 5, \"port\": 70000,"
				" \"session\": {\"banner\": {\"code\": \"x\", \"text\": \"\\u001b[2J\"}},"
				" \"chain\": [{\"pem\": \"not base64\", \"not_after\": \"yesterday\"}],"
				" \"transcript\": [{\"kind\": \"odd\", \"text\": \"\\u0007\"}, 3]}]}";
	struct report r;
	char err[256] = "";
	assert_int_equal(report_load_json(j, strlen(j), &r, err, sizeof err), 0);
	assert_int_equal(r.n, 1);
	assert_null(r.t[0]->input);
	assert_int_equal(r.t[0]->port, 0);
	assert_int_equal(r.t[0]->facts.banner.code, 0);
	assert_string_equal(r.t[0]->facts.banner.text, "\x1b[2J");
	assert_int_equal(r.t[0]->facts.chain_len, 1);
	assert_int_equal(r.t[0]->facts.chain[0].der_len, 0);
	assert_int_equal(r.t[0]->tr.n, 1);
	assert_int_equal(r.t[0]->tr.e[0].kind, TR_EVENT);
	report_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lenient),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
