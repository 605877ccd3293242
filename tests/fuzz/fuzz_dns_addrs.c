/* \summary: libFuzzer target for the handling of DNS A/AAAA answers
 * (dns_host_add_rdata, what dns_resolve_domain does with libunbound's
 * RDATA): the input is a list of records, each a length byte and that
 * many bytes (wrong sizes included). Properties: at most DNS_MAX_ADDRS
 * addresses, no duplicates, each a printed address of the family asked.
 * specification: RFC 1035 section 3.4.1, RFC 3596 section 2.2. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "report/domain.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int family = data[0] & 1 ? AF_INET6 : AF_INET;
	char *rd[65] = { NULL };
	int len[65] = { 0 };
	size_t n = 0, pos = 1;
	while (pos < size && n < 64) {
		size_t l = data[pos++] % 24;
		if (pos + l > size)
			l = size - pos;
		rd[n] = xmalloc(l ? l : 1); /* exactly sized: ASan sees overreads */
		memcpy(rd[n], data + pos, l);
		len[n++] = (int)l;
		pos += l;
	}
	struct report rep;
	report_init(&rep);
	struct domain_result *d = report_add_domain(&rep, "fuzz.example");
	struct mx_host *h = domain_add_mx(d, 10, "mx.fuzz.example");
	dns_host_add_rdata(h, rd, len, family, DNSSEC_INSECURE);
	if (h->naddr > DNS_MAX_ADDRS)
		abort();
	for (size_t i = 0; i < h->naddr; i++) {
		unsigned char buf[16];
		if (h->addr[i].family != family || inet_pton(family, h->addr[i].address, buf) != 1)
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(h->addr[i].address, h->addr[k].address) == 0)
				abort();
	}
	report_clear(&rep);
	for (size_t i = 0; i < n; i++)
		free(rd[i]);
	return 0;
}
