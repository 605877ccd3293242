/* \summary: the enumeration artifact in the text and JSON reports
 * (report/render_enum.h).
 * specification: docs/mxprobe.schema.json $defs/tls_enumeration, docs/json.md. */
#include "report/render_enum.h"

#include <stdlib.h>
#include <string.h>

#include "report/tls_enum.h"
#include "tls/hello.h"

/* A string or null; text that is not UTF-8 (a server's words in a refusal)
 * goes out escaped rather than lost. */
static json_t *jstr_or_null(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (!j) {
		char *esc = str_escape(s, strlen(s), 1024);
		j = json_string(esc);
		free(esc);
	}
	return j ? j : json_null();
}

static json_t *jsuite(const struct enum_suite *es, bool ssl2)
{
	const struct tls_suite *s = tls_suite_find(es->code, ssl2);
	char code[16];
	snprintf(code, sizeof code, ssl2 ? "0x%06X" : "0x%04X", (unsigned)es->code);
	json_t *o = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:b, s:b, s:b}", "code", code, "code_int",
			      (json_int_t)es->code, "iana", jstr_or_null(s ? s->iana : NULL), "openssl",
			      jstr_or_null(s ? s->openssl : NULL), "kx", jstr_or_null(s ? s->kx : NULL), "auth",
			      jstr_or_null(s ? s->auth : NULL), "bits", (json_int_t)(s ? s->bits : 0), "alg_bits",
			      (json_int_t)(s ? s->alg_bits : 0), "fs", s && (s->flags & SUITE_FS), "aead",
			      s && (s->flags & SUITE_AEAD), "export", s && (s->flags & SUITE_EXPORT));
	json_object_set_new(o, "group", jstr_or_null(es->group));
	json_object_set_new(o, "dh_bits", es->dh_bits ? json_integer(es->dh_bits) : json_null());
	json_object_set_new(o, "dh_prime", jstr_or_null(es->dh_prime_name));
	return o;
}

static json_t *jversion(const struct tls_enum *e, int v)
{
	const struct enum_version *ev = &e->v[v];
	json_t *suites = json_array();
	for (size_t i = 0; i < ev->n_suites; i++)
		json_array_append_new(suites, jsuite(&ev->suites[i], v == HV_SSL2));
	json_t *o =
		json_pack("{s:s, s:b, s:b, s:o, s:o, s:b, s:s}", "version", hello_version_name((enum hello_version)v),
			  "tested", ev->tested, "accepted", ev->accepted, "refusal", jstr_or_null(ev->refusal),
			  "suites", suites, "complete", ev->complete, "order", enum_order_name(ev->order));
	if (ev->accepted && v >= HV_SSL3)
		json_object_set_new(o, "server_hello",
				    json_pack("{s:b, s:b, s:b, s:b, s:b}", "compression", ev->compression,
					      "renegotiation_info", ev->reneg_info, "extended_master_secret", ev->ems,
					      "encrypt_then_mac", ev->etm, "downgrade_sentinel",
					      ev->downgrade_sentinel));
	return o;
}

void json_target_enum(json_t *o, const struct target_result *t)
{
	const struct tls_enum *e = t->tls_enum;
	if (!e)
		return;
	json_t *versions = json_array(), *groups = json_array();
	for (int v = HV_TLS13; v >= HV_SSL2; v--)
		if (e->v[v].tested)
			json_array_append_new(versions, jversion(e, v));
	for (size_t i = 0; i < e->n_groups; i++) {
		char code[8];
		snprintf(code, sizeof code, "0x%04X", e->groups[i].code);
		json_array_append_new(groups,
				      json_pack("{s:s, s:s, s:I, s:b}", "code", code, "name", e->groups[i].name, "bits",
						(json_int_t)e->groups[i].bits, "ffdhe", e->groups[i].ffdhe));
	}
	json_t *dh = json_null();
	if (e->dh_bits) {
		const struct tls_suite *s = tls_suite_find(e->dh_suite, false);
		dh = json_pack("{s:I, s:o, s:o}", "bits", (json_int_t)e->dh_bits, "prime",
			       jstr_or_null(e->dh_prime_name), "suite", jstr_or_null(s ? s->iana : NULL));
	}
	json_t *fb = e->fallback_scsv < 0 ? json_null() : json_boolean(e->fallback_scsv == 1);
	json_object_set_new(
		o, "tls_enumeration",
		json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o}", "connections", (json_int_t)e->connections,
			  "stopped", jstr_or_null(e->stopped), "highest",
			  jstr_or_null(e->highest >= 0 ? hello_version_name((enum hello_version)e->highest) : NULL),
			  "fallback_scsv_honoured", fb, "versions", versions, "groups", groups, "groups_complete",
			  e->groups_complete, "groups_via", jstr_or_null(e->groups_via), "dh", dh));
}

/* ---- text ------------------------------------------------------------- */

void text_render_enum(FILE *out, bool color, const struct target_result *t)
{
	const struct tls_enum *e = t->tls_enum;
	if (!e)
		return;
	fprintf(out, "  %sEnumeration%s (hand-built hellos, %u connection%s)\n", color ? "\x1b[1m" : "",
		color ? "\x1b[0m" : "", e->connections, e->connections == 1 ? "" : "s");
	for (int v = HV_TLS13; v >= HV_SSL2; v--) {
		const struct enum_version *ev = &e->v[v];
		if (!ev->tested)
			continue;
		const char *vn = hello_version_name((enum hello_version)v);
		if (!ev->accepted) {
			/* Refusals are the server's text: keep them printable. */
			char *why = str_escape(ev->refusal ? ev->refusal : "refused",
					       strlen(ev->refusal ? ev->refusal : "refused"), 80);
			fprintf(out, "    %-7s no   %s\n", vn, why);
			free(why);
			continue;
		}
		fprintf(out, "    %-7s yes  %zu suite%s%s%s%s\n", vn, ev->n_suites, ev->n_suites == 1 ? "" : "s",
			ev->order != ORDER_UNKNOWN ? ", " : "",
			ev->order != ORDER_UNKNOWN ? enum_order_name(ev->order) : "",
			ev->order != ORDER_UNKNOWN ? " order" : "");
		for (size_t i = 0; i < ev->n_suites; i++) {
			const struct enum_suite *es = &ev->suites[i];
			const struct tls_suite *s = tls_suite_find(es->code, v == HV_SSL2);
			char bits[32] = "";
			if (s)
				snprintf(bits, sizeof bits, "(%u/%u bits)", s->bits, s->alg_bits);
			/* One line, its trailing blanks trimmed. */
			char line[256];
			int n = snprintf(line, sizeof line, "            %-40s %-16s %-2s %-4s %s",
					 s ? (s->openssl ? s->openssl : s->iana) : "unknown", bits,
					 s && (s->flags & SUITE_FS) ? "FS" : "-",
					 s && (s->flags & SUITE_AEAD) ? "AEAD" : "-", es->group ? es->group : "");
			size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
			while (len && line[len - 1] == ' ')
				line[--len] = 0;
			fputs(line, out);
			if (es->dh_bits)
				fprintf(out, " DH %u%s%s", es->dh_bits, es->dh_prime_name ? " " : "",
					es->dh_prime_name ? es->dh_prime_name : "");
			fputc('\n', out);
		}
		if (!ev->complete)
			fputs("            (incomplete)\n", out);
	}
	if (e->n_groups) {
		fputs("    groups ", out);
		for (size_t i = 0; i < e->n_groups; i++)
			fprintf(out, "%s%s", i ? ", " : " ", e->groups[i].name);
		fputc('\n', out);
	}
	if (e->stopped) {
		char *why = str_escape(e->stopped, strlen(e->stopped), 200);
		fprintf(out, "    stopped early: %s\n", why);
		free(why);
	}
}
