/* \summary: the JSON report read back into the results model (the inverse
 * of json.c and json_domain.c), so a saved run can be shown again.
 *
 * specification: docs/mxprobe.schema.json. The file is untrusted input:
 * every member is looked up by name and type-checked; a missing or
 * mistyped optional member reads as absent, a mistyped structural one
 * (targets, probes, findings) fails the load. Strings are kept as the
 * JSON has them; renderers escape them for their own output. */
#include "report/json_load.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/options.h"
#include "pki/dane.h"
#include "report/domain.h"
#include "report/tls_enum.h"
#include "report/wire_model.h"
#include "tls/hello.h"
#include "util/err.h"

#define LOAD_MAX_BYTES (256u << 20)

struct loader {
	char *err;
	size_t errlen;
	bool failed;
};

static void load_fail(struct loader *l, const char *what)
{
	if (!l->failed)
		snprintf(l->err, l->errlen, "%s", what);
	l->failed = true;
}

/* ---- scalars ------------------------------------------------------- */

static const char *gs(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static char *ds(const json_t *o, const char *k)
{
	return xstrdup(gs(o, k));
}

static bool gb(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static int64_t gi(const json_t *o, const char *k, int64_t dflt)
{
	const json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* Milliseconds (three decimals) back to microseconds. */
static int64_t gms(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return 0;
	double ms = json_number_value(v);
	if (!(ms > -9e12 && ms < 9e12))
		return 0;
	double us = ms * 1000.0;
	return (int64_t)(us >= 0 ? us + 0.5 : us - 0.5);
}

/* "2026-11-22T09:53:29Z" or "...29.123Z": microseconds since the epoch. */
static int64_t parse_iso_us(const char *s)
{
	if (!s)
		return 0;
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	time_t secs = timegm(&tm);
	/* mxprobe never ran before the epoch; fmt_iso8601_ms prints only
	 * times after it (a negative one would not read back the same). */
	if (secs < 0)
		return 0;
	int64_t us = (int64_t)secs * 1000000;
	if (*end == '.') {
		int64_t scale = 100000;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			us += (*end - '0') * scale;
	}
	return us;
}

static int64_t giso_s(const json_t *o, const char *k)
{
	return parse_iso_us(gs(o, k)) / 1000000;
}

static void gstrvec(const json_t *o, const char *k, struct strvec *sv)
{
	const json_t *a = json_object_get(o, k);
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v) if (json_is_string(v)) strvec_push(sv, json_string_value(v));
}

/* A name back to its enum value through the function that names it. */
static int lookup(const char *s, const char *(*name)(int), int n, int dflt)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, name(i)) == 0)
			return i;
	return dflt;
}

static const char *sev_n(int i)
{
	return severity_name((enum severity)i);
}
static const char *step_n(int i)
{
	return session_step_id((enum session_step)i);
}
static const char *fate_n(int i)
{
	return mail_fate_id((enum mail_fate)i);
}
static const char *dnssec_n(int i)
{
	return dnssec_status_name((enum dnssec_status)i);
}
static const char *kind_n(int i)
{
	return domain_mx_kind_id((enum domain_mx_kind)i);
}
static const char *verdict_n(int i)
{
	return domain_verdict_id((enum domain_verdict)i);
}
static const char *policy_n(int i)
{
	return policy_name((enum policy)i);
}

static const char *const starttls_ids[] = { "not-applicable", "not-offered", "accepted", "refused", "broken" };
static const char *starttls_n(int i)
{
	return starttls_ids[i];
}

static const char *const tr_kind_ids[] = { "sent", "recv", "event" };
static const char *tr_kind_n(int i)
{
	return tr_kind_ids[i];
}

/* ---- model pieces -------------------------------------------------- */

static void lreply(const json_t *o, struct reply_info *r)
{
	if (!json_is_object(o))
		return;
	r->code = (int)gi(o, "code", 0);
	snprintf(r->enh, sizeof r->enh, "%s", gs(o, "enhanced") ? gs(o, "enhanced") : "");
	r->text = ds(o, "text");
}

static void lcaps(const json_t *o, struct smtp_caps *c)
{
	if (!json_is_object(o))
		return;
	c->valid = true;
	c->greeting = ds(o, "greeting");
	c->starttls = gb(o, "starttls");
	c->pipelining = gb(o, "pipelining");
	c->eightbitmime = gb(o, "8bitmime");
	c->chunking = gb(o, "chunking");
	c->binarymime = gb(o, "binarymime");
	c->smtputf8 = gb(o, "smtputf8");
	c->dsn = gb(o, "dsn");
	c->enhancedstatuscodes = gb(o, "enhancedstatuscodes");
	c->requiretls = gb(o, "requiretls");
	c->etrn = gb(o, "etrn");
	c->auth = gb(o, "auth");
	const json_t *size = json_object_get(o, "size");
	c->size_present = json_is_integer(size);
	c->size = c->size_present && json_integer_value(size) > 0 ? (uint64_t)json_integer_value(size) : 0;
	gstrvec(o, "auth_mechanisms", &c->auth_mechs);
	gstrvec(o, "unknown", &c->unknown);
	gstrvec(o, "lines", &c->lines);
}

static void lcert(const json_t *o, struct cert_info *ci)
{
	if (!json_is_object(o))
		return;
	ci->subject = ds(o, "subject");
	ci->issuer = ds(o, "issuer");
	ci->serial_hex = ds(o, "serial");
	ci->sha1_hex = ds(o, "sha1");
	ci->sha256_hex = ds(o, "sha256");
	gstrvec(o, "san_dns", &ci->san_dns);
	gstrvec(o, "san_ip", &ci->san_ip);
	gstrvec(o, "san_other", &ci->san_other);
	ci->not_before = giso_s(o, "not_before");
	ci->not_after = giso_s(o, "not_after");
	ci->key_type = ds(o, "key_type");
	int64_t bits = gi(o, "key_bits", 0);
	ci->key_bits = bits > 0 && bits < 1000000 ? (unsigned)bits : 0;
	ci->sig_alg = ds(o, "signature_algorithm");
	ci->is_ca = gb(o, "is_ca");
	ci->self_signed = gb(o, "self_signed");
	const char *pem = gs(o, "pem");
	if (pem) {
		gnutls_datum_t in = { .data = (unsigned char *)(uintptr_t)pem, .size = (unsigned)strlen(pem) };
		gnutls_datum_t der = { NULL, 0 };
		if (gnutls_pem_base64_decode2("CERTIFICATE", &in, &der) >= 0 && der.size) {
			ci->der = xmalloc(der.size);
			memcpy(ci->der, der.data, der.size);
			ci->der_len = der.size;
		}
		gnutls_free(der.data);
	}
}

static void lchain(const json_t *a, struct cert_info **out, size_t *n)
{
	size_t len = json_array_size(a);
	if (!len)
		return;
	*out = xcalloc(len, sizeof **out);
	*n = len;
	for (size_t i = 0; i < len; i++)
		lcert(json_array_get(a, i), &(*out)[i]);
}

static void lstaples(const json_t *a, struct tls_params *t)
{
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v)
	{
		int64_t idx = gi(v, "certificate", -1);
		const char *b64 = gs(v, "base64");
		if (idx < 0 || idx > 64 || !b64)
			continue;
		gnutls_datum_t in = { .data = (unsigned char *)(uintptr_t)b64, .size = (unsigned)strlen(b64) };
		gnutls_datum_t der = { NULL, 0 };
		if (gnutls_base64_decode2(&in, &der) < 0 || !der.size) {
			gnutls_free(der.data);
			continue;
		}
		if ((size_t)idx >= t->n_staples) {
			t->staples = xrealloc(t->staples, ((size_t)idx + 1) * sizeof *t->staples);
			memset(t->staples + t->n_staples, 0, ((size_t)idx + 1 - t->n_staples) * sizeof *t->staples);
			t->n_staples = (size_t)idx + 1;
		}
		free(t->staples[idx].der);
		t->staples[idx].der = xmalloc(der.size);
		memcpy(t->staples[idx].der, der.data, der.size);
		t->staples[idx].len = der.size;
		gnutls_free(der.data);
	}
}

static void ltls(const json_t *o, struct tls_params *t)
{
	if (!json_is_object(o))
		return;
	t->protocol = ds(o, "protocol");
	t->cipher_suite = ds(o, "cipher_suite");
	t->cipher = ds(o, "cipher");
	t->cipher_bits = (unsigned)gi(o, "cipher_bits", 0);
	t->mac = ds(o, "mac");
	t->kx = ds(o, "kx");
	t->group = ds(o, "group");
	t->dh_bits = (unsigned)gi(o, "dh_bits", 0);
	t->server_sig_alg = ds(o, "server_signature_algorithm");
	t->sni = ds(o, "sni");
	t->resumed = gb(o, "resumed");
	t->ext_master_secret = gb(o, "extended_master_secret");
	t->safe_renegotiation = gb(o, "safe_renegotiation");
	t->ocsp_stapled = gb(o, "ocsp_stapled");
	t->cert_requested = gb(o, "certificate_requested");
	t->handshake_us = gms(o, "handshake_ms");
	lstaples(json_object_get(o, "ocsp_staples"), t);
}

static void lsession(const json_t *o, struct session_facts *f)
{
	if (!json_is_object(o))
		return;
	f->remote = ds(o, "remote");
	f->local = ds(o, "local");
	f->connected = gb(o, "connected");
	f->connect_us = gms(o, "connect_ms");
	f->failed_step = (enum session_step)lookup(gs(o, "failed_step"), step_n, STEP_QUIT + 1, STEP_NONE);
	const char *e = gs(o, "error");
	for (int i = 1; e && i < MX_E__COUNT; i++)
		if (strcmp(e, mx_errname(-i)) == 0)
			f->fail_err = -i;
	f->fail_detail = ds(o, "error_detail");
	f->attempted = f->remote || f->failed_step != STEP_NONE;
	lreply(json_object_get(o, "banner"), &f->banner);
	f->banner_wait_us = gms(o, "banner_wait_ms");
	f->used_helo = gb(o, "used_helo");
	lreply(json_object_get(o, "ehlo"), &f->ehlo);
	const json_t *caps = json_object_get(o, "capabilities");
	lcaps(json_object_get(caps, "plain"), &f->caps_plain);
	lcaps(json_object_get(caps, "tls"), &f->caps_tls);
	const json_t *st = json_object_get(o, "starttls");
	f->starttls =
		(enum starttls_state)lookup(gs(st, "state"), starttls_n, (int)ARRAY_LEN(starttls_ids), STARTTLS_BROKEN);
	lreply(json_object_get(st, "reply"), &f->starttls_reply);
	f->after_starttls = ds(st, "bytes_after_reply");
	int64_t after = gi(st, "bytes_after_reply_len", 0);
	f->after_starttls_len = after > 0 ? (size_t)after : 0;
	f->implicit_tls = gb(o, "implicit_tls");
	f->tls_attempted = gb(o, "tls_attempted");
	f->tls_ok = gb(o, "tls_ok");
	ltls(json_object_get(o, "tls"), &f->tls);
	const json_t *te = json_object_get(o, "tls_error");
	if (json_is_object(te)) {
		f->tls_error = ds(te, "error");
		f->tls_error_text = ds(te, "message");
		f->tls_alert = (int)gi(te, "alert", -1);
		f->tls_alert_name = ds(te, "alert_name");
	}
	lreply(json_object_get(o, "ehlo_tls"), &f->ehlo_tls);
	lreply(json_object_get(o, "quit"), &f->quit);
	f->quit_ok = f->quit.code == 221;
	const json_t *r421 = json_object_get(o, "reply_421");
	if (json_is_object(r421)) {
		f->r421_step = (enum session_step)lookup(gs(r421, "step"), step_n, STEP_QUIT + 1, STEP_NONE);
		lreply(json_object_get(r421, "reply"), &f->r421);
	}
	const json_t *slow = json_object_get(o, "slow");
	if (json_is_object(slow)) {
		f->slow = true;
		f->slow_step = (enum session_step)lookup(gs(slow, "step"), step_n, STEP_QUIT + 1, STEP_NONE);
		f->slow_us = gms(slow, "ms");
	}
	const json_t *cr = json_object_get(o, "client_cert_request");
	if (json_is_object(cr)) {
		f->tls.cert_requested = true;
		gstrvec(cr, "ca_names", &f->tls.ccert_ca_names);
		gstrvec(cr, "certificate_types", &f->tls.ccert_types);
		gstrvec(cr, "signature_algorithms", &f->tls.ccert_sig_algs);
		f->tls.ccert_sent = gb(cr, "certificate_sent");
	}
	f->late_alert = (int)gi(o, "alert_after_handshake", -1);
	const json_t *fb = json_object_get(o, "banner_first_byte_ms");
	f->banner_first_byte_us = json_is_number(fb) ? gms(o, "banner_first_byte_ms") : -1;
	f->banner_trickled = gb(o, "banner_trickled");
	f->banner_partial = ds(o, "banner_partial");
	f->banner_partial_len = f->banner_partial ? strlen(f->banner_partial) : 0;
}

/* The second handshake, for the other key type's certificate (core/served.h):
 * kept as the target's one further session. */
static void lother_key(const json_t *o, struct target_result *t)
{
	if (!json_is_object(o))
		return;
	const char *want = gs(o, "asked_for");
	/* The model holds a static name: only the two the engine asks for. */
	t->other_key_wanted = !want			   ? NULL
			      : strcmp(want, "RSA") == 0   ? "RSA"
			      : strcmp(want, "ECDSA") == 0 ? "ECDSA"
							   : NULL;
	t->other_key_tried = true;
	t->more_sessions = xrealloc(t->more_sessions, (t->n_more_sessions + 1) * sizeof *t->more_sessions);
	struct session_facts *f = &t->more_sessions[t->n_more_sessions++];
	memset(f, 0, sizeof *f);
	f->tls_alert = -1;
	f->late_alert = -1;
	f->banner_first_byte_us = -1;
	t->other_key_session = t->n_more_sessions;
	f->attempted = true;
	f->tls_attempted = true;
	f->tls_ok = gb(o, "tls_ok");
	f->failed_step = (enum session_step)lookup(gs(o, "failed_step"), step_n, STEP_QUIT + 1, STEP_NONE);
	f->fail_detail = ds(o, "error_detail");
	ltls(json_object_get(o, "tls"), &f->tls);
	const json_t *te = json_object_get(o, "tls_error");
	if (json_is_object(te)) {
		f->tls_error = ds(te, "error");
		f->tls_error_text = ds(te, "message");
		f->tls_alert = (int)gi(te, "alert", -1);
		f->tls_alert_name = ds(te, "alert_name");
	}
	lchain(json_object_get(o, "chain"), &f->chain, &f->chain_len);
}

/* ---- the enumeration (report/tls_enum.h, render_enum.c) ------------ */

static const char *hv_n(int i)
{
	return hello_version_name((enum hello_version)i);
}
static const char *order_n(int i)
{
	return enum_order_name((enum enum_order)i);
}

/* One version's entry; a version named twice keeps its first (seen: a bit
 * per version already read). */
static void lenum_version(const json_t *o, struct tls_enum *e, unsigned *seen)
{
	int v = lookup(gs(o, "version"), hv_n, ENUM_VERSIONS, -1);
	if (v < 0 || (*seen & (1u << v)))
		return;
	*seen |= 1u << v;
	struct enum_version *ev = &e->v[v];
	ev->tested = gb(o, "tested");
	ev->accepted = gb(o, "accepted");
	ev->refusal = ds(o, "refusal");
	const json_t *suites = json_object_get(o, "suites");
	size_t n = json_array_size(suites);
	if (n) {
		ev->suites = xcalloc(n, sizeof *ev->suites);
		for (size_t i = 0; i < n; i++) {
			const json_t *s = json_array_get(suites, i);
			struct enum_suite *es = &ev->suites[ev->n_suites++];
			int64_t code = gi(s, "code_int", 0);
			es->code = code > 0 && code <= 0xFFFFFF ? (uint32_t)code : 0;
			es->group = ds(s, "group");
			int64_t bits = gi(s, "dh_bits", 0);
			es->dh_bits = bits > 0 && bits < 1000000 ? (unsigned)bits : 0;
			es->dh_prime_name = ds(s, "dh_prime");
		}
	}
	ev->complete = gb(o, "complete");
	ev->order = (enum enum_order)lookup(gs(o, "order"), order_n, ORDER_CLIENT + 1, ORDER_UNKNOWN);
	const json_t *sh = json_object_get(o, "server_hello");
	ev->compression = gb(sh, "compression");
	ev->reneg_info = gb(sh, "renegotiation_info");
	ev->ems = gb(sh, "extended_master_secret");
	ev->etm = gb(sh, "encrypt_then_mac");
	ev->downgrade_sentinel = gb(sh, "downgrade_sentinel");
}

static void lenum(const json_t *o, struct target_result *t)
{
	if (!json_is_object(o))
		return;
	struct tls_enum *e = xcalloc(1, sizeof *e);
	t->tls_enum = e;
	int64_t conns = gi(o, "connections", 0);
	e->connections = conns > 0 && conns < 1000000 ? (unsigned)conns : 0;
	e->stopped = ds(o, "stopped");
	e->highest = lookup(gs(o, "highest"), hv_n, ENUM_VERSIONS, -1);
	const json_t *fb = json_object_get(o, "fallback_scsv_honoured");
	e->fallback_scsv = json_is_boolean(fb) ? json_is_true(fb) : -1;
	size_t i;
	const json_t *v;
	unsigned seen = 0;
	json_array_foreach(json_object_get(o, "versions"), i, v) lenum_version(v, e, &seen);
	const json_t *groups = json_object_get(o, "groups");
	size_t n = json_array_size(groups);
	if (n) {
		e->groups = xcalloc(n, sizeof *e->groups);
		json_array_foreach(groups, i, v)
		{
			struct enum_group *g = &e->groups[e->n_groups++];
			const char *code = gs(v, "code");
			g->code = code ? (uint16_t)strtoul(code, NULL, 16) : 0;
			g->name = xstrdup(gs(v, "name") ? gs(v, "name") : "");
			int64_t bits = gi(v, "bits", 0);
			g->bits = bits > 0 && bits < 1000000 ? (unsigned)bits : 0;
			g->ffdhe = gb(v, "ffdhe");
		}
	}
	e->groups_complete = gb(o, "groups_complete");
	/* The model holds a static name: the two hello_scan.c sets. */
	const char *via = gs(o, "groups_via");
	e->groups_via = !via					       ? NULL
			: strcmp(via, "TLS1.3 key_share") == 0	       ? "TLS1.3 key_share"
			: strcmp(via, "TLS1.2 ServerKeyExchange") == 0 ? "TLS1.2 ServerKeyExchange"
								       : NULL;
	const json_t *dh = json_object_get(o, "dh");
	if (json_is_object(dh)) {
		int64_t bits = gi(dh, "bits", 0);
		e->dh_bits = bits > 0 && bits < 1000000 ? (unsigned)bits : 0;
		e->dh_prime_name = ds(dh, "prime");
		const char *suite = gs(dh, "suite");
		for (const struct tls_suite *s = tls_suite_table; suite && s->iana; s++)
			if (!(s->flags & SUITE_SSL2) && strcmp(s->iana, suite) == 0) {
				e->dh_suite = s->code;
				break;
			}
	}
}

/* ---- the wire summary (report/wire_model.h, json_wire.c) ----------- */

static uint64_t gu(const json_t *o, const char *k)
{
	int64_t v = gi(o, k, 0);
	return v > 0 ? (uint64_t)v : 0;
}

/* Milliseconds or null (-1). */
static int64_t gms_or_absent(const json_t *o, const char *k)
{
	return json_is_number(json_object_get(o, k)) ? gms(o, k) : -1;
}

static void lhello(const json_t *o, struct wire_hello *h)
{
	if (!json_is_object(o))
		return;
	h->seen = true;
	h->version = ds(o, "version");
	gstrvec(o, "supported_versions", &h->versions);
	gstrvec(o, "cipher_suites", &h->suites);
	h->sni = ds(o, "sni");
	gstrvec(o, "alpn", &h->alpn);
	gstrvec(o, "supported_groups", &h->groups);
	gstrvec(o, "key_shares", &h->key_shares);
	gstrvec(o, "extensions", &h->extensions);
	snprintf(h->random_hex, sizeof h->random_hex, "%s", gs(o, "random") ? gs(o, "random") : "");
	h->hello_retry = gb(o, "hello_retry");
}

static void lwire_session(const json_t *o, struct wire_session *s)
{
	s->client = ds(o, "client");
	s->server = ds(o, "server");
	s->protocol = ds(o, "protocol");
	s->tls_mode = ds(o, "tls_mode");
	s->ehlo_name = ds(o, "ehlo_name");
	gstrvec(o, "capabilities", &s->capabilities);
	s->tls_version = ds(o, "tls_version");
	s->cipher_suite = ds(o, "cipher_suite");
	lhello(json_object_get(o, "client_hello"), &s->client_hello);
	lhello(json_object_get(o, "server_hello"), &s->server_hello);
	size_t i;
	const json_t *c;
	bool sha_gap = false;
	json_array_foreach(json_object_get(o, "certificates"), i, c)
	{
		strvec_push(&s->cert_subjects, gs(c, "subject") ? gs(c, "subject") : "");
		/* The renderer pairs them by index: a missing one ends the list. */
		if (!gs(c, "sha256"))
			sha_gap = true;
		if (!sha_gap)
			strvec_push(&s->cert_sha256, gs(c, "sha256"));
	}
	gstrvec(o, "error_replies", &s->error_replies);
	s->last_reply = ds(o, "last_reply");
	gstrvec(o, "credentials_in_clear", &s->credentials);
	const json_t *p = json_object_get(o, "plaintext_after_starttls");
	if (json_is_object(p)) {
		s->plaintext_after_starttls = true;
		s->plaintext_dir = ds(p, "direction");
		s->plaintext_offset = gu(p, "offset");
		s->plaintext_bytes = ds(p, "bytes");
	}
	s->start_wall_us = parse_iso_us(gs(o, "started"));
	s->duration_us = gms_or_absent(o, "duration_ms");
	s->packets = gu(o, "packets");
	s->bytes_c2s = gu(o, "bytes_client");
	s->bytes_s2c = gu(o, "bytes_server");
	int64_t rt = gi(o, "round_trips", 0);
	s->round_trips = rt > 0 && rt < 1000000000 ? (unsigned)rt : 0;
	const json_t *tm = json_object_get(o, "timing_ms");
	s->connect_us = gms_or_absent(tm, "connect");
	s->greeting_us = gms_or_absent(tm, "greeting");
	s->ehlo_us = gms_or_absent(tm, "ehlo");
	s->starttls_us = gms_or_absent(tm, "starttls");
	s->handshake_us = gms_or_absent(tm, "handshake");
	s->gap_bytes = gu(o, "gap_bytes");
	s->truncated = gb(o, "truncated");
	s->handshake_seen = gb(o, "handshake_seen");
	s->closed = gb(o, "closed");
}

static void lwire(const json_t *o, struct target_result *t)
{
	if (!json_is_object(o))
		return;
	struct wire_summary *w = wire_summary_new();
	t->wire = w;
	w->source = ds(o, "source");
	w->link_type = ds(o, "link_type");
	w->filter = ds(o, "filter");
	w->error = ds(o, "error");
	w->packets = gu(o, "packets");
	w->packets_skipped = gu(o, "packets_skipped");
	w->tcp_connections = gu(o, "tcp_connections");
	w->mail_sessions = gu(o, "mail_sessions");
	w->sessions_not_listed = gu(o, "sessions_not_listed");
	const json_t *a = json_object_get(o, "sessions");
	size_t n = json_array_size(a);
	if (n) {
		w->s = xcalloc(n, sizeof *w->s);
		w->cap = n;
		size_t i;
		const json_t *v;
		json_array_foreach(a, i, v) if (json_is_object(v)) lwire_session(v, &w->s[w->n++]);
	}
}

static void lfinding(struct loader *l, const json_t *o, struct probe_result *pr)
{
	if (!json_is_object(o)) {
		load_fail(l, "a finding is not an object");
		return;
	}
	enum severity sev = (enum severity)lookup(gs(o, "severity"), sev_n, SEV_ERROR + 1, SEV_ERROR);
	struct finding *f =
		probe_result_add(pr, gs(o, "id") ? gs(o, "id") : "", sev, gs(o, "title") ? gs(o, "title") : "");
	f->detail = ds(o, "detail");
	f->remedy = ds(o, "remedy");
	f->rfc = ds(o, "rfc");
	const char *k;
	const json_t *v;
	json_t *ev = json_object_get(o, "evidence");
	json_object_foreach(ev, k, v) if (json_is_string(v)) finding_add_ev(f, k, "%s", json_string_value(v));
}

static void lfindings(struct loader *l, const json_t *a, struct probe_result *pr)
{
	if (a && !json_is_array(a)) {
		load_fail(l, "\"findings\" is not an array");
		return;
	}
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v) lfinding(l, v, pr);
}

static void ltranscript(const json_t *a, struct transcript *tr)
{
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v)
	{
		if (!json_is_object(v))
			continue;
		if (tr->n == tr->cap) {
			tr->cap = tr->cap ? tr->cap * 2 : 32;
			tr->e = xrealloc(tr->e, tr->cap * sizeof *tr->e);
		}
		struct tr_entry *e = &tr->e[tr->n++];
		e->t_us = gms(v, "t_ms");
		e->kind = (enum tr_kind)lookup(gs(v, "kind"), tr_kind_n, (int)ARRAY_LEN(tr_kind_ids), TR_EVENT);
		e->text = xstrdup(gs(v, "text") ? gs(v, "text") : "");
	}
}

static void ltarget(struct loader *l, const json_t *o, struct target_result *t)
{
	if (!json_is_object(o)) {
		load_fail(l, "a target is not an object");
		return;
	}
	t->input = ds(o, "input");
	t->scheme = ds(o, "scheme");
	t->host = ds(o, "host");
	int64_t port = gi(o, "port", 0);
	t->port = port > 0 && port < 65536 ? (uint16_t)port : 0;
	t->implicit_tls = gb(o, "implicit_tls");
	t->address = ds(o, "address");
	const char *status = gs(o, "status");
	t->status = status && strcmp(status, "untestable") == 0 ? TARGET_UNTESTABLE : TARGET_TESTED;
	t->started_wall_us = parse_iso_us(gs(o, "started"));
	t->duration_us = gms(o, "duration_ms");
	int64_t conns = gi(o, "connections", 0);
	t->connections = conns > 0 && conns < 1000000 ? (unsigned)conns : 0;
	lsession(json_object_get(o, "session"), &t->facts);
	lchain(json_object_get(o, "chain"), &t->facts.chain, &t->facts.chain_len);
	lchain(json_object_get(o, "client_chain"), &t->facts.client_chain, &t->facts.client_chain_len);
	const json_t *probes = json_object_get(o, "probes");
	if (probes && !json_is_array(probes)) {
		load_fail(l, "\"probes\" is not an array");
		return;
	}
	size_t i;
	const json_t *p;
	json_array_foreach(probes, i, p)
	{
		if (!json_is_object(p)) {
			load_fail(l, "a probe is not an object");
			return;
		}
		struct probe_result *pr =
			target_add_probe(t, gs(p, "name") ? gs(p, "name") : "", gs(p, "title") ? gs(p, "title") : "");
		pr->duration_us = gms(p, "duration_ms");
		lfindings(l, json_object_get(p, "findings"), pr);
	}
	t->tr.start_wall_us = t->started_wall_us;
	ltranscript(json_object_get(o, "transcript"), &t->tr);
	t->domain = ds(o, "domain");
	t->mx_host = ds(o, "mx_host");
	t->mx_pref = (int)gi(o, "mx_pref", -1);
	lother_key(json_object_get(o, "other_key"), t);
	lenum(json_object_get(o, "tls_enumeration"), t);
	lwire(json_object_get(o, "wire"), t);
}

/* ---- domains ------------------------------------------------------- */

static void laddress(const json_t *o, struct mx_host *h, size_t ntargets)
{
	const char *fam = gs(o, "family");
	struct mx_address *a = mx_host_add_address(
		h, gs(o, "address") ? gs(o, "address") : "", fam && strcmp(fam, "ipv6") == 0 ? AF_INET6 : AF_INET,
		(enum dnssec_status)lookup(gs(o, "dnssec"), dnssec_n, DNSSEC_BOGUS + 1, 0));
	int64_t ti = gi(o, "target", -1);
	a->target = ti >= 0 && (uint64_t)ti < ntargets ? (size_t)ti : SIZE_MAX;
	const json_t *pass = json_object_get(o, "pass");
	a->evaluated = json_is_boolean(pass);
	a->pass = json_is_true(pass);
	const json_t *fate = json_object_get(o, "fate");
	for (int p = 0; a->evaluated && p < DOMAIN_NPOLICIES; p++) {
		const json_t *f = json_object_get(fate, policy_name((enum policy)p));
		a->fate[p] = (enum mail_fate)lookup(gs(f, "action"), fate_n, FATE_DEFER + 1, FATE_UNKNOWN);
		a->fate_reason[p] = ds(f, "reason");
	}
}

static const char *tlsa_lookup_n(int i)
{
	return tlsa_lookup_id((enum tlsa_lookup)i);
}

/* An MX host's TLSA lookup; a record whose text does not read back as
 * "U S M HEX" is left out. */
static void ltlsa(const json_t *o, struct mx_tlsa *tl)
{
	if (!json_is_object(o))
		return;
	tl->state = (enum tlsa_lookup)lookup(gs(o, "lookup"), tlsa_lookup_n, TLSA_FAILED + 1, TLSA_NOT_ASKED);
	tl->name = ds(o, "name");
	tl->base = ds(o, "base");
	tl->why = ds(o, "why");
	tl->dnssec = (enum dnssec_status)lookup(gs(o, "dnssec"), dnssec_n, DNSSEC_BOGUS + 1, 0);
	tl->mx_secure = json_is_true(json_object_get(o, "mx_secure"));
	tl->addr_secure = json_is_true(json_object_get(o, "addresses_secure"));
	const json_t *m = json_object_get(o, "malformed");
	tl->nmalformed = json_is_integer(m) && json_integer_value(m) > 0 ? (size_t)json_integer_value(m) : 0;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(o, "records"), i, v)
	{
		const char *text = gs(v, "text");
		unsigned u, sel, mt;
		int off = 0;
		if (!text || sscanf(text, "%u %u %u %n", &u, &sel, &mt, &off) != 3 || u > 255 || sel > 255 || mt > 255)
			continue;
		const char *hx = text + off;
		size_t n = strlen(hx);
		if (n == 0 || n % 2 || n / 2 > DANE_MAX_DATA)
			continue;
		unsigned char *data = xmalloc(n / 2);
		bool ok = true;
		for (size_t k = 0; k < n / 2 && ok; k++) {
			unsigned b;
			ok = sscanf(hx + 2 * k, "%2x", &b) == 1;
			data[k] = (unsigned char)b;
		}
		if (!ok) {
			free(data);
			continue;
		}
		tl->rr = xrealloc(tl->rr, (tl->nrr + 1) * sizeof *tl->rr);
		tl->rr[tl->nrr++] = (struct tlsa_rr){ (uint8_t)u, (uint8_t)sel, (uint8_t)mt, data, n / 2 };
	}
}

static void ldomain(struct loader *l, const json_t *o, struct report *r)
{
	if (!json_is_object(o) || !gs(o, "domain")) {
		load_fail(l, "a domain is not an object with a \"domain\" name");
		return;
	}
	struct domain_result *d = report_add_domain(r, gs(o, "domain"));
	d->kind = (enum domain_mx_kind)lookup(gs(o, "mx_kind"), kind_n, DOMAIN_DNS_ERROR + 1, DOMAIN_DNS_ERROR);
	d->dnssec = (enum dnssec_status)lookup(gs(o, "dnssec"), dnssec_n, DNSSEC_BOGUS + 1, 0);
	d->error = ds(o, "error");
	d->why_bogus = ds(o, "dnssec_why_bogus");
	d->dnssec_anchor = ds(o, "dnssec_anchor");
	/* A partner's own level (--policy-file) differs from the run's. */
	const char *pol = gs(o, "policy");
	if (pol && (!r->policy || strcmp(pol, r->policy) != 0))
		d->policy = xstrdup(pol);
	d->verdict = (enum domain_verdict)lookup(gs(o, "verdict"), verdict_n, VERDICT_ERROR + 1, VERDICT_ERROR);
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(o, "broken"), i, v)
		domain_add_break(d, gs(v, "mx") ? gs(v, "mx") : "", gs(v, "address"), gs(v, "reason"));
	json_array_foreach(json_object_get(o, "mx"), i, v)
	{
		const json_t *pref = json_object_get(v, "preference");
		struct mx_host *h = domain_add_mx(d, json_is_integer(pref) ? (int)json_integer_value(pref) : -1,
						  gs(v, "host") ? gs(v, "host") : "");
		h->dnssec_a = (enum dnssec_status)lookup(gs(v, "dnssec_a"), dnssec_n, DNSSEC_BOGUS + 1, 0);
		h->dnssec_aaaa = (enum dnssec_status)lookup(gs(v, "dnssec_aaaa"), dnssec_n, DNSSEC_BOGUS + 1, 0);
		h->error = ds(v, "error");
		h->why_bogus_a = ds(v, "why_bogus_a");
		h->why_bogus_aaaa = ds(v, "why_bogus_aaaa");
		h->canonical = ds(v, "canonical");
		ltlsa(json_object_get(v, "tlsa"), &h->tlsa);
		size_t j;
		const json_t *a;
		json_array_foreach(json_object_get(v, "addresses"), j, a) laddress(a, h, r->n);
	}
	const json_t *fate = json_object_get(o, "fate");
	for (int p = 0; p < DOMAIN_NPOLICIES; p++)
		d->fate[p] = (enum mail_fate)lookup(gs(fate, policy_name((enum policy)p)), fate_n, FATE_DEFER + 1,
						    FATE_UNKNOWN);
	json_array_foreach(json_object_get(o, "safe_policies"), i, v)
	{
		int p = lookup(json_string_value(v), policy_n, DOMAIN_NPOLICIES, -1);
		if (p >= 0)
			d->safe[p] = true;
	}
	lfindings(l, json_object_get(o, "findings"), &d->checks);
}

/* ---- the report ---------------------------------------------------- */

int report_load_json(const char *text, size_t len, struct report *rep, char *err, size_t errlen)
{
	struct loader l = { .err = err, .errlen = errlen };
	report_init(rep);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "not JSON: line %d: %s", je.line, je.text);
		/* jansson quotes the input near the error: keep the reason one line. */
		for (char *c = err; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		return -1;
	}
	const char *schema = gs(root, "schema");
	if (!schema || strcmp(schema, "mxprobe/1") != 0) {
		load_fail(&l, "not an mxprobe report (\"schema\" is not \"mxprobe/1\")");
		goto out;
	}
	const json_t *targets = json_object_get(root, "targets");
	if (!json_is_array(targets)) {
		load_fail(&l, "\"targets\" is not an array");
		goto out;
	}
	rep->tool_version = ds(json_object_get(root, "tool"), "version");
	rep->started_wall_us = parse_iso_us(gs(root, "started"));
	rep->duration_us = gms(root, "duration_ms");
	rep->policy = ds(root, "policy");
	rep->ehlo_name = ds(root, "ehlo_name");
	size_t i;
	const json_t *v;
	json_array_foreach(targets, i, v)
	{
		ltarget(&l, v, report_add_target(rep));
		if (l.failed)
			goto out;
	}
	const json_t *domains = json_object_get(root, "domains");
	json_array_foreach(domains, i, v)
	{
		ldomain(&l, v, rep);
		if (l.failed)
			goto out;
	}
out:
	json_decref(root);
	return l.failed ? -1 : 0;
}

int report_load_json_file(const char *path, struct report *rep, char *err, size_t errlen)
{
	report_init(rep);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct buf b;
	buf_init(&b, LOAD_MAX_BYTES);
	char chunk[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (buf_append(&b, chunk, n) < 0) {
			snprintf(err, errlen, "%s: larger than %u MiB", path, LOAD_MAX_BYTES >> 20);
			rc = -1;
			break;
		}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(fp);
	if (rc == 0) {
		char why[400];
		rc = report_load_json(b.data ? b.data : "", b.len, rep, why, sizeof why);
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", path, why);
	}
	buf_clear(&b);
	return rc;
}
