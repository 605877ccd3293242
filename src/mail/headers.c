/* \summary: mxprobe headers: read a message's header section (bounded),
 * parse its Received chain and judge each hop's TLS under the policy.
 * specification: RFC 5321 section 4.4, RFC 3848, RFC 8996, RFC 7525. */
#include "mail/headers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mail_read_headers(FILE *f, char **out, size_t *len, bool *truncated, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b, MAIL_MAX_HEADER_BYTES + 1);
	*out = NULL;
	*len = 0;
	*truncated = false;
	char chunk[4096];
	int rc = -1;
	size_t scan = 0; /* where to look for the empty line next */
	for (;;) {
		size_t n = fread(chunk, 1, sizeof chunk, f);
		if (n == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "read error: %s", strerror(errno));
				goto out;
			}
			break;
		}
		size_t room = MAIL_MAX_HEADER_BYTES - b.len;
		if (n > room) {
			n = room;
			*truncated = true;
		}
		buf_append(&b, chunk, n);
		/* stop at the empty line that ends the header section */
		bool done = false;
		for (size_t i = scan; i < b.len; i++) {
			if (b.data[i] != '\n')
				continue;
			size_t j = i + 1;
			if (j < b.len && b.data[j] == '\r')
				j++;
			if (j < b.len && b.data[j] == '\n') {
				b.len = i + 1;
				done = true;
				break;
			}
		}
		scan = b.len > 2 ? b.len - 2 : 0;
		if (done || *truncated)
			break;
	}
	if (b.len == 0) {
		snprintf(err, errlen, "empty");
		goto out;
	}
	buf_append(&b, "", 1);
	*out = b.data;
	*len = b.len - 1;
	b.data = NULL;
	rc = 0;
out:
	buf_clear(&b);
	return rc;
}

int mail_load(const char *path, char **out, size_t *len, bool *truncated, char *err, size_t errlen)
{
	if (strcmp(path, "-") == 0)
		return mail_read_headers(stdin, out, len, truncated, err, errlen);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s",
			 S_ISDIR(st.st_mode) ? "not a regular file (a directory)" : "not a regular file");
		close(fd);
		return -1;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	int rc = mail_read_headers(f, out, len, truncated, err, errlen);
	fclose(f);
	return rc;
}

struct message_result *report_add_message(struct report *r, const char *source)
{
	r->messages = xrealloc(r->messages, (r->nmessages + 1) * sizeof *r->messages);
	struct message_result *m = &r->messages[r->nmessages++];
	memset(m, 0, sizeof *m);
	m->source = str_sanitize(source, false);
	m->checks.name = xstrdup("headers");
	m->checks.title = xstrdup("TLS of every hop in the Received chain");
	return m;
}

void report_messages_clear(struct report *r)
{
	for (size_t i = 0; i < r->nmessages; i++) {
		free(r->messages[i].source);
		mail_headers_clear(&r->messages[i].h);
		probe_result_clear(&r->messages[i].checks);
	}
	free(r->messages);
	r->messages = NULL;
	r->nmessages = 0;
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

/* "TLSv1.3 TLS_AES_256_GCM_SHA384 (256/256 bits)", as the MTA wrote it. */
static char *tls_words(const struct mail_hop *h)
{
	if (!h->tls_version && !h->tls_cipher)
		return xstrdup(h->with ? h->with : "TLS");
	return xasprintf("%s %s%s%s%s", str_or(h->tls_version, "?"), str_or(h->tls_cipher, "?"),
			 h->tls_bits ? " (" : "", h->tls_bits ? h->tls_bits : "", h->tls_bits ? " bits)" : "");
}

static void hop_evidence(struct finding *f, const struct mail_hop *h)
{
	finding_add_ev(f, "hop", "%zu", h->index);
	finding_add_ev(f, "from", "%s", str_or(h->from, "(none)"));
	finding_add_ev(f, "by", "%s", str_or(h->by, "(none)"));
	if (h->with)
		finding_add_ev(f, "with", "%s", h->with);
	if (h->date)
		finding_add_ev(f, "date", "%s", h->date);
	if (h->tls_style)
		finding_add_ev(f, "written as", "%s", h->tls_style);
	if (h->tls_version)
		finding_add_ev(f, "version", "%s", h->tls_version);
	if (h->tls_cipher)
		finding_add_ev(f, "cipher", "%s", h->tls_cipher);
	if (h->tls_bits)
		finding_add_ev(f, "bits", "%s", h->tls_bits);
	if (h->tls_verify)
		finding_add_ev(f, "client certificate", "%s", h->tls_verify);
}

static void judge_hop(struct probe_result *pr, const struct mail_hop *h, enum policy policy)
{
	char when[32] = "an unknown time";
	if (h->when != INT64_MIN)
		fmt_iso8601(h->when, when, sizeof when);
	char *tw = tls_words(h);
	const char *how = h->tls == HOP_TLS_YES	    ? "over TLS"
			  : h->tls == HOP_TLS_NO    ? "in clear"
			  : h->tls == HOP_TLS_LOCAL ? "local submission"
						    : "TLS not stated";
	struct finding *f = probe_result_add(pr, "headers.hop", SEV_INFO, "hop");
	free(f->title);
	f->title = xasprintf("hop %zu: %s -> %s at %s, %s%s%s", h->index, str_or(h->from, "(local)"),
			     str_or(h->by, "(unknown)"), when, how, h->tls == HOP_TLS_YES ? ": " : "",
			     h->tls == HOP_TLS_YES ? tw : "");
	hop_evidence(f, h);
	finding_add_ev(f, "tls", "%s", hop_tls_id(h->tls));

	if (h->tls == HOP_TLS_NO) {
		enum severity sev = h->loopback || policy == POLICY_NONE	    ? SEV_INFO
				    : policy == POLICY_MAY || policy == POLICY_DANE ? SEV_WARN
										    : SEV_FAIL;
		f = probe_result_add(pr, "headers.hop-plaintext", sev, "hop");
		free(f->title);
		f->title = xasprintf("hop %zu (%s -> %s) carried the message without TLS%s", h->index,
				     str_or(h->from, "?"), str_or(h->by, "?"), h->loopback ? " (over loopback)" : "");
		finding_set_detail(f,
				   "The receiving MTA wrote protocol %s and no TLS details: this hop carried the "
				   "message in clear.%s",
				   str_or(h->with, "(none)"),
				   h->loopback ? " The sender was a loopback address: the message did not leave "
						 "the host on this hop."
					       : "");
		finding_set_remedy(f,
				   "Make the sending MTA of this hop use STARTTLS (Postfix: smtp_tls_security_level "
				   "= may or stronger; Exim: hosts_try_tls; Exchange: a send connector with TLS), and "
				   "the receiving MTA offer it.");
		finding_set_rfc(f, "RFC 3848 (ESMTPS), RFC 3207");
		hop_evidence(f, h);
	} else if (h->tls == HOP_TLS_YES && h->weak) {
		enum severity sev = policy == POLICY_NONE ? SEV_INFO : policy <= POLICY_ENCRYPT ? SEV_WARN : SEV_FAIL;
		f = probe_result_add(pr, "headers.hop-weak-tls", sev, "hop");
		free(f->title);
		f->title = xasprintf("hop %zu (%s -> %s) used weak TLS: %s", h->index, str_or(h->from, "?"),
				     str_or(h->by, "?"), tw);
		finding_set_detail(f, "This hop used %s.", str_or(h->weak_reason, "weak TLS"));
		finding_set_remedy(f, "Offer TLS 1.2 or later with AEAD suites on both MTAs of this hop and retire "
				      "RC4, 3DES and export suites (Postfix: smtpd_tls_mandatory_protocols, "
				      "tls_medium_cipherlist; Exchange: disable TLS 1.0/1.1 in SCHANNEL).");
		finding_set_rfc(f, "RFC 8996, RFC 7525 section 4");
		hop_evidence(f, h);
	} else if (h->tls == HOP_TLS_UNKNOWN) {
		f = probe_result_add(pr, "headers.hop-tls-unknown", SEV_INFO, "hop");
		free(f->title);
		f->title = xasprintf("hop %zu (%s -> %s): the header does not say whether TLS was used", h->index,
				     str_or(h->from, "?"), str_or(h->by, "?"));
		finding_set_detail(f,
				   "No TLS details and no protocol keyword of RFC 3848 that mxprobe knows "
				   "(WITH %s): nothing is claimed about this hop.",
				   str_or(h->with, "absent"));
		hop_evidence(f, h);
	}
	free(tw);
}

void mail_judge(struct message_result *m, enum policy policy)
{
	struct probe_result *pr = &m->checks;
	const struct mail_headers *mh = &m->h;
	if (mh->received_total == 0) {
		struct finding *f = probe_result_add(pr, "headers.no-received", SEV_ERROR,
						     "the message has no Received field: no hop to tell");
		finding_set_detail(f, "Without trace fields (RFC 5321 section 4.4) nothing can be said about the "
				      "path of this message. Save the message as delivered (with all its headers: "
				      "\"Show original\", \"View source\", the .eml file), not a forwarded copy.");
		return;
	}
	if (mh->truncated || mh->received_total > mh->nhops) {
		struct finding *f = probe_result_add(pr, "headers.truncated", SEV_WARN,
						     "the header section was larger than mxprobe reads");
		finding_set_detail(f,
				   "At most %d bytes of header section, %d bytes per field and %d Received fields "
				   "are read; %zu Received fields were seen, %zu kept.",
				   MAIL_MAX_HEADER_BYTES, MAIL_MAX_FIELD_BYTES, MAIL_MAX_HOPS, mh->received_total,
				   mh->nhops);
	}
	size_t network = 0, tls = 0;
	for (size_t i = 0; i < mh->nhops; i++) {
		judge_hop(pr, &mh->hops[i], policy);
		if (mh->hops[i].tls == HOP_TLS_LOCAL)
			continue;
		network++;
		tls += mh->hops[i].tls == HOP_TLS_YES;
	}
	if (network && tls == network) {
		struct finding *f = probe_result_add(pr, "headers.all-tls", SEV_PASS, "every hop crossed TLS");
		finding_set_detail(f, "%zu of %zu hops between hosts were written as TLS.", tls, network);
	}
	for (size_t i = 0; i < mh->nauth; i++) {
		const struct mail_auth *a = &mh->auth[i];
		if (a->tls_parts.n == 0)
			continue;
		char *parts = strvec_join(&a->tls_parts, "; ");
		struct finding *f = probe_result_add(pr, "headers.auth-results", SEV_INFO, "auth");
		free(f->title);
		f->title = xasprintf("%s%s by %s: %s", a->field, a->arc_instance ? " (ARC)" : "",
				     str_or(a->authserv_id, "?"), parts);
		finding_add_ev(f, "field", "%s", a->field);
		if (a->arc_instance)
			finding_add_ev(f, "arc instance", "%d", a->arc_instance);
		finding_add_ev(f, "authserv-id", "%s", str_or(a->authserv_id, "(none)"));
		finding_add_ev(f, "results", "%s", parts);
		finding_set_rfc(f, a->arc_instance ? "RFC 8617 section 4.1.2" : "RFC 8601 section 2.7.4");
		free(parts);
	}
}

int mail_check(struct report *rep, const char *source, const char *p, size_t len, bool truncated, enum policy policy,
	       char *err, size_t errlen)
{
	struct mail_headers mh = { 0 };
	if (mail_headers_parse(p, len, &mh) < 0) {
		mail_headers_clear(&mh);
		snprintf(err, errlen, "no header field in it: not a message");
		return -1;
	}
	mh.truncated = mh.truncated || truncated;
	struct message_result *m = report_add_message(rep, source);
	m->h = mh;
	int64_t t0 = mono_us();
	mail_judge(m, policy);
	m->checks.duration_us = mono_us() - t0;
	return 0;
}

int mail_exit_code(const struct report *r, int status)
{
	bool failed = false, error = false;
	for (size_t i = 0; i < r->nmessages; i++) {
		const struct probe_result *pr = &r->messages[i].checks;
		for (size_t k = 0; k < pr->n; k++) {
			failed = failed || pr->f[k].sev == SEV_FAIL;
			error = error || pr->f[k].sev == SEV_ERROR;
		}
	}
	if (failed)
		return 1;
	if (error && status == 0)
		return 3;
	return status;
}
