/* \summary: capture files and live captures into the "wire" probe result
 * (wire/wire.h), and the wire compared with what GnuTLS reported.
 *
 * specification: the pcap and pcapng formats as libpcap reads them
 * (pcap_open_offline, pcap_next_ex); RFC 8446 section 4.1 for what the
 * hellos must agree on. */
#include "wire/wire.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/probe.h"
#include "report/wire_model.h"
#include "wire/analyzer.h"
#include "wire/capture.h"
#include "wire/packet.h"

#define WIRE_TITLE "What crossed the wire"

/* Reads an opened capture into the analyzer; returns the packet number
 * that could not be read (1-based), 0 at a clean end. */
static uint64_t read_all(pcap_t *p, struct wire_analyzer *a, char *err, size_t errlen)
{
	int dlt = pcap_datalink(p);
	uint64_t n = 0;
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *bytes;
		int rc = pcap_next_ex(p, &h, &bytes);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		n++;
		if (rc != 1) {
			snprintf(err, errlen, "packet %llu: %s", (unsigned long long)n,
				 rc == PCAP_ERROR ? pcap_geterr(p) : "unreadable");
			return n;
		}
		int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		wire_analyzer_packet(a, dlt, ts, bytes, h->caplen);
	}
}

/* Analyses an open handle into t; err receives a read error, if any. */
static void analyse(pcap_t *p, const char *source, const char *filter, enum severity cleartext, struct target_result *t,
		    char *err, size_t errlen)
{
	struct wire_summary *w = wire_summary_new();
	w->source = xstrdup(source);
	w->filter = xstrdup(filter);
	w->link_type = xstrdup(packet_linktype_name(pcap_datalink(p)));
	struct probe_result *pr = target_add_probe(t, "wire", WIRE_TITLE);
	struct wire_analyzer *a = wire_analyzer_new(w, pr, cleartext);
	err[0] = '\0';
	uint64_t bad = read_all(p, a, err, errlen);
	wire_analyzer_finish(a);
	wire_analyzer_free(a);
	if (bad) {
		w->error = xstrdup(err);
		pr = &t->probes[t->nprobes - 1]; /* the wire result, last */
		struct finding *fd = probe_result_add(pr, "wire.capture-error", SEV_ERROR,
						      "The capture file is damaged: the analysis stops there");
		finding_set_detail(fd, "%s: %s. The packets before it were analysed; nothing after it is claimed.",
				   source, err);
		finding_add_ev(fd, "file", "%s", source);
		finding_add_ev(fd, "packet", "%llu", (unsigned long long)bad);
	}
	t->wire = w;
}

/* The checks after opening: link type and filter. */
static int wire_pcap_handle(pcap_t *p, const char *path, const char *filter, enum severity cleartext,
			    struct target_result *t, char *err, size_t errlen)
{
	int dlt = pcap_datalink(p);
	if (!packet_linktype_supported(dlt)) {
		snprintf(err, errlen,
			 "%s: link type %s (%d) is not supported (Ethernet, Linux cooked v1/v2, "
			 "NULL/LOOP, raw IPv4/IPv6 are)",
			 path, packet_linktype_name(dlt), dlt);
		return -1;
	}
	if (filter) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0 || pcap_setfilter(p, &prog) < 0) {
			snprintf(err, errlen, "--filter '%s': %s", filter, pcap_geterr(p));
			return -1;
		}
		pcap_freecode(&prog);
	}
	analyse(p, path, filter, cleartext, t, err, errlen);
	return 0;
}

/* A capture file into t; cleartext: how a session without TLS is judged. */
static int read_file(const char *path, const char *filter, enum severity cleartext, struct target_result *t, char *err,
		     size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		snprintf(err, errlen, "%s: not a readable pcap or pcapng file: %s", path, perr);
		return -1;
	}
	int rc = wire_pcap_handle(p, path, filter, cleartext, t, err, errlen);
	pcap_close(p);
	return rc;
}

int wire_pcap_file(const char *path, const char *filter, enum policy policy, struct target_result *t, char *err,
		   size_t errlen)
{
	return read_file(path, filter, policy_tls_severity(policy), t, err, errlen);
}

int wire_pcap_fp(FILE *fp, const char *name, enum policy policy, struct target_result *t, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		fclose(fp);
		snprintf(err, errlen, "%s: not a readable pcap or pcapng file: %s", name, perr);
		return -1;
	}
	int rc = wire_pcap_handle(p, name, NULL, policy_tls_severity(policy), t, err, errlen);
	pcap_close(p); /* closes fp */
	return rc;
}

/* ---- live capture of one target ------------------------------------ */

struct wire_run {
	struct wire_capture *cap;
	char *path;
	bool keep;    /* --capture FILE: the file stays */
	char *reason; /* why there is no capture */
	bool no_rights;
};

/* --capture FILE with several targets: FILE-HOST-PORT.EXT per target. */
static char *capture_path(const struct mx_options *opt, const struct target_spec *spec)
{
	if (!opt->capture_per_target)
		return xstrdup(opt->capture_file);
	const char *slash = strrchr(opt->capture_file, '/');
	const char *dot = strrchr(slash ? slash : opt->capture_file, '.');
	size_t stem = dot ? (size_t)(dot - opt->capture_file) : strlen(opt->capture_file);
	char *host = xstrdup(spec->host);
	for (char *q = host; *q; q++)
		if (*q == ':' || *q == '/')
			*q = '_';
	char *p = xasprintf("%.*s-%s-%u%s", (int)stem, opt->capture_file, host, spec->port, dot ? dot : "");
	free(host);
	return p;
}

struct wire_run *wire_run_begin(const struct mx_options *opt, const struct target_spec *spec)
{
	if (!opt->wire)
		return NULL;
	struct wire_run *w = xcalloc(1, sizeof *w);
	if (opt->capture_file) {
		w->path = capture_path(opt, spec);
		w->keep = true;
	} else {
		const char *dir = getenv("TMPDIR");
		char *tmpl = xasprintf("%s/mxprobe-wire-XXXXXX", dir && *dir ? dir : "/tmp");
		int fd = mkstemp(tmpl);
		if (fd < 0) {
			w->reason = xasprintf("cannot create a temporary capture file: %s", strerror(errno));
			free(tmpl);
			return w;
		}
		close(fd);
		w->path = tmpl;
	}
	char err[512];
	w->cap = wire_capture_start(spec->host, spec->port, w->path, err, sizeof err, &w->no_rights);
	if (!w->cap)
		w->reason = xstrdup(err);
	return w;
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void compare_one(struct probe_result *pr, const struct session_facts *f, const struct wire_session *s)
{
	char diff[1024] = "";
	size_t k = 0;
	const struct tls_params *tp = &f->tls;
	if (tp->protocol && s->tls_version && !same(tp->protocol, s->tls_version))
		k += (size_t)snprintf(diff + k, sizeof diff - k, "version: GnuTLS %s, wire %s; ", tp->protocol,
				      s->tls_version);
	if (tp->cipher_suite && s->cipher_suite && strncmp(s->cipher_suite, "0x", 2) != 0 &&
	    !same(tp->cipher_suite, s->cipher_suite) && k < sizeof diff)
		k += (size_t)snprintf(diff + k, sizeof diff - k, "cipher suite: GnuTLS %s, wire %s; ", tp->cipher_suite,
				      s->cipher_suite);
	const char *wsni = s->client_hello.sni;
	if ((tp->sni || wsni) && !same(tp->sni, wsni) && k < sizeof diff)
		k += (size_t)snprintf(diff + k, sizeof diff - k, "server name: GnuTLS %s, wire %s; ",
				      tp->sni ? tp->sni : "none", wsni ? wsni : "none");
	if (tp->group && s->server_hello.key_shares.n && !same(tp->group, s->server_hello.key_shares.v[0]) &&
	    k < sizeof diff)
		k += (size_t)snprintf(diff + k, sizeof diff - k, "key share: GnuTLS %s, wire %s; ", tp->group,
				      s->server_hello.key_shares.v[0]);
	/* The chain: visible on the wire only up to TLS 1.2. */
	bool chain_compared = s->cert_sha256.n > 0 && f->chain_len > 0;
	if (chain_compared) {
		bool eq = s->cert_sha256.n == f->chain_len;
		for (size_t i = 0; eq && i < f->chain_len; i++)
			eq = same(f->chain[i].sha256_hex, s->cert_sha256.v[i]);
		if (!eq) {
			struct finding *fd = probe_result_add(pr, "wire.chain-mismatch", SEV_FAIL,
							      "The certificates on the wire are not the ones GnuTLS "
							      "validated");
			finding_set_detail(fd,
					   "The Certificate message carried %zu certificates (leaf %s); GnuTLS "
					   "validated %zu (leaf %s).",
					   s->cert_sha256.n, s->cert_sha256.v[0], f->chain_len,
					   f->chain[0].sha256_hex ? f->chain[0].sha256_hex : "?");
			finding_add_ev(fd, "session", "%s -> %s", s->client, s->server);
		}
	}
	if (k) {
		struct finding *fd = probe_result_add(pr, "wire.hello-mismatch", SEV_FAIL,
						      "The hellos on the wire differ from what GnuTLS reported");
		finding_set_detail(fd, "%s", diff);
		finding_set_remedy(fd, "Something rewrites the TLS handshake between mxprobe and the server "
				       "(an interception proxy, a firewall's inspection). Find it and exempt mail.");
		finding_set_rfc(fd, "RFC 8446 section 4.1");
		finding_add_ev(fd, "session", "%s -> %s", s->client, s->server);
		finding_add_ev(fd, "differences", "%s", diff);
		return;
	}
	struct finding *fd =
		probe_result_add(pr, "wire.hello-match", SEV_PASS, "The hellos on the wire are what GnuTLS reported");
	finding_add_ev(fd, "session", "%s -> %s", s->client, s->server);
	finding_add_ev(fd, "tls_version", "%s", s->tls_version ? s->tls_version : "");
	finding_add_ev(fd, "cipher_suite", "%s", s->cipher_suite ? s->cipher_suite : "");
	finding_add_ev(fd, "sni", "%s", s->client_hello.sni ? s->client_hello.sni : "none");
	finding_add_ev(fd, "chain", "%s", chain_compared ? "same certificates" : "not visible (TLS 1.3)");
}

/* Each of the target's sessions with a handshake, matched by its 4-tuple
 * to the session the wire shows. */
static void compare_with_gnutls(struct target_result *t, struct probe_result *pr)
{
	const struct session_facts *all[1 + 16];
	size_t n = 0;
	all[n++] = &t->facts;
	for (size_t i = 0; i < t->n_more_sessions && n < ARRAY_LEN(all); i++)
		all[n++] = &t->more_sessions[i];
	for (size_t i = 0; i < n; i++) {
		const struct session_facts *f = all[i];
		if (!f->tls_ok || !f->local || !f->remote)
			continue;
		for (size_t j = 0; j < t->wire->n; j++) {
			const struct wire_session *s = &t->wire->s[j];
			if (same(s->client, f->local) && same(s->server, f->remote) && s->server_hello.seen)
				compare_one(pr, f, s);
		}
	}
}

/* In a capture of our own sessions the client is mxprobe, and the only
 * plaintext it sends after the reply to STARTTLS is the injection probe's
 * "STARTTLS\r\nNOOP\r\n" in one write (probes/injection.c): on purpose,
 * so information here, not a fault of the path. Plaintext from the server
 * side, or anything in a capture made by someone else (mxprobe pcap),
 * stays a failure. */
static void own_injection_is_info(struct probe_result *pr)
{
	for (size_t i = 0; i < pr->n; i++) {
		struct finding *f = &pr->f[i];
		if (strcmp(f->id, "wire.plaintext-after-starttls") != 0)
			continue;
		for (size_t k = 0; k < f->nev; k++)
			if (strcmp(f->ev[k].key, "direction") == 0 && strcmp(f->ev[k].value, "client") == 0) {
				f->sev = SEV_INFO;
				free(f->title);
				f->title = xstrdup("Plaintext after STARTTLS from mxprobe itself: the injection "
						   "probe's NOOP, sent on purpose");
				finding_add_ev(f, "sent_by", "mxprobe's injection probe (CVE-2011-0411 test)");
				break;
			}
	}
}

void wire_run_end(struct wire_run *w, const struct mx_options *opt, struct target_result *t)
{
	(void)opt; /* the policy does not judge our own sessions' lack of TLS: see below */
	if (!w)
		return;
	if (w->cap)
		wire_capture_stop(w->cap);
	if (w->reason) {
		struct probe_result *pr = target_add_probe(t, "wire", WIRE_TITLE);
		/* Issue 10: without capture the probes go on and the exit status
		 * is the probes' (engine.h: an error of a required check exits 3). */
		pr->required = false;
		struct finding *fd = probe_result_add(pr, "wire.not-tested", SEV_ERROR,
						      w->no_rights ? "No capture rights: the wire was not checked"
								   : "The capture did not start: the wire was not "
								     "checked");
		finding_set_detail(fd, "%s. The probes ran without it.", w->reason);
		if (w->no_rights)
			finding_set_remedy(fd, "Run as root, or give the binary the capability: setcap "
					       "cap_net_raw+ep $(command -v mxprobe)");
		if (w->path)
			unlink(w->path);
	} else {
		char err[512];
		/* Our own probes open plaintext sessions on purpose (MAIL
		 * before STARTTLS, the relay check): the starttls probe judges
		 * the lack of TLS; on the wire it is information. */
		if (read_file(w->path, NULL, SEV_INFO, t, err, sizeof err) == 0) {
			if (!w->keep) {
				free(t->wire->source);
				t->wire->source = NULL;
			}
			compare_with_gnutls(t, &t->probes[t->nprobes - 1]);
			own_injection_is_info(&t->probes[t->nprobes - 1]);
		} else {
			struct probe_result *pr = target_add_probe(t, "wire", WIRE_TITLE);
			pr->required = false;
			struct finding *fd = probe_result_add(pr, "wire.not-tested", SEV_ERROR,
							      "The capture could not be read back");
			finding_set_detail(fd, "%s", err);
		}
		if (!w->keep)
			unlink(w->path);
	}
	free(w->path);
	free(w->reason);
	free(w);
}
