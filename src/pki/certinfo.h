/* \summary: turn a DER certificate into the model's cert_info: names,
 * serial, Exchange-style thumbprint, SANs, validity, key, signature.
 * specification: RFC 5280 section 4.1 and 4.2.1.6. */
#ifndef SRC_PKI_CERTINFO_H
#define SRC_PKI_CERTINFO_H

#include <stddef.h>

#include "report/model.h"

/* 0, or -MX_E_BAD_REPLY when the bytes are not a certificate. */
int cert_info_from_der(const unsigned char *der, size_t len, struct cert_info *out);

#endif
