/* \summary: classifying sessions for the mtls probe. specification:
 * RFC 8446 sections 4.4.2.4 and 6.2, RFC 5246 section 7.4.6. */
#include "tls/mtls.h"

#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

static const char *const outcome_names[] = {
	[MTLS_OK] = "ok",
	[MTLS_HANDSHAKE_ALERT] = "handshake-alert",
	[MTLS_LATE_ALERT] = "alert-after-handshake",
	[MTLS_REFUSED] = "refused-after-handshake",
	[MTLS_CLOSED] = "closed",
	[MTLS_OTHER] = "other-failure",
	[MTLS_NO_TLS] = "no-tls",
};

const char *mtls_outcome_name(enum mtls_outcome o)
{
	return (unsigned)o < ARRAY_LEN(outcome_names) ? outcome_names[o] : "other-failure";
}

enum mtls_outcome mtls_outcome(const struct session_facts *f)
{
	if (!f->tls_attempted)
		return MTLS_NO_TLS;
	if (!f->tls_ok) {
		if (f->tls_alert >= 0)
			return MTLS_HANDSHAKE_ALERT;
		if (f->fail_err == -MX_E_CLOSED || f->fail_err == -MX_E_RESET)
			return MTLS_CLOSED;
		return MTLS_OTHER;
	}
	/* RFC 8446 section 4.4.2.4: in TLS 1.3 the client's handshake is over
	 * before the server has judged its certificate; the verdict comes on
	 * the first record the client reads, which is the reply to EHLO. */
	if (f->late_alert >= 0)
		return MTLS_LATE_ALERT;
	if (f->failed_step == STEP_EHLO_TLS) {
		if (f->fail_err == -MX_E_TLS_ALERT)
			return MTLS_LATE_ALERT;
		if (f->fail_err == -MX_E_SERVICE_UNAVAILABLE || f->fail_err == -MX_E_REJECTED)
			return MTLS_REFUSED;
		if (f->fail_err == -MX_E_CLOSED || f->fail_err == -MX_E_RESET)
			return MTLS_CLOSED;
		return MTLS_OTHER;
	}
	if (f->failed_step != STEP_NONE && f->failed_step != STEP_QUIT)
		return MTLS_OTHER;
	return MTLS_OK;
}

bool mtls_alert_is_cert_demand(int alert)
{
	switch (alert) {
	case 40:  /* handshake_failure: OpenSSL's answer to a missing certificate in TLS 1.2 */
	case 42:  /* bad_certificate */
	case 46:  /* certificate_unknown */
	case 48:  /* unknown_ca */
	case 49:  /* access_denied */
	case 116: /* certificate_required (RFC 8446 section 6.2) */
		return true;
	default:
		return false;
	}
}

static const char *refusal_text(const struct session_facts *f)
{
	if (f->r421.code && f->r421_step == STEP_EHLO_TLS)
		return f->r421.text;
	if (f->ehlo_tls.code >= 400)
		return f->ehlo_tls.text;
	return NULL;
}

bool mtls_looks_like_demand(const struct session_facts *f)
{
	switch (mtls_outcome(f)) {
	case MTLS_HANDSHAKE_ALERT:
		/* Only after a CertificateRequest: an alert before the server
		 * asked (a hang-up after the 220, no common suite) says nothing
		 * about client certificates. */
		return f->tls.cert_requested && mtls_alert_is_cert_demand(f->tls_alert);
	case MTLS_LATE_ALERT:
		return f->late_alert < 0 || mtls_alert_is_cert_demand(f->late_alert);
	case MTLS_REFUSED: {
		const char *t = refusal_text(f);
		return t && strcasestr(t, "certificate") != NULL;
	}
	default:
		return false;
	}
}

static const char *alert_name(int a)
{
	const char *n = gnutls_alert_get_name((gnutls_alert_description_t)a);
	return n ? n : "unknown";
}

char *mtls_reason(const struct session_facts *f)
{
	switch (mtls_outcome(f)) {
	case MTLS_OK:
		return xstrdup("accepted");
	case MTLS_HANDSHAKE_ALERT:
		return xasprintf("TLS alert %s (%d) during the handshake", alert_name(f->tls_alert), f->tls_alert);
	case MTLS_LATE_ALERT:
		if (f->late_alert >= 0)
			return xasprintf("TLS alert %s (%d) after the handshake", alert_name(f->late_alert),
					 f->late_alert);
		return xasprintf("TLS alert after the handshake: %s", f->fail_detail ? f->fail_detail : "?");
	case MTLS_REFUSED: {
		const struct reply_info *r = f->r421.code ? &f->r421 : &f->ehlo_tls;
		const char *t = r->text ? r->text : "";
		size_t len = strcspn(t, "\n");
		return xasprintf("%d%s%s %.*s", r->code, r->enh[0] ? " " : "", r->enh, (int)len, t);
	}
	case MTLS_CLOSED:
		return xasprintf("the server closed the connection at the %s", session_step_name(f->failed_step));
	case MTLS_NO_TLS:
		return xstrdup("TLS was not started");
	default:
		return xasprintf("%s: %s", session_step_name(f->failed_step),
				 f->fail_detail ? f->fail_detail : "failed");
	}
}
