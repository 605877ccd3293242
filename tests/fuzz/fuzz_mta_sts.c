/* \summary: libFuzzer target for the MTA-STS and TLS-RPT parsers: the
 * policy file (sts_policy_parse) on the whole input, then the input as an
 * _mta-sts TXT record (sts_txt_parse), as an _smtp._tls record
 * (tls_rpt_parse), as TXT RDATA (dns_txt_rdata_text), and its first line
 * as an MX host name against every mx pattern the policy gave. Checks the
 * parsers' promises: line numbers within the file, a valid policy with
 * version, mode and max_age in bounds, patterns that pass sts_pattern_ok,
 * ids of 1 to 32 letters and digits, rua targets that are mailto: or
 * https:.
 * specification: RFC 8461 sections 3.1, 3.2, 4.1; RFC 8460 section 3;
 * RFC 1035 section 3.3.14. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"
#include "policy/mta_sts.h"
#include "policy/tls_rpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_policy(const struct sts_policy *p)
{
	for (size_t i = 0; i < p->nprob; i++)
		if (p->prob[i].line > p->lines || !p->prob[i].what || (p->prob[i].line && !p->prob[i].text))
			abort();
	if (p->valid && (!p->version_ok || p->mode == STS_MODE_UNSET || p->max_age < 0 ||
			 p->max_age > STS_MAX_AGE_MAX || (p->mx.n == 0 && p->mode != STS_MODE_NONE)))
		abort();
	for (size_t i = 0; i < p->mx.n; i++)
		if (!sts_pattern_ok(p->mx.v[i]) || p->mx_line[i] == 0 || p->mx_line[i] > p->lines)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sts_policy p;
	sts_policy_parse(s, size, &p);
	check_policy(&p);

	char *id = NULL, err[300];
	enum sts_txt_status st = sts_txt_parse(s, size, &id, err, sizeof err);
	if (memchr(err, '\0', sizeof err) == NULL)
		abort();
	if ((st == STS_TXT_OK) != (id != NULL))
		abort();
	if (id) {
		size_t n = strlen(id);
		if (n < 1 || n > 32)
			abort();
	}
	free(id);

	struct strvec rua = { 0 };
	enum tls_rpt_status rs = tls_rpt_parse(s, size, &rua, err, sizeof err);
	if (rs == TLS_RPT_OK && rua.n == 0)
		abort();
	for (size_t i = 0; i < rua.n; i++)
		if (strncasecmp(rua.v[i], "mailto:", 7) != 0 && strncasecmp(rua.v[i], "https://", 8) != 0)
			abort();
	strvec_clear(&rua);

	char *t = dns_txt_rdata_text(data, size);
	free(t);

	/* the first line as an MX host */
	size_t n = 0;
	while (n < size && n < 300 && data[n] != '\n' && data[n] != '\0')
		n++;
	char *host = malloc(n + 1);
	if (host) {
		memcpy(host, data, n);
		host[n] = '\0';
		int m = sts_policy_match(&p, host);
		if (m >= (int)p.mx.n)
			abort();
		for (size_t i = 0; i < p.mx.n; i++)
			(void)sts_mx_matches(host, p.mx.v[i]);
		free(host);
	}
	sts_policy_clear(&p);
	return 0;
}
