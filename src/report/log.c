/* \summary: the verbose protocol log, in the layout of Exchange 2007's
 * send-connector protocol log with ProtocolLoggingLevel Verbose (the domain
 * security example in shared/seeds): `>` a line sent, `<` a line received,
 * `*` an event, and before the TLS session is up the certificate blocks
 *
 *   *Sending certificate            (ours, only with a client certificate)
 *   *<subject>, Certificate subject
 *   *<issuer>, Certificate issuer name
 *   *<serial>, Certificate serial number
 *   *<sha1>, Certificate thumbprint
 *   *<dns;dns>, Certificate alternate names
 *   *Received certificate           (the server's leaf, same five lines)
 *
 * Each target starts with a few `#` header lines, as W3C-style logs do. */
#include "report/render.h"
#include "report/wire_render.h"

#include <stdlib.h>
#include <string.h>

/* The session code emits an event starting with these words once a
 * handshake succeeds; the certificate blocks go right before it. */
static const char handshake_event[] = "TLS handshake complete";

/* One log line: the mark, then the text with control bytes replaced, so
 * a line in the model can never become two lines in the log. */
static void put_line(FILE *out, char mark, const char *text, const char *suffix)
{
	fputc(mark, out);
	for (const char *s = text ? text : ""; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
	if (suffix)
		fputs(suffix, out);
	fputc('\n', out);
}

/* Exchange prints a DN as "CN=host, OU=Unit, O=Org, L=City, S=State, C=US":
 * RFC 4514's order with ", " between attributes and S for stateOrProvince.
 * Escaped commas ("\\,") inside a value stay as they are. */
char *log_dn_exchange_style(const char *dn)
{
	struct buf b;
	buf_init(&b, strlen(dn) * 2 + 16);
	bool start = true;
	for (const char *p = dn; *p; p++) {
		if (start && strncmp(p, "ST=", 3) == 0) {
			buf_append(&b, "S=", 2);
			p += 2;
			start = false;
			continue;
		}
		start = false;
		if (*p == '\\' && p[1]) {
			buf_append(&b, p, 2);
			p++;
			continue;
		}
		if (*p == ',') {
			buf_append(&b, ", ", 2);
			start = true;
			continue;
		}
		buf_append(&b, p, 1);
	}
	return b.data ? b.data : xstrdup("");
}

static void put_cert_block(FILE *out, const char *what, const struct cert_info *ci)
{
	put_line(out, '*', what, NULL);
	char *subject = log_dn_exchange_style(ci->subject ? ci->subject : "");
	char *issuer = log_dn_exchange_style(ci->issuer ? ci->issuer : "");
	put_line(out, '*', subject, ", Certificate subject");
	put_line(out, '*', issuer, ", Certificate issuer name");
	free(subject);
	free(issuer);
	put_line(out, '*', ci->serial_hex, ", Certificate serial number");
	put_line(out, '*', ci->sha1_hex, ", Certificate thumbprint");
	char *names = strvec_join(&ci->san_dns, ";");
	put_line(out, '*', names, ", Certificate alternate names");
	free(names);
}

static void put_cert_blocks(FILE *out, const struct session_facts *f)
{
	if (f->client_chain_len > 0)
		put_cert_block(out, "Sending certificate", &f->client_chain[0]);
	if (f->chain_len > 0)
		put_cert_block(out, "Received certificate", &f->chain[0]);
}

static bool is_handshake_event(const struct tr_entry *e)
{
	return e->kind == TR_EVENT && e->text && strncmp(e->text, handshake_event, sizeof handshake_event - 1) == 0;
}

/* The session whose handshake completed at transcript entry i, if kept. */
static const struct session_facts *session_at(const struct target_result *t, size_t i)
{
	if (t->facts.tr_handshake_entry == i + 1)
		return &t->facts;
	for (size_t k = 0; k < t->n_more_sessions; k++)
		if (t->more_sessions[k].tr_handshake_entry == i + 1)
			return &t->more_sessions[k];
	return NULL;
}

static void render_target(FILE *out, const struct report *r, const struct target_result *t)
{
	static const char marks[] = { [TR_SENT] = '>', [TR_RECV] = '<', [TR_EVENT] = '*' };
	char date[40];
	fmt_iso8601_ms(t->started_wall_us, date, sizeof date);
	fprintf(out, "#Software: mxprobe %s\n", r->tool_version ? r->tool_version : "");
	fprintf(out, "#Date: %s\n", date);
	char *session = xasprintf("Session: %s %s %s", t->input ? t->input : "-",
				  t->facts.remote ? t->facts.remote : "-", t->facts.local ? t->facts.local : "-");
	put_line(out, '#', session, NULL);
	free(session);
	if (t->domain && t->mx_host) {
		char *dom = t->mx_pref >= 0 ? xasprintf("Domain: %s MX %d %s", t->domain, t->mx_pref, t->mx_host)
					    : xasprintf("Domain: %s (no MX: its own address)", t->domain);
		put_line(out, '#', dom, NULL);
		free(dom);
	}

	/* Each session's certificates go before its own completed handshake;
	 * the standard session's, without that mark, before the first one. A
	 * probe's session the model does not keep shows none. */
	bool certs_shown = false;
	for (size_t i = 0; i < t->tr.n; i++) {
		const struct tr_entry *e = &t->tr.e[i];
		const struct session_facts *sf = session_at(t, i);
		if (sf && is_handshake_event(e)) {
			put_cert_blocks(out, sf);
			certs_shown |= sf == &t->facts;
		} else if (!certs_shown && is_handshake_event(e) && t->facts.tr_handshake_entry == 0) {
			put_cert_blocks(out, &t->facts);
			certs_shown = true;
		}
		char mark = (unsigned)e->kind < ARRAY_LEN(marks) ? marks[e->kind] : '*';
		put_line(out, mark, e->text, NULL);
	}
	if (!certs_shown && t->facts.chain_len > 0)
		put_cert_blocks(out, &t->facts);
	render_log_wire(out, t->wire); /* --capture/--wire, pcap */
}

int render_log(FILE *out, const struct report *r, const struct render_opts *o)
{
	(void)o;
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			fputc('\n', out);
		render_target(out, r, r->t[i]);
	}
	return ferror(out) ? -1 : 0;
}
