/* \summary: the enumeration of versions, suites and groups with hand-built
 * hellos (tls/hello_scan.h).
 * specification: RFC 8446, RFC 5246, RFC 6101, RFC 7507, RFC 8422,
 * RFC 7919. */
#include "tls/hello_scan.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/dialogue.h"
#include "tls/hello.h"
#include "util/err.h"

#define SCAN_MAX_READ (300 * 1024)
#define SCAN_PAUSE_US (2 * 1000000) /* after a 421 or a refused connection */

struct scanner {
	const struct mx_options *opt;
	const struct target_spec *spec;
	struct target_result *t;
	struct tls_enum *e;
	const char *sni;
	unsigned char x25519_pub[32];
	bool have_x25519;
};

/* The outcome of one hello. */
enum try_rc {
	TRY_ANSWERED, /* sf holds a ServerHello, an alert, or nothing (closed) */
	TRY_STOPPED,  /* no hello could be sent: e->stopped says why */
};

static void pause_us(int64_t us, int64_t deadline)
{
	int64_t until = mono_us() + us;
	if (deadline && until > deadline)
		until = deadline;
	int64_t left = until - mono_us();
	if (left > 0)
		poll(NULL, 0, (int)(left / 1000));
}

static bool budget_left(struct scanner *sc)
{
	if (sc->e->stopped)
		return false;
	if (sc->e->connections >= SCAN_MAX_CONNECTIONS) {
		sc->e->stopped =
			xasprintf("the enumeration's limit of %d connections was reached", SCAN_MAX_CONNECTIONS);
		return false;
	}
	if (sc->t->deadline_us && mono_us() >= sc->t->deadline_us) {
		sc->e->stopped = xstrdup("the target's time limit (--target-timeout) was reached");
		return false;
	}
	return true;
}

/* Opens a connection up to where TLS begins; pauses and retries once after
 * a 421 or a refused connection. 0 or -1 with e->stopped set. */
static int open_raw(struct scanner *sc, struct dialogue *d, const char *label)
{
	for (int attempt = 0;; attempt++) {
		sc->e->connections++;
		if (dialogue_open(d, sc->opt, sc->spec, sc->t, label, NULL, DLG_RAW_TLS) == 0)
			return 0;
		bool busy = d->err == -MX_E_SERVICE_UNAVAILABLE || d->err == -MX_E_REFUSED;
		if (!busy || attempt > 0) {
			sc->e->stopped = xasprintf("%s failed: %s", session_step_name(d->failed_step),
						   d->detail ? d->detail : mx_strerror(d->err));
			dialogue_close(d, false);
			return -1;
		}
		dialogue_close(d, false);
		transcript_addf(&sc->t->tr, TR_EVENT, "Enumeration: pausing %d s after \"%s\"", SCAN_PAUSE_US / 1000000,
				mx_strerror(d->err));
		pause_us(SCAN_PAUSE_US, sc->t->deadline_us);
	}
}

static char *alert_text(unsigned desc)
{
	const char *name = gnutls_alert_get_name((gnutls_alert_description_t)desc);
	return xasprintf("alert %u %s", desc, name ? name : "unknown");
}

/* Sends one hello and reads the server's answer into sf. *refusal (owned)
 * says what came instead of a ServerHello, NULL when one came. */
static enum try_rc try_hello(struct scanner *sc, const struct hello_offer *o, struct server_flight *sf, char **refusal)
{
	struct dialogue d;
	struct buf out, in;
	enum try_rc rc = TRY_ANSWERED;
	*refusal = NULL;
	server_flight_clear(sf);
	if (!budget_left(sc))
		return TRY_STOPPED;
	char *label =
		xasprintf("enumeration: %s ClientHello offering %zu suite%s%s", hello_version_name(o->version),
			  o->n_suites, o->n_suites == 1 ? "" : "s", o->fallback_scsv ? " and TLS_FALLBACK_SCSV" : "");
	int orc = open_raw(sc, &d, label);
	free(label);
	if (orc < 0)
		return TRY_STOPPED;
	buf_init(&out, 16384);
	buf_init(&in, SCAN_MAX_READ);
	if (hello_build(o, &out) < 0) {
		*refusal = xstrdup("our ClientHello did not fit a record");
		goto out;
	}
	int64_t deadline = session_step_deadline(&d.s);
	transcript_addf(&sc->t->tr, TR_SENT, "[ClientHello %s, %zu bytes, %zu suites]", hello_version_name(o->version),
			out.len, o->n_suites);
	if (conn_write_all(&d.s.c, out.data, out.len, deadline) < 0) {
		*refusal = xstrdup("the connection closed before our ClientHello was sent");
		goto out;
	}
	const char *err = "";
	enum hello_parse_rc prc = HP_MORE;
	while (prc == HP_MORE) {
		char tmp[16384];
		if (conn_wait(&d.s.c, POLLIN, deadline) < 0) {
			*refusal = xstrdup("no answer before the step timeout");
			break;
		}
		ssize_t r = recv(d.s.c.fd, tmp, sizeof tmp, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			*refusal = xstrdup(r == 0 ? "connection closed" : "connection reset");
			break;
		}
		if (buf_append(&in, tmp, (size_t)r) < 0) {
			*refusal = xstrdup("answer larger than we read");
			break;
		}
		prc = hello_parse_server((const unsigned char *)in.data, in.len, o->version == HV_SSL2, sf, &err);
	}
	if (prc == HP_INVALID) {
		free(*refusal);
		*refusal = xasprintf("malformed answer: %s", err);
	} else if (prc == HP_DONE && sf->alert && !sf->server_hello) {
		free(*refusal);
		*refusal = alert_text(sf->alert_desc);
	} else if (sf->server_hello) {
		free(*refusal);
		*refusal = NULL;
	}
	if (sf->server_hello && !sf->ssl2) {
		const struct tls_suite *s = tls_suite_find(sf->suite, false);
		int v = hello_version_from_wire(sf->version);
		transcript_addf(&sc->t->tr, TR_RECV, "[%s %s, %s (0x%04X)%s]",
				sf->hrr ? "HelloRetryRequest" : "ServerHello",
				v >= 0 ? hello_version_name((enum hello_version)v) : "unknown version",
				s ? s->iana : "unknown suite", sf->suite, sf->done ? ", through ServerHelloDone" : "");
	} else if (sf->server_hello) {
		transcript_addf(&sc->t->tr, TR_RECV, "[SSLv2 SERVER-HELLO, %zu cipher kinds]", sf->n_ssl2_kinds);
	} else {
		transcript_addf(&sc->t->tr, TR_EVENT, "Enumeration: no ServerHello: %s",
				*refusal ? *refusal : "nothing");
	}
out:
	buf_clear(&out);
	buf_clear(&in);
	dialogue_close(&d, false);
	return rc;
}

/* ---- offers ---------------------------------------------------------- */

static bool suite_fits(const struct tls_suite *s, enum hello_version v)
{
	if (v == HV_SSL2)
		return s->flags & SUITE_SSL2;
	if (s->flags & SUITE_SSL2)
		return false;
	if (v == HV_TLS13)
		return s->min_version == HV_TLS13;
	return s->min_version != HV_TLS13 && s->min_version <= v;
}

static bool is_found(const struct enum_version *ev, uint32_t code)
{
	for (size_t i = 0; i < ev->n_suites; i++)
		if (ev->suites[i].code == code)
			return true;
	return false;
}

/* Every suite of the table for v, in our order; without those already
 * found when skip_found. */
static void offer_suites(struct scanner *sc, struct hello_offer *o, enum hello_version v, bool skip_found)
{
	const struct enum_version *ev = &sc->e->v[v];
	hello_offer_init(o, v, sc->sni);
	if (sc->have_x25519)
		memcpy(o->x25519_pub, sc->x25519_pub, sizeof o->x25519_pub);
	/* The strongest first, so that a client-order server shows its best. */
	for (int pass = 0; pass < 2; pass++)
		for (const struct tls_suite *s = tls_suite_table; s->iana; s++) {
			bool strong = (s->flags & SUITE_FS) && (s->flags & SUITE_AEAD);
			if (suite_fits(s, v) && strong == (pass == 0) && !(skip_found && is_found(ev, s->code)))
				hello_offer_add_suite(o, s->code);
		}
	o->deflate = v >= HV_SSL3 && v <= HV_TLS12;
}

static void offer_remaining(struct scanner *sc, struct hello_offer *o, enum hello_version v)
{
	offer_suites(sc, o, v, true);
}

static void add_suite(struct scanner *sc, enum hello_version v, const struct server_flight *sf)
{
	struct enum_version *ev = &sc->e->v[v];
	ev->suites = xrealloc(ev->suites, (ev->n_suites + 1) * sizeof *ev->suites);
	struct enum_suite *es = &ev->suites[ev->n_suites++];
	memset(es, 0, sizeof *es);
	es->code = sf->suite;
	uint16_t g = sf->key_share_group ? sf->key_share_group : sf->ske_group;
	const struct tls_group *tg = g ? tls_group_find(g) : NULL;
	if (tg)
		es->group = xstrdup(tg->name);
	else if (g)
		es->group = xasprintf("0x%04X", g);
	if (sf->dh_prime_len) {
		es->dh_bits = sf->dh_prime_bits;
		es->dh_prime_name = xstrdup(tls_dh_prime_name(sf->dh_prime, sf->dh_prime_len));
	}
}

/* Did the server answer this very version? */
static bool answered_with(const struct server_flight *sf, enum hello_version v)
{
	if (!sf->server_hello)
		return false;
	if (v == HV_SSL2)
		return sf->ssl2 && sf->n_ssl2_kinds > 0;
	return !sf->ssl2 && sf->version == hello_version_wire(v);
}

/* ---- the parts --------------------------------------------------------- */

static void scan_versions(struct scanner *sc)
{
	struct tls_enum *e = sc->e;
	struct hello_offer *o = xmalloc(sizeof *o);
	struct server_flight sf = { 0 };
	for (int v = HV_TLS13; v >= HV_SSL2; v--) {
		char *refusal = NULL;
		offer_remaining(sc, o, (enum hello_version)v);
		if (try_hello(sc, o, &sf, &refusal) == TRY_STOPPED)
			break;
		struct enum_version *ev = &e->v[v];
		ev->tested = true;
		ev->tls_answer = sf.server_hello || sf.alert;
		if (!answered_with(&sf, (enum hello_version)v)) {
			if (!refusal && sf.server_hello) {
				int got = hello_version_from_wire(sf.version);
				refusal = xasprintf("answered with %s instead",
						    got >= 0 ? hello_version_name((enum hello_version)got)
							     : "another version");
			}
			ev->refusal = refusal ? refusal : xstrdup("no ServerHello");
			continue;
		}
		free(refusal);
		ev->accepted = true;
		if (e->highest < v)
			e->highest = v;
		if (v == HV_SSL2) {
			for (size_t i = 0; i < sf.n_ssl2_kinds; i++) {
				ev->suites = xrealloc(ev->suites, (ev->n_suites + 1) * sizeof *ev->suites);
				memset(&ev->suites[ev->n_suites], 0, sizeof ev->suites[0]);
				ev->suites[ev->n_suites++].code = sf.ssl2_kinds[i];
			}
			ev->complete = true;
			continue;
		}
		add_suite(sc, (enum hello_version)v, &sf);
		ev->compression = sf.compression == 1;
		ev->reneg_info = sf.reneg_info;
		ev->ems = sf.ems;
		ev->etm = sf.etm;
		ev->downgrade_sentinel = sf.downgrade_tls12 || sf.downgrade_tls11;
	}
	/* RFC 7507 section 3: a server that supports a higher version than the
	 * client's and sees TLS_FALLBACK_SCSV answers inappropriate_fallback. */
	int below = -1;
	for (int v = e->highest - 1; v >= HV_SSL3 && e->highest > HV_SSL3; v--)
		if (e->v[v].accepted) {
			below = v;
			break;
		}
	if (below >= 0 && !e->stopped) {
		char *refusal = NULL;
		offer_remaining(sc, o, (enum hello_version)below);
		o->fallback_scsv = true;
		if (try_hello(sc, o, &sf, &refusal) == TRY_ANSWERED) {
			if (sf.alert && sf.alert_desc == 86)
				e->fallback_scsv = 1;
			else if (sf.server_hello)
				e->fallback_scsv = 0;
		}
		free(refusal);
	}
	server_flight_clear(&sf);
	free(o);
	e->versions_done = true;
}

/* RFC 5246 section 7.4.1.3: the server "MUST select a single cipher suite
 * from" the list; which one tells the order. A client-order server takes
 * our first acceptable suite, so when the order it chose in is not the
 * order we offered, it uses its own; when it is, one hello with two of its
 * suites reversed tells, asked once for TLS 1.3 and once for the best
 * version below (may_ask); older versions stay "unknown" then, rather than
 * cost a connection each for what is one server setting. */
static void find_order(struct scanner *sc, enum hello_version v, const struct hello_offer *first, bool may_ask)
{
	struct enum_version *ev = &sc->e->v[v];
	if (ev->n_suites < 2)
		return;
	size_t pos_prev = 0;
	bool follows_offer = true;
	for (size_t i = 0; i < ev->n_suites && follows_offer; i++) {
		size_t pos = 0;
		while (pos < first->n_suites && first->suites[pos] != ev->suites[i].code)
			pos++;
		if (i > 0 && pos < pos_prev)
			follows_offer = false;
		pos_prev = pos;
	}
	if (!follows_offer) {
		ev->order = ORDER_SERVER;
		return;
	}
	if (!may_ask)
		return; /* unknown: a connection is spent on it once per family */
	struct hello_offer *o = xmalloc(sizeof *o);
	struct server_flight sf = { 0 };
	char *refusal = NULL;
	offer_remaining(sc, o, v);
	o->n_suites = 0;
	hello_offer_add_suite(o, ev->suites[1].code);
	hello_offer_add_suite(o, ev->suites[0].code);
	if (try_hello(sc, o, &sf, &refusal) == TRY_ANSWERED && answered_with(&sf, v))
		ev->order = sf.suite == ev->suites[0].code ? ORDER_SERVER : ORDER_CLIENT;
	free(refusal);
	server_flight_clear(&sf);
	free(o);
}

static void scan_ciphers(struct scanner *sc)
{
	struct tls_enum *e = sc->e;
	struct hello_offer *o = xmalloc(sizeof *o), *first = xmalloc(sizeof *first);
	struct server_flight sf = { 0 };
	bool asked_tls12 = false; /* one order question for TLS 1.3, one for the rest */
	for (int v = HV_TLS13; v >= HV_SSL3; v--) {
		struct enum_version *ev = &e->v[v];
		if (!ev->accepted)
			continue;
		/* The version hello chose the first; the rest, one by one. */
		offer_suites(sc, first, (enum hello_version)v, false);
		for (;;) {
			char *refusal = NULL;
			offer_remaining(sc, o, (enum hello_version)v);
			if (o->n_suites == 0) {
				ev->complete = true;
				break;
			}
			if (try_hello(sc, o, &sf, &refusal) == TRY_STOPPED)
				break;
			free(refusal);
			if (!answered_with(&sf, (enum hello_version)v) || is_found(ev, sf.suite)) {
				ev->complete = true;
				break;
			}
			add_suite(sc, (enum hello_version)v, &sf);
		}
		if (ev->complete) {
			bool may_ask = v == HV_TLS13 || !asked_tls12;
			find_order(sc, (enum hello_version)v, first, may_ask);
			if (v != HV_TLS13 && ev->n_suites >= 2)
				asked_tls12 = true;
		}
	}
	server_flight_clear(&sf);
	free(o);
	free(first);
	e->ciphers_done = true;
}

static bool group_found(const struct tls_enum *e, uint16_t code)
{
	for (size_t i = 0; i < e->n_groups; i++)
		if (e->groups[i].code == code)
			return true;
	return false;
}

static void add_group(struct tls_enum *e, uint16_t code)
{
	const struct tls_group *g = tls_group_find(code);
	e->groups = xrealloc(e->groups, (e->n_groups + 1) * sizeof *e->groups);
	struct enum_group *eg = &e->groups[e->n_groups++];
	eg->code = code;
	eg->name = g ? xstrdup(g->name) : xasprintf("0x%04X", code);
	eg->bits = g ? g->bits : 0;
	eg->ffdhe = g && g->ffdhe;
}

/* The server's finite-field DH prime: from a DHE suite already found, else
 * one hello offering only DHE suites at the best version below TLS 1.3. */
static void scan_dhe(struct scanner *sc)
{
	struct tls_enum *e = sc->e;
	int v = -1;
	for (int w = HV_TLS12; w >= HV_SSL3 && v < 0; w--)
		if (e->v[w].accepted)
			v = w;
	if (v < 0)
		return;
	for (int w = HV_TLS12; w >= HV_SSL3; w--)
		for (size_t i = 0; i < e->v[w].n_suites; i++)
			if (e->v[w].suites[i].dh_bits) {
				e->dhe_tested = true;
				e->dh_bits = e->v[w].suites[i].dh_bits;
				e->dh_prime_name = xstrdup(e->v[w].suites[i].dh_prime_name);
				e->dh_suite = e->v[w].suites[i].code;
				e->dh_version = w;
				return;
			}
	if (e->ciphers_done && e->v[v].complete) {
		e->dhe_tested = true; /* every suite is known: no DHE among them */
		return;
	}
	struct hello_offer *o = xmalloc(sizeof *o);
	struct server_flight sf = { 0 };
	char *refusal = NULL;
	offer_remaining(sc, o, (enum hello_version)v);
	o->n_suites = 0;
	for (const struct tls_suite *s = tls_suite_table; s->iana; s++)
		if (suite_fits(s, (enum hello_version)v) && strcmp(s->kx, "DHE") == 0)
			hello_offer_add_suite(o, s->code);
	if (try_hello(sc, o, &sf, &refusal) == TRY_ANSWERED) {
		e->dhe_tested = true;
		if (answered_with(&sf, (enum hello_version)v) && sf.dh_prime_len) {
			e->dh_bits = sf.dh_prime_bits;
			e->dh_prime_name = xstrdup(tls_dh_prime_name(sf.dh_prime, sf.dh_prime_len));
			e->dh_suite = sf.suite;
			e->dh_version = v;
		}
	}
	free(refusal);
	server_flight_clear(&sf);
	free(o);
}

/* TLS 1.3 (RFC 8446 section 4.2.8): supported_groups lists the remaining
 * groups, key_share carries x25519 only; the server names its choice in
 * its key_share or, for another group, in a HelloRetryRequest. TLS 1.2
 * (RFC 8422 section 5.4): only the ECDHE suites it accepted, the curve in
 * its ServerKeyExchange. One connection per group, one more to end. */
static void scan_groups(struct scanner *sc)
{
	struct tls_enum *e = sc->e;
	enum hello_version v = HV_TLS13;
	if (!e->v[HV_TLS13].accepted) {
		v = HV__COUNT;
		for (int w = HV_TLS12; w >= HV_TLS10 && v == HV__COUNT; w--)
			if (e->v[w].accepted)
				v = (enum hello_version)w;
	}
	scan_dhe(sc);
	if (v == HV__COUNT) {
		e->groups_done = true;
		return;
	}
	e->groups_via = v == HV_TLS13 ? "TLS1.3 key_share" : "TLS1.2 ServerKeyExchange";
	struct hello_offer *o = xmalloc(sizeof *o);
	struct server_flight sf = { 0 };
	for (;;) {
		char *refusal = NULL;
		offer_suites(sc, o, v, false);
		if (v != HV_TLS13) {
			/* ECDHE suites only, so the ServerKeyExchange names a curve. */
			o->n_suites = 0;
			for (const struct tls_suite *s = tls_suite_table; s->iana; s++)
				if (suite_fits(s, v) && strcmp(s->kx, "ECDHE") == 0)
					hello_offer_add_suite(o, s->code);
		}
		size_t n = 0;
		for (size_t i = 0; i < o->n_groups; i++)
			if (!group_found(e, o->groups[i]) && (v == HV_TLS13 || !tls_group_find(o->groups[i])->ffdhe))
				o->groups[n++] = o->groups[i];
		o->n_groups = n;
		o->key_share = v == HV_TLS13 && !group_found(e, 0x001d);
		if (n == 0) {
			e->groups_complete = true;
			break;
		}
		if (try_hello(sc, o, &sf, &refusal) == TRY_STOPPED)
			break;
		free(refusal);
		uint16_t g = v == HV_TLS13 ? sf.key_share_group : sf.ske_group;
		if (!answered_with(&sf, v) || !g || group_found(e, g)) {
			e->groups_complete = true;
			break;
		}
		add_group(e, g);
	}
	server_flight_clear(&sf);
	free(o);
	e->groups_done = true;
}

struct tls_enum *hello_scan_run(const struct mx_options *opt, const struct target_spec *spec, struct target_result *t,
				unsigned want)
{
	if (!t->tls_enum) {
		t->tls_enum = xcalloc(1, sizeof *t->tls_enum);
		t->tls_enum->highest = -1;
		t->tls_enum->fallback_scsv = -1;
	}
	struct scanner sc = {
		.opt = opt,
		.spec = spec,
		.t = t,
		.e = t->tls_enum,
		/* RFC 6066 section 3: a host name, never an IP literal (hello.c
		 * leaves literals out). */
		.sni = opt->sni	       ? opt->sni
		       : spec->mx_host ? spec->mx_host
				       : spec->host,
	};
	struct hello_offer tmp;
	if (hello_offer_x25519(&tmp) == 0) {
		memcpy(sc.x25519_pub, tmp.x25519_pub, sizeof sc.x25519_pub);
		sc.have_x25519 = true;
	}
	if (!sc.e->versions_done)
		scan_versions(&sc);
	if ((want & SCAN_CIPHERS) && !sc.e->ciphers_done)
		scan_ciphers(&sc);
	if ((want & SCAN_GROUPS) && !sc.e->groups_done)
		scan_groups(&sc);
	return sc.e;
}
