/* \summary: --policy-file FILE: the partner domains of a mail system and
 * the level each must meet, checked in one run (the idea of Exchange's
 * TLSSendDomainSecureList and Postfix's smtp_tls_policy_maps, as data):
 *
 *   # partner            level          options
 *   woodgrovebank.com    domain-secure  name=mail.woodgrovebank.com client-cert=c.pem client-key=c.key
 *   fabrikam.com         verify
 *
 * level: none, may, dane, encrypt, verify, secure, domain-secure (docs/findings.md
 * "Policies"). Options: name=HOST (repeatable: the certificate must also
 * cover HOST, as --expect-name), client-cert=FILE and client-key=FILE, or
 * pkcs12=FILE with pkcs12-password-file=FILE (as the flags of the same
 * names): the client certificate for that partner's mtls probe. Relative
 * file names are taken from the policy file's folder. "#" starts a comment.
 * Errors are FILE:LINE:COLUMN: expected X, got Y (like scenario files), and
 * any error stops the run before the first connection. */
#ifndef SRC_CLI_POLICY_FILE_H
#define SRC_CLI_POLICY_FILE_H

#include <stddef.h>

#include "core/options.h"

struct partner {
	char *domain;
	enum policy policy;
	char *names[MX_MAX_EXPECT_NAMES];
	size_t nnames;
	char *client_cert, *client_key, *pkcs12, *pkcs12_password_file; /* paths, NULL if not given */
	unsigned line, col;						/* where the partner's line starts */
};

struct partner_list {
	struct partner *p;
	size_t n, cap;
};

/* Parses text (len bytes) read from file; dir: the folder relative paths
 * are taken from ("" or NULL: as given). Paths are checked for being
 * readable. 0, or -1 with "FILE:LINE:COLUMN: expected ..., got ..." in err;
 * out is cleared on error. */
int policy_file_parse(const char *text, size_t len, const char *file, const char *dir, struct partner_list *out,
		      char *err, size_t errlen);
/* Reads and parses path (at most 1 MiB). */
int policy_file_load(const char *path, struct partner_list *out, char *err, size_t errlen);
void partner_list_clear(struct partner_list *l);

#endif
