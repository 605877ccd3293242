/* \summary: the starttls probe: was STARTTLS offered and accepted, what did
 * TLS negotiate, which chain came back, and how did the capabilities
 * change across TLS. It judges the facts of the standard session and opens
 * no connection of its own.
 * specification: RFC 3207 (STARTTLS), RFC 8314 (implicit TLS), RFC 8996
 * (TLS 1.0 and 1.1 deprecated), RFC 7525/9325 (recommended suites). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/probe.h"
#include "proto/dialect.h"
#include "proto/session.h"

/* ids: starttls.not-tested */
static const char *remedy_enable_tls =
	"Enable STARTTLS on the receiving MTA with a certificate and key: Postfix smtpd_tls_security_level = may "
	"with smtpd_tls_chain_files; Exim tls_certificate/tls_privatekey and tls_advertise_hosts = *; Exchange: "
	"a certificate enabled for SMTP on the receive connector. If the server has TLS configured, check that "
	"no firewall between here and the server rewrites the EHLO reply (SMTP inspection).";

static const char *remedy_enable_tls_mailbox =
	"Enable TLS in the POP3/IMAP server with a certificate and key: Dovecot ssl = yes with ssl_cert = </path "
	"and ssl_key = </path (ssl = required also refuses plaintext logins); Cyrus tls_server_cert and "
	"tls_server_key; Exchange: Set-ImapSettings / Set-PopSettings -X509CertificateName and an enabled "
	"certificate. Better still, offer implicit TLS on 993 (IMAPS) and 995 (POP3S), RFC 8314.";

static void capability_line_ev(struct finding *f, const struct smtp_caps *c)
{
	if (c->lines.n) {
		char *all = strvec_join(&c->lines, " | ");
		finding_add_ev(f, "ehlo_keywords", "%s", all);
		free(all);
	}
}

static void judge_offer(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	struct finding *f;
	if (fa->implicit_tls) {
		f = probe_result_add(ctx->pr, "tls.implicit", SEV_INFO,
				     "Implicit TLS: TLS starts at connect, no STARTTLS");
		finding_add_ev(f, "port", "%u", ctx->t->port);
		finding_set_rfc(f, "RFC 8314 section 3");
		return;
	}
	if (!probe_session_reached(ctx, REACH_HELLO, "whether STARTTLS is offered"))
		return;
	const struct dialect *d = dialect_find(ctx->spec->dialect);
	if (fa->caps_plain.starttls) {
		char title[96];
		snprintf(title, sizeof title, "%s offered in %s", d->starttls_cmd, d->caps_where);
		f = probe_result_add(ctx->pr, "starttls.offered", SEV_PASS, title);
		capability_line_ev(f, &fa->caps_plain);
		finding_set_rfc(f, d->starttls_rfc);
		return;
	}
	f = probe_result_add(ctx->pr, "starttls.missing", policy_tls_severity(ctx->opt->policy),
			     d->smtp_family ? "STARTTLS not offered: mail to this server travels in clear"
					    : "STARTTLS/STLS not offered: logins and mail travel in clear");
	if (fa->used_helo)
		finding_set_detail(f, "The server refused EHLO and accepted only HELO, so it offers no SMTP "
				      "extensions at all, STARTTLS included.");
	else if (d->smtp_family)
		finding_set_detail(f,
				   "%s does not list STARTTLS. A sender with opportunistic TLS "
				   "delivers in clear; one that enforces TLS defers the mail and bounces it "
				   "when its retry period runs out.",
				   d == &dialect_smtp ? "The EHLO reply" : "The LHLO reply");
	else
		finding_set_detail(f,
				   "%s does not list %s: mail clients either log in and read mail in clear "
				   "or cannot connect.",
				   d->caps_where, d->starttls_cmd);
	capability_line_ev(f, &fa->caps_plain);
	finding_add_ev(f, "policy", "%s", policy_name(ctx->opt->policy));
	finding_set_rfc(f, d->starttls_rfc);
	finding_set_remedy(f, "%s", d->smtp_family ? remedy_enable_tls : remedy_enable_tls_mailbox);
}

static void judge_accept(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	if (fa->starttls != STARTTLS_ACCEPTED)
		return; /* refused or broken: the diagnosis finding tells it */
	const struct dialect *d = dialect_find(ctx->spec->dialect);
	char title[64];
	snprintf(title, sizeof title, "%s accepted", d->starttls_cmd);
	struct finding *f = probe_result_add(ctx->pr, "starttls.accepted", SEV_PASS, title);
	if (fa->starttls_reply.code) /* SMTP and LMTP: a code; POP3 and IMAP: the lines as they came */
		finding_add_ev(f, "reply", "%d %s%s%s", fa->starttls_reply.code, fa->starttls_reply.enh,
			       fa->starttls_reply.enh[0] ? " " : "", fa->starttls_reply.text);
	else
		finding_add_ev(f, "reply", "%s", fa->starttls_reply.text ? fa->starttls_reply.text : "");
	finding_set_rfc(f, d->starttls_rfc);

	if (fa->after_starttls) {
		char what[96];
		snprintf(what, sizeof what, "The server sent plaintext after its %s to %s", d->starttls_ok,
			 d->starttls_cmd);
		f = probe_result_add(ctx->pr, "starttls.plaintext-after-reply",
				     ctx->opt->policy == POLICY_NONE ? SEV_WARN : SEV_FAIL, what);
		finding_set_detail(f,
				   "After \"%s\" the server must wait for the TLS ClientHello. These %zu bytes "
				   "came before the handshake; mxprobe discarded them and did not feed them to "
				   "TLS. A client that keeps them would treat them as replies inside TLS "
				   "(response injection), which is how STARTTLS injection attacks work.",
				   d->starttls_ok, fa->after_starttls_len);
		finding_add_ev(f, "bytes", "%s", fa->after_starttls);
		finding_add_ev(f, "length", "%zu", fa->after_starttls_len);
		finding_set_rfc(f, "RFC 3207 section 4.2; RFC 5321 section 4.5.3");
		finding_set_remedy(f, "Look for a middlebox or proxy that answers STARTTLS for the server, or an MTA "
				      "bug that pipelines output past STARTTLS; update the MTA.");
	}
}

static bool is_legacy_protocol(const char *p)
{
	return strcmp(p, "TLS1.0") == 0 || strcmp(p, "TLS1.1") == 0 || strcmp(p, "SSL3.0") == 0;
}

/* What one handshake cannot tell, said so that an all-pass report is not
 * read as "only good versions and suites are accepted". */
static void judge_not_enumerated(struct probe_ctx *ctx, const struct tls_params *tp)
{
	struct finding *f = probe_result_add(ctx->pr, "tls.not-enumerated", SEV_INFO,
					     "Not checked: other TLS versions and cipher suites");
	finding_set_detail(f,
			   "mxprobe saw only what this server chose with mxprobe's offer: %s with %s. Whether it "
			   "also accepts older versions (TLS 1.0/1.1), weak or anonymous suites was not "
			   "enumerated (that takes dozens of connections; mail servers punish scanners). Use a "
			   "scanner such as testssl.sh --starttls smtp from an address the server expects.",
			   tp->protocol, tp->cipher_suite);
	finding_add_ev(f, "seen", "%s %s", tp->protocol, tp->cipher_suite);
	finding_add_ev(f, "not_checked", "other versions; other suites; anonymous and export suites");
}

static void judge_tls(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	const struct tls_params *tp = &fa->tls;
	if (!fa->tls_ok)
		return;
	struct finding *f = probe_result_add(ctx->pr, "tls.handshake", SEV_PASS, "TLS handshake succeeded");
	finding_add_ev(f, "protocol", "%s", tp->protocol);
	finding_add_ev(f, "cipher_suite", "%s", tp->cipher_suite);
	if (tp->group)
		finding_add_ev(f, "group", "%s", tp->group);
	finding_add_ev(f, "sni", "%s", tp->sni ? tp->sni : "(none: IP-literal target)");
	finding_add_ev(f, "handshake_ms", "%.1f", (double)tp->handshake_us / 1000.0);
	if (strcmp(tp->protocol, "TLS1.3") == 0) {
		/* RFC 8446: no renegotiation; the secret is always bound to the
		 * handshake. "false" would read as a missing protection. */
		finding_add_ev(f, "extended_master_secret", "not applicable (TLS 1.3)");
		finding_add_ev(f, "safe_renegotiation", "not applicable (TLS 1.3)");
	} else {
		finding_add_ev(f, "extended_master_secret", "%s", tp->ext_master_secret ? "yes" : "no (RFC 7627)");
		finding_add_ev(f, "safe_renegotiation", "%s", tp->safe_renegotiation ? "yes" : "no (RFC 5746)");
	}
	judge_not_enumerated(ctx, tp);

	bool legacy = is_legacy_protocol(tp->protocol);
	f = probe_result_add(ctx->pr, "tls.protocol",
			     legacy ? (ctx->opt->policy >= POLICY_SECURE ? SEV_FAIL : SEV_WARN) : SEV_PASS,
			     legacy ? "Negotiated a deprecated TLS version" : "Negotiated a current TLS version");
	finding_add_ev(f, "protocol", "%s", tp->protocol);
	if (legacy) {
		finding_set_detail(f, "%s is deprecated; it was the best version this server agreed to.", tp->protocol);
		finding_set_rfc(f, "RFC 8996 section 5");
		finding_set_remedy(f, "Enable TLS 1.2 and TLS 1.3 on the server (Postfix: smtpd_tls_protocols = "
				      ">=TLSv1.2 needs OpenSSL 1.1+; Exchange/Windows: enable TLS 1.2 in SChannel).");
	}

	bool weak_bits = tp->cipher_bits < 128;
	bool weak_alg = strstr(tp->cipher, "ARCFOUR") || strstr(tp->cipher, "3DES") || strstr(tp->cipher, "NULL");
	bool cbc = strstr(tp->cipher, "CBC") != NULL;
	enum severity s = SEV_PASS;
	if (weak_bits || weak_alg)
		s = ctx->opt->policy >= POLICY_ENCRYPT ? SEV_FAIL : SEV_WARN;
	else if (cbc)
		s = SEV_INFO;
	f = probe_result_add(ctx->pr, "tls.cipher", s,
			     s == SEV_PASS   ? "Negotiated an AEAD cipher"
			     : s == SEV_INFO ? "Negotiated a CBC-mode cipher"
					     : "Negotiated a weak cipher");
	finding_add_ev(f, "cipher_suite", "%s", tp->cipher_suite);
	finding_add_ev(f, "cipher", "%s", tp->cipher);
	finding_add_ev(f, "key_bits", "%u", tp->cipher_bits);
	finding_add_ev(f, "mac", "%s", tp->mac);
	if (s == SEV_INFO)
		finding_set_detail(f, "CBC suites work but AEAD suites (AES-GCM, ChaCha20-Poly1305) are preferred.");
	if (s >= SEV_WARN) {
		finding_set_detail(f, "The cipher has fewer than 128 key bits or is broken (RC4, 3DES, NULL); "
				      "\"require 128-bit encryption\" is not met.");
		finding_set_rfc(f, "RFC 9325 section 4.1");
		finding_set_remedy(f, "Remove RC4, 3DES, export and NULL suites from the server's cipher list.");
	}

	bool no_pfs = strcmp(tp->kx, "RSA") == 0;
	bool small_dh = tp->dh_bits && tp->dh_bits < 2048;
	f = probe_result_add(ctx->pr, "tls.key-exchange", (no_pfs || small_dh) ? SEV_WARN : SEV_PASS,
			     no_pfs	? "Key exchange without forward secrecy"
			     : small_dh ? "Diffie-Hellman group smaller than 2048 bits"
					: "Key exchange with forward secrecy");
	finding_add_ev(f, "kx", "%s", tp->kx);
	if (tp->group)
		finding_add_ev(f, "group", "%s", tp->group);
	if (tp->dh_bits)
		finding_add_ev(f, "dh_bits", "%u", tp->dh_bits);
	if (no_pfs || small_dh) {
		finding_set_rfc(f, "RFC 9325 section 4.1");
		finding_set_remedy(f, "Prefer ECDHE suites (X25519, P-256) and DH parameters of at least 2048 bits.");
	}

	if (fa->chain_len) {
		const struct cert_info *leaf = &fa->chain[0];
		f = probe_result_add(ctx->pr, "tls.chain-received", SEV_INFO, "Certificate chain received");
		finding_set_detail(f,
				   "The server sent %zu certificate%s; the chain is stored with this report "
				   "(subject, issuer, serial, thumbprints, names, validity, key).",
				   fa->chain_len, fa->chain_len == 1 ? "" : "s");
		finding_add_ev(f, "leaf_subject", "%s", leaf->subject);
		finding_add_ev(f, "leaf_issuer", "%s", leaf->issuer);
		finding_add_ev(f, "leaf_thumbprint", "%s", leaf->sha1_hex);
		char iso[32];
		fmt_iso8601(leaf->not_after, iso, sizeof iso);
		finding_add_ev(f, "leaf_not_after", "%s", iso);
		finding_add_ev(f, "count", "%zu", fa->chain_len);
	}
	if (tp->cert_requested) {
		f = probe_result_add(ctx->pr, "tls.client-cert-requested", SEV_INFO,
				     "The server asked for a client certificate");
		finding_set_detail(f, "A CertificateRequest came in the handshake (mutual TLS, as Exchange Domain "
				      "Security does); mxprobe sent none.");
	}
}

static void judge_caps(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	const struct smtp_caps *pl = &fa->caps_plain, *tl = &fa->caps_tls;
	if (!tl->valid)
		return;
	struct finding *f;
	if (!fa->implicit_tls && tl->starttls) {
		f = probe_result_add(ctx->pr, "caps.starttls-after-tls", SEV_WARN,
				     "STARTTLS still offered after TLS was established");
		finding_set_detail(f, "\"The server MUST NOT return the STARTTLS extension in response to an EHLO "
				      "command received after a TLS handshake has completed.\"");
		finding_set_rfc(f, "RFC 3207 section 4.2");
		finding_set_remedy(f, "Update or fix the MTA (or the proxy in front of it) so the EHLO reply inside "
				      "TLS omits STARTTLS.");
	}
	if (!fa->implicit_tls && pl->valid) {
		/* AUTH before and after TLS: the auth probe (probes/auth.c). */
		/* What changed across TLS, keyword by keyword. */
		struct strvec added = { 0 }, removed = { 0 };
		for (size_t i = 0; i < tl->lines.n; i++)
			if (!strvec_contains_ci(&pl->lines, tl->lines.v[i]))
				strvec_push(&added, tl->lines.v[i]);
		for (size_t i = 0; i < pl->lines.n; i++)
			if (!strvec_contains_ci(&tl->lines, pl->lines.v[i]))
				strvec_push(&removed, pl->lines.v[i]);
		f = probe_result_add(ctx->pr, "caps.across-tls", SEV_INFO,
				     added.n || removed.n ? "Capabilities changed across TLS"
							  : "Capabilities unchanged across TLS");
		if (added.n) {
			char *s = strvec_join(&added, " | ");
			finding_add_ev(f, "added", "%s", s);
			free(s);
		}
		if (removed.n) {
			char *s = strvec_join(&removed, " | ");
			finding_add_ev(f, "removed", "%s", s);
			free(s);
		}
		strvec_clear(&added);
		strvec_clear(&removed);
	}
	if (fa->used_helo)
		return;
	if (tl->requiretls) {
		f = probe_result_add(ctx->pr, "caps.requiretls", SEV_INFO, "REQUIRETLS offered");
		finding_set_rfc(f, "RFC 8689");
	}
}

/* Senders with a 30 s timeout give up on a greeting that takes longer:
 * swaks's default, application mail libraries, monitoring checks; MTAs that
 * follow RFC 5321 section 4.5.3.2 wait 5 minutes (Postfix
 * smtp_helo_timeout 300 s). */
#define GREETING_GIVE_UP_US (30 * 1000000LL)

/* The greeting's delay, measured on every session that got one: a greet
 * pause (postscreen, sendmail greet_pause) or a tarpit that trickles it out
 * is a fact about the server, not a failure to test it. */
static void judge_greeting(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	if (fa->banner.code == 0 && !fa->banner.text)
		return; /* no greeting: the diagnose probe says why */
	if (fa->banner_wait_us <= SESSION_SLOW_REPLY_US && !fa->banner_trickled)
		return;
	bool give_up = fa->banner_wait_us >= GREETING_GIVE_UP_US;
	struct finding *f = probe_result_add(ctx->pr, "smtp.greeting-delay", give_up ? SEV_WARN : SEV_INFO,
					     fa->banner_trickled ? "The greeting trickled in slowly (tarpit)"
								 : "The greeting came late (greet pause)");
	finding_set_detail(
		f,
		"The greeting took %.1f s%s. %s RFC 5321 section 4.5.3.2 has senders wait 5 minutes for it and MTAs "
		"do (Postfix smtp_helo_timeout 300 s); %s",
		(double)fa->banner_wait_us / 1e6, fa->banner_trickled ? ", its bytes trickling in" : "",
		fa->banner_trickled ? "The first bytes came at once and the rest slowly: a tarpit, or a "
				      "pregreet test (Postfix postscreen) that waits for clients that talk too early."
				    : "Nothing came before the pause: a greet delay (sendmail greet_pause, "
				      "postscreen-style checks) that turns away clients that talk first.",
		give_up ? "clients with a 30 s timeout (swaks's default, many application mail libraries and "
			  "monitoring checks) give up before it."
			: "clients with a 30 s timeout still get it.");
	finding_add_ev(f, "seconds", "%.1f", (double)fa->banner_wait_us / 1e6);
	if (fa->banner_first_byte_us >= 0)
		finding_add_ev(f, "first_byte_seconds", "%.1f", (double)fa->banner_first_byte_us / 1e6);
	finding_add_ev(f, "trickled", "%s", fa->banner_trickled ? "yes" : "no");
	finding_add_ev(f, "greeting_timeout", "%.0f s", (double)ctx->opt->greeting_timeout_us / 1e6);
	finding_set_rfc(f, "RFC 5321 section 4.5.3.2");
	if (give_up)
		finding_set_remedy(f, "If this is your server, shorten the greet pause or tarpit below 30 s, or "
				      "exempt the senders that matter (postscreen_access_list, greet_pause "
				      "exemptions); if it is a partner's, make sure your own MTA waits the 5 "
				      "minutes RFC 5321 asks for.");
}

static void judge_service(struct probe_ctx *ctx)
{
	const struct session_facts *fa = &ctx->t->facts;
	judge_greeting(ctx);
	/* A slow greeting is smtp.greeting-delay's. */
	if (fa->slow && fa->slow_step != STEP_BANNER) {
		struct finding *f = probe_result_add(ctx->pr, "smtp.slow-reply", SEV_WARN,
						     "A reply came slowly: tarpit or greeting delay");
		finding_set_detail(f,
				   "The %s took %.1f s. Servers slow down clients they distrust (tarpits, "
				   "Postfix postscreen's greet pause, Exchange tarpitting after errors); "
				   "sending MTAs with short timeouts give up.",
				   session_step_name(fa->slow_step), (double)fa->slow_us / 1e6);
		finding_add_ev(f, "step", "%s", session_step_id(fa->slow_step));
		finding_add_ev(f, "seconds", "%.1f", (double)fa->slow_us / 1e6);
		finding_set_remedy(f, "If this is your server, check its tarpit/greet-delay settings and load; if "
				      "it is a partner's, probe from the address your MTA sends from.");
	}
}

static void run(struct probe_ctx *ctx)
{
	judge_offer(ctx);
	judge_accept(ctx);
	judge_tls(ctx);
	judge_caps(ctx);
	judge_service(ctx);
}

const struct probe probe_starttls = {
	.name = "starttls",
	.title = "STARTTLS and TLS negotiation",
	.needs = NEEDS_SESSION,
	.run = run,
	.any_dialect = true,
};
