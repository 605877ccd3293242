/* \summary: redaction of known secrets and the one escaping rule, applied
 * to every string of the results model (see seal.h). */
#include "report/seal.h"

#include <stdlib.h>
#include <string.h>

#include "report/domain.h"
#include "mail/headers.h"

static char *b64(const unsigned char *p, size_t n, bool pad)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		if (i + 1 < n || pad)
			*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		if (i + 2 < n || pad)
			*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static void wipe_free(char *s, size_t n)
{
	if (s) {
		explicit_bzero(s, n);
		free(s);
	}
}

static void add_pat(struct redact *r, char *owned)
{
	if (!owned[0]) {
		wipe_free(owned, strlen(owned));
		return;
	}
	for (size_t i = 0; i < r->pats.n; i++) {
		if (strcmp(r->pats.v[i], owned) == 0) {
			wipe_free(owned, strlen(owned));
			return;
		}
	}
	strvec_push_owned(&r->pats, owned);
	/* longest first: a whole PLAIN blob goes before the password inside it */
	for (size_t i = r->pats.n - 1; i > 0 && strlen(r->pats.v[i]) > strlen(r->pats.v[i - 1]); i--) {
		char *t = r->pats.v[i];
		r->pats.v[i] = r->pats.v[i - 1];
		r->pats.v[i - 1] = t;
	}
}

/* base64 of (k zero bytes, p): the characters p alone determines. */
static void add_core(struct redact *r, const char *p, size_t n, size_t k)
{
	unsigned char *buf = xcalloc(1, k + n);
	memcpy(buf + k, p, n);
	char *enc = b64(buf, k + n, false);
	size_t lo = (8 * k + 5) / 6, hi = 8 * (k + n) / 6;
	if (hi > lo && hi - lo >= 4)
		add_pat(r, xstrndup(enc + lo, hi - lo));
	wipe_free(enc, strlen(enc));
	explicit_bzero(buf, k + n);
	free(buf);
}

static void add_plain(struct redact *r, const char *authz, const char *user, const char *pass)
{
	size_t al = strlen(authz), ul = strlen(user), pl = strlen(pass), n = al + ul + pl + 2;
	unsigned char *raw = xmalloc(n);
	memcpy(raw, authz, al);
	raw[al] = '\0';
	memcpy(raw + al + 1, user, ul);
	raw[al + 1 + ul] = '\0';
	memcpy(raw + al + ul + 2, pass, pl);
	add_pat(r, b64(raw, n, true));
	add_pat(r, b64(raw, n, false));
	explicit_bzero(raw, n);
	free(raw);
}

void redact_init(struct redact *r)
{
	memset(r, 0, sizeof *r);
}

void redact_add_secret(struct redact *r, const char *secret, const char *user)
{
	if (!secret || !*secret)
		return;
	size_t n = strlen(secret);
	add_pat(r, xstrdup(secret));
	add_pat(r, str_escape(secret, n, n * 4 + 16));
	add_pat(r, str_sanitize(secret, false));
	add_pat(r, b64((const unsigned char *)secret, n, true)); /* AUTH LOGIN */
	if (user) {
		add_plain(r, "", user, secret);
		add_plain(r, user, user, secret);
	}
	for (size_t k = 0; k < 3; k++)
		add_core(r, secret, n, k);
}

void redact_clear(struct redact *r)
{
	for (size_t i = 0; i < r->pats.n; i++)
		explicit_bzero(r->pats.v[i], strlen(r->pats.v[i]));
	strvec_clear(&r->pats);
}

/* The length of the longest pattern (or marker) that starts at p, 0 for none. */
static size_t match_at(const struct redact *r, const char *p)
{
	static const size_t ml = sizeof SEAL_MARK - 1;
	size_t best = strncmp(p, SEAL_MARK, ml) == 0 ? ml : 0;
	/* longest first: the first pattern that matches is the longest */
	for (size_t i = 0; i < r->pats.n; i++) {
		size_t n = strlen(r->pats.v[i]);
		if (n <= best)
			break;
		if (strncmp(p, r->pats.v[i], n) == 0)
			return n;
	}
	return best;
}

/* One step: every byte that some occurrence of a pattern or of the marker
 * covers (overlapping occurrences included) is covered, and each maximal run
 * of covered bytes becomes one marker. */
static char *redact_step(const struct redact *r, const char *s)
{
	struct buf b;
	buf_init(&b, SIZE_MAX / 2);
	size_t reach = 0; /* covered up to here (exclusive) */
	bool in_run = false;
	for (size_t i = 0; s[i]; i++) {
		size_t m = match_at(r, s + i);
		if (i + m > reach)
			reach = i + m;
		if (i < reach) {
			if (!in_run)
				buf_append(&b, SEAL_MARK, sizeof SEAL_MARK - 1);
			in_run = true;
		} else {
			buf_append(&b, s + i, 1);
			in_run = false;
		}
	}
	return b.data ? b.data : xstrdup("");
}

/* Steps until nothing changes. After the first step, a new occurrence must
 * overlap a marker (one inside a run of kept bytes was there before and was
 * covered), so each further step that changes the text covers kept bytes or
 * merges markers, and never adds a marker: the kept bytes plus the markers
 * shrink, and the loop ends. The bound is a guard only; past it the whole
 * string is withheld (fail closed). */
#define REDACT_MAX_STEPS 32

char *redact_apply(const struct redact *r, const char *s)
{
	if (!r || r->pats.n == 0)
		return xstrdup(s);
	char *cur = NULL; /* owned once the first step has run */
	for (int step = 0; step < REDACT_MAX_STEPS; step++) {
		char *next = redact_step(r, cur ? cur : s);
		bool same = strcmp(next, cur ? cur : s) == 0;
		if (cur)
			wipe_free(cur, strlen(cur));
		if (same)
			return next;
		cur = next;
	}
	wipe_free(cur, strlen(cur));
	return xstrdup(SEAL_MARK);
}

/* ---- the walk over the model ---- */

static void seal_str(char **s, const struct redact *r, bool keep_nl)
{
	if (!*s)
		return;
	char *red = redact_apply(r, *s);
	char *safe = str_sanitize(red, keep_nl);
	free(red);
	explicit_bzero(*s, strlen(*s)); /* it may have held a secret */
	free(*s);
	*s = safe;
}

static void seal_vec(struct strvec *v, const struct redact *r)
{
	for (size_t i = 0; i < v->n; i++)
		seal_str(&v->v[i], r, false);
}

static void seal_reply(struct reply_info *ri, const struct redact *r)
{
	seal_str(&ri->text, r, true);
	ri->enh[sizeof ri->enh - 1] = '\0';
	if (!str_is_safe(ri->enh, strlen(ri->enh), false))
		ri->enh[0] = '\0';
}

static void seal_caps(struct smtp_caps *c, const struct redact *r)
{
	seal_str(&c->greeting, r, false);
	seal_vec(&c->auth_mechs, r);
	seal_vec(&c->unknown, r);
	seal_vec(&c->lines, r);
}

static void seal_chain(struct cert_info *c, size_t n, const struct redact *r)
{
	for (size_t i = 0; i < n; i++) {
		seal_str(&c[i].subject, r, false);
		seal_str(&c[i].issuer, r, false);
		seal_str(&c[i].serial_hex, r, false);
		seal_str(&c[i].sha1_hex, r, false);
		seal_str(&c[i].sha256_hex, r, false);
		seal_vec(&c[i].san_dns, r);
		seal_vec(&c[i].san_ip, r);
		seal_vec(&c[i].san_other, r);
		seal_str(&c[i].key_type, r, false);
		seal_str(&c[i].sig_alg, r, false);
	}
}

static void seal_facts(struct session_facts *f, const struct redact *r)
{
	seal_str(&f->remote, r, false);
	seal_str(&f->local, r, false);
	seal_reply(&f->banner, r);
	seal_reply(&f->ehlo, r);
	seal_caps(&f->caps_plain, r);
	seal_reply(&f->starttls_reply, r);
	seal_str(&f->after_starttls, r, false);
	struct tls_params *tp = &f->tls;
	char **tls_strs[] = { &tp->protocol, &tp->cipher_suite, &tp->cipher,	     &tp->mac,
			      &tp->kx,	     &tp->group,	&tp->server_sig_alg, &tp->sni };
	for (size_t i = 0; i < ARRAY_LEN(tls_strs); i++)
		seal_str(tls_strs[i], r, false);
	seal_vec(&tp->ccert_ca_names, r);
	seal_vec(&tp->ccert_types, r);
	seal_vec(&tp->ccert_sig_algs, r);
	seal_str(&f->tls_error, r, false);
	seal_str(&f->tls_error_text, r, false);
	seal_str(&f->tls_alert_name, r, false);
	seal_chain(f->chain, f->chain_len, r);
	seal_chain(f->client_chain, f->client_chain_len, r);
	seal_reply(&f->ehlo_tls, r);
	seal_caps(&f->caps_tls, r);
	seal_reply(&f->quit, r);
	seal_str(&f->fail_detail, r, true);
	seal_reply(&f->r421, r);
}

static void seal_probe(struct probe_result *pr, const struct redact *r)
{
	seal_str(&pr->name, r, false);
	seal_str(&pr->title, r, false);
	for (size_t i = 0; i < pr->n; i++) {
		struct finding *f = &pr->f[i];
		seal_str(&f->id, r, false);
		seal_str(&f->title, r, false);
		seal_str(&f->detail, r, true);
		seal_str(&f->remedy, r, true);
		seal_str(&f->rfc, r, false);
		for (size_t k = 0; k < f->nev; k++) {
			seal_str(&f->ev[k].key, r, false);
			seal_str(&f->ev[k].value, r, true);
		}
	}
}

void report_seal_target(struct target_result *t, const struct redact *r)
{
	char **strs[] = { &t->input, &t->scheme, &t->host, &t->address, &t->domain, &t->mx_host };
	for (size_t i = 0; i < ARRAY_LEN(strs); i++)
		seal_str(strs[i], r, false);
	for (size_t i = 0; i < t->tr.n; i++)
		seal_str(&t->tr.e[i].text, r, false);
	seal_facts(&t->facts, r);
	for (size_t i = 0; i < t->n_more_sessions; i++)
		seal_facts(&t->more_sessions[i], r);
	for (size_t i = 0; i < t->nprobes; i++)
		seal_probe(&t->probes[i], r);
}

static void seal_domain(struct domain_result *d, const struct redact *r)
{
	seal_str(&d->name, r, false);
	seal_str(&d->error, r, true);
	seal_str(&d->why_bogus, r, true);
	seal_str(&d->dnssec_anchor, r, true);
	for (size_t m = 0; m < d->nmx; m++) {
		struct mx_host *h = &d->mx[m];
		seal_str(&h->host, r, false);
		seal_str(&h->error, r, true);
		seal_str(&h->why_bogus_a, r, true);
		seal_str(&h->why_bogus_aaaa, r, true);
		seal_str(&h->canonical, r, false);
		seal_str(&h->tlsa.name, r, false);
		seal_str(&h->tlsa.base, r, false);
		seal_str(&h->tlsa.why, r, true);
		for (size_t a = 0; a < h->naddr; a++) {
			seal_str(&h->addr[a].address, r, false);
			for (size_t p = 0; p < DOMAIN_NPOLICIES; p++)
				seal_str(&h->addr[a].fate_reason[p], r, true);
		}
	}
	for (size_t i = 0; i < d->nbroken; i++) {
		seal_str(&d->broken[i].mx, r, false);
		seal_str(&d->broken[i].address, r, false);
		seal_str(&d->broken[i].reason, r, true);
	}
	seal_probe(&d->checks, r);
}

void report_seal(struct report *rep, const struct redact *r)
{
	seal_str(&rep->tool_version, r, false);
	seal_str(&rep->policy, r, false);
	seal_str(&rep->ehlo_name, r, false);
	for (size_t i = 0; i < rep->n; i++)
		report_seal_target(rep->t[i], r);
	for (size_t i = 0; i < rep->ndomains; i++)
		seal_domain(&rep->domains[i], r);
	/* mxprobe headers: the hops were escaped as parsed; the findings too */
	for (size_t i = 0; i < rep->nmessages; i++)
		seal_probe(&rep->messages[i].checks, r);
}
