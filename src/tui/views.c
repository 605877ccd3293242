/* \summary: docs for the TUI's panes, built from the results model. */
#include "tui/views.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "pki/names.h"
#include "report/render.h"
#include "util/err.h"

static const char *const filter_names[] = { "all", "info+", "warn+", "fail+" };

const char *tui_filter_name(enum tui_filter f)
{
	return (unsigned)f < ARRAY_LEN(filter_names) ? filter_names[f] : "all";
}

static const char *sev_upper(enum severity s)
{
	static const char *const n[] = { "PASS", "INFO", "WARN", "FAIL", "ERROR" };
	return (unsigned)s < ARRAY_LEN(n) ? n[s] : "ERROR";
}

static bool shown(enum severity s, enum tui_filter f)
{
	return (int)s >= (int)f; /* FILTER_INFO hides pass, FILTER_WARN info too, ... */
}

static void kv(struct tui_doc *d, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kv(struct tui_doc *d, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *v = xvasprintf(fmt, ap);
	va_end(ap);
	doc_line(d, TC_DIM, -1, "  %-13s", key);
	doc_span(d, TC_NORMAL, "%s", v);
	free(v);
}

static char *reply_str(const struct reply_info *r)
{
	if (!r->code && !r->text)
		return xstrdup("(none)");
	char *text = r->text ? xstrdup(r->text) : xstrdup("");
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = '|';
	char *s = r->code ? xasprintf("%d%s%s %s", r->code, r->enh[0] ? " " : "", r->enh, text) : xstrdup(text);
	free(text);
	return s;
}

static void counts_spans(struct tui_doc *d, const struct tui_theme *th, const size_t c[5])
{
	for (int s = SEV_PASS; s <= SEV_ERROR; s++) {
		doc_span(d, TC_NORMAL, "  ");
		doc_span(d, c[s] ? theme_sev_class((enum severity)s) : TC_DIM, "%s %zu %s", th->sev_mark[s], c[s],
			 severity_name((enum severity)s));
	}
}

static void target_counts(const struct target_result *t, size_t c[5])
{
	memset(c, 0, 5 * sizeof c[0]);
	for (size_t i = 0; i < t->nprobes; i++)
		for (size_t k = 0; k < t->probes[i].n; k++)
			c[t->probes[i].f[k].sev]++;
}

static const char *starttls_words(enum starttls_state s)
{
	static const char *const w[] = { "not applicable", "not offered", "accepted", "refused", "broken" };
	return (unsigned)s < ARRAY_LEN(w) ? w[s] : "broken";
}

static void session_lines(struct tui_doc *d, const struct target_result *t)
{
	const struct session_facts *f = &t->facts;
	if (!f->attempted && !f->connected && f->failed_step == STEP_NONE)
		return;
	char *s;
	if (f->banner.code || f->banner.text) {
		kv(d, "banner", "%s", s = reply_str(&f->banner));
		free(s);
	}
	if (f->starttls != STARTTLS_NOT_APPLICABLE || f->starttls_reply.code) {
		s = reply_str(&f->starttls_reply);
		kv(d, "STARTTLS", "%s%s%s%s", starttls_words(f->starttls), f->starttls_reply.code ? ": " : "",
		   f->starttls_reply.code ? s : "", f->after_starttls ? "  (bytes followed the reply)" : "");
		free(s);
	}
	if (f->tls_ok)
		kv(d, "TLS", "%s %s%s%s", f->tls.protocol ? f->tls.protocol : "?",
		   f->tls.cipher_suite ? f->tls.cipher_suite : "", f->tls.group ? ", group " : "",
		   f->tls.group ? f->tls.group : "");
	else if (f->tls_error)
		kv(d, "TLS", "failed: %s%s%s", f->tls_error, f->tls_alert_name ? ", alert " : "",
		   f->tls_alert_name ? f->tls_alert_name : "");
	if (f->chain_len)
		kv(d, "certificate", "%s  (c: chain)", f->chain[0].subject ? f->chain[0].subject : "");
	if (f->failed_step != STEP_NONE)
		kv(d, "stopped at", "%s: %s", session_step_name(f->failed_step),
		   f->fail_detail ? f->fail_detail : mx_strerror(f->fail_err));
	if (f->r421.code) {
		kv(d, "421", "at %s: %s", session_step_name(f->r421_step), s = reply_str(&f->r421));
		free(s);
	}
}

static void finding_lines(struct tui_doc *d, const struct tui_theme *th, const struct finding *fd, long tag, int width)
{
	enum tui_class c = theme_sev_class(fd->sev);
	doc_line(d, c, tag, " %s %-5s ", th->sev_mark[fd->sev], sev_upper(fd->sev));
	const char *title = fd->title ? fd->title : "", *id = fd->id ? fd->id : "";
	doc_span(d, TC_BOLD, "%s", title);
	/* The id is what docs/findings.md lists: always whole, on a line of
	 * its own when the title leaves no room. */
	if (9 + strlen(title) + 4 + strlen(id) <= (size_t)width)
		doc_span(d, TC_DIM, "  [%s]", id);
	else
		doc_line(d, TC_DIM, tag, "         [%s]", id);
	if (fd->detail)
		doc_wrap(d, TC_NORMAL, tag, 9, width, fd->detail);
	for (size_t e = 0; e < fd->nev; e++) {
		char *line =
			xasprintf("%s: %s", fd->ev[e].key ? fd->ev[e].key : "", fd->ev[e].value ? fd->ev[e].value : "");
		doc_wrap(d, TC_DIM, tag, 9, width, line);
		free(line);
	}
	if (fd->remedy) {
		char *line = xasprintf("Remedy: %s", fd->remedy);
		doc_wrap(d, TC_INFO, tag, 9, width, line);
		free(line);
	}
	if (fd->rfc)
		doc_line(d, TC_DIM, tag, "         Reference: %s", fd->rfc);
}

/* Findings grouped by severity, worst first: what fails the policy, then
 * what could not be tested (often because of it), then the rest. */
static void findings_by_severity(struct tui_doc *d, const struct tui_theme *th, const struct probe_result *probes,
				 size_t nprobes, enum tui_filter f, int width)
{
	static const enum severity order[] = { SEV_FAIL, SEV_ERROR, SEV_WARN, SEV_INFO, SEV_PASS };
	bool any = false;
	for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
		int s = (int)order[o];
		if (!shown((enum severity)s, f))
			continue;
		size_t n = 0;
		for (size_t p = 0; p < nprobes; p++)
			for (size_t k = 0; k < probes[p].n; k++)
				n += probes[p].f[k].sev == (enum severity)s;
		if (!n)
			continue;
		any = true;
		doc_line(d, TC_NORMAL, -1, "%s", "");
		doc_line(d, theme_sev_class((enum severity)s), -1, "%s (%zu)", sev_upper((enum severity)s), n);
		for (size_t p = 0; p < nprobes; p++)
			for (size_t k = 0; k < probes[p].n; k++)
				if (probes[p].f[k].sev == (enum severity)s)
					finding_lines(d, th, &probes[p].f[k], TUI_TAG(p, k), width);
	}
	if (!any)
		doc_line(d, TC_DIM, -1, "  no findings at %s", tui_filter_name(f));
}

void view_target(struct tui_doc *d, const struct tui_theme *th, const struct target_result *t, enum tui_filter f,
		 int width)
{
	size_t c[5];
	target_counts(t, c);
	enum severity w = target_verdict(t);
	doc_line(d, TC_BOLD, -1, "%s", t->input ? t->input : "");
	if (t->domain)
		doc_span(d, TC_DIM, "  (MX %s of %s)", t->mx_host ? t->mx_host : "?", t->domain);
	doc_line(d, TC_DIM, -1, "  %-13s", "verdict");
	doc_span(d, theme_sev_class(w), "%s",
		 t->status == TARGET_UNTESTABLE ? "NOT TESTED: the session did not get far enough"
		 : w <= SEV_INFO		? "OK: nothing failed or warned"
		 : w == SEV_WARN		? "WARN: nothing failed, something to look at"
		 : w == SEV_FAIL		? "FAIL: a finding fails the policy"
						: "ERROR: something could not be tested");
	doc_line(d, TC_DIM, -1, "  %-11s", "findings");
	counts_spans(d, th, c);
	kv(d, "address", "%s port %u, %s, %u connection%s, %.3f s", t->host ? t->host : "?", (unsigned)t->port,
	   t->scheme ? t->scheme : "smtp", t->connections, t->connections == 1 ? "" : "s",
	   (double)t->duration_us / 1e6);
	session_lines(d, t);
	findings_by_severity(d, th, t->probes, t->nprobes, f, width);
}

void view_domain(struct tui_doc *d, const struct tui_theme *th, const struct report *r, const struct domain_result *dom,
		 enum tui_filter f, int width)
{
	static const enum tui_class vc[] = { TC_PASS, TC_FAIL, TC_INFO, TC_ERROR };
	doc_line(d, TC_BOLD, -1, "domain %s", dom->name);
	doc_line(d, TC_DIM, -1, "  %-13s", "verdict");
	static const char *const vw[] = { "PASS", "FAIL", "NO MAIL (null MX)", "ERROR: DNS could not tell" };
	doc_span(d, vc[dom->verdict < 4 ? dom->verdict : 3], "%s", vw[dom->verdict < 4 ? dom->verdict : 3]);
	doc_span(d, TC_DIM, "  at policy %s; MX answer %s (%s)", domain_policy_name(r, dom),
		 domain_mx_kind_id(dom->kind), dnssec_status_name(dom->dnssec));
	if (dom->error)
		kv(d, "DNS", "%s", dom->error);
	doc_line(d, TC_NORMAL, -1, "%s", "");
	doc_line(d, TC_HEAD, -1, "MX hosts");
	for (size_t i = 0; i < dom->nmx; i++) {
		const struct mx_host *h = &dom->mx[i];
		if (h->pref >= 0)
			doc_line(d, TC_NORMAL, -1, "  %5d %s", h->pref, h->host);
		else
			doc_line(d, TC_NORMAL, -1, "   (no MX) %s", h->host);
		doc_span(d, TC_DIM, "  A %s, AAAA %s%s%s", dnssec_status_name(h->dnssec_a),
			 dnssec_status_name(h->dnssec_aaaa), h->error ? "  " : "", h->error ? h->error : "");
		for (size_t k = 0; k < h->naddr; k++) {
			const struct mx_address *a = &h->addr[k];
			doc_line(d, TC_NORMAL, -1, "        %-40s ", a->address);
			if (!a->evaluated)
				doc_span(d, TC_DIM, "not probed");
			else
				doc_span(d, a->pass ? TC_PASS : TC_FAIL, "%s", a->pass ? "pass" : "FAIL");
		}
	}
	for (size_t i = 0; i < dom->nbroken; i++) {
		char *line = xasprintf("broken: %s %s: %s", dom->broken[i].mx,
				       dom->broken[i].address ? dom->broken[i].address : "",
				       dom->broken[i].reason ? dom->broken[i].reason : "");
		doc_wrap(d, TC_FAIL, -1, 2, width, line);
		free(line);
	}
	doc_line(d, TC_NORMAL, -1, "%s", "");
	doc_line(d, TC_HEAD, -1, "What a sending server does with mail for %s, by its TLS policy", dom->name);
	bool judged = dom->verdict == VERDICT_PASS || dom->verdict == VERDICT_FAIL;
	for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
		enum mail_fate fate = judged ? dom->fate[p] : FATE_UNKNOWN;
		static const enum tui_class fc[] = { TC_DIM, TC_PASS, TC_WARN, TC_FAIL };
		doc_line(d, TC_NORMAL, -1, "  %-14s", policy_name((enum policy)p));
		doc_span(d, fc[fate < 4 ? fate : 0], "%-22s", mail_fate_text(fate));
		if (judged && dom->safe[p])
			doc_span(d, TC_DIM, "  (safe: no address defers)");
		for (size_t i = 0; i < dom->nmx; i++)
			for (size_t k = 0; k < dom->mx[i].naddr; k++) {
				const struct mx_address *a = &dom->mx[i].addr[k];
				if (!a->evaluated || !a->fate_reason[p])
					continue;
				char *why = xasprintf("%s: %s", a->address, a->fate_reason[p]);
				doc_wrap(d, TC_DIM, -1, 18, width, why);
				free(why);
			}
	}
	findings_by_severity(d, th, &dom->checks, 1, f, width);
}

/* ---- the certificate chain ----------------------------------------- */

static void iso(int64_t t, char *buf, size_t n)
{
	fmt_iso8601(t, buf, n);
}

static void validity_bar(struct tui_doc *d, const struct tui_theme *th, const struct cert_info *ci, int64_t at,
			 int width)
{
	const int indent = 17;
	int bw = width - indent - 2;
	if (bw > 60)
		bw = 60;
	if (bw < 10)
		bw = 10;
	int64_t lo = ci->not_before < at ? ci->not_before : at;
	int64_t hi = ci->not_after > at ? ci->not_after : at;
	if (hi <= lo)
		hi = lo + 1;
	int pb = (int)((double)(ci->not_before - lo) * (bw - 1) / (double)(hi - lo));
	int pa = (int)((double)(ci->not_after - lo) * (bw - 1) / (double)(hi - lo));
	int pn = (int)((double)(at - lo) * (bw - 1) / (double)(hi - lo));
	bool valid = at >= ci->not_before && at <= ci->not_after;
	doc_line(d, TC_DIM, -1, "  %-15s", "validity");
	for (int x = 0; x < bw; x++) {
		if (x == pn)
			doc_span(d, TC_NOW, "%s", th->now);
		else if (x >= pb && x <= pa)
			doc_span(d, valid ? TC_PASS : TC_FAIL, "%s", th->bar_in);
		else
			doc_span(d, TC_DIM, "%s", th->bar_out);
	}
	char nb[32], na[32], now[32];
	iso(ci->not_before, nb, sizeof nb);
	iso(ci->not_after, na, sizeof na);
	iso(at, now, sizeof now);
	long long days;
	char *state;
	if (at > ci->not_after) {
		days = (at - ci->not_after) / 86400;
		state = xasprintf("EXPIRED %lld day%s ago", days, days == 1 ? "" : "s");
	} else if (at < ci->not_before) {
		days = (ci->not_before - at) / 86400;
		state = xasprintf("NOT YET VALID: starts in %lld day%s", days, days == 1 ? "" : "s");
	} else {
		days = (ci->not_after - at) / 86400;
		state = xasprintf("valid, %lld day%s left", days, days == 1 ? "" : "s");
	}
	/* The caret under the now mark, with the words on its free side. */
	char *label = xasprintf("now %s: %s", now, state);
	int lw = (int)strlen(label);
	if (pn + 2 + lw <= bw + 8 || pn < lw + 2)
		doc_line(d, TC_NORMAL, -1, "%*s", indent + pn, "");
	else
		doc_line(d, TC_NORMAL, -1, "%*s", indent + pn - lw - 1, "");
	if (pn + 2 + lw <= bw + 8 || pn < lw + 2) {
		doc_span(d, TC_NOW, "%s", th->up);
		doc_span(d, valid ? TC_PASS : TC_FAIL, " %s", label);
	} else {
		doc_span(d, valid ? TC_PASS : TC_FAIL, "%s ", label);
		doc_span(d, TC_NOW, "%s", th->up);
	}
	doc_line(d, TC_DIM, -1, "%*snotBefore %s .. notAfter %s", indent, "", nb, na);
	free(label);
	free(state);
}

static void names_lines(struct tui_doc *d, const struct cert_info *ci, const char *ref)
{
	doc_line(d, TC_DIM, -1, "  %-15s", "names");
	if (!ci->san_dns.n && !ci->san_ip.n && !ci->san_other.n)
		doc_span(d, TC_DIM, "(no subjectAltName)");
	bool ip = ref && names_is_ip_literal(ref);
	for (size_t i = 0; i < ci->san_dns.n; i++) {
		bool m = ref && !ip && names_dns_match(ci->san_dns.v[i], ref);
		doc_span(d, m ? TC_MATCH : TC_NORMAL, "%s%s", ci->san_dns.v[i], m ? " (matched)" : "");
		doc_span(d, TC_NORMAL, "  ");
	}
	for (size_t i = 0; i < ci->san_ip.n; i++) {
		bool m = ref && ip && names_ip_equal(ci->san_ip.v[i], ref);
		doc_span(d, m ? TC_MATCH : TC_NORMAL, "IP:%s%s", ci->san_ip.v[i], m ? " (matched)" : "");
		doc_span(d, TC_NORMAL, "  ");
	}
	for (size_t i = 0; i < ci->san_other.n; i++)
		doc_span(d, TC_DIM, "%s  ", ci->san_other.v[i]);
	if (ref)
		doc_line(d, TC_DIM, -1, "%17schecked against %s", "", ref);
}

static void cert_lines(struct tui_doc *d, const struct tui_theme *th, const struct cert_info *ci, size_t i, size_t n,
		       int64_t at, const char *ref, int width)
{
	const char *role = i == 0 ? "leaf" : ci->self_signed ? "root" : "intermediate";
	doc_line(d, TC_NORMAL, -1, "%s", "");
	doc_line(d, TC_HEAD, -1, "[%zu/%zu] %s  %s", i, n, role, ci->subject ? ci->subject : "");
	kv(d, "subject", "%s", ci->subject ? ci->subject : "");
	kv(d, "issuer", "%s", ci->issuer ? ci->issuer : "");
	kv(d, "serial", "%s", ci->serial_hex ? ci->serial_hex : "");
	kv(d, "SHA-1", "%s", ci->sha1_hex ? ci->sha1_hex : "");
	kv(d, "SHA-256", "%s", ci->sha256_hex ? ci->sha256_hex : "");
	kv(d, "key", "%s %u bits", ci->key_type ? ci->key_type : "?", ci->key_bits);
	kv(d, "signature", "%s", ci->sig_alg ? ci->sig_alg : "?");
	kv(d, "CA", "%s%s", ci->is_ca ? "yes" : "no", ci->self_signed ? ", self-signed" : "");
	char nb[32], na[32];
	iso(ci->not_before, nb, sizeof nb);
	iso(ci->not_after, na, sizeof na);
	kv(d, "not before", "%s", nb);
	kv(d, "not after", "%s", na);
	validity_bar(d, th, ci, at, width);
	names_lines(d, ci, i == 0 ? ref : NULL);
	kv(d, "DER", "%zu bytes", ci->der_len);
}

static const struct probe_result *probe_named(const struct target_result *t, const char *name)
{
	for (size_t i = 0; i < t->nprobes; i++)
		if (t->probes[i].name && strcmp(t->probes[i].name, name) == 0)
			return &t->probes[i];
	return NULL;
}

static void probe_findings(struct tui_doc *d, const struct tui_theme *th, const struct target_result *t,
			   const char *probe, const char *heading, int width)
{
	const struct probe_result *pr = probe_named(t, probe);
	doc_line(d, TC_NORMAL, -1, "%s", "");
	doc_line(d, TC_HEAD, -1, "%s", heading);
	if (!pr || !pr->n) {
		doc_line(d, TC_DIM, -1, "  the %s probe did not run", probe);
		return;
	}
	size_t p = (size_t)(pr - t->probes);
	for (size_t k = 0; k < pr->n; k++)
		finding_lines(d, th, &pr->f[k], TUI_TAG(p, k), width);
}

void view_chain(struct tui_doc *d, const struct tui_theme *th, const struct target_result *t, int64_t at, int width)
{
	const struct session_facts *f = &t->facts;
	char now[32];
	iso(at, now, sizeof now);
	doc_line(d, TC_BOLD, -1, "Certificate chain from %s", t->input ? t->input : "");
	doc_line(d, TC_DIM, -1, "  %zu certificate%s, judged at %s", f->chain_len, f->chain_len == 1 ? "" : "s", now);
	if (!f->chain_len)
		doc_line(d, TC_DIM, -1, "  no certificate: %s",
			 f->tls_attempted ? "the TLS handshake did not get that far" : "TLS did not start");
	const char *ref = t->mx_host ? t->mx_host : f->tls.sni ? f->tls.sni : t->host;
	for (size_t i = 0; i < f->chain_len; i++)
		cert_lines(d, th, &f->chain[i], i, f->chain_len, at, ref, width);
	probe_findings(d, th, t, "chain", "Chain validation", width);
	probe_findings(d, th, t, "expiry", "Validity period", width);
	probe_findings(d, th, t, "names", "Names", width);
	probe_findings(d, th, t, "revocation", "Revocation: sources asked and their answers", width);
	if (f->tls.n_staples) {
		for (size_t i = 0; i < f->tls.n_staples; i++)
			if (f->tls.staples[i].len)
				doc_line(d, TC_DIM, -1, "  OCSP staple for certificate %zu: %zu bytes", i,
					 f->tls.staples[i].len);
	}
}

/* ---- the client-certificate request -------------------------------- */

static void ccert_session(struct tui_doc *d, const struct session_facts *f, const char *what)
{
	const struct tls_params *tp = &f->tls;
	doc_line(d, TC_NORMAL, -1, "%s", "");
	doc_line(d, TC_HEAD, -1, "%s", what);
	if (!f->tls_attempted && !f->tls_ok) {
		doc_line(d, TC_DIM, -1, "  TLS did not start in this session");
		return;
	}
	kv(d, "requested", "%s", tp->cert_requested ? "yes: the server sent a CertificateRequest" : "no");
	if (tp->cert_requested) {
		char *s = tp->ccert_ca_names.n ? strvec_join(&tp->ccert_ca_names, " | ") : xstrdup("any (empty list)");
		kv(d, "CA names", "%s", s);
		free(s);
		s = strvec_join(&tp->ccert_types, ", ");
		kv(d, "cert types", "%s", *s ? s : "(not told)");
		free(s);
		s = strvec_join(&tp->ccert_sig_algs, ", ");
		kv(d, "sig algs", "%s", *s ? s : "(not told by the library)");
		free(s);
	}
	kv(d, "we sent", "%s", tp->ccert_sent ? "a certificate" : "no certificate");
	for (size_t i = 0; i < f->client_chain_len; i++)
		kv(d, i ? "  issuer" : "our cert", "%s (issuer %s)",
		   f->client_chain[i].subject ? f->client_chain[i].subject : "",
		   f->client_chain[i].issuer ? f->client_chain[i].issuer : "");
	kv(d, "outcome", "%s", f->tls_ok ? "handshake completed" : f->tls_error ? f->tls_error : "handshake failed");
	if (f->tls_alert_name)
		kv(d, "alert", "%d %s", f->tls_alert, f->tls_alert_name);
	if (f->late_alert >= 0)
		kv(d, "late alert", "%d (after the handshake)", f->late_alert);
}

void view_ccert(struct tui_doc *d, const struct tui_theme *th, const struct target_result *t, int width)
{
	doc_line(d, TC_BOLD, -1, "Client-certificate request from %s", t->input ? t->input : "");
	ccert_session(d, &t->facts, "Standard session (no certificate of ours)");
	for (size_t i = 0; i < t->n_more_sessions; i++)
		ccert_session(d, &t->more_sessions[i], "Session presenting our certificate (mtls probe)");
	probe_findings(d, th, t, "mtls", "What the mtls probe found", width);
}

/* ---- the transcript and the wire ----------------------------------- */

void view_log(struct tui_doc *d, const struct report *r, const struct target_result *t)
{
	/* The log renderer itself, over a report of this one target: the
	 * layout is the Exchange log's, byte for byte as `--format log`. */
	struct target_result *one[1] = { (struct target_result *)(uintptr_t)t };
	struct report sub = *r;
	sub.t = one;
	sub.n = 1;
	sub.domains = NULL;
	sub.ndomains = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp) {
		doc_line(d, TC_ERROR, -1, "cannot render the transcript");
		return;
	}
	struct render_opts ro = { 0 };
	render_log(fp, &sub, &ro);
	fclose(fp);
	for (const char *p = buf; p && *p;) {
		size_t n = strcspn(p, "\n");
		enum tui_class c = *p == '>' ? TC_INFO : *p == '<' ? TC_NORMAL : *p == '#' ? TC_DIM : TC_WARN;
		doc_line(d, c, -1, "%.*s", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	free(buf);
	if (!t->tr.n)
		doc_line(d, TC_DIM, -1, "(no transcript: nothing was sent or received)");
}

void view_wire(struct tui_doc *d, const struct target_result *t, int width)
{
	(void)width;
	doc_line(d, TC_BOLD, -1, "Wire summary for %s", t->input ? t->input : "");
	doc_line(d, TC_DIM, -1, "%s", "");
	doc_line(d, TC_DIM, -1, "  This report holds no wire capture: this mxprobe has no --capture/--wire yet,");
	doc_line(d, TC_DIM, -1, "  so there is nothing observed on the wire to show. The transcript (t) shows");
	doc_line(d, TC_DIM, -1, "  every line sent and received in the session.");
}

void view_help(struct tui_doc *d)
{
	static const char *const lines[] = {
		"Keys",
		"",
		"  Up/Down, k/j       move in the pane that has the focus",
		"  PgUp/PgDn          a page up or down",
		"  Home/End, g/G      first or last",
		"  Tab                switch between the targets and the findings pane",
		"  Enter              targets: go to the findings; a finding: open what it is about",
		"  Esc                back (close a view, leave the findings pane)",
		"  c                  certificate chain: every field, validity bar, names, revocation",
		"  m                  client-certificate request (mutual TLS)",
		"  t                  transcript in the Exchange protocol-log layout",
		"  w                  wire summary",
		"  /                  search in the pane or view; n next, N previous",
		"  f                  severity filter: all, info+, warn+, fail+",
		"  s                  save the report as JSON (asks for a file name)",
		"  r                  run the selected target again",
		"  ?                  this help",
		"  q                  close a view; on the main screen quit (Ctrl-C quits too)",
		"  mouse click        select a target or a finding",
		"",
		"Severities: pass, info, warn, fail (against the policy), error (could not be tested).",
		"The header shows the counts over every target; each row a target's own counts.",
	};
	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		doc_line(d, i == 0 ? TC_HEAD : TC_NORMAL, -1, "%s", lines[i]);
}

int view_drill_for(const struct finding *f)
{
	const char *id = f && f->id ? f->id : "";
	if (strncmp(id, "cert.", 5) == 0 || strncmp(id, "revocation.", 11) == 0 || strncmp(id, "ocsp.", 5) == 0 ||
	    strncmp(id, "dane.", 5) == 0 || strcmp(id, "tls.chain-received") == 0)
		return 'c';
	if (strncmp(id, "mtls.", 5) == 0)
		return 'm';
	return 't';
}
