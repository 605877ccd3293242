/* \summary: the diagnose probe: when the session broke, one finding says at
 * which step, what exactly came back, the likely cause in a mail
 * administrator's words, and what to check next. The usual causes are
 * those of shared/seeds/fope-tls: an expired or revoked certificate, TLS not
 * enabled on the MTA, a firewall that blocks or meddles with TLS on port 25.
 * specification: RFC 5321 sections 3.1, 4.2.3; RFC 3207 section 4; RFC 8446
 * section 6 (alerts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"
#include "proto/dialect.h"
#include "util/err.h"

struct diagnosis {
	const char *title;
	const char *cause;
	const char *next;
};

static struct diagnosis diag_dns(int err)
{
	if (err == -MX_E_NXDOMAIN)
		return (struct diagnosis){ "The host name does not resolve",
					   "The name has no A or AAAA record (or does not exist).",
					   "Check the spelling; check that the MX record points to a host name with an "
					   "A/AAAA record (an MX must not point to a CNAME or an IP address)." };
	return (struct diagnosis){ "DNS resolution failed", "The resolver did not answer in time or returned an error.",
				   "Check the resolver configuration (/etc/resolv.conf) and try `dig` for the name." };
}

static struct diagnosis diag_connect(int err)
{
	switch (err) {
	case -MX_E_REFUSED:
		return (struct diagnosis){
			"Connection refused: nothing listens on this port",
			"The host answered the TCP SYN with a reset: the MTA is not running, listens "
			"on another address or port, or a firewall rejects the connection.",
			"On the server: is the service running (systemctl status postfix or dovecot / "
			"the Exchange Transport or IMAP4/POP3 service)? Does it listen on this address "
			"and port (ss -ltn)? Does a firewall rule reject the port from your address?"
		};
	case -MX_E_TIMEOUT:
		return (struct diagnosis){
			"No answer to the connection attempt",
			"Nothing answered the TCP SYN before the deadline: a firewall drops the "
			"traffic (many ISPs and clouds block outbound port 25), or the host is down.",
			"Try from another network; check outbound port 25 filtering on your side and "
			"the server's firewall."
		};
	case -MX_E_NO_SLOT:
		/* Nothing was sent: mxprobe's own connection budget ran out. */
		return (struct diagnosis){
			"Not tried: no connection slot before the target's deadline",
			"mxprobe never connected: the connections it allows itself to this address "
			"(--per-host) or in all (--max-connections) stayed busy with other targets "
			"until this target's deadline. This says nothing about the server.",
			"Give the run more time (--target-timeout), fewer targets on one address, or "
			"a higher --per-host if the server accepts it."
		};
	case -MX_E_UNREACHABLE:
		return (struct diagnosis){ "Network or host unreachable", "There is no route to the address from here.",
					   "Check routing and that the address is right (and IPv6 connectivity for an "
					   "IPv6 address)." };
	default:
		return (struct diagnosis){ "The connection failed", "The operating system refused the connection.",
					   "Check local network settings." };
	}
}

static struct diagnosis diag_greeting(const struct session_facts *f)
{
	if (f->fail_err == -MX_E_SERVICE_UNAVAILABLE)
		return (struct diagnosis){
			"The server refused service (421)",
			"421 means \"service not available, closing channel\": rate limiting, "
			"greylisting, too many connections from your address, or the server is "
			"shutting down.",
			"Wait and try again from the same address; check whether your address is on a "
			"blocklist or hit a connection limit (Exim smtp_accept_max, Postfix anvil)."
		};
	if (f->fail_err == -MX_E_REJECTED)
		return (struct diagnosis){ "The server refused the session in its greeting",
					   "A 554 (or other non-220) greeting means the server will not talk to this "
					   "client: connection control by address (KB823019), a blocklist, or no SMTP "
					   "service at this address.",
					   "Probe from the address your MTA sends from; check the server's connection "
					   "filters and blocklists." };
	/* A tarpit that trickles its greeting out is not a silent server: what
	 * arrived is kept (session_facts.banner_partial) and shown. */
	if (f->fail_err == -MX_E_TIMEOUT && f->banner_partial_len)
		return (struct diagnosis){
			"The greeting trickled in and did not complete (tarpit)",
			"The server sent the start of its greeting and then only a few bytes at a time: "
			"a tarpit (or a pregreet test) slowing down a client it distrusts. The server "
			"is there and talking; it did not finish within --greeting-timeout.",
			"Probe from the address your MTA sends from; try a longer --greeting-timeout "
			"(RFC 5321 senders wait 5 minutes); check the server's tarpit settings and "
			"whether your address is on a list it consults."
		};
	if (f->fail_err == -MX_E_TIMEOUT)
		return (struct diagnosis){
			"No greeting from the server: it sent nothing",
			"The TCP connection opened but not a single byte came before --greeting-timeout: "
			"a greet delay longer than that, an overloaded server, or a middlebox that "
			"accepts the connection and does not pass it on.",
			"Try a longer --greeting-timeout (RFC 5321 senders wait 5 minutes); check the "
			"server's load and greet-delay settings; compare with a connection from inside "
			"the server's network."
		};
	if (f->fail_err == -MX_E_LINE_TOO_LONG || f->fail_err == -MX_E_BAD_REPLY)
		return (struct diagnosis){
			"The server's greeting is not SMTP",
			"What came back is not an SMTP reply (RFC 5321 section 4.2): another protocol "
			"on this port (an implicit-TLS port probed as STARTTLS?), or a broken proxy.",
			"Check the port and scheme (smtps:// for port 465); look at what listens "
			"there."
		};
	if (f->fail_err == -MX_E_CLOSED || f->fail_err == -MX_E_RESET)
		return (struct diagnosis){ "The server closed the connection before greeting",
					   "The server hung up at once: connection control by address, a connection "
					   "limit, a blocklist, or a crashing service.",
					   "Check the server's log for the connection from your address." };
	return (struct diagnosis){ "The greeting could not be read", "An I/O error occurred.",
				   "Try again; check the network path." };
}

static struct diagnosis diag_ehlo(const struct session_facts *f, const struct dialect *dl)
{
	if (f->fail_err == -MX_E_SERVICE_UNAVAILABLE)
		return diag_greeting(f);
	if (!dl->smtp_family)
		return (struct diagnosis){
			"The capability request was refused or broken",
			"The server did not answer the capability command (POP3 CAPA, IMAP "
			"CAPABILITY) with a usable list after its greeting.",
			"Read the POP3/IMAP server's log for this connection (Dovecot: doveadm log "
			"errors, log_path); check that no proxy in front of it mangles the dialogue."
		};
	if (f->fail_err == -MX_E_REJECTED && f->helo_sent)
		return (struct diagnosis){ "EHLO and HELO were refused",
					   "The server refused both greetings: it may reject the EHLO name "
					   "(reject_unknown_helo_hostname, a generic-name policy) or this client.",
					   "Run with --ehlo set to the real FQDN of your sending MTA." };
	if (f->fail_err == -MX_E_REJECTED)
		return (struct diagnosis){ "EHLO was refused",
					   "The server refused EHLO with a reply that is not 500-504, so HELO was not "
					   "tried (RFC 5321 section 3.2 falls back to HELO only when EHLO is not "
					   "recognised): it rejects the EHLO name (reject_unknown_helo_hostname, "
					   "reject_non_fqdn_helo_hostname, a generic-name policy) or this client.",
					   "Run with --ehlo set to the real FQDN of your sending MTA (with matching "
					   "forward and reverse DNS)." };
	return (struct diagnosis){ "No usable reply to EHLO",
				   "The connection broke or the reply was malformed after the greeting.",
				   "Check the server's log; try again with a longer --timeout." };
}

static struct diagnosis diag_starttls(const struct session_facts *f)
{
	int code = f->starttls_reply.code;
	if (f->starttls == STARTTLS_REFUSED && code == 454)
		return (struct diagnosis){ "STARTTLS refused with 454: TLS not available",
					   "STARTTLS is advertised but the server cannot start TLS, almost always "
					   "because it cannot load its certificate or key (missing file, wrong "
					   "permissions, a key that does not match, an expired or revoked certificate "
					   "or OCSP staple the MTA refuses to use).",
					   "Read the server's log at the time of this probe; check the certificate and "
					   "key files and their permissions (Postfix: postfix check; Exim: "
					   "tls_certificate; Exchange: Get-ExchangeCertificate, enabled for SMTP)." };
	if (f->starttls == STARTTLS_REFUSED && code == 421)
		return diag_greeting(f);
	if (f->starttls == STARTTLS_REFUSED)
		return (struct diagnosis){ "STARTTLS refused",
					   "The server advertised STARTTLS and then refused it: a configuration "
					   "mismatch, or a middlebox that advertises what the server cannot do.",
					   "Check the server's TLS configuration and its log." };
	return (struct diagnosis){ "No proper reply to STARTTLS",
				   "The reply to STARTTLS is missing, garbled or the connection closed: typical of "
				   "a firewall with SMTP inspection that does not allow TLS on port 25.",
				   "Look for SMTP inspection on firewalls in the path (disable ESMTP/SMTP fixup or "
				   "let it pass STARTTLS); compare with a probe from inside the network." };
}

/* How to repeat the handshake by hand for this target: implicit TLS
 * (smtps, pop3s, imaps) needs no STARTTLS; otherwise gnutls-cli's
 * --starttls-proto takes the dialect's name (smtp, lmtp, pop3, imap). */
static const char *compare_cmd(const struct target_spec *spec, char *buf, size_t n)
{
	const struct dialect *dl = dialect_find(spec->dialect);
	if (spec->implicit_tls)
		snprintf(buf, n,
			 "See the GnuTLS error in the evidence; test with `gnutls-cli --port=%u HOST` (implicit "
			 "TLS, no STARTTLS) to compare.",
			 (unsigned)spec->port);
	else
		snprintf(buf, n,
			 "See the GnuTLS error in the evidence; test with `gnutls-cli --starttls-proto=%s "
			 "--port=%u HOST` to compare.",
			 dl->name, (unsigned)spec->port);
	return buf;
}

static struct diagnosis diag_handshake(const struct session_facts *f, const struct target_spec *spec, char *buf,
				       size_t n)
{
	switch (f->tls_alert) {
	case 40: /* handshake_failure */
	case 71: /* insufficient_security */
	case 70: /* protocol_version */
		return (struct diagnosis){
			"TLS handshake refused: nothing in common",
			"The server found no protocol version, cipher suite or group it shares with "
			"mxprobe (TLS 1.0 to 1.3 offered): it may allow only obsolete SSL/ciphers, or "
			"require a client certificate (some OpenSSL servers abort with 40 then).",
			"Check the server's protocol and cipher settings; if it demands mutual TLS, "
			"provide a client certificate."
		};
	case 42:  /* bad_certificate */
	case 46:  /* certificate_unknown */
	case 48:  /* unknown_ca */
	case 49:  /* access_denied */
	case 116: /* certificate_required */
		return (struct diagnosis){
			"TLS handshake refused: client certificate required",
			"The alert says the server wants a (trusted) client certificate: mutual TLS, "
			"as Exchange Domain Security requires from partner domains.",
			"Agree on the PKI with the partner and present a certificate its CA list "
			"accepts."
		};
	case 80: /* internal_error */
		return (struct diagnosis){ "TLS handshake aborted by the server (internal error)",
					   "The server hit an internal error: often an unusable certificate or key, or "
					   "an old TLS version it refuses this way (OpenSSL 3 answers alert 80 to "
					   "versions it does not support).",
					   "Read the server's TLS log; check its certificate and key." };
	default:
		break;
	}
	if (f->fail_err == -MX_E_CLOSED || f->fail_err == -MX_E_RESET)
		return (struct diagnosis){
			"Connection closed in the middle of the TLS handshake",
			"The server (or something in between) hung up after our ClientHello: a "
			"firewall that does not allow TLS on port 25, a crashing MTA, or a server "
			"without a usable certificate.",
			"Compare with a probe from inside the network; check the server's TLS log and "
			"certificate; check firewalls with SMTP inspection."
		};
	if (f->fail_err == -MX_E_TIMEOUT)
		return (struct diagnosis){ "No answer to the TLS ClientHello",
					   "The 220 to STARTTLS came but the handshake did not progress: a middlebox "
					   "that swallows TLS, or a server that did not actually start TLS.",
					   "Check firewalls with SMTP inspection between here and the server." };
	return (struct diagnosis){ "The TLS handshake failed",
				   "The server's answer was not a TLS handshake mxprobe could complete (plaintext "
				   "instead of TLS, a broken TLS stack, or an expired/invalid certificate the server "
				   "cannot use).",
				   compare_cmd(spec, buf, n) };
}

static struct diagnosis diag_ehlo_tls(const struct session_facts *f)
{
	if (f->tls_alert >= 0 || (f->r421.code == 421 && f->r421_step == STEP_EHLO_TLS))
		return (struct diagnosis){
			"Refused right after the TLS handshake",
			"The handshake completed but the server refused the session inside TLS. In "
			"TLS 1.3 a server that requires a client certificate says so here (alert "
			"116 or 42, or Postfix's \"421 4.7.1 No client certificate presented\").",
			"Present a client certificate the server trusts (mutual TLS); read the reply "
			"in the evidence."
		};
	return (struct diagnosis){ "No usable reply to EHLO inside TLS",
				   "TLS was established but the session broke on the first command inside it.",
				   "Check the server's log; a broken TLS record layer or middlebox is likely." };
}

/* The mtls probe's session that presented our certificate and completed,
 * if there was one (it runs before this probe, in the table's order). */
static const struct session_facts *session_with_our_certificate(const struct target_result *t)
{
	for (size_t i = 0; i < t->n_more_sessions; i++) {
		const struct session_facts *m = &t->more_sessions[i];
		if (m->attempted && m->client_chain_len && m->failed_step == STEP_NONE)
			return m;
	}
	return NULL;
}

static void run(struct probe_ctx *ctx)
{
	const struct session_facts *f = &ctx->t->facts;
	if (!f->attempted || f->failed_step == STEP_NONE || f->failed_step == STEP_QUIT)
		return;
	struct diagnosis d;
	char cmd[256]; /* a remedy built for this target (diag_handshake) */
	enum severity sev = policy_tls_severity(ctx->opt->policy);
	switch (f->failed_step) {
	case STEP_DNS:
		d = diag_dns(f->fail_err);
		sev = SEV_ERROR;
		break;
	case STEP_CONNECT:
		d = diag_connect(f->fail_err);
		sev = SEV_ERROR;
		break;
	case STEP_BANNER:
		d = diag_greeting(f);
		sev = SEV_ERROR;
		break;
	case STEP_EHLO:
		d = diag_ehlo(f, dialect_find(ctx->spec->dialect));
		sev = SEV_ERROR;
		break;
	case STEP_STARTTLS:
		d = diag_starttls(f);
		break;
	case STEP_HANDSHAKE:
		d = diag_handshake(f, ctx->spec, cmd, sizeof cmd);
		break;
	default:
		d = diag_ehlo_tls(f);
		break;
	}
	/* A server that demands a client certificate breaks the standard
	 * session, which sends none. When the mtls probe's session with our
	 * certificate went through, that demand is met: the failure without a
	 * certificate is information, and the mtls findings carry the verdict. */
	const struct session_facts *with_cert = session_with_our_certificate(ctx->t);
	bool demand_met = with_cert && (f->failed_step == STEP_HANDSHAKE || f->failed_step == STEP_EHLO_TLS);
	if (demand_met)
		sev = SEV_INFO;
	/* --expect-refused: a refusal is the answer the access probe judges,
	 * not a check that could not be made (which would exit 3). */
	if (ctx->opt->expect_refused && session_refused_source(f))
		sev = SEV_INFO;
	char id[32];
	snprintf(id, sizeof id, "diag.%s", session_step_id(f->failed_step));
	struct finding *fi = probe_result_add(ctx->pr, id, sev, d.title);
	finding_set_detail(fi, "Failed at: %s. %s%s", session_step_name(f->failed_step), d.cause,
			   demand_met ? " The session presenting our client certificate went through (see the "
					"mtls findings): without one, this is what a sender gets."
				      : "");
	finding_set_remedy(fi, "%s", d.next);
	finding_add_ev(fi, "step", "%s", session_step_id(f->failed_step));
	if (f->fail_err)
		finding_add_ev(fi, "error", "%s", mx_errname(f->fail_err));
	if (f->fail_detail)
		finding_add_ev(fi, "received", "%s", f->fail_detail);
	if (f->remote)
		finding_add_ev(fi, "remote", "%s", f->remote);
	if (f->failed_step == STEP_STARTTLS && f->starttls_reply.code)
		finding_add_ev(fi, "reply", "%d %s%s%s", f->starttls_reply.code, f->starttls_reply.enh,
			       f->starttls_reply.enh[0] ? " " : "", f->starttls_reply.text);
	else if (f->failed_step == STEP_STARTTLS && f->starttls_reply.text) /* POP3, IMAP: no codes */
		finding_add_ev(fi, "reply", "%s", f->starttls_reply.text);
	/* Where the step names say EHLO and STARTTLS, POP3 and IMAP use other words. */
	const struct dialect *dl = dialect_find(ctx->spec->dialect);
	if (dl != &dialect_smtp)
		finding_add_ev(fi, "dialect", "%s (capabilities: %s, TLS: %s, answered by %s)", dl->name, dl->hello,
			       dl->starttls_cmd, dl->starttls_ok);
	if (f->tls_error)
		finding_add_ev(fi, "gnutls_error", "%s", f->tls_error);
	if (f->tls_alert >= 0)
		finding_add_ev(fi, "tls_alert", "%s (%d)", f->tls_alert_name ? f->tls_alert_name : "?", f->tls_alert);
	if (f->failed_step == STEP_BANNER && f->fail_err == -MX_E_TIMEOUT) {
		finding_add_ev(fi, "waited_seconds", "%.1f", (double)f->banner_wait_us / 1e6);
		finding_add_ev(fi, "bytes_received", "%zu", f->banner_partial_len);
		if (f->banner_partial)
			finding_add_ev(fi, "partial_greeting", "%s", f->banner_partial);
		if (f->banner_first_byte_us >= 0)
			finding_add_ev(fi, "first_byte_seconds", "%.1f", (double)f->banner_first_byte_us / 1e6);
	}
	if (f->r421.code)
		finding_add_ev(fi, "reply_421", "421 %s%s%s", f->r421.enh, f->r421.enh[0] ? " " : "", f->r421.text);
	switch (f->failed_step) {
	case STEP_STARTTLS:
		finding_set_rfc(fi, dl->starttls_rfc);
		break;
	case STEP_HANDSHAKE:
		finding_set_rfc(fi, "RFC 8446 section 6.2");
		break;
	case STEP_BANNER:
		finding_set_rfc(fi, "RFC 5321 section 3.1");
		break;
	default:
		break;
	}
}

const struct probe probe_diagnose = {
	.name = "diagnose",
	.title = "Failure diagnosis",
	.needs = NEEDS_SESSION,
	.run = run,
	.flags = PROBE_WITH_SESSION, /* a broken session is always explained */
	.any_dialect = true,
};
