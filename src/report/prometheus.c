/* \summary: --format prometheus: metrics in the text exposition format for
 * node_exporter's textfile collector (write to a *.prom file, atomically:
 * -o FILE.tmp then mv): per target whether it could be tested and passed,
 * the leaf's time to expiry (seconds), the handshake time, connections, findings by
 * severity; per domain the verdict and, as Exchange's Domain Security
 * performance counters count them, domain-secure sessions ok / failed.
 *
 * specification: Prometheus "Exposition formats" (text format 0.0.4):
 * one HELP and TYPE per family, label values escaped (\\, \", \n), counters
 * named *_total; checked in the tests with `promtool check metrics`. */
#include "report/render.h"

#include <string.h>

#include "core/options.h"
#include "report/domain.h"

static void put_label_value(FILE *out, const char *s)
{
	fputc('"', out);
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void target_labels(FILE *out, const char *metric, const struct target_result *t)
{
	fprintf(out, "%s{target=", metric);
	put_label_value(out, t->input);
	fputs(",address=", out);
	put_label_value(out, t->address ? t->address : "");
	fputc('}', out);
}

static bool target_passes(const struct target_result *t)
{
	return t->status == TARGET_TESTED && target_worst(t) < SEV_FAIL;
}

/* An Exchange-style "domain-secure session": one MX address; it is ok
 * when mail for the domain would go over mutual TLS there (fate at
 * domain-secure: deliver over TLS). */
static void domain_secure_sessions(const struct domain_result *d, size_t *ok, size_t *failed)
{
	*ok = *failed = 0;
	for (size_t m = 0; m < d->nmx; m++)
		for (size_t k = 0; k < d->mx[m].naddr; k++) {
			const struct mx_address *a = &d->mx[m].addr[k];
			if (a->evaluated && a->fate[POLICY_DOMAIN_SECURE] == FATE_TLS)
				(*ok)++;
			else
				(*failed)++;
		}
}

int render_prometheus(FILE *out, const struct report *r, const struct render_opts *o)
{
	family(out, "mxprobe_target_tested", "gauge", "1 when the target could be tested at all, else 0.");
	for (size_t i = 0; i < r->n; i++) {
		target_labels(out, "mxprobe_target_tested", r->t[i]);
		fprintf(out, " %d\n", r->t[i]->status == TARGET_TESTED);
	}
	family(out, "mxprobe_probe_success", "gauge",
	       "1 when the target was tested and no finding failed the policy, else 0.");
	for (size_t i = 0; i < r->n; i++) {
		target_labels(out, "mxprobe_probe_success", r->t[i]);
		fprintf(out, " %d\n", target_passes(r->t[i]));
	}
	/* Prometheus wants base units: seconds (days = value / 86400). */
	family(out, "mxprobe_cert_expiry_seconds", "gauge",
	       "Seconds until the leaf certificate expires, from the instant it was judged at (negative: expired).");
	for (size_t i = 0; i < r->n; i++)
		if (r->t[i]->facts.chain_len) {
			target_labels(out, "mxprobe_cert_expiry_seconds", r->t[i]);
			fprintf(out, " %lld\n", (long long)(r->t[i]->facts.chain[0].not_after - o->at));
		}
	family(out, "mxprobe_tls_handshake_seconds", "gauge", "Duration of the TLS handshake of the standard session.");
	for (size_t i = 0; i < r->n; i++)
		if (r->t[i]->facts.tls_ok) {
			target_labels(out, "mxprobe_tls_handshake_seconds", r->t[i]);
			fprintf(out, " %.6f\n", (double)r->t[i]->facts.tls.handshake_us / 1e6);
		}
	family(out, "mxprobe_target_duration_seconds", "gauge", "Time the target's checks took.");
	for (size_t i = 0; i < r->n; i++) {
		target_labels(out, "mxprobe_target_duration_seconds", r->t[i]);
		fprintf(out, " %.6f\n", (double)r->t[i]->duration_us / 1e6);
	}
	family(out, "mxprobe_target_connections", "gauge", "TCP connections the target's checks opened.");
	for (size_t i = 0; i < r->n; i++) {
		target_labels(out, "mxprobe_target_connections", r->t[i]);
		fprintf(out, " %u\n", r->t[i]->connections);
	}
	family(out, "mxprobe_findings", "gauge", "Findings about the target, by severity.");
	for (size_t i = 0; i < r->n; i++) {
		size_t c[5] = { 0 };
		const struct target_result *t = r->t[i];
		for (size_t j = 0; j < t->nprobes; j++)
			for (size_t k = 0; k < t->probes[j].n; k++)
				c[t->probes[j].f[k].sev]++;
		for (int s = SEV_PASS; s <= SEV_ERROR; s++) {
			fputs("mxprobe_findings{target=", out);
			put_label_value(out, t->input);
			fputs(",address=", out);
			put_label_value(out, t->address ? t->address : "");
			fprintf(out, ",severity=\"%s\"} %zu\n", severity_name((enum severity)s), c[s]);
		}
	}
	if (r->ndomains) {
		family(out, "mxprobe_domain_pass", "gauge",
		       "1 when every MX address of the domain meets its policy, else 0 (DNS errors and null MX: 0).");
		for (size_t i = 0; i < r->ndomains; i++) {
			const struct domain_result *d = &r->domains[i];
			fputs("mxprobe_domain_pass{domain=", out);
			put_label_value(out, d->name);
			fputs(",policy=", out);
			put_label_value(out, domain_policy_name(r, d));
			fprintf(out, "} %d\n", d->verdict == VERDICT_PASS);
		}
		family(out, "mxprobe_domain_secure_sessions_total", "counter",
		       "Domain-secure (mutual TLS) sessions to the partner's MX addresses in this run, ok or failed "
		       "(Exchange's Domain Security counters).");
		for (size_t i = 0; i < r->ndomains; i++) {
			size_t ok, failed;
			domain_secure_sessions(&r->domains[i], &ok, &failed);
			fputs("mxprobe_domain_secure_sessions_total{domain=", out);
			put_label_value(out, r->domains[i].name);
			fprintf(out, ",result=\"ok\"} %zu\n", ok);
			fputs("mxprobe_domain_secure_sessions_total{domain=", out);
			put_label_value(out, r->domains[i].name);
			fprintf(out, ",result=\"failed\"} %zu\n", failed);
		}
	}
	family(out, "mxprobe_run_timestamp_seconds", "gauge", "When this run started (Unix time).");
	fprintf(out, "mxprobe_run_timestamp_seconds %.3f\n", (double)r->started_wall_us / 1e6);
	family(out, "mxprobe_run_duration_seconds", "gauge", "How long this run took.");
	fprintf(out, "mxprobe_run_duration_seconds %.6f\n", (double)r->duration_us / 1e6);
	return ferror(out) ? -1 : 0;
}
