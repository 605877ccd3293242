/* \summary: libFuzzer target for the capture-file front end: the input is
 * a pcap or pcapng file (read from memory with fmemopen), analysed as
 * mxprobe pcap does: libpcap's reader, link layers, IPv4 fragments, IPv6,
 * TCP reassembly, the mail conversation, TLS records and hellos. Every
 * string the wire summary and the findings hold must be printable.
 * specification: the pcap and pcapng formats (libpcap), wire/analyzer.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/model.h"
#include "report/wire_model.h"
#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			abort();
}

static void check_vec(const struct strvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		printable(v->v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *fp = fmemopen((void *)(uintptr_t)data, size, "rb");
	if (!fp)
		return 0;
	struct report rep;
	report_init(&rep);
	struct target_result *t = report_add_target(&rep);
	char err[600];
	if (wire_pcap_fp(fp, "fuzz", POLICY_ENCRYPT, t, err, sizeof err) == 0) {
		if (!t->wire || t->nprobes != 1)
			abort();
		const struct wire_summary *w = t->wire;
		if (w->n > w->mail_sessions || w->mail_sessions > w->tcp_connections)
			abort();
		for (size_t i = 0; i < w->n; i++) {
			const struct wire_session *s = &w->s[i];
			printable(s->ehlo_name);
			printable(s->last_reply);
			printable(s->plaintext_bytes);
			printable(s->client_hello.sni);
			check_vec(&s->capabilities);
			check_vec(&s->credentials);
			check_vec(&s->error_replies);
			check_vec(&s->cert_subjects);
			check_vec(&s->client_hello.alpn);
		}
		for (size_t i = 0; i < t->probes[0].n; i++)
			for (size_t k = 0; k < t->probes[0].f[i].nev; k++)
				printable(t->probes[0].f[i].ev[k].value);
	}
	report_clear(&rep);
	return 0;
}
