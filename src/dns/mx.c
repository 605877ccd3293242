/* \summary: MX RDATA parser and delivery decisions (see mx.h).
 * specification: RFC 1035 sections 3.1 and 3.3.9, RFC 5321 section 5.1,
 * RFC 7505. Every byte is hostile: each read is checked against n. */
#include "dns/mx.h"

#include <stdio.h>
#include <string.h>

static bool host_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int mx_rdata_parse(const unsigned char *p, size_t n, struct mx_rr *out)
{
	memset(out, 0, sizeof *out);
	if (!p || n < 3)
		return -1; /* preference + at least the root label */
	out->pref = (uint16_t)((p[0] << 8) | p[1]);
	size_t i = 2, wire = 0, o = 0;
	bool ok = true;
	for (;;) {
		if (i >= n)
			return -1; /* truncated: no terminating root label */
		unsigned len = p[i++];
		wire++;
		if (len == 0)
			break;
		/* RFC 1035 section 4.1.4: 0xC0 is a pointer, 0x40/0x80 are
		 * reserved; none belongs in RDATA libunbound hands out. */
		if (len > 63)
			return -1;
		if (len > n - i)
			return -1;
		wire += len;
		if (wire > 255) /* RFC 1035 section 2.3.4 */
			return -1;
		if (o) {
			if (o + 1 >= sizeof out->host)
				return -1;
			out->host[o++] = '.';
		}
		for (unsigned k = 0; k < len; k++) {
			unsigned char c = p[i + k];
			if (host_char_ok(c)) {
				if (o + 1 >= sizeof out->host)
					return -1;
				out->host[o++] = (char)c;
				continue;
			}
			ok = false;
			if (o + 5 >= sizeof out->host)
				return -1;
			snprintf(out->host + o, 5, "\\%03u", c);
			o += 4;
		}
		i += len;
	}
	if (wire > 255) /* the root label counts too */
		return -1;
	if (i != n)
		return -1; /* bytes after the name */
	out->host[o] = '\0';
	/* A host name: letters, digits, hyphens, no label starting or ending
	 * with a hyphen; the root is not a host. */
	if (o == 0)
		ok = false;
	for (size_t k = 0; ok && k < o; k++)
		if (out->host[k] == '-' && (k == 0 || out->host[k - 1] == '.' || k + 1 == o || out->host[k + 1] == '.'))
			ok = false;
	out->host_ok = ok;
	return 0;
}

void mx_sort(struct mx_rr *v, size_t n)
{
	/* Insertion sort: stable, and MX sets are small. */
	for (size_t i = 1; i < n; i++) {
		struct mx_rr tmp = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1].pref > tmp.pref) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = tmp;
	}
}

enum mx_decision mx_decide(enum mx_answer a, const struct mx_rr *v, size_t n)
{
	switch (a) {
	case MXA_NXDOMAIN:
		return MXD_NXDOMAIN;
	case MXA_NODATA:
		return MXD_IMPLICIT;
	case MXA_DATA:
		break;
	default:
		return MXD_ERROR;
	}
	if (n == 0)
		return MXD_IMPLICIT;
	bool any_root = false, any_usable = false;
	for (size_t i = 0; i < n; i++) {
		if (v[i].host[0] == '\0')
			any_root = true;
		else if (v[i].host_ok)
			any_usable = true;
	}
	if (any_usable)
		return MXD_USE_MX;
	/* RFC 7505 section 3: "0 ." — the domain accepts no mail. */
	if (any_root)
		return MXD_NULL_MX;
	return MXD_ERROR; /* only names no host can have */
}
