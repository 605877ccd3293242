/* \summary: the text report's section per --domain: the MX list with
 * addresses and DNSSEC status, the verdict and what breaks it, the table
 * of what will happen to the mail under each policy level, the levels the
 * domain can be switched to safely, and the domain.* findings. */
#include "report/text_domain.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/options.h"
#include "net/idn.h"
#include "pki/dane.h"
#include "policy/domain_policy.h"
#include "report/domain.h"

#define SGR_BOLD   "\033[1m"
#define SGR_RED	   "\033[31m"
#define SGR_GREEN  "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_RESET  "\033[0m"

static const char *short_fate(enum mail_fate f)
{
	switch (f) {
	case FATE_TLS:
		return "TLS";
	case FATE_CLEAR:
		return "clear";
	case FATE_DEFER:
		return "defer";
	default:
		return "?";
	}
}

static void col(FILE *out, bool color, const char *code)
{
	if (color)
		fputs(code, out);
}

static void fate_row(FILE *out, bool color, const char *label, const enum mail_fate *fate)
{
	fprintf(out, "     %-40s", label);
	for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
		const char *c = fate[p] == FATE_DEFER ? SGR_RED : fate[p] == FATE_TLS ? SGR_GREEN : SGR_YELLOW;
		col(out, color, c);
		fprintf(out, " %-9s", short_fate(fate[p]));
		col(out, color, SGR_RESET);
	}
	fputc('\n', out);
}

/* The MX host's TLSA records and whether a DANE sender uses them (the
 * dane probe's findings say whether they match). */
static void render_tlsa(FILE *out, const struct mx_tlsa *tl)
{
	const char *name = tl->name ? tl->name : "TLSA";
	switch (tl->state) {
	case TLSA_NONE:
		fprintf(out, "         TLSA %s: none (DNSSEC %s): DANE does not apply\n", name,
			dnssec_status_name(tl->dnssec));
		return;
	case TLSA_FAILED:
		fprintf(out, "         TLSA %s: lookup failed (DNSSEC %s): %s\n", name, dnssec_status_name(tl->dnssec),
			tl->why ? tl->why : "");
		return;
	case TLSA_NOT_ASKED:
		if (tl->why)
			fprintf(out, "         TLSA: not looked up: %s\n", tl->why);
		return;
	default:
		break;
	}
	fprintf(out, "         TLSA %s: %zu record%s, DNSSEC %s: %s\n", name, tl->nrr, tl->nrr == 1 ? "" : "s",
		dnssec_status_name(tl->dnssec),
		mx_tlsa_usable(tl)	      ? "DANE senders use them"
		: tl->dnssec != DNSSEC_SECURE ? "not signed, DANE senders ignore them"
		: !tl->addr_secure	      ? "the addresses are not signed, DANE senders ignore them"
					      : "the MX answer is not signed, Postfix and Exim ignore them");
	for (size_t i = 0; i < tl->nrr; i++) {
		char *t = dane_tlsa_text(&tl->rr[i]);
		fprintf(out, "           %s\n", t);
		free(t);
	}
}

static void render_mx(FILE *out, bool color, const struct mx_host *h)
{
	if (h->pref < 0)
		fprintf(out, "     (no MX) %s  -- the domain's own address (RFC 5321 section 5.1)\n", h->host);
	else
		fprintf(out, "     MX %-5d %s\n", h->pref, h->host);
	for (size_t k = 0; k < h->naddr; k++) {
		const struct mx_address *a = &h->addr[k];
		fprintf(out, "         %-39s %-4s  DNSSEC %-8s  ", a->address, a->family == AF_INET6 ? "AAAA" : "A",
			dnssec_status_name(a->dnssec));
		if (!a->evaluated) {
			fputs("not probed\n", out);
			continue;
		}
		col(out, color, a->pass ? SGR_GREEN : SGR_RED);
		fputs(a->pass ? "pass" : "FAIL", out);
		col(out, color, SGR_RESET);
		fputc('\n', out);
	}
	if (h->error)
		fprintf(out, "         %s\n", h->error);
	render_tlsa(out, &h->tlsa);
}

static void render_table(FILE *out, bool color, const struct domain_result *d)
{
	fprintf(out, "   What will happen to mail for %s, by the sending server's policy:\n", d->name);
	fprintf(out, "     %-40s", "MX host[address]");
	for (int p = 0; p < DOMAIN_NPOLICIES; p++)
		fprintf(out, " %-9s", policy_name((enum policy)p));
	fputc('\n', out);
	for (size_t m = 0; m < d->nmx; m++) {
		const struct mx_host *h = &d->mx[m];
		for (size_t k = 0; k < h->naddr; k++) {
			const struct mx_address *a = &h->addr[k];
			enum mail_fate unknown[DOMAIN_NPOLICIES] = { FATE_UNKNOWN };
			char label[600];
			snprintf(label, sizeof label, "%s[%s]", h->host, a->address);
			fate_row(out, color, label, a->evaluated ? a->fate : unknown);
		}
		if (h->naddr == 0) {
			enum mail_fate defer[DOMAIN_NPOLICIES];
			for (int p = 0; p < DOMAIN_NPOLICIES; p++)
				defer[p] = FATE_DEFER;
			char label[600];
			snprintf(label, sizeof label, "%s (no address)", h->host);
			fate_row(out, color, label, defer);
		}
	}
	fate_row(out, color, "the domain (worst of the above)", d->fate);
	fprintf(out,
		"     TLS: %s; clear: %s; ?: unknown (a probe that decides it did not run);\n"
		"     defer: %s\n"
		"     (the sender keeps retrying, Exchange Online for 24 hours, then sends a non-delivery report)\n",
		mail_fate_text(FATE_TLS), mail_fate_text(FATE_CLEAR), mail_fate_text(FATE_DEFER));
	/* why, once per address: at the first level that is not a delivery;
	 * dane is not on the PKIX ladder (core/options.h): its own line */
	for (size_t m = 0; m < d->nmx; m++)
		for (size_t k = 0; k < d->mx[m].naddr; k++) {
			const struct mx_address *a = &d->mx[m].addr[k];
			bool dane_said = false;
			for (int p = 0; a->evaluated && p < DOMAIN_NPOLICIES; p++) {
				if (a->fate[p] != FATE_DEFER && a->fate[p] != FATE_UNKNOWN)
					continue;
				bool dane = p == POLICY_DANE;
				if (dane && a->fate[POLICY_ENCRYPT] != a->fate[POLICY_DANE]) {
					fprintf(out, "     %s[%s] at dane: %s\n", d->mx[m].host, a->address,
						a->fate_reason[p] ? a->fate_reason[p] : "");
					dane_said = true;
					continue;
				}
				fprintf(out, "     %s[%s] from %s on%s: %s\n", d->mx[m].host, a->address,
					policy_name((enum policy)p), dane_said ? " (dane aside)" : "",
					a->fate_reason[p] ? a->fate_reason[p] : "");
				break;
			}
		}
}

static void render_safe(FILE *out, const struct domain_result *d)
{
	char safe[128] = "", unsafe[128] = "";
	for (int p = 0; p < DOMAIN_NPOLICIES; p++) {
		char *buf = d->safe[p] ? safe : unsafe;
		size_t len = strlen(buf);
		snprintf(buf + len, 128 - len, "%s%s", len ? ", " : "", policy_name((enum policy)p));
	}
	if (safe[0])
		fprintf(out, "   Safe to switch %s to: %s\n", d->name, safe);
	else
		fprintf(out, "   No policy level is safe for %s: some mail would be deferred and bounced\n", d->name);
	if (unsafe[0])
		fprintf(out, "   Not safe (some mail would be deferred, then bounced, or it is unknown): %s\n", unsafe);
}

static void render_findings(FILE *out, bool color, const struct probe_result *pr)
{
	for (size_t i = 0; i < pr->n; i++) {
		const struct finding *f = &pr->f[i];
		col(out, color, f->sev == SEV_WARN ? SGR_YELLOW : "");
		fprintf(out, "   [%-4s] %s: %s\n",
			f->sev == SEV_WARN    ? "WARN"
			: f->sev == SEV_FAIL  ? "FAIL"
			: f->sev == SEV_PASS  ? "PASS"
			: f->sev == SEV_ERROR ? "ERR"
					      : "INFO",
			f->id, f->title);
		col(out, color, f->sev == SEV_WARN ? SGR_RESET : "");
		for (size_t k = 0; k < f->nev; k++)
			fprintf(out, "          %s = %s\n", f->ev[k].key, f->ev[k].value);
	}
}

/* ---- MTA-STS and TLS-RPT (policy/domain_policy.h) -------------------- */

/* The verdict's second line: which policy the domain publishes for its
 * senders and whether its MX hosts meet it. */
static void render_published(FILE *out, const struct domain_result *d)
{
	/* DANE: the domain.dane finding (core/domain.c) says whether the MX
	 * hosts meet the records; only usable (DNSSEC-secure) records count. */
	for (size_t i = 0; i < d->checks.n; i++)
		if (strcmp(d->checks.f[i].id, "domain.dane") == 0)
			fprintf(out, "   Publishes: DANE (RFC 7672): %s\n", d->checks.f[i].title);
	const struct mta_sts_result *m = d->mta_sts;
	if (!m)
		return;
	if (!m->looked_up) {
		fputs("   Publishes: unknown (the MTA-STS lookup failed)\n", out);
		return;
	}
	if (!m->published) {
		fputs("   Publishes: no MTA-STS policy\n", out);
		return;
	}
	if (!m->usable) {
		/* RFC 8461 section 3.1: with no valid TXT record a sender stops
		 * there; the policy we still fetch is not why. */
		fprintf(out, "   Publishes: MTA-STS, but senders cannot use it: %s\n",
			!m->txt_ok	 ? "the _mta-sts TXT record is not one valid record with an id"
			: m->fetch_error ? m->fetch_error
					 : "the policy is invalid");
		return;
	}
	fprintf(out, "   Publishes: MTA-STS (mode %s, id %s): %s\n", sts_mode_name(m->policy.mode), m->id ? m->id : "",
		m->meets == 1	? "every MX host meets it"
		: m->meets == 0 ? "some MX hosts do NOT meet it"
				: "whether every MX host meets it is unknown");
}

static void render_sts_table(FILE *out, bool color, const struct domain_result *d)
{
	static const char *const cols[DOMAIN_NSTS_FATES] = { "enforce", "testing" };
	fprintf(out, "   A sender that follows MTA-STS, with the policy in mode:\n     %-40s", "MX host[address]");
	for (int k = 0; k < DOMAIN_NSTS_FATES; k++)
		fprintf(out, " %-9s", cols[k]);
	fputc('\n', out);
	for (size_t m = 0; m < d->nmx; m++)
		for (size_t j = 0; j < d->mx[m].naddr; j++) {
			const struct mx_address *a = &d->mx[m].addr[j];
			char label[600];
			snprintf(label, sizeof label, "%s[%s]", d->mx[m].host, a->address);
			fprintf(out, "     %-40s", label);
			for (int k = 0; k < DOMAIN_NSTS_FATES; k++) {
				enum mail_fate f = a->sts_fate[k];
				col(out, color, f == FATE_DEFER ? SGR_RED : f == FATE_TLS ? SGR_GREEN : SGR_YELLOW);
				fprintf(out, " %-9s", short_fate(f));
				col(out, color, SGR_RESET);
			}
			fputc('\n', out);
		}
	fprintf(out, "     %-40s", "the domain (worst of the above)");
	for (int k = 0; k < DOMAIN_NSTS_FATES; k++)
		fprintf(out, " %-9s", short_fate(d->sts_fate[k]));
	fputc('\n', out);
	for (size_t m = 0; m < d->nmx; m++)
		for (size_t j = 0; j < d->mx[m].naddr; j++) {
			const struct mx_address *a = &d->mx[m].addr[j];
			for (int k = 0; k < DOMAIN_NSTS_FATES; k++)
				if (a->sts_reason[k] && (k == STS_FATE_ENFORCE || a->sts_fate[k] != FATE_TLS)) {
					fprintf(out, "     %s[%s]: %s\n", d->mx[m].host, a->address, a->sts_reason[k]);
					break;
				}
		}
}

static void render_policies(FILE *out, bool color, const struct domain_result *d)
{
	const struct mta_sts_result *m = d->mta_sts;
	const struct tls_rpt_result *t = d->tls_rpt;
	if (!m && !t)
		return;
	if (m) {
		fprintf(out, "   MTA-STS (RFC 8461): %s",
			!m->published ? "not published"
			: m->usable   ? "in force"
				      : "unusable");
		if (m->txt)
			fprintf(out, "; TXT \"%s\" (DNSSEC %s)", m->txt, dnssec_status_name(m->dnssec));
		fputc('\n', out);
		if (m->url && m->published)
			fprintf(out, "     policy %s%s%s%s\n", m->url, m->host_addresses ? " at " : "",
				m->host_addresses ? m->host_addresses : "",
				m->parsed && m->policy.valid ? ""
				: m->parsed		     ? " (invalid)"
				: m->fetch_error	     ? " (could not be used)"
							     : " (not fetched)");
		render_sts_table(out, color, d);
		render_findings(out, color, &m->checks);
	}
	if (t) {
		if (t->valid) {
			char *rua = strvec_join(&t->rua, ", ");
			fprintf(out, "   TLS-RPT (RFC 8460): reports go to %s\n", rua);
			free(rua);
		} else {
			fprintf(out, "   TLS-RPT (RFC 8460): %s\n", t->published ? "invalid" : "not published");
		}
		render_findings(out, color, &t->checks);
	}
}

static void render_domain(FILE *out, bool color, const struct report *r, const struct domain_result *d)
{
	col(out, color, SGR_BOLD);
	char *u = idn_to_ulabels(d->name);
	fprintf(out, "== Domain %s%s%s%s: ", d->name, u ? " (" : "", u ? u : "", u ? ")" : "");
	free(u);
	switch (d->verdict) {
	case VERDICT_PASS:
		fprintf(out, "PASS under policy %s", domain_policy_name(r, d));
		break;
	case VERDICT_FAIL:
		fprintf(out, "FAIL under policy %s", domain_policy_name(r, d));
		break;
	case VERDICT_NO_MAIL:
		fputs("accepts no mail (null MX)", out);
		break;
	default:
		fputs("DNS could not tell", out);
		break;
	}
	col(out, color, SGR_RESET);
	fputc('\n', out);
	if (d->error)
		fprintf(out, "   %s\n", d->error);
	if (d->verdict == VERDICT_NO_MAIL || d->verdict == VERDICT_ERROR)
		return;
	if (d->dnssec_anchor)
		fprintf(out, "   DNSSEC validated with: %s\n", d->dnssec_anchor);
	if (d->why_bogus)
		fprintf(out, "   The MX answer is bogus: %s\n", d->why_bogus);
	render_published(out, d);
	fprintf(out, "   %s (DNSSEC %s), in the order mail is tried:\n",
		d->kind == DOMAIN_IMPLICIT_MX ? "No MX record: the domain's own address" : "MX records",
		dnssec_status_name(d->dnssec));
	for (size_t m = 0; m < d->nmx; m++)
		render_mx(out, color, &d->mx[m]);
	for (size_t i = 0; i < d->nbroken; i++)
		fprintf(out, "   Breaks the policy: MX %s, address %s: %s\n", d->broken[i].mx,
			d->broken[i].address ? d->broken[i].address : "(none)", d->broken[i].reason);
	render_table(out, color, d);
	render_safe(out, d);
	render_findings(out, color, &d->checks);
	render_policies(out, color, d);
}

void render_text_domains(FILE *out, const struct report *r, bool color)
{
	for (size_t i = 0; i < r->ndomains; i++) {
		render_domain(out, color, r, &r->domains[i]);
		fputc('\n', out);
	}
}
