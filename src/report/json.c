/* \summary: the JSON renderer: one "mxprobe/1" document per run.
 *
 * specification: docs/mxprobe.schema.json (JSON Schema draft 2020-12),
 * described in docs/json.md. Built with jansson, never by hand-escaping;
 * keys keep the order they are added in, which is the order of the schema.
 * Absent values are null, times are ISO-8601 UTC, durations milliseconds
 * with at most three decimals. */
#include "report/render.h"

#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "net/idn.h"
#include "report/domain.h"
#include "report/json_domain.h"
#include "report/json_message.h"
#include "report/render_enum.h"
#include "report/json_wire.h"
#include "util/err.h"

/* ---- scalars ------------------------------------------------------- */

/* A string from the model, or null. jansson insists on UTF-8; the model
 * only promises printable text, so anything else goes out escaped. */
static json_t *jstr(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *esc = str_escape(s, strlen(s), 65536);
	j = json_string(esc);
	free(esc);
	return j;
}

/* A string the schema never lets be null: absent becomes "". */
static json_t *jstr_req(const char *s)
{
	return jstr(s ? s : "");
}

static json_t *jint(int64_t v)
{
	return json_integer((json_int_t)v);
}

/* Microseconds as milliseconds with three decimals. */
static json_t *jms(int64_t us)
{
	return json_real((double)us / 1000.0);
}

static json_t *jiso_ms(int64_t wall_usec)
{
	char buf[40];
	fmt_iso8601_ms(wall_usec, buf, sizeof buf);
	return json_string(buf);
}

static json_t *jiso(int64_t t)
{
	char buf[40];
	fmt_iso8601(t, buf, sizeof buf);
	return json_string(buf);
}

static json_t *jstrvec(const struct strvec *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < sv->n; i++)
		json_array_append_new(a, jstr_req(sv->v[i]));
	return a;
}

/* ---- model pieces -------------------------------------------------- */

static json_t *jreply(const struct reply_info *r)
{
	/* POP3 and IMAP replies have text and no numeric code. */
	if (r->code == 0 && !r->text)
		return json_null();
	return json_pack("{s:o, s:o, s:o}", "code", r->code ? json_integer(r->code) : json_null(), "enhanced",
			 jstr(r->enh[0] ? r->enh : NULL), "text", jstr_req(r->text));
}

static json_t *jcaps(const struct smtp_caps *c)
{
	if (!c->valid)
		return json_null();
	json_t *size =
		c->size_present ? jint(c->size > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)c->size) : json_null();
	return json_pack("{s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
			 " s:o, s:o, s:o, s:o}",
			 "greeting", jstr(c->greeting), "starttls", c->starttls, "pipelining", c->pipelining,
			 "8bitmime", c->eightbitmime, "chunking", c->chunking, "binarymime", c->binarymime, "smtputf8",
			 c->smtputf8, "dsn", c->dsn, "enhancedstatuscodes", c->enhancedstatuscodes, "requiretls",
			 c->requiretls, "etrn", c->etrn, "auth", c->auth, "size", size, "auth_mechanisms",
			 jstrvec(&c->auth_mechs), "unknown", jstrvec(&c->unknown), "lines", jstrvec(&c->lines));
}

/* RFC 7468 textual encoding: base64 in 64-character lines. */
static char *pem_encode(const unsigned char *der, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char tail[] = "-----END CERTIFICATE-----\n";
	size_t enc = (n + 2) / 3 * 4;
	char *out = xmalloc(sizeof head + sizeof tail + enc + enc / 64 + 2);
	char *o = out;
	memcpy(o, head, sizeof head - 1);
	o += sizeof head - 1;
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)der[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)der[i + 1] << 8;
		if (i + 2 < n)
			v |= der[i + 2];
		char q[4] = { b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
			      i + 2 < n ? b64[v & 63] : '=' };
		for (size_t k = 0; k < 4; k++) {
			*o++ = q[k];
			if (++col == 64) {
				*o++ = '\n';
				col = 0;
			}
		}
	}
	if (col)
		*o++ = '\n';
	memcpy(o, tail, sizeof tail);
	return out;
}

static json_t *jcert(const struct cert_info *ci)
{
	json_t *pem = json_null();
	if (ci->der && ci->der_len) {
		char *p = pem_encode(ci->der, ci->der_len);
		pem = json_string(p);
		free(p);
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I,"
			 " s:o, s:b, s:b, s:o}",
			 "subject", jstr_req(ci->subject), "issuer", jstr_req(ci->issuer), "serial",
			 jstr_req(ci->serial_hex), "sha1", jstr_req(ci->sha1_hex), "sha256", jstr_req(ci->sha256_hex),
			 "san_dns", jstrvec(&ci->san_dns), "san_ip", jstrvec(&ci->san_ip), "san_other",
			 jstrvec(&ci->san_other), "not_before", jiso(ci->not_before), "not_after", jiso(ci->not_after),
			 "key_type", jstr_req(ci->key_type), "key_bits", (json_int_t)ci->key_bits,
			 "signature_algorithm", jstr_req(ci->sig_alg), "is_ca", ci->is_ca, "self_signed",
			 ci->self_signed, "pem", pem);
}

static json_t *jchain(const struct cert_info *c, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, jcert(&c[i]));
	return a;
}

static const char *const starttls_ids[] = { "not-applicable", "not-offered", "accepted", "refused", "broken" };

static const char *starttls_id(enum starttls_state s)
{
	return (unsigned)s < ARRAY_LEN(starttls_ids) ? starttls_ids[s] : "broken";
}

static json_t *jstarttls(const struct session_facts *f)
{
	return json_pack("{s:s, s:o, s:o, s:I}", "state", starttls_id(f->starttls), "reply", jreply(&f->starttls_reply),
			 "bytes_after_reply", jstr(f->after_starttls), "bytes_after_reply_len",
			 (json_int_t)f->after_starttls_len);
}

/* The OCSP staples as received, base64 (the revocation probe judges them). */
static json_t *jstaples(const struct tls_params *t)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < t->n_staples; i++) {
		if (!t->staples[i].len)
			continue;
		gnutls_datum_t in = { .data = t->staples[i].der, .size = (unsigned)t->staples[i].len };
		gnutls_datum_t b64 = { NULL, 0 };
		if (gnutls_base64_encode2(&in, &b64) < 0)
			continue;
		json_array_append_new(a, json_pack("{s:I, s:I, s:s%}", "certificate", (json_int_t)i, "bytes",
						   (json_int_t)t->staples[i].len, "base64", (const char *)b64.data,
						   (size_t)b64.size));
		gnutls_free(b64.data);
	}
	return a;
}

static json_t *jtls(const struct session_facts *f)
{
	const struct tls_params *t = &f->tls;
	if (!f->tls_ok && !t->protocol)
		return json_null();
	/* RFC 8446 section 1.2 and appendix D: TLS 1.3 has no renegotiation and
	 * always binds the master secret to the handshake; the flags do not
	 * apply (null), and false would read as a missing protection. */
	bool v13 = t->protocol && strcmp(t->protocol, "TLS1.3") == 0;
	json_t *ems = v13 ? json_null() : json_boolean(t->ext_master_secret);
	json_t *reneg = v13 ? json_null() : json_boolean(t->safe_renegotiation);
	return json_pack("{s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:I, s:o, s:o,"
			 " s:b, s:o, s:o, s:b, s:b, s:o, s:o}",
			 "protocol", jstr_req(t->protocol), "cipher_suite", jstr_req(t->cipher_suite), "cipher",
			 jstr_req(t->cipher), "cipher_bits", (json_int_t)t->cipher_bits, "mac", jstr_req(t->mac), "kx",
			 jstr_req(t->kx), "group", jstr(t->group), "dh_bits", (json_int_t)t->dh_bits,
			 "server_signature_algorithm", jstr_req(t->server_sig_alg), "sni", jstr(t->sni), "resumed",
			 t->resumed, "extended_master_secret", ems, "safe_renegotiation", reneg, "ocsp_stapled",
			 t->ocsp_stapled, "certificate_requested", t->cert_requested, "handshake_ms",
			 jms(t->handshake_us), "ocsp_staples", jstaples(t));
}

static json_t *jtls_error(const struct session_facts *f)
{
	if (!f->tls_error)
		return json_null();
	bool alert = f->tls_alert >= 0;
	return json_pack("{s:o, s:o, s:o, s:o}", "error", jstr_req(f->tls_error), "message", jstr(f->tls_error_text),
			 "alert", alert ? jint(f->tls_alert) : json_null(), "alert_name",
			 alert ? jstr(f->tls_alert_name) : json_null());
}

/* The CertificateRequest (mtls probe); null when none came. */
static json_t *jccert_request(const struct session_facts *f)
{
	const struct tls_params *t = &f->tls;
	if (!t->cert_requested)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:b}", "ca_names", jstrvec(&t->ccert_ca_names), "certificate_types",
			 jstrvec(&t->ccert_types), "signature_algorithms", jstrvec(&t->ccert_sig_algs),
			 "certificate_sent", t->ccert_sent);
}

static json_t *jsession(const struct session_facts *f)
{
	json_t *r421 = f->r421.code == 0 ? json_null()
					 : json_pack("{s:s, s:o}", "step", session_step_id(f->r421_step), "reply",
						     jreply(&f->r421));
	json_t *slow = !f->slow ? json_null()
				: json_pack("{s:s, s:o}", "step", session_step_id(f->slow_step), "ms", jms(f->slow_us));
	json_t *o = json_pack("{s:o, s:o, s:b, s:o, s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:{s:o, s:o}, s:o,"
			      " s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o}",
			      "remote", jstr(f->remote), "local", jstr(f->local), "connected", f->connected,
			      "connect_ms", jms(f->connect_us), "failed_step", session_step_id(f->failed_step), "error",
			      f->fail_err ? json_string(mx_errname(f->fail_err)) : json_null(), "error_detail",
			      jstr(f->fail_detail), "banner", jreply(&f->banner), "banner_wait_ms",
			      jms(f->banner_wait_us), "used_helo", f->used_helo, "ehlo", jreply(&f->ehlo),
			      "capabilities", "plain", jcaps(&f->caps_plain), "tls", jcaps(&f->caps_tls), "starttls",
			      jstarttls(f), "implicit_tls", f->implicit_tls, "tls_attempted", f->tls_attempted,
			      "tls_ok", f->tls_ok, "tls", jtls(f), "tls_error", jtls_error(f), "ehlo_tls",
			      jreply(&f->ehlo_tls), "quit", jreply(&f->quit), "reply_421", r421, "slow", slow);
	if (o) {
		json_object_set_new(o, "client_cert_request", jccert_request(f));
		json_object_set_new(o, "alert_after_handshake", f->late_alert >= 0 ? jint(f->late_alert) : json_null());
		json_object_set_new(o, "banner_first_byte_ms",
				    f->banner_first_byte_us >= 0 && f->connected ? jms(f->banner_first_byte_us)
										 : json_null());
		json_object_set_new(o, "banner_trickled", json_boolean(f->banner_trickled));
		json_object_set_new(o, "banner_partial", jstr(f->banner_partial));
	}
	return o;
}

static json_t *jevidence(const struct finding *fd)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < fd->nev; i++) {
		const char *key = fd->ev[i].key ? fd->ev[i].key : "";
		json_t *v = jstr_req(fd->ev[i].value);
		if (json_object_set(o, key, v) != 0) {
			char *esc = str_escape(key, strlen(key), 1024);
			json_object_set(o, esc, v);
			free(esc);
		}
		json_decref(v);
	}
	return o;
}

static json_t *jfinding(const struct finding *fd)
{
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "id", jstr_req(fd->id), "severity",
			 severity_name(fd->sev), "title", jstr_req(fd->title), "detail", jstr(fd->detail), "remedy",
			 jstr(fd->remedy), "rfc", jstr(fd->rfc), "evidence", jevidence(fd));
}

static json_t *jprobe(const struct probe_result *pr)
{
	json_t *findings = json_array();
	for (size_t i = 0; findings && i < pr->n; i++)
		json_array_append_new(findings, jfinding(&pr->f[i]));
	return json_pack("{s:o, s:o, s:s, s:o, s:o}", "name", jstr_req(pr->name), "title", jstr_req(pr->title), "worst",
			 severity_name(probe_result_worst(pr)), "duration_ms", jms(pr->duration_us), "findings",
			 findings);
}

static const char *const tr_kind_ids[] = { "sent", "recv", "event" };

static json_t *jtranscript(const struct transcript *tr)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < tr->n; i++) {
		const struct tr_entry *e = &tr->e[i];
		const char *kind = (unsigned)e->kind < ARRAY_LEN(tr_kind_ids) ? tr_kind_ids[e->kind] : "event";
		json_array_append_new(
			a, json_pack("{s:o, s:s, s:o}", "t_ms", jms(e->t_us), "kind", kind, "text", jstr_req(e->text)));
	}
	return a;
}

/* The certificate we presented: the standard session sends none; the mtls
 * probe's session with --client-cert/--pkcs12 does. */
static json_t *jclient_chain(const struct target_result *t)
{
	const struct session_facts *f = &t->facts;
	for (size_t i = 0; !f->client_chain_len && i < t->n_more_sessions; i++)
		if (t->more_sessions[i].client_chain_len)
			f = &t->more_sessions[i];
	return jchain(f->client_chain, f->client_chain_len);
}

/* The handshake that asked for the other key type's certificate (a server
 * with an RSA and an ECDSA certificate); null when none was made. */
static json_t *jother_key(const struct target_result *t)
{
	if (!t->other_key_session || t->other_key_session > t->n_more_sessions)
		return json_null();
	const struct session_facts *f = &t->more_sessions[t->other_key_session - 1];
	const char *fail = f->failed_step != STEP_NONE ? session_step_id(f->failed_step) : NULL;
	return json_pack("{s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "asked_for", jstr(t->other_key_wanted), "tls_ok",
			 f->tls_ok, "failed_step", jstr(fail), "error_detail", jstr(f->fail_detail), "tls", jtls(f),
			 "tls_error", jtls_error(f), "chain", jchain(f->chain, f->chain_len));
}

static json_t *jtarget(const struct target_result *t)
{
	json_t *probes = json_array();
	for (size_t i = 0; probes && i < t->nprobes; i++)
		json_array_append_new(probes, jprobe(&t->probes[i]));
	json_t *o = json_pack("{s:o, s:o, s:o, s:i, s:b, s:o, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:o, s:o,"
			      " s:o}",
			      "input", jstr_req(t->input), "scheme", jstr_req(t->scheme), "host", jstr_req(t->host),
			      "port", (int)t->port, "implicit_tls", t->implicit_tls, "address", jstr(t->address),
			      "status", t->status == TARGET_TESTED ? "tested" : "untestable", "worst",
			      severity_name(target_worst(t)), "started", jiso_ms(t->started_wall_us), "duration_ms",
			      jms(t->duration_us), "connections", (json_int_t)t->connections, "session",
			      jsession(&t->facts), "chain", jchain(t->facts.chain, t->facts.chain_len), "client_chain",
			      jclient_chain(t), "probes", probes, "transcript", jtranscript(&t->tr));
	if (o) {
		json_object_set_new(o, "other_key", jother_key(t));
		/* An internationalised name's U-label form (host and mx_host are
		 * A-labels, as DNS, SNI and matching use them); null otherwise. */
		char *u = idn_to_ulabels(t->mx_host ? t->mx_host : t->host);
		json_object_set_new(o, "name_unicode", jstr(u));
		free(u);
	}
	json_target_domain(o, t); /* --domain: domain, mx_host, mx_pref */
	json_target_enum(o, t);	  /* the enumeration probes: tls_enumeration */
	if (o)
		json_object_set_new(o, "wire", json_wire(t->wire)); /* --capture/--wire, pcap */
	return o;
}

static json_t *jreport(const struct report *r)
{
	size_t c[5];
	report_count(r, c);
	json_t *targets = json_array();
	for (size_t i = 0; targets && i < r->n; i++)
		json_array_append_new(targets, jtarget(r->t[i]));
	json_t *o = json_pack("{s:s, s:{s:s, s:o}, s:o, s:o, s:o, s:o,"
			      " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
			      "schema", "mxprobe/1", "tool", "name", "mxprobe", "version", jstr_req(r->tool_version),
			      "started", jiso_ms(r->started_wall_us), "duration_ms", jms(r->duration_us), "policy",
			      jstr_req(r->policy), "ehlo_name", jstr_req(r->ehlo_name), "summary", "targets",
			      (json_int_t)r->n, "domains", (json_int_t)r->ndomains, "pass", (json_int_t)c[SEV_PASS],
			      "info", (json_int_t)c[SEV_INFO], "warn", (json_int_t)c[SEV_WARN], "fail",
			      (json_int_t)c[SEV_FAIL], "error", (json_int_t)c[SEV_ERROR], "targets", targets);
	if (o)
		json_object_set_new(o, "domains", json_domains(r, jfinding));
	if (o && r->nmessages) /* mxprobe headers */
		json_object_set_new(o, "messages", json_messages(r, jfinding));
	return o;
}

/* ---- jsonl: one document per target, then per domain ---- */

static void count_target(const struct target_result *t, json_int_t c[5])
{
	for (size_t j = 0; j < t->nprobes; j++)
		for (size_t k = 0; k < t->probes[j].n; k++)
			c[t->probes[j].f[k].sev]++;
}

/* A document of the same shape as render_json's, holding one target
 * (t != NULL) or one domain (d != NULL). */
static json_t *jline(const struct report *r, const struct target_result *t, const struct domain_result *d)
{
	json_int_t c[5] = { 0 };
	json_t *targets = json_array();
	json_t *domains = json_array();
	if (t) {
		count_target(t, c);
		json_array_append_new(targets, jtarget(t));
	}
	if (d) {
		for (size_t k = 0; k < d->checks.n; k++)
			c[d->checks.f[k].sev]++;
		for (size_t x = 0; x < DOMAIN_NPOLICY_CHECKS; x++) {
			const struct probe_result *pc = domain_policy_checks(d, x);
			for (size_t k = 0; pc && k < pc->n; k++)
				c[pc->f[k].sev]++;
		}
		json_array_append_new(domains, json_domain_one(r, d, jfinding));
	}
	int64_t started = t ? t->started_wall_us : r->started_wall_us;
	int64_t duration = t ? t->duration_us : wall_us() - r->started_wall_us;
	return json_pack("{s:s, s:{s:s, s:o}, s:o, s:o, s:o, s:o,"
			 " s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
			 "schema", "mxprobe/1", "tool", "name", "mxprobe", "version", jstr_req(r->tool_version),
			 "started", jiso_ms(started), "duration_ms", jms(duration), "policy", jstr_req(r->policy),
			 "ehlo_name", jstr_req(r->ehlo_name), "summary", "targets", (json_int_t)(t ? 1 : 0), "pass",
			 c[SEV_PASS], "info", c[SEV_INFO], "warn", c[SEV_WARN], "fail", c[SEV_FAIL], "error",
			 c[SEV_ERROR], "targets", targets, "domains", domains);
}

static int put_line(FILE *out, json_t *doc)
{
	int rc = -1;
	size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);
	if (doc && json_dumpf(doc, out, flags) == 0 && fputc('\n', out) != EOF && !ferror(out))
		rc = 0;
	json_decref(doc);
	return rc;
}

int render_jsonl_target(FILE *out, const struct report *r, size_t index)
{
	return index < r->n ? put_line(out, jline(r, r->t[index], NULL)) : -1;
}

int render_jsonl_domains(FILE *out, const struct report *r)
{
	for (size_t i = 0; i < r->ndomains; i++)
		if (put_line(out, jline(r, NULL, &r->domains[i])) < 0)
			return -1;
	return 0;
}

int render_json(FILE *out, const struct report *r, const struct render_opts *o)
{
	(void)o;
	int rc = -1;
	json_t *root = jreport(r);
	if (!root)
		goto out;
	/* Milliseconds carry three decimals; 15 significant digits print them
	 * without binary noise ("0.003", not "0.0030000000000000001"). */
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);
	if (json_dumpf(root, out, flags) != 0)
		goto out;
	if (fputc('\n', out) == EOF || ferror(out))
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}
