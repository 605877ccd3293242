/* \summary: the stripping probe: STARTTLS removed or mangled on the way,
 * the work of a meddling middlebox (Cisco ASA/PIX "ESMTP inspection"
 * rewrites 250-STARTTLS to 250-XXXXXXXA and the command to XXXXXXXX) or of
 * an attacker downgrading to plaintext. From the standard session: a
 * keyword that is STARTTLS mangled. When named in --probes, a second
 * connection with another EHLO name (an address literal): STARTTLS offered
 * to one name and not to the other, or not offered but accepted when sent
 * anyway, is reported too.
 * specification: RFC 3207 section 6 (security considerations: a man in the
 * middle can remove STARTTLS), RFC 5321 section 4.1.3 (address literals). */
/* ids: starttls.stripped stripping.not-tested */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "proto/dialogue.h"
#include "util/err.h"

/* Levenshtein distance of two short upper-case words, capped at 3. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 16 || lb > 16)
		return 3;
	size_t d[17][17];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (toupper((unsigned char)a[i - 1]) != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

/* Is this EHLO keyword STARTTLS after a middlebox got at it? "XXXXXXXA"
 * (Cisco), a run of X's as long as STARTTLS, or one letter off. */
bool stripping_keyword_is_mangled(const char *kw);
bool stripping_keyword_is_mangled(const char *kw)
{
	size_t n = strlen(kw), xs = 0;
	if (n == 0 || strcasecmp(kw, "STARTTLS") == 0)
		return false;
	while (xs < n && toupper((unsigned char)kw[xs]) == 'X')
		xs++;
	if (n == 8 && xs >= 7)
		return true;
	return edit_distance(kw, "STARTTLS") == 1;
}

/* The first word of each capability line that looks like a mangled STARTTLS. */
static bool find_mangled(const struct smtp_caps *c, char *out, size_t outlen)
{
	for (size_t i = 0; i < c->lines.n; i++) {
		char kw[64];
		size_t n = strcspn(c->lines.v[i], " ");
		snprintf(kw, sizeof kw, "%.*s", (int)(n < 63 ? n : 63), c->lines.v[i]);
		if (stripping_keyword_is_mangled(kw)) {
			snprintf(out, outlen, "%s", c->lines.v[i]);
			return true;
		}
	}
	return false;
}

static enum severity strip_severity(const struct probe_ctx *ctx)
{
	enum severity s = policy_tls_severity(ctx->opt->policy);
	return s < SEV_WARN ? SEV_WARN : s;
}

static const char *remedy_middlebox =
	"Look for a firewall doing SMTP inspection between here and the server (Cisco ASA/PIX: no inspect esmtp, "
	"or policy-map ... parameters with allow-tls), an anti-spam proxy, or an attacker downgrading the "
	"session; probe from another network to compare.";

/* The other EHLO form: our own address as an RFC 5321 address literal
 * when the standard session sent a name, else a name (the address literal
 * is the default without an FQDN, RFC 5321 section 4.1.4). */
static void ehlo_names(const struct probe_ctx *ctx, const char *local, char *first, char *second, size_t len)
{
	char lit[80];
	session_address_literal(local, lit, sizeof lit);
	snprintf(first, len, "%s", ctx->opt->ehlo_name ? ctx->opt->ehlo_name : lit);
	snprintf(second, len, "%s", ctx->opt->ehlo_name ? lit : "mxprobe.invalid");
}

static void second_look(struct probe_ctx *ctx, const struct session_facts *fa)
{
	char std_name[256], name[256];
	ehlo_names(ctx, fa->local, std_name, name, sizeof name);
	char *label = xasprintf("stripping: EHLO %s instead of %s", name, std_name);
	struct dialogue d;
	struct finding *f;
	if (dialogue_open(&d, ctx->opt, ctx->spec, ctx->t, label, name, DLG_PLAIN) < 0) {
		probe_dialogue_not_tested(ctx, "Second EHLO name not compared: that session did not get to EHLO", &d);
		goto out;
	}
	bool first = fa->caps_plain.starttls, second = d.caps.starttls;
	if (first != second) {
		f = probe_result_add(ctx->pr, "starttls.stripped", strip_severity(ctx),
				     "STARTTLS offered to one EHLO name and not to another");
		finding_set_detail(f,
				   "The same server, asked twice, offered STARTTLS only to EHLO %s. Something "
				   "decides by the client's name, or rewrites the reply for some clients.",
				   first ? std_name : name);
		finding_add_ev(f, "ehlo_offered", "%s", first ? std_name : name);
		finding_add_ev(f, "ehlo_not_offered", "%s", first ? name : std_name);
		finding_set_rfc(f, "RFC 3207 section 6");
		finding_set_remedy(f, "%s", remedy_middlebox);
		goto out;
	}
	if (!first && !second) {
		/* Not offered: is it there all the same? */
		struct smtp_reply r = { 0 };
		if (dialogue_command(&d, "STARTTLS", NULL, &r) == 0 && r.code == 220) {
			dialogue_handshake(&d, ctx->spec);
			f = probe_result_add(ctx->pr, "starttls.stripped", strip_severity(ctx),
					     "STARTTLS is not offered, but works when sent");
			finding_set_detail(f, "The EHLO reply lacks STARTTLS, yet the server answered 220 to it: "
					      "the keyword was removed on the way, not switched off on the server.");
			finding_set_rfc(f, "RFC 3207 section 6");
			finding_set_remedy(f, "%s", remedy_middlebox);
		}
		smtp_reply_clear(&r);
	}
out:
	dialogue_close(&d, false);
	free(label);
}

static void run(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	if (fa->implicit_tls)
		return; /* no plaintext EHLO to strip STARTTLS from */
	if (!probe_session_reached(ctx, REACH_HELLO, "whether STARTTLS reaches the client unmangled"))
		return;
	char line[256];
	if (find_mangled(&fa->caps_plain, line, sizeof line)) {
		struct finding *f = probe_result_add(ctx->pr, "starttls.stripped", strip_severity(ctx),
						     "STARTTLS mangled in the EHLO reply: a middlebox rewrites it");
		finding_set_detail(f,
				   "The EHLO reply has \"%s\" where STARTTLS would be. Firewalls with SMTP "
				   "inspection (Cisco ASA/PIX) overwrite keywords they do not allow with X's, so "
				   "the client never starts TLS and mail crosses in clear.",
				   line);
		finding_add_ev(f, "keyword", "%s", line);
		finding_set_rfc(f, "RFC 3207 section 6");
		finding_set_remedy(f, "%s", remedy_middlebox);
		return;
	}
	bool asked = probe_spec_asks(ctx->opt->probes, "stripping");
	if (asked)
		second_look(ctx, fa);
	if (fa->caps_plain.starttls && probe_result_worst(ctx->pr) < SEV_WARN) {
		struct finding *f = probe_result_add(ctx->pr, "starttls.not-stripped", SEV_PASS,
						     "STARTTLS reaches the client unmangled");
		finding_add_ev(f, "second_ehlo_name", "%s", asked ? "compared" : "not tried");
	}
}

const struct probe probe_stripping = {
	.name = "stripping", .title = "STARTTLS stripped or mangled by a middlebox", .needs = NEEDS_SESSION, .run = run,
	/* In the default set: the mangled-keyword check uses the standard
	 * session; the second connection only when named in --probes. */
};
