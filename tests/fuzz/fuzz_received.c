/* \summary: libFuzzer target for the header section parser of mxprobe
 * headers (mail_headers_parse: unfolding, the Received clauses, each MTA's
 * TLS clause, dates, Authentication-Results) and the judging on top of it:
 * any bytes, every string kept obeys the escaping rule, hops are numbered
 * oldest first and bounded.
 * specification: RFC 5322 sections 2.2, 3.3, 3.6.7; RFC 5321 section 4.4;
 * RFC 8601. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/headers.h"
#include "mail/received.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void safe(const char *s)
{
	if (s && !str_is_safe(s, strlen(s), false))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report rep;
	report_init(&rep);
	char err[128];
	if (mail_check(&rep, "fuzz", (const char *)data, size, false, POLICY_ENCRYPT, err, sizeof err) == 0) {
		const struct message_result *m = &rep.messages[0];
		if (m->h.nhops > MAIL_MAX_HOPS || m->h.nauth > MAIL_MAX_AUTH)
			abort();
		for (size_t i = 0; i < m->h.nhops; i++) {
			const struct mail_hop *h = &m->h.hops[i];
			if (h->index != i + 1)
				abort();
			const char *strs[] = { h->raw,	      h->from,	   h->from_addr,  h->by,	 h->with,
					       h->id,	      h->rcpt_for, h->date,	  h->tls_style,	 h->tls_version,
					       h->tls_cipher, h->tls_bits, h->tls_verify, h->weak_reason };
			for (size_t k = 0; k < ARRAY_LEN(strs); k++)
				safe(strs[k]);
		}
		for (size_t i = 0; i < m->h.nauth; i++) {
			safe(m->h.auth[i].authserv_id);
			safe(m->h.auth[i].raw);
			for (size_t k = 0; k < m->h.auth[i].tls_parts.n; k++)
				safe(m->h.auth[i].tls_parts.v[k]);
		}
		safe(m->h.message_id);
		for (size_t i = 0; i < m->checks.n; i++) {
			safe(m->checks.f[i].title);
			for (size_t k = 0; k < m->checks.f[i].nev; k++)
				safe(m->checks.f[i].ev[k].value);
		}
	}
	/* one field value on its own, and a date */
	struct mail_hop h = { 0 };
	mail_received_parse((const char *)data, size, &h);
	safe(h.raw);
	mail_hop_clear(&h);
	char *s = xstrndup((const char *)data, size);
	(void)mail_date_parse(s);
	free(s);
	report_clear(&rep);
	return 0;
}
