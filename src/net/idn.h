/* \summary: internationalised host names. A name written with U-labels
 * (mx.bücher.example) is turned into its A-label form
 * (mx.xn--bcher-kva.example) for DNS, SNI and certificate name matching;
 * reports show both forms.
 * specification: RFC 5890, RFC 5891 (IDNA2008), Unicode UTS #46
 * (non-transitional processing), RFC 6125 section 6.4.2 (A-labels compared
 * as they are). */
#ifndef SRC_NET_IDN_H
#define SRC_NET_IDN_H

#include <stdbool.h>
#include <stddef.h>

/* Does s hold a byte outside ASCII (a U-label to convert)? */
bool idn_has_non_ascii(const char *s);

/* The A-label form of a UTF-8 host name (owned), or NULL with err set to a
 * one-line reason ("... is not a valid internationalised name: ..."). A
 * name that is all ASCII comes back as a copy, unchanged. A trailing root
 * dot is kept. */
char *idn_to_alabels(const char *name, char *err, size_t errlen);

/* The U-label form of a name with A-labels ("xn--"), for display (owned),
 * or NULL when the name has none or does not decode. */
char *idn_to_ulabels(const char *name);

#endif
