/* \summary: the human-readable renderer: per target a header, the story of
 * the standard session, then each probe's findings, one line each; a summary
 * line at the end.
 *
 * Colours are ANSI SGR codes and appear only when the caller asks for them
 * (a TTY without NO_COLOR, https://no-color.org/). Text from the model is
 * printable by contract, but it came from the network: control bytes are
 * replaced on output, so a hostile banner cannot move the cursor either. */
#include "mail/headers.h"
#include "report/domain.h"
#include "report/render.h"
#include "report/render_enum.h"
#include "report/wire_render.h"
#include "report/text_domain.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "net/idn.h"
#include "util/err.h"

#define SGR_RESET "\x1b[0m"
#define SGR_BOLD  "\x1b[1m"
#define SGR_DIM	  "\x1b[2m"

static const struct {
	const char *tag;
	const char *sgr;
} sev_style[] = {
	[SEV_PASS] = { "[PASS]", "\x1b[32m" },	/* green */
	[SEV_INFO] = { "[INFO]", "\x1b[36m" },	/* cyan */
	[SEV_WARN] = { "[WARN]", "\x1b[33m" },	/* yellow */
	[SEV_FAIL] = { "[FAIL]", "\x1b[31m" },	/* red */
	[SEV_ERROR] = { "[ERR ]", "\x1b[35m" }, /* magenta */
};

static const char *const starttls_words[] = {
	[STARTTLS_NOT_APPLICABLE] = "not applicable",
	[STARTTLS_NOT_OFFERED] = "not offered",
	[STARTTLS_ACCEPTED] = "accepted",
	[STARTTLS_REFUSED] = "refused",
	[STARTTLS_BROKEN] = "broken",
};

struct tx {
	FILE *out;
	bool color;
};

static void sgr(const struct tx *x, const char *code)
{
	if (x->color)
		fputs(code, x->out);
}

static enum severity sev_clamp(enum severity s)
{
	return (unsigned)s < ARRAY_LEN(sev_style) ? s : SEV_ERROR;
}

/* Writes model text: control bytes become '?', a newline continues on a
 * new line indented by `indent` spaces. */
static void put_text(const struct tx *x, const char *s, int indent)
{
	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fprintf(x->out, "\n%*s", indent, "");
		else if (c < 0x20 || c == 0x7f)
			fputc('?', x->out);
		else
			fputc(c, x->out);
	}
}

/* Only the first line of a multi-line text. */
static void put_first_line(const struct tx *x, const char *s)
{
	if (!s)
		return;
	size_t n = strcspn(s, "\n");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c == 0x7f ? '?' : c, x->out);
	}
	if (s[n])
		fputs(" ...", x->out);
}

static void put_secs(const struct tx *x, int64_t us)
{
	if (us < 0)
		us = 0;
	fprintf(x->out, "%" PRId64 ".%03" PRId64 "s", us / 1000000, us / 1000 % 1000);
}

/* An SMTP/LMTP reply has a code; a POP3 or IMAP one only its text
 * ("+OK ...", "* OK ..."). */
static void put_reply(const struct tx *x, const struct reply_info *r)
{
	const char *sep = "";
	if (r->code) {
		fprintf(x->out, "%d", r->code);
		sep = " ";
	}
	if (r->enh[0]) {
		fputs(sep, x->out);
		put_text(x, r->enh, 0);
		sep = " ";
	}
	if (r->text && r->text[0]) {
		fputs(sep, x->out);
		put_first_line(x, r->text);
	}
}

/* "    label        " */
static void label(const struct tx *x, const char *l)
{
	fprintf(x->out, "    %-13s", l);
}

/* ---- target header and session story ------------------------------- */

static void render_header(const struct tx *x, const struct target_result *t)
{
	sgr(x, SGR_BOLD);
	fputs("== ", x->out);
	put_text(x, t->input ? t->input : t->host, 0);
	sgr(x, SGR_RESET);
	if (t->address) {
		fputs("  [", x->out);
		put_text(x, t->address, 0);
		fputc(']', x->out);
	}
	fprintf(x->out, "  %s  %u connection%s  ", t->status == TARGET_TESTED ? "tested" : "untestable", t->connections,
		t->connections == 1 ? "" : "s");
	put_secs(x, t->duration_us);
	fputc('\n', x->out);
	/* An internationalised name: both forms (DNS, SNI and matching use the
	 * A-labels). */
	const char *name = t->mx_host ? t->mx_host : t->host;
	char *ulabels = idn_to_ulabels(name);
	if (ulabels) {
		fputs("   name: ", x->out);
		put_text(x, name, 0);
		fputs(" (", x->out);
		put_text(x, ulabels, 0);
		fputs(")\n", x->out);
		free(ulabels);
	}
	if (t->mx_host && t->domain) {
		if (t->mx_pref >= 0)
			fprintf(x->out, "   MX %d of %s\n", t->mx_pref, t->domain);
		else
			fprintf(x->out, "   the address of %s (no MX)\n", t->domain);
	}
}

static void render_tls_line(const struct tx *x, const struct tls_params *tp)
{
	label(x, "TLS");
	put_text(x, tp->protocol ? tp->protocol : "?", 0);
	if (tp->cipher_suite) {
		fputc(' ', x->out);
		put_text(x, tp->cipher_suite, 0);
	}
	if (tp->group) {
		fputs(", group ", x->out);
		put_text(x, tp->group, 0);
	} else if (tp->dh_bits) {
		fprintf(x->out, ", DH %u bits", tp->dh_bits);
	}
	if (tp->resumed)
		fputs(", resumed", x->out);
	fprintf(x->out, " (handshake %" PRId64 " ms)\n", tp->handshake_us / 1000);
}

static void render_leaf(const struct tx *x, const struct cert_info *leaf)
{
	char when[40];
	label(x, "certificate");
	put_text(x, leaf->subject, 0);
	fputc('\n', x->out);
	label(x, "  issuer");
	put_text(x, leaf->issuer, 0);
	fputc('\n', x->out);
	fmt_iso8601(leaf->not_after, when, sizeof when);
	label(x, "  not after");
	fprintf(x->out, "%s\n", when);
	label(x, "  thumbprint");
	fprintf(x->out, "%s (SHA-1)\n", leaf->sha1_hex ? leaf->sha1_hex : "");
	if (leaf->san_dns.n) {
		char *names = strvec_join(&leaf->san_dns, ";");
		label(x, "  names");
		put_text(x, names, 0);
		fputc('\n', x->out);
		free(names);
	}
}

static void render_failure(const struct tx *x, const struct session_facts *f)
{
	label(x, "failed at");
	fputs(session_step_name(f->failed_step), x->out);
	if (f->fail_err)
		fprintf(x->out, ": %s", mx_strerror(f->fail_err));
	if (f->fail_detail) {
		fputs(" (", x->out);
		put_first_line(x, f->fail_detail);
		fputc(')', x->out);
	}
	fputc('\n', x->out);
	if (!f->tls_error)
		return;
	label(x, "TLS error");
	put_text(x, f->tls_error, 0);
	if (f->tls_error_text) {
		fputs(": ", x->out);
		put_first_line(x, f->tls_error_text);
	}
	if (f->tls_alert >= 0) {
		fprintf(x->out, " (alert %d", f->tls_alert);
		if (f->tls_alert_name) {
			fputc(' ', x->out);
			put_text(x, f->tls_alert_name, 0);
		}
		fputc(')', x->out);
	}
	fputc('\n', x->out);
}

static void render_session(const struct tx *x, const struct session_facts *f)
{
	fputs("  ", x->out);
	sgr(x, SGR_BOLD);
	fputs("session", x->out);
	sgr(x, SGR_RESET);
	fputc('\n', x->out);
	if (f->connected) {
		label(x, "connected");
		put_text(x, f->remote ? f->remote : "?", 0);
		fprintf(x->out, " in %" PRId64 " ms\n", f->connect_us / 1000);
	}
	if (f->banner.code || f->banner.text) {
		label(x, "banner");
		put_reply(x, &f->banner);
		fputc('\n', x->out);
	}
	if (f->ehlo.code) {
		label(x, f->used_helo ? "HELO" : "EHLO");
		fprintf(x->out, "%d", f->ehlo.code);
		if (f->caps_plain.valid)
			fprintf(x->out, ", %zu extension%s", f->caps_plain.lines.n,
				f->caps_plain.lines.n == 1 ? "" : "s");
		else if (f->ehlo.text) {
			fputc(' ', x->out);
			put_first_line(x, f->ehlo.text);
		}
		fputc('\n', x->out);
	}
	label(x, "STARTTLS");
	if (f->implicit_tls) {
		fputs("not applicable (implicit TLS)", x->out);
	} else {
		unsigned s = f->starttls;
		fputs(s < ARRAY_LEN(starttls_words) ? starttls_words[s] : "?", x->out);
		if (f->starttls_reply.code) {
			fputs(" (", x->out);
			put_reply(x, &f->starttls_reply);
			fputc(')', x->out);
		}
		if (f->after_starttls)
			fprintf(x->out, ", %zu bytes followed the reply", f->after_starttls_len);
	}
	fputc('\n', x->out);
	if (f->tls_ok)
		render_tls_line(x, &f->tls);
	if (f->chain_len > 0)
		render_leaf(x, &f->chain[0]);
	if (f->failed_step != STEP_NONE || f->tls_error)
		render_failure(x, f);
	if (f->r421.code) {
		label(x, "421");
		fprintf(x->out, "at %s: ", session_step_name(f->r421_step));
		put_reply(x, &f->r421);
		fputc('\n', x->out);
	}
	if (f->slow) {
		label(x, "slow");
		fprintf(x->out, "%s took ", session_step_name(f->slow_step));
		put_secs(x, f->slow_us);
		fputc('\n', x->out);
	}
}

/* ---- findings ------------------------------------------------------ */

#define DETAIL_INDENT 11 /* under the title: "    [WARN] " */

static void render_finding(const struct tx *x, const struct finding *fd, bool verbose)
{
	enum severity s = sev_clamp(fd->sev);
	fputs("    ", x->out);
	sgr(x, sev_style[s].sgr);
	fputs(sev_style[s].tag, x->out);
	sgr(x, SGR_RESET);
	fputc(' ', x->out);
	put_text(x, fd->title, DETAIL_INDENT);
	fputs("  ", x->out);
	sgr(x, SGR_DIM);
	fputc('(', x->out);
	put_text(x, fd->id, 0);
	fputc(')', x->out);
	sgr(x, SGR_RESET);
	fputc('\n', x->out);

	if (s < SEV_WARN && !verbose)
		return;
	if (fd->detail) {
		fprintf(x->out, "%*s", DETAIL_INDENT, "");
		put_text(x, fd->detail, DETAIL_INDENT);
		fputc('\n', x->out);
	}
	for (size_t i = 0; i < fd->nev; i++) {
		fprintf(x->out, "%*s", DETAIL_INDENT, "");
		put_text(x, fd->ev[i].key, DETAIL_INDENT);
		fputc('=', x->out);
		put_text(x, fd->ev[i].value, DETAIL_INDENT);
		fputc('\n', x->out);
	}
	if (fd->rfc) {
		fprintf(x->out, "%*sReference: ", DETAIL_INDENT, "");
		put_text(x, fd->rfc, DETAIL_INDENT);
		fputc('\n', x->out);
	}
	if (fd->remedy) {
		fprintf(x->out, "%*sRemedy: ", DETAIL_INDENT, "");
		put_text(x, fd->remedy, DETAIL_INDENT);
		fputc('\n', x->out);
	}
}

static void render_probe(const struct tx *x, const struct probe_result *pr, bool verbose)
{
	if (pr->n == 0)
		return;
	fputs("  ", x->out);
	sgr(x, SGR_BOLD);
	put_text(x, pr->title ? pr->title : pr->name, 0);
	sgr(x, SGR_RESET);
	if (pr->name && pr->title) {
		fputs(" ", x->out);
		sgr(x, SGR_DIM);
		fputc('(', x->out);
		put_text(x, pr->name, 0);
		fputc(')', x->out);
		sgr(x, SGR_RESET);
	}
	fputc('\n', x->out);
	/* A probe with nothing to say (the diagnosis of a session that
	 * worked) is not worth a line. */
	for (size_t i = 0; i < pr->n; i++)
		render_finding(x, &pr->f[i], verbose);
}

static void render_transcript(const struct tx *x, const struct transcript *tr)
{
	static const char marks[] = { [TR_SENT] = '>', [TR_RECV] = '<', [TR_EVENT] = '*' };
	fputs("  ", x->out);
	sgr(x, SGR_BOLD);
	fputs("transcript", x->out);
	sgr(x, SGR_RESET);
	fputc('\n', x->out);
	for (size_t i = 0; i < tr->n; i++) {
		const struct tr_entry *e = &tr->e[i];
		char mark = (unsigned)e->kind < ARRAY_LEN(marks) ? marks[e->kind] : '*';
		fputs("  +", x->out);
		put_secs(x, e->t_us);
		fprintf(x->out, " %c ", mark);
		put_text(x, e->text, 0);
		fputc('\n', x->out);
	}
}

static void render_target(const struct tx *x, const struct target_result *t, bool verbose)
{
	render_header(x, t);
	if (t->facts.attempted || t->facts.connected || t->facts.failed_step != STEP_NONE)
		render_session(x, &t->facts);
	for (size_t i = 0; i < t->nprobes; i++)
		render_probe(x, &t->probes[i], verbose);
	text_render_enum(x->out, x->color, t);	    /* the enumeration probes' table */
	render_text_wire(x->out, t->wire, verbose); /* --capture/--wire, pcap */
	if (verbose && t->tr.n > 0)
		render_transcript(x, &t->tr);
}

/* mxprobe headers: the Received chain as a table, oldest hop first, then
 * the headers.* findings. */
static void render_message(const struct tx *x, const struct message_result *m, bool verbose)
{
	sgr(x, SGR_BOLD);
	fputs("== Message ", x->out);
	put_text(x, m->source, 0);
	fprintf(x->out, ": %zu hop%s", m->h.nhops, m->h.nhops == 1 ? "" : "s");
	sgr(x, SGR_RESET);
	fputc('\n', x->out);
	if (m->h.message_id) {
		fputs("   Message-ID ", x->out);
		put_text(x, m->h.message_id, 0);
		fputc('\n', x->out);
	}
	int64_t prev = INT64_MIN;
	for (size_t i = 0; i < m->h.nhops; i++) {
		const struct mail_hop *h = &m->h.hops[i];
		char when[32] = "?";
		if (h->when != INT64_MIN)
			fmt_iso8601(h->when, when, sizeof when);
		fprintf(x->out, "   %2zu  ", h->index);
		put_text(x, h->from ? h->from : "(local)", 0);
		fputs(" -> ", x->out);
		put_text(x, h->by ? h->by : "?", 0);
		fprintf(x->out, "  %s", when);
		if (prev != INT64_MIN && h->when != INT64_MIN)
			fprintf(x->out, " (+%" PRId64 " s)", h->when - prev);
		if (h->when != INT64_MIN)
			prev = h->when;
		fputs("\n       ", x->out);
		if (h->with) {
			fputs("with ", x->out);
			put_text(x, h->with, 0);
			fputs(": ", x->out);
		}
		switch (h->tls) {
		case HOP_TLS_YES:
			fputs("TLS", x->out);
			if (h->tls_version || h->tls_cipher) {
				fputc(' ', x->out);
				put_text(x, h->tls_version ? h->tls_version : "?", 0);
				fputc(' ', x->out);
				put_text(x, h->tls_cipher ? h->tls_cipher : "?", 0);
			}
			if (h->tls_bits) {
				fputs(" (", x->out);
				put_text(x, h->tls_bits, 0);
				fputs(" bits)", x->out);
			}
			if (h->tls_verify) {
				fputs(", client certificate: ", x->out);
				put_text(x, h->tls_verify, 0);
			}
			if (h->tls_style) {
				fputs(" [", x->out);
				put_text(x, h->tls_style, 0);
				fputc(']', x->out);
			}
			break;
		case HOP_TLS_NO:
			fputs("no TLS", x->out);
			break;
		case HOP_TLS_LOCAL:
			fputs("local submission (no network)", x->out);
			break;
		default:
			fputs("TLS not stated", x->out);
			break;
		}
		fputc('\n', x->out);
	}
	render_probe(x, &m->checks, verbose);
}

static void render_summary(const struct tx *x, const struct report *r)
{
	size_t c[5];
	report_count(r, c);
	sgr(x, SGR_BOLD);
	fputs("Summary:", x->out);
	sgr(x, SGR_RESET);
	for (enum severity s = SEV_PASS; s <= SEV_ERROR; s++) {
		fputs(s == SEV_PASS ? " " : ", ", x->out);
		if (c[s])
			sgr(x, sev_style[s].sgr);
		fprintf(x->out, "%zu %s", c[s], severity_name(s));
		if (c[s])
			sgr(x, SGR_RESET);
	}
	/* --domain targets are the domains' MX addresses: count them as such,
	 * so that a run with only --domain does not read "in 0 targets". */
	size_t mx_addrs = 0;
	for (size_t d = 0; d < r->ndomains; d++)
		for (size_t h = 0; h < r->domains[d].nmx; h++)
			for (size_t a = 0; a < r->domains[d].mx[h].naddr; a++)
				mx_addrs += r->domains[d].mx[h].addr[a].target != SIZE_MAX;
	size_t plain = r->n >= mx_addrs ? r->n - mx_addrs : 0;
	fputs(" in ", x->out);
	if (r->nmessages && !r->n && !r->ndomains) {
		fprintf(x->out, "%zu message%s\n", r->nmessages, r->nmessages == 1 ? "" : "s");
		return;
	}
	if (plain || !r->ndomains)
		fprintf(x->out, "%zu target%s%s", plain, plain == 1 ? "" : "s", r->ndomains ? " and " : "");
	if (r->ndomains)
		fprintf(x->out, "%zu domain%s (%zu MX address%s probed)", r->ndomains, r->ndomains == 1 ? "" : "s",
			mx_addrs, mx_addrs == 1 ? "" : "es");
	fputc('\n', x->out);
}

int render_text(FILE *out, const struct report *r, const struct render_opts *o)
{
	struct tx x = { .out = out, .color = o && o->color };
	bool verbose = o && o->verbose;
	for (size_t i = 0; i < r->n; i++) {
		render_target(&x, r->t[i], verbose);
		fputc('\n', out);
	}
	render_text_domains(out, r, x.color); /* --domain: verdict, mail fate */
	for (size_t i = 0; i < r->nmessages; i++) {
		render_message(&x, &r->messages[i], verbose);
		fputc('\n', out);
	}
	render_summary(&x, r);
	return ferror(out) ? -1 : 0;
}
