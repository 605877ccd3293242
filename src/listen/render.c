/* \summary: one mxprobe listen session as text, as a JSON line (the
 * "mxprobe-listen/1" session record, docs/json.md), or as Exchange's
 * receive-connector protocol log (the "Esempio di un registro di
 * ricezione" of the Exchange 2007 Domain Security guide, shared/seeds):
 * `>` what we sent, `<` what we received, `*` events, and the
 * "Sending certificate" / "Received certificate" blocks after STARTTLS.
 * Every string in the session is escaped already (util.h's rule). */
#include "listen/listen.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report/render.h"
#include "tls/identity.h"
#include "util/util.h"

static const char *verdict_words(const struct lsn_session *s)
{
	return s->verdict_pass ? "would pass" : "would be refused";
}

static void text_hello(FILE *out, const struct lsn_session *s)
{
	if (!s->hello_parsed) {
		if (s->hello_error)
			fprintf(out, "  ClientHello:   not read (%s)\n", s->hello_error);
		return;
	}
	const struct wire_hello *h = &s->hello;
	char *v = strvec_join(&h->versions, " ");
	char *g = strvec_join(&h->groups, " ");
	char *a = strvec_join(&h->alpn, " ");
	fprintf(out, "  ClientHello:   versions %s; %zu suites; groups %s; SNI %s; ALPN %s\n",
		h->versions.n ? v
		: h->version  ? h->version
			      : "?",
		h->suites.n, h->groups.n ? g : "(none)", h->sni ? h->sni : "(none)", h->alpn.n ? a : "(none)");
	char *su = strvec_join(&h->suites, " ");
	fprintf(out, "  suites:        %s\n", su);
	free(su);
	free(v);
	free(g);
	free(a);
}

static void session_text(FILE *out, const struct lsn_session *s, const struct lsn_config *cfg)
{
	char when[40];
	fmt_iso8601_ms(s->start_wall_us, when, sizeof when);
	fprintf(out, "session %s  %s  from %s port %u (%s)  %.1f s\n", s->id, when, s->client_addr, s->client_port,
		s->client_rdns ? s->client_rdns : "no reverse name", (double)s->duration_us / 1e6);
	fprintf(out, "  EHLO:          %s%s\n", s->ehlo ? s->ehlo : "(none)", s->ehlo && !s->esmtp ? " (HELO)" : "");
	if (!s->tls) {
		if (s->tls_error)
			fprintf(out, "  TLS:           handshake failed: %s\n", s->tls_error);
		else
			fprintf(out, "  TLS:           none%s\n",
				s->starttls_offered ? " (STARTTLS offered, not used)" : " (STARTTLS not offered)");
	} else {
		fprintf(out, "  TLS:           %s, %s, %s (%u bits)%s%s\n", s->tls_mode, s->version, s->suite,
			s->cipher_bits, s->group ? ", group " : "", s->group ? s->group : "");
	}
	text_hello(out, s);
	if (s->tls) {
		fprintf(out, "  client cert:   requested (%zu CA names sent)", s->ca_names_sent);
		if (!s->chain_len) {
			fputs("; none sent\n", out);
		} else {
			const struct cert_info *leaf = &s->chain[0];
			char *names = strvec_join(&leaf->san_dns, ", ");
			fprintf(out, "; %zu certificate%s\n", s->chain_len, s->chain_len == 1 ? "" : "s");
			fprintf(out, "    subject:     %s\n    issuer:      %s\n    names:       %s\n", leaf->subject,
				leaf->issuer, leaf->san_dns.n ? names : "(no DNS names)");
			fprintf(out, "    expires in:  %lld days\n", (long long)s->leaf_days_left);
			fprintf(out, "    chain:       %s%s%s%s%s\n", s->chain_trusted ? "valid" : "NOT valid",
				s->chain_store ? " (" : "", s->chain_store ? s->chain_store : "",
				s->chain_store ? ")" : "", s->chain_status ? "" : "");
			if (s->chain_status)
				fprintf(out, "                 %s\n", s->chain_status);
			fprintf(out, "    clientAuth:  %s\n", s->eku_client_ok ? "allowed" : "NOT allowed by the EKU");
			fprintf(out, "    revocation:  %s%s%s%s\n", s->revocation ? s->revocation : "not-checked",
				s->revocation_why ? " (" : "", s->revocation_why ? s->revocation_why : "",
				s->revocation_why ? ")" : "");
			free(names);
		}
	}
	if (s->mail_from) {
		char *r = strvec_join(&s->rcpts, ", ");
		fprintf(out, "  MAIL FROM:     <%s>  RCPT TO: %s\n", s->mail_from, s->rcpts.n ? r : "(none)");
		free(r);
	}
	if (s->data_reply)
		fprintf(out, "  DATA:          %s\n", s->data_reply);
	if (s->headers)
		fprintf(out, "  headers:       %zu bytes kept%s\n", strlen(s->headers),
			s->headers_cut ? " (cut at the limit)" : "");
	if (s->judged) {
		fprintf(out, "  verdict:       %s domain-secure receive for %s", verdict_words(s), cfg->partner);
		if (s->partner_name)
			fprintf(out, " (certificate name %s)", s->partner_name);
		fputs("\n", out);
		if (s->verdict_reason)
			fprintf(out, "                 %s%s\n",
				s->verdict_pass ? "note: " : "reason: ", s->verdict_reason);
	}
	fprintf(out, "  ended:         %s after %u command%s\n\n", s->end ? s->end : "?", s->commands,
		s->commands == 1 ? "" : "s");
}

/* -- JSON line ---------------------------------------------------------- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jstrvec(const struct strvec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *json_cert(const struct cert_info *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "subject", jstr(c->subject));
	json_object_set_new(o, "issuer", jstr(c->issuer));
	json_object_set_new(o, "serial", jstr(c->serial_hex));
	json_object_set_new(o, "sha256", jstr(c->sha256_hex));
	json_object_set_new(o, "dns_names", jstrvec(&c->san_dns));
	char nb[40], na[40];
	fmt_iso8601(c->not_before, nb, sizeof nb);
	fmt_iso8601(c->not_after, na, sizeof na);
	json_object_set_new(o, "not_before", json_string(nb));
	json_object_set_new(o, "not_after", json_string(na));
	json_object_set_new(o, "key", jstr(c->key_type));
	json_object_set_new(o, "key_bits", json_integer(c->key_bits));
	return o;
}

static void session_jsonl(FILE *out, const struct lsn_session *s, const struct lsn_config *cfg)
{
	json_t *o = json_object();
	char when[40];
	fmt_iso8601_ms(s->start_wall_us, when, sizeof when);
	json_object_set_new(o, "type", json_string("session"));
	json_object_set_new(o, "schema", json_string("mxprobe-listen/1"));
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "start", json_string(when));
	json_object_set_new(o, "duration_ms", json_integer(s->duration_us / 1000));
	json_t *cl = json_object();
	json_object_set_new(cl, "address", jstr(s->client_addr));
	json_object_set_new(cl, "port", json_integer(s->client_port));
	json_object_set_new(cl, "reverse_name", jstr(s->client_rdns));
	json_object_set_new(cl, "ehlo", jstr(s->ehlo));
	json_object_set_new(cl, "esmtp", json_boolean(s->esmtp));
	json_object_set_new(o, "client", cl);
	json_object_set_new(o, "local", jstr(s->local));
	json_t *t = json_object();
	json_object_set_new(t, "mode", json_string(s->tls ? s->tls_mode : "none"));
	json_object_set_new(t, "starttls_offered", json_boolean(s->starttls_offered));
	json_object_set_new(t, "established", json_boolean(s->tls));
	json_object_set_new(t, "error", jstr(s->tls_error));
	json_object_set_new(t, "version", jstr(s->version));
	json_object_set_new(t, "cipher_suite", jstr(s->suite));
	json_object_set_new(t, "cipher_bits", json_integer(s->cipher_bits));
	json_object_set_new(t, "group", jstr(s->group));
	json_object_set_new(t, "client_certificate_requested", json_boolean(s->cert_requested));
	json_object_set_new(t, "ca_names_sent", json_integer((json_int_t)s->ca_names_sent));
	json_object_set_new(o, "tls", t);
	if (s->hello_parsed) {
		json_t *h = json_object();
		json_object_set_new(h, "legacy_version", jstr(s->hello.version));
		json_object_set_new(h, "versions", jstrvec(&s->hello.versions));
		json_object_set_new(h, "cipher_suites", jstrvec(&s->hello.suites));
		json_object_set_new(h, "groups", jstrvec(&s->hello.groups));
		json_object_set_new(h, "key_shares", jstrvec(&s->hello.key_shares));
		json_object_set_new(h, "sni", jstr(s->hello.sni));
		json_object_set_new(h, "alpn", jstrvec(&s->hello.alpn));
		json_object_set_new(h, "extensions", jstrvec(&s->hello.extensions));
		json_object_set_new(o, "client_hello", h);
	} else {
		json_object_set_new(o, "client_hello", json_null());
		if (s->hello_error)
			json_object_set_new(o, "client_hello_error", json_string(s->hello_error));
	}
	json_t *cc = json_object();
	json_object_set_new(cc, "presented", json_boolean(s->chain_len > 0));
	json_t *chain = json_array();
	for (size_t i = 0; i < s->chain_len; i++)
		json_array_append_new(chain, json_cert(&s->chain[i]));
	json_object_set_new(cc, "chain", chain);
	if (s->chain_len) {
		json_object_set_new(cc, "trusted", json_boolean(s->chain_trusted));
		json_object_set_new(cc, "expired", json_boolean(s->chain_expired));
		json_object_set_new(cc, "not_yet_valid", json_boolean(s->chain_not_yet));
		json_object_set_new(cc, "status", jstr(s->chain_status));
		json_object_set_new(cc, "store", jstr(s->chain_store));
		json_object_set_new(cc, "client_auth_allowed", json_boolean(s->eku_client_ok));
		json_object_set_new(cc, "days_left", json_integer(s->leaf_days_left));
		json_object_set_new(cc, "revocation", json_string(s->revocation ? s->revocation : "not-checked"));
		json_object_set_new(cc, "revocation_why", jstr(s->revocation_why));
	}
	json_object_set_new(o, "client_certificate", cc);
	json_t *m = json_object();
	json_object_set_new(m, "mail_from", jstr(s->mail_from));
	json_object_set_new(m, "rcpt_to", jstrvec(&s->rcpts));
	json_object_set_new(m, "messages", json_integer(s->messages));
	json_object_set_new(m, "data_reply", jstr(s->data_reply));
	json_object_set_new(m, "queue_id", jstr(s->queue_id));
	json_object_set_new(m, "size", json_integer((json_int_t)s->message_size));
	json_object_set_new(m, "headers", jstr(s->headers));
	json_object_set_new(m, "headers_cut", json_boolean(s->headers_cut));
	json_object_set_new(o, "mail", m);
	if (s->judged) {
		json_t *d = json_object();
		json_object_set_new(d, "partner", json_string(cfg->partner));
		json_object_set_new(d, "would_pass", json_boolean(s->verdict_pass));
		json_object_set_new(d, "verdict", json_string(verdict_words(s)));
		json_object_set_new(d, "reason", jstr(s->verdict_reason));
		json_object_set_new(d, "certificate_name", jstr(s->partner_name));
		json_object_set_new(d, "sender_domain_other", json_boolean(s->sender_other));
		json_object_set_new(o, "domain_secure", d);
	} else {
		json_object_set_new(o, "domain_secure", json_null());
	}
	json_object_set_new(o, "commands", json_integer(s->commands));
	json_object_set_new(o, "errors", json_integer(s->errors));
	json_object_set_new(o, "end", jstr(s->end));
	json_t *tr = json_array();
	for (size_t i = 0; i < s->nlines; i++) {
		char mark[2] = { s->lines[i].mark, 0 };
		json_array_append_new(tr, json_pack("[s,s]", mark, s->lines[i].text));
	}
	json_object_set_new(o, "transcript", tr);
	json_object_set_new(o, "transcript_cut", json_boolean(s->transcript_cut));
	json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(o);
}

/* -- the receive log ------------------------------------------------------ */

static void log_line(FILE *out, char mark, const char *text, const char *suffix)
{
	fputc(mark, out);
	for (const char *p = text ? text : ""; *p; p++) {
		unsigned char c = (unsigned char)*p;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
	if (suffix)
		fputs(suffix, out);
	fputc('\n', out);
}

static void log_cert(FILE *out, const char *what, const struct cert_info *c)
{
	log_line(out, '*', what, NULL);
	char *subject = log_dn_exchange_style(c->subject ? c->subject : "");
	char *issuer = log_dn_exchange_style(c->issuer ? c->issuer : "");
	log_line(out, '*', subject, ", Certificate subject");
	log_line(out, '*', issuer, ", Certificate issuer name");
	log_line(out, '*', c->serial_hex, ", Certificate serial number");
	log_line(out, '*', c->sha1_hex, ", Certificate thumbprint");
	char *names = strvec_join(&c->san_dns, ";");
	log_line(out, '*', names, ", Certificate alternate names");
	free(names);
	free(subject);
	free(issuer);
}

static void session_log(FILE *out, const struct lsn_session *s, const struct lsn_config *cfg)
{
	char when[40];
	fmt_iso8601_ms(s->start_wall_us, when, sizeof when);
	fprintf(out, "#Session: %s\n#Date: %s\n#Remote-endpoint: %s:%u\n#Local-endpoint: %s\n", s->id, when,
		s->client_addr, s->client_port, s->local ? s->local : "?");
	for (size_t i = 0; i < s->nlines; i++) {
		const struct lsn_line *l = &s->lines[i];
		if (l->mark == '*' && strncmp(l->text, "TLS handshake complete", 22) == 0) {
			if (cfg->id) {
				size_t n;
				const struct cert_info *ours = tls_identity_chain(cfg->id, &n);
				if (n)
					log_cert(out, "Sending certificate", &ours[0]);
			}
			if (s->chain_len)
				log_cert(out, "Received certificate", &s->chain[0]);
		}
		log_line(out, l->mark, l->text, NULL);
	}
	if (s->judged) {
		char *t = !s->verdict_reason
				  ? xasprintf("%s domain-secure receive for %s", verdict_words(s), cfg->partner)
			  : s->verdict_pass ? xasprintf("%s domain-secure receive for %s (note: %s)", verdict_words(s),
							cfg->partner, s->verdict_reason)
					    : xasprintf("%s domain-secure receive for %s: %s", verdict_words(s),
							cfg->partner, s->verdict_reason);
		log_line(out, '*', t, NULL);
		free(t);
	}
	fputc('\n', out);
}

void lsn_render_session(FILE *out, enum lsn_format f, const struct lsn_session *s, const struct lsn_config *cfg)
{
	switch (f) {
	case LSN_JSONL:
		session_jsonl(out, s, cfg);
		break;
	case LSN_LOG:
		session_log(out, s, cfg);
		break;
	case LSN_TEXT:
	default:
		session_text(out, s, cfg);
		break;
	}
}
