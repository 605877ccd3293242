/* \summary: the wire summary as text and as protocol-log lines. Every
 * string in the model is already printable (escaped by the analyzer). */
#include "report/wire_render.h"

#include <inttypes.h>
#include <string.h>

#define TEXT_SESSIONS 20

static void put_ms(FILE *out, const char *what, int64_t us, bool *first)
{
	if (us < 0)
		return;
	fprintf(out, "%s%s %.1f ms", *first ? "" : ", ", what, (double)us / 1000.0);
	*first = false;
}

static void put_list(FILE *out, const char *indent, const char *label, const struct strvec *v, size_t max)
{
	if (!v->n)
		return;
	fprintf(out, "%s%s ", indent, label);
	for (size_t i = 0; i < v->n && i < max; i++)
		fprintf(out, "%s%s", i ? ", " : "", v->v[i]);
	if (v->n > max)
		fprintf(out, ", ... (%zu in all)", v->n);
	fputc('\n', out);
}

static void text_session(FILE *out, const struct wire_session *s)
{
	fprintf(out, "    %s -> %s  %s, TLS: %s", s->client, s->server, s->protocol ? s->protocol : "?",
		s->tls_mode ? s->tls_mode : "?");
	if (s->tls_version)
		fprintf(out, "  %s %s", s->tls_version, s->cipher_suite ? s->cipher_suite : "");
	if (s->client_hello.sni)
		fprintf(out, "  SNI %s", s->client_hello.sni);
	fputc('\n', out);
	if (s->ehlo_name)
		fprintf(out, "      hello name: %s\n", s->ehlo_name);
	put_list(out, "      ", "capabilities:", &s->capabilities, 12);
	for (size_t i = 0; i < s->cert_subjects.n; i++)
		fprintf(out, "      certificate %zu: %s\n", i, s->cert_subjects.v[i]);
	for (size_t i = 0; i < s->credentials.n; i++)
		fprintf(out, "      credentials in clear: %s, secret <redacted>\n", s->credentials.v[i]);
	if (s->plaintext_after_starttls)
		fprintf(out, "      plaintext after STARTTLS from the %s at offset %" PRIu64 ": %s\n", s->plaintext_dir,
			s->plaintext_offset, s->plaintext_bytes);
	put_list(out, "      ", "error replies:", &s->error_replies, 4);
	if (s->last_reply)
		fprintf(out, "      last reply: %s\n", s->last_reply);
	fprintf(out, "      %" PRIu64 " packets, %" PRIu64 "/%" PRIu64 " bytes (client/server), %u round trips",
		s->packets, s->bytes_c2s, s->bytes_s2c, s->round_trips);
	if (s->gap_bytes)
		fprintf(out, ", %" PRIu64 " bytes missing", s->gap_bytes);
	fputc('\n', out);
	bool first = true;
	fputs("      ", out);
	put_ms(out, "connect", s->connect_us, &first);
	put_ms(out, "greeting", s->greeting_us, &first);
	put_ms(out, "EHLO", s->ehlo_us, &first);
	put_ms(out, "STARTTLS", s->starttls_us, &first);
	put_ms(out, "handshake", s->handshake_us, &first);
	put_ms(out, "session", s->duration_us, &first);
	fputc('\n', out);
}

void render_text_wire(FILE *out, const struct wire_summary *w, bool verbose)
{
	if (!w)
		return;
	fprintf(out, "  wire: %s%s%s, %" PRIu64 " packets, %" PRIu64 " TCP connections, %" PRIu64 " mail sessions\n",
		w->source ? w->source : "capture not kept", w->link_type ? " " : "", w->link_type ? w->link_type : "",
		w->packets, w->tcp_connections, w->mail_sessions);
	if (w->filter)
		fprintf(out, "    filter: %s\n", w->filter);
	if (w->error)
		fprintf(out, "    stopped: %s\n", w->error);
	size_t max = verbose ? w->n : (w->n < TEXT_SESSIONS ? w->n : TEXT_SESSIONS);
	for (size_t i = 0; i < max; i++)
		text_session(out, &w->s[i]);
	if (max < w->n + w->sessions_not_listed)
		fprintf(out, "    ... %" PRIu64 " more sessions (-v or --format json for those listed)\n",
			(uint64_t)(w->n - max) + w->sessions_not_listed);
}

void render_log_wire(FILE *out, const struct wire_summary *w)
{
	if (!w)
		return;
	fprintf(out, "*Wire: %s %" PRIu64 " packets %" PRIu64 " mail sessions\n", w->source ? w->source : "-",
		w->packets, w->mail_sessions);
	for (size_t i = 0; i < w->n; i++) {
		const struct wire_session *s = &w->s[i];
		fprintf(out, "*Wire session %s %s %s TLS=%s %s %s SNI=%s\n", s->client, s->server,
			s->protocol ? s->protocol : "?", s->tls_mode ? s->tls_mode : "?",
			s->tls_version ? s->tls_version : "-", s->cipher_suite ? s->cipher_suite : "-",
			s->client_hello.sni ? s->client_hello.sni : "-");
		for (size_t k = 0; k < s->credentials.n; k++)
			fprintf(out, "*Wire credentials in clear %s secret=<redacted>\n", s->credentials.v[k]);
		if (s->plaintext_after_starttls)
			fprintf(out, "*Wire plaintext after STARTTLS %s offset %" PRIu64 ": %s\n", s->plaintext_dir,
				s->plaintext_offset, s->plaintext_bytes);
	}
}
