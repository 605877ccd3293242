/* \summary: the wire summary as JSON (docs/json.md "wire"). Keys keep
 * the schema's order; absent values are null; times in milliseconds. */
#include "report/json_wire.h"

#include <stdlib.h>
#include <string.h>

static json_t *s_or_null(const char *s)
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

static json_t *sv(const struct strvec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, s_or_null(v->v[i] ? v->v[i] : ""));
	return a;
}

static json_t *ms_or_null(int64_t us)
{
	return us < 0 ? json_null() : json_real((double)us / 1000.0);
}

static json_t *hello(const struct wire_hello *h)
{
	if (!h->seen)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:b}", "version", s_or_null(h->version),
			 "supported_versions", sv(&h->versions), "cipher_suites", sv(&h->suites), "sni",
			 s_or_null(h->sni), "alpn", sv(&h->alpn), "supported_groups", sv(&h->groups), "key_shares",
			 sv(&h->key_shares), "extensions", sv(&h->extensions), "random", h->random_hex, "hello_retry",
			 h->hello_retry);
}

static json_t *certs(const struct wire_session *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->cert_subjects.n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o}", "subject", s_or_null(s->cert_subjects.v[i]), "sha256",
						   s_or_null(i < s->cert_sha256.n ? s->cert_sha256.v[i] : NULL)));
	return a;
}

static json_t *session(const struct wire_session *s)
{
	char started[40];
	fmt_iso8601_ms(s->start_wall_us, started, sizeof started);
	json_t *plain = !s->plaintext_after_starttls
				? json_null()
				: json_pack("{s:o, s:I, s:o}", "direction", s_or_null(s->plaintext_dir), "offset",
					    (json_int_t)s->plaintext_offset, "bytes", s_or_null(s->plaintext_bytes));
	json_t *timing = json_pack("{s:o, s:o, s:o, s:o, s:o}", "connect", ms_or_null(s->connect_us), "greeting",
				   ms_or_null(s->greeting_us), "ehlo", ms_or_null(s->ehlo_us), "starttls",
				   ms_or_null(s->starttls_us), "handshake", ms_or_null(s->handshake_us));
	json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "client",
			      s_or_null(s->client), "server", s_or_null(s->server), "protocol", s_or_null(s->protocol),
			      "tls_mode", s_or_null(s->tls_mode), "ehlo_name", s_or_null(s->ehlo_name), "capabilities",
			      sv(&s->capabilities), "tls_version", s_or_null(s->tls_version), "cipher_suite",
			      s_or_null(s->cipher_suite), "client_hello", hello(&s->client_hello), "server_hello",
			      hello(&s->server_hello), "certificates", certs(s), "error_replies", sv(&s->error_replies),
			      "last_reply", s_or_null(s->last_reply), "credentials_in_clear", sv(&s->credentials),
			      "plaintext_after_starttls", plain);
	json_object_set_new(o, "started", json_string(started));
	json_object_set_new(o, "duration_ms", ms_or_null(s->duration_us));
	json_object_set_new(o, "packets", json_integer((json_int_t)s->packets));
	json_object_set_new(o, "bytes_client", json_integer((json_int_t)s->bytes_c2s));
	json_object_set_new(o, "bytes_server", json_integer((json_int_t)s->bytes_s2c));
	json_object_set_new(o, "round_trips", json_integer((json_int_t)s->round_trips));
	json_object_set_new(o, "timing_ms", timing);
	json_object_set_new(o, "gap_bytes", json_integer((json_int_t)s->gap_bytes));
	json_object_set_new(o, "truncated", json_boolean(s->truncated));
	json_object_set_new(o, "handshake_seen", json_boolean(s->handshake_seen));
	json_object_set_new(o, "closed", json_boolean(s->closed));
	return o;
}

json_t *json_wire(const struct wire_summary *w)
{
	if (!w)
		return json_null();
	json_t *sessions = json_array();
	for (size_t i = 0; i < w->n; i++)
		json_array_append_new(sessions, session(&w->s[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o}", "source", s_or_null(w->source),
			 "link_type", s_or_null(w->link_type), "filter", s_or_null(w->filter), "error",
			 s_or_null(w->error), "packets", (json_int_t)w->packets, "packets_skipped",
			 (json_int_t)w->packets_skipped, "tcp_connections", (json_int_t)w->tcp_connections,
			 "mail_sessions", (json_int_t)w->mail_sessions, "sessions_not_listed",
			 (json_int_t)w->sessions_not_listed, "sessions", sessions);
}
