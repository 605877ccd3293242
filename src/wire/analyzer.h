/* \summary: the wire analysis of a stream of captured frames: TCP
 * connections reassembled per direction, the mail conversation recognised
 * from its first bytes (SMTP, LMTP, POP3, IMAP; implicit TLS by port),
 * credentials sent in clear, plaintext after STARTTLS, the TLS hellos and
 * (TLS 1.2 and older) the server's certificates, and each session's timing.
 *
 * Results go into a wire summary (report/wire_model.h) and findings into a
 * probe result; the analyzer keeps no secret: a credential is reported by
 * mechanism and user name only. Memory is bounded by live connections:
 * each holds at most WIRE_MAX_HOLD out-of-order bytes per direction and
 * WIRE_MAX_HANDSHAKE bytes of handshake messages; a connection is freed
 * when it closes, idles WIRE_IDLE_US, or the oldest when WIRE_MAX_FLOWS are
 * live; and all connections together buffer at most WIRE_MAX_BUFFERED bytes
 * (past it, held data becomes a gap and handshakes are not collected:
 * wire.truncated), so a hostile capture cannot make it grow. */
#ifndef SRC_WIRE_ANALYZER_H
#define SRC_WIRE_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "report/model.h"
#include "report/wire_model.h"

#define WIRE_MAX_HOLD	     (256 * 1024)
#define WIRE_MAX_HANDSHAKE   (64 * 1024)
#define WIRE_MAX_FLOWS	     10000
#define WIRE_MAX_BUFFERED    (32 * 1024 * 1024)
#define WIRE_MAX_LISTED	     1000	       /* sessions listed in the summary; the rest are counted */
#define WIRE_IDLE_US	     (300 * 1000000LL) /* RFC 5321 section 4.5.3.2: the longest SMTP wait */
#define WIRE_MAX_PER_FINDING 50		       /* findings of one id; the rest are counted */

struct wire_analyzer;

/* sum and pr are borrowed and must outlive the analyzer. cleartext_sev:
 * how a session that never used TLS is judged (policy_tls_severity). */
struct wire_analyzer *wire_analyzer_new(struct wire_summary *sum, struct probe_result *pr, enum severity cleartext_sev);

/* One frame of link type dlt (DLT_*), captured at ts_us (wall clock),
 * caplen bytes at p. */
void wire_analyzer_packet(struct wire_analyzer *a, int dlt, int64_t ts_us, const uint8_t *p, size_t caplen);

/* Ends every live connection and adds the summary findings. */
void wire_analyzer_finish(struct wire_analyzer *a);

void wire_analyzer_free(struct wire_analyzer *a); /* NULL is a no-op */

#endif
