/* \summary: the wire checks' entry points: read a capture file (mxprobe
 * pcap), capture a target's own connections while it is probed (check/run
 * --capture FILE, --wire) and add the "wire" probe result.
 *
 * Nothing here is process-global: each target has its own capture (its
 * own libpcap handle, BPF filter on its address and port, thread and
 * file), so targets may be probed concurrently. Nothing here prints. */
#ifndef SRC_WIRE_WIRE_H
#define SRC_WIRE_WIRE_H

#include <stddef.h>
#include <stdio.h>

#include "core/options.h"
#include "net/target.h"
#include "report/model.h"

/* Analyses one capture file (pcap or pcapng, read by libpcap) into t: t's
 * wire summary and a "wire" probe result. filter: a BPF expression or
 * NULL. Returns 0 when the file was read, to its end or to a damaged
 * packet (then a wire.capture-error finding names the packet number and
 * err holds the same one line); -1 when it could not be opened or the
 * filter does not compile (err says why; nothing added). */
int wire_pcap_file(const char *path, const char *filter, enum policy policy, struct target_result *t, char *err,
		   size_t errlen);

/* The same for an open stream (the fuzzer's memory file); fp is closed. */
int wire_pcap_fp(FILE *fp, const char *name, enum policy policy, struct target_result *t, char *err, size_t errlen);

struct wire_run;

/* Starts capturing the target's connections when opt->wire is set (else
 * returns NULL). Never fails: a capture that cannot start (no rights, no
 * interface) is kept as the reason, and wire_run_end reports it as
 * wire.not-tested. */
struct wire_run *wire_run_begin(const struct mx_options *opt, const struct target_spec *spec);

/* Stops the capture, analyses it, compares it with what GnuTLS reported
 * for the target's sessions, and adds the "wire" probe result and the
 * wire summary to t. A session without TLS is information here (our own
 * probes open some on purpose; the starttls probe judges it). Frees w
 * (NULL is a no-op). */
void wire_run_end(struct wire_run *w, const struct mx_options *opt, struct target_result *t);

#endif
