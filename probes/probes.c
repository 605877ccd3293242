/* \summary: the probe table. One line per probe; they run and print in
 * this order. */
#include <string.h>
#include <strings.h>

#include "core/probe.h"

extern const struct probe probe_starttls;
extern const struct probe probe_chain;
extern const struct probe probe_expiry;
extern const struct probe probe_names;
extern const struct probe probe_revocation;
extern const struct probe probe_diagnose;
extern const struct probe probe_mailbox_login;
extern const struct probe probe_auth;
extern const struct probe probe_stripping;
extern const struct probe probe_access;
extern const struct probe probe_require_tls;
extern const struct probe probe_relay;
extern const struct probe probe_injection;
extern const struct probe probe_mtls;
extern const struct probe probe_versions;
extern const struct probe probe_ciphers;
extern const struct probe probe_groups;
extern const struct probe probe_weaknesses;

const struct probe *const probe_table[] = {
	&probe_starttls,      /* STARTTLS, TLS parameters, capabilities across TLS */
	&probe_chain,	      /* chain validation, order, signatures, keys, EKU */
	&probe_expiry,	      /* validity periods of every certificate, days left */
	&probe_names,	      /* RFC 6125: the host and every --expect-name */
	&probe_revocation,    /* CRL, OCSP, stapling, must-staple */
	&probe_mtls,	      /* client-certificate request, demand, acceptance */
	&probe_diagnose,      /* where a failed session broke, and why */
	&probe_mailbox_login, /* POP3/IMAP: USER, LOGIN, AUTH=PLAIN before TLS */
	&probe_auth,	      /* AUTH before/after TLS; a real AUTH with --auth-user */
	&probe_stripping,     /* STARTTLS mangled or hidden by a middlebox */
	&probe_access,	      /* connection control: --expect-refused */
	&probe_require_tls,   /* opt-in: MAIL before STARTTLS must get 530 */
	&probe_relay,	      /* opt-in: RCPT to a foreign domain without AUTH */
	&probe_injection,     /* opt-in: STARTTLS command injection */
	&probe_versions,      /* enumeration: SSLv2 to TLS 1.3, fallback SCSV */
	&probe_ciphers,	      /* enumeration: every accepted suite per version */
	&probe_groups,	      /* enumeration: ECDHE/FFDHE groups, DH prime size */
	&probe_weaknesses,    /* enumeration: RC4, 3DES, EXPORT, Logjam, CRIME, ... */
	NULL,
};

bool probe_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

const struct probe *probe_find(const char *name)
{
	for (const struct probe *const *p = probe_table; *p; p++)
		if (strcasecmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

enum severity policy_tls_severity(enum policy p)
{
	switch (p) {
	case POLICY_NONE:
		return SEV_INFO;
	case POLICY_MAY:
		return SEV_WARN;
	default:
		return SEV_FAIL;
	}
}
