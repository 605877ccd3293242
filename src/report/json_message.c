/* \summary: JSON for mxprobe headers: per message the Received chain hop by
 * hop (from, by, protocol, time, TLS as the MTA wrote it), the
 * TLS-relevant Authentication-Results parts and the findings. */
#include "report/json_message.h"

#include "mail/headers.h"

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jhop(const struct mail_hop *h)
{
	json_t *when = json_null();
	if (h->when != INT64_MIN) {
		char iso[32];
		fmt_iso8601(h->when, iso, sizeof iso);
		when = json_string(iso);
	}
	json_t *tls = json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:o}", "written_as", jstr_or_null(h->tls_style),
				"version", jstr_or_null(h->tls_version), "cipher", jstr_or_null(h->tls_cipher), "bits",
				jstr_or_null(h->tls_bits), "client_certificate", jstr_or_null(h->tls_verify), "weak",
				h->weak, "weak_reason", jstr_or_null(h->weak_reason));
	return json_pack("{s:I, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o}", "hop",
			 (json_int_t)h->index, "from", jstr_or_null(h->from), "from_address",
			 jstr_or_null(h->from_addr), "by", jstr_or_null(h->by), "loopback", h->loopback, "with",
			 jstr_or_null(h->with), "id", jstr_or_null(h->id), "for", jstr_or_null(h->rcpt_for), "date",
			 jstr_or_null(h->date), "time", when, "tls", hop_tls_id(h->tls), "tls_details", tls, "raw",
			 jstr_or_null(h->raw));
}

static json_t *jauth(const struct mail_auth *a)
{
	json_t *parts = json_array();
	for (size_t i = 0; i < a->tls_parts.n; i++)
		json_array_append_new(parts, json_string(a->tls_parts.v[i]));
	return json_pack("{s:s, s:o, s:o, s:o}", "field", a->field ? a->field : "", "arc_instance",
			 a->arc_instance ? json_integer(a->arc_instance) : json_null(), "authserv_id",
			 jstr_or_null(a->authserv_id), "tls_results", parts);
}

static json_t *jmessage(const struct message_result *m, json_finding_fn finding)
{
	json_t *hops = json_array();
	for (size_t i = 0; i < m->h.nhops; i++)
		json_array_append_new(hops, jhop(&m->h.hops[i]));
	json_t *auth = json_array();
	for (size_t i = 0; i < m->h.nauth; i++)
		json_array_append_new(auth, jauth(&m->h.auth[i]));
	json_t *findings = json_array();
	for (size_t i = 0; i < m->checks.n; i++)
		json_array_append_new(findings, finding(&m->checks.f[i]));
	return json_pack("{s:s, s:o, s:I, s:b, s:o, s:o, s:s, s:o}", "source", m->source ? m->source : "", "message_id",
			 jstr_or_null(m->h.message_id), "received_fields", (json_int_t)m->h.received_total, "truncated",
			 m->h.truncated, "hops", hops, "authentication_results", auth, "worst",
			 severity_name(probe_result_worst(&m->checks)), "findings", findings);
}

json_t *json_messages(const struct report *r, json_finding_fn finding)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->nmessages; i++)
		json_array_append_new(a, jmessage(&r->messages[i], finding));
	return a;
}
