/* \summary: connections, mail conversations and TLS from captured frames
 * (wire/analyzer.h).
 *
 * specification: RFC 5321 sections 4.1-4.2 (SMTP commands and replies),
 * RFC 3207 section 4.2 (after the 220 to STARTTLS, TLS and nothing else),
 * RFC 4954 (AUTH), RFC 4616 (PLAIN), RFC 1939 (POP3 USER/PASS/APOP),
 * RFC 2595 (STLS), RFC 3501 sections 6.2.1-6.2.3 (IMAP STARTTLS, LOGIN,
 * AUTHENTICATE), RFC 2033 (LMTP), RFC 8314 (implicit TLS ports). */
#include "wire/analyzer.h"

#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire/packet.h"
#include "wire/reasm.h"
#include "wire/tlsparse.h"

#define LINE_MAX_KEPT 512
#define HOLD_MAX      (16 * 1024)
#define HASH_MIN      256
#define HASH_MAX      65536
#define EXCERPT	      64
#define RESYNC_MAX    4096

enum proto {
	P_UNKNOWN,
	P_SMTP,
	P_LMTP,
	P_POP3,
	P_IMAP,
	P_IMPLICIT,
};

enum dmode {
	M_LINES, /* plaintext dialogue */
	M_HOLD,	 /* client bytes after STARTTLS, until the reply comes */
	M_TLS,	 /* TLS records */
	M_IGNORE,
};

/* What a reply answers; POP3's multi-line answers end with "." */
enum cmd {
	C_GREETING,
	C_EHLO,
	C_STARTTLS,
	C_AUTH,
	C_DATA,
	C_CAPA,
	C_MULTI,
	C_OTHER,
};

struct tlsdir {
	uint8_t hdr[TLS_RECORD_HEADER];
	uint8_t hdr_have;
	uint8_t type;
	uint32_t body_left;
	struct buf hs; /* handshake messages, up to WIRE_MAX_HANDSHAKE */
	bool hs_done;
	bool ccs;
	uint32_t resync_left; /* after plaintext: bytes left to find a handshake record in */
};

struct dstate {
	enum dmode mode;
	char line[LINE_MAX_KEPT];
	size_t line_len;
	bool resync;	 /* after a gap: skip to the next line */
	uint64_t offset; /* bytes of this direction delivered so far */
	struct tlsdir t;
};

struct conv {
	enum proto proto;
	struct dstate d[2];
	enum cmd q[16]; /* commands waiting for their reply */
	unsigned qh, qn;
	bool in_data;	 /* SMTP DATA: the client sends the message */
	bool multiline;	 /* POP3: a multi-line answer is running */
	bool multi_caps; /* ... and it is CAPA's */
	int sasl;	 /* 0, or the mechanism's secret-bearing step count */
	int sasl_step;
	unsigned ehlo_lines; /* lines of the EHLO reply so far */
	char sasl_mech[24];
	char pop_user[80];
	char imap_tag[32]; /* the tag of IMAP STARTTLS */
	struct buf hold;   /* client bytes after STARTTLS */
	bool starttls_pending;
	uint8_t first[4]; /* the server's first bytes, until they tell the protocol */
	size_t first_n;
	uint16_t version, suite;
	int64_t t_syn, t_synack, t_first, t_greet, t_ehlo_cmd, t_stls_cmd, t_ch;
	int last_dir;
	struct wire_session s;
};

struct flow {
	struct flow *hnext;
	struct flow *prev, *next; /* least recently used first */
	int family;
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	uint32_t hash;
	int64_t first_us, last_us;
	bool ignored;
	bool fin[2];
	uint64_t packets;
	struct reasm_dir r[2];
	struct conv *cv; /* NULL once ignored */
	struct wire_analyzer *a;
};

struct id_count {
	const char *id;
	size_t n;
};

struct wire_analyzer {
	struct wire_summary *sum;
	struct probe_result *pr;
	enum severity cleartext_sev;
	struct frag_table *frags;
	struct flow **bucket;
	size_t nbuckets; /* a power of two, grown with the live connections */
	struct flow *lru_head, *lru_tail;
	size_t nflows;
	size_t buffered; /* bytes held by every connection together */
	int64_t now;
	struct id_count counts[16];
	size_t ncounts;
};

/* ---- findings, capped per id --------------------------------------- */

static struct finding *add_finding(struct wire_analyzer *a, const char *id, enum severity sev, const char *title)
{
	struct id_count *c = NULL;
	for (size_t i = 0; i < a->ncounts; i++)
		if (strcmp(a->counts[i].id, id) == 0)
			c = &a->counts[i];
	if (!c && a->ncounts < ARRAY_LEN(a->counts)) {
		c = &a->counts[a->ncounts++];
		c->id = id;
		c->n = 0;
	}
	if (c && c->n++ >= WIRE_MAX_PER_FINDING)
		return NULL;
	return probe_result_add(a->pr, id, sev, title);
}

/* ---- the flow table ------------------------------------------------ */

static uint32_t hash_bytes(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u; /* FNV-1a */
	return h;
}

/* The same for both directions: the endpoints' hashes are added. */
static uint32_t flow_hash(const struct tcp_seg *g)
{
	size_t al = g->family == 4 ? 4 : 16;
	uint8_t sp[2] = { (uint8_t)(g->sport >> 8), (uint8_t)g->sport };
	uint8_t dp[2] = { (uint8_t)(g->dport >> 8), (uint8_t)g->dport };
	uint32_t hs = hash_bytes(hash_bytes(2166136261u, g->src, al), sp, 2);
	uint32_t hd = hash_bytes(hash_bytes(2166136261u, g->dst, al), dp, 2);
	return hs + hd;
}

/* 0: the segment goes client to server; 1: back; -1: another flow. */
static int flow_dir(const struct flow *f, const struct tcp_seg *g)
{
	size_t al = g->family == 4 ? 4 : 16;
	if (f->family != g->family)
		return -1;
	if (g->sport == f->cport && g->dport == f->sport && memcmp(g->src, f->caddr, al) == 0 &&
	    memcmp(g->dst, f->saddr, al) == 0)
		return 0;
	if (g->sport == f->sport && g->dport == f->cport && memcmp(g->src, f->saddr, al) == 0 &&
	    memcmp(g->dst, f->caddr, al) == 0)
		return 1;
	return -1;
}

static void lru_unlink(struct wire_analyzer *a, struct flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		a->lru_head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		a->lru_tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(struct wire_analyzer *a, struct flow *f)
{
	f->prev = a->lru_tail;
	f->next = NULL;
	if (a->lru_tail)
		a->lru_tail->next = f;
	else
		a->lru_head = f;
	a->lru_tail = f;
}

static char *endpoint(int family, const uint8_t *addr, uint16_t port)
{
	if (family == 4)
		return xasprintf("%u.%u.%u.%u:%u", addr[0], addr[1], addr[2], addr[3], port);
	char s[64];
	size_t k = 0;
	/* RFC 5952: lower case, the longest run of zero groups as "::" */
	int best = -1, bestlen = 0;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && addr[2 * j] == 0 && addr[2 * j + 1] == 0)
			j++;
		if (j - i > bestlen && j - i > 1) {
			best = i;
			bestlen = j - i;
		}
		i = j == i ? i + 1 : j;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			k += (size_t)snprintf(s + k, sizeof s - k, "::");
			i += bestlen - 1;
			continue;
		}
		if (k && s[k - 1] != ':')
			s[k++] = ':';
		k += (size_t)snprintf(s + k, sizeof s - k, "%x", (addr[2 * i] << 8) | addr[2 * i + 1]);
	}
	s[k] = '\0';
	return xasprintf("[%s]:%u", s, port);
}

/* ---- the conversation ---------------------------------------------- */

static void cmd_push(struct conv *c, enum cmd k)
{
	if (c->qn < ARRAY_LEN(c->q))
		c->q[(c->qh + c->qn++) % ARRAY_LEN(c->q)] = k;
}

static enum cmd cmd_pop(struct conv *c)
{
	if (c->qn == 0)
		return C_OTHER;
	enum cmd k = c->q[c->qh];
	c->qh = (c->qh + 1) % ARRAY_LEN(c->q);
	c->qn--;
	return k;
}

static void set_str(char **dst, char *owned)
{
	free(*dst);
	*dst = owned;
}

static void add_credential(struct conv *c, const char *mech, const char *user)
{
	if (c->s.credentials.n >= 8)
		return;
	if (user && *user) {
		char *u = str_escape(user, strlen(user), 64);
		strvec_push_owned(&c->s.credentials, xasprintf("%s (user %s)", mech, u));
		free(u);
	} else {
		strvec_push(&c->s.credentials, mech);
	}
}

/* Decodes base64 into out (NUL-terminated, cut at outlen); the decoded
 * copy is wiped: it may hold a password. */
static void b64_user(const char *b64, char *out, size_t outlen, int which)
{
	out[0] = '\0';
	gnutls_datum_t in = { .data = (unsigned char *)(uintptr_t)b64, .size = (unsigned)strlen(b64) };
	gnutls_datum_t dec = { NULL, 0 };
	if (gnutls_base64_decode2(&in, &dec) < 0)
		return;
	/* which: 1 = PLAIN's authcid (after the first NUL), 0 = the whole
	 * (LOGIN's user), 2 = CRAM-MD5's name (before the space) */
	size_t start = 0, end = dec.size;
	if (which == 1) {
		const unsigned char *z = memchr(dec.data, 0, dec.size);
		start = z ? (size_t)(z - dec.data) + 1 : dec.size;
		const unsigned char *z2 = memchr(dec.data + start, 0, dec.size - start);
		end = z2 ? (size_t)(z2 - dec.data) : start;
	} else if (which == 2) {
		const unsigned char *sp = memchr(dec.data, ' ', dec.size);
		end = sp ? (size_t)(sp - dec.data) : 0;
	}
	size_t n = end > start ? end - start : 0;
	if (n >= outlen)
		n = outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = dec.data[start + i] ? (char)dec.data[start + i] : '?';
	out[n] = '\0';
	explicit_bzero(dec.data, dec.size);
	gnutls_free(dec.data);
}

/* A SASL exchange in clear: the client's line at step sasl_step. */
static void sasl_line(struct conv *c, const char *line)
{
	if (strcmp(line, "*") == 0) {
		c->sasl = 0;
		return;
	}
	char user[80] = "";
	char what[48];
	snprintf(what, sizeof what, "AUTH %s", c->sasl_mech);
	if (strcasecmp(c->sasl_mech, "PLAIN") == 0) {
		b64_user(line, user, sizeof user, 1);
		add_credential(c, what, user);
		c->sasl = 0;
	} else if (strcasecmp(c->sasl_mech, "LOGIN") == 0) {
		if (c->sasl_step == 0) {
			b64_user(line, c->pop_user, sizeof c->pop_user, 0);
		} else {
			add_credential(c, what, c->pop_user);
			c->sasl = 0;
		}
	} else if (strcasecmp(c->sasl_mech, "CRAM-MD5") == 0) {
		b64_user(line, user, sizeof user, 2);
		add_credential(c, what, user);
		c->sasl = 0;
	} else {
		add_credential(c, what, NULL);
		c->sasl = 0;
	}
	c->sasl_step++;
}

/* AUTH mech [initial-response] (RFC 4954 section 4; POP3 RFC 5034; IMAP
 * AUTHENTICATE with SASL-IR, RFC 4959). */
static void sasl_start(struct conv *c, const char *args)
{
	size_t ml = strcspn(args, " ");
	snprintf(c->sasl_mech, sizeof c->sasl_mech, "%.*s", (int)(ml < 23 ? ml : 23), args);
	for (char *p = c->sasl_mech; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	c->sasl = 1;
	c->sasl_step = 0;
	c->pop_user[0] = '\0';
	const char *ir = args[ml] ? args + ml + 1 : NULL;
	if (ir && *ir && strcmp(ir, "=") != 0)
		sasl_line(c, ir);
	else if (ir && strcmp(ir, "=") == 0 && strcasecmp(c->sasl_mech, "LOGIN") != 0)
		c->sasl_step = 0;
}

static bool verb_is(const char *line, const char *verb, const char **args)
{
	size_t n = strlen(verb);
	if (strncasecmp(line, verb, n) != 0 || (line[n] != ' ' && line[n] != '\0'))
		return false;
	*args = line[n] ? line + n + 1 : line + n;
	return true;
}

static void starttls_sent(struct wire_analyzer *a, struct conv *c)
{
	c->starttls_pending = true;
	c->t_stls_cmd = a->now;
	c->d[0].mode = M_HOLD;
}

static void smtp_client_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	const char *args;
	if (c->in_data) {
		if (strcmp(line, ".") == 0) {
			c->in_data = false;
			cmd_push(c, C_OTHER);
		}
		return;
	}
	if (c->sasl) {
		sasl_line(c, line);
		return;
	}
	if (verb_is(line, "EHLO", &args) || verb_is(line, "HELO", &args) || verb_is(line, "LHLO", &args)) {
		if (strncasecmp(line, "LHLO", 4) == 0)
			c->proto = P_LMTP;
		set_str(&c->s.ehlo_name, str_escape(args, strlen(args), 255));
		c->t_ehlo_cmd = a->now;
		strvec_clear(&c->s.capabilities);
		cmd_push(c, C_EHLO);
	} else if (verb_is(line, "STARTTLS", &args)) {
		cmd_push(c, C_STARTTLS);
		starttls_sent(a, c);
	} else if (verb_is(line, "AUTH", &args)) {
		cmd_push(c, C_AUTH);
		sasl_start(c, args);
	} else if (verb_is(line, "DATA", &args)) {
		cmd_push(c, C_DATA);
	} else {
		cmd_push(c, C_OTHER);
	}
}

static void pop3_client_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	const char *args;
	if (c->sasl) {
		sasl_line(c, line);
		return;
	}
	if (verb_is(line, "USER", &args)) {
		snprintf(c->pop_user, sizeof c->pop_user, "%s", args);
		cmd_push(c, C_OTHER);
	} else if (verb_is(line, "PASS", &args)) {
		add_credential(c, "USER/PASS", c->pop_user);
		cmd_push(c, C_OTHER);
	} else if (verb_is(line, "APOP", &args)) {
		char user[80];
		snprintf(user, sizeof user, "%.*s", (int)strcspn(args, " "), args);
		add_credential(c, "APOP", user);
		cmd_push(c, C_OTHER);
	} else if (verb_is(line, "AUTH", &args) && *args) {
		cmd_push(c, C_AUTH);
		sasl_start(c, args);
	} else if (verb_is(line, "STLS", &args)) {
		cmd_push(c, C_STARTTLS);
		starttls_sent(a, c);
	} else if (verb_is(line, "CAPA", &args)) {
		cmd_push(c, C_CAPA);
	} else if (verb_is(line, "RETR", &args) || verb_is(line, "TOP", &args) ||
		   ((verb_is(line, "LIST", &args) || verb_is(line, "UIDL", &args)) && !*args)) {
		cmd_push(c, C_MULTI);
	} else {
		cmd_push(c, C_OTHER);
	}
}

/* An IMAP astring's first bytes (RFC 3501 section 9): atom or quoted. */
static void imap_astring(const char *s, char *out, size_t outlen)
{
	size_t k = 0;
	if (*s == '"') {
		for (s++; *s && *s != '"' && k + 1 < outlen; s++) {
			if (*s == '\\' && s[1])
				s++;
			out[k++] = *s;
		}
	} else if (*s != '{') {
		for (; *s && *s != ' ' && k + 1 < outlen; s++)
			out[k++] = *s;
	}
	out[k] = '\0';
}

static void imap_client_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	if (c->sasl) {
		sasl_line(c, line);
		return;
	}
	size_t tl = strcspn(line, " ");
	if (!line[tl])
		return;
	const char *rest = line + tl + 1, *args;
	if (verb_is(rest, "LOGIN", &args)) {
		char user[80];
		imap_astring(args, user, sizeof user);
		add_credential(c, "LOGIN", user);
	} else if (verb_is(rest, "AUTHENTICATE", &args)) {
		sasl_start(c, args);
	} else if (verb_is(rest, "STARTTLS", &args)) {
		snprintf(c->imap_tag, sizeof c->imap_tag, "%.*s", (int)(tl < 31 ? tl : 31), line);
		starttls_sent(a, c);
	}
}

static void client_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	switch (c->proto) {
	case P_SMTP:
	case P_LMTP:
		smtp_client_line(a, c, line);
		break;
	case P_POP3:
		pop3_client_line(a, c, line);
		break;
	case P_IMAP:
		imap_client_line(a, c, line);
		break;
	default:
		break;
	}
}

static void deliver_bytes(struct wire_analyzer *a, struct conv *c, int dir, const uint8_t *p, size_t n);

/* The reply to STARTTLS/STLS came: TLS from the next byte on (RFC 3207
 * section 4.2), or the held client bytes are a dialogue again. */
static void starttls_answered(struct wire_analyzer *a, struct conv *c, bool accepted, const char *reply)
{
	c->starttls_pending = false;
	c->s.starttls_us = a->now - c->t_stls_cmd;
	if (accepted) {
		set_str(&c->s.tls_mode, xstrdup("starttls"));
		c->d[1].mode = M_TLS;
		c->d[0].mode = M_TLS;
	} else {
		set_str(&c->s.tls_mode, xstrdup("starttls-refused"));
		c->d[0].mode = M_LINES;
		if (reply)
			strvec_push_owned(&c->s.error_replies, str_escape(reply, strlen(reply), 200));
	}
	struct buf held = c->hold;
	buf_init(&c->hold, HOLD_MAX);
	if (held.len)
		deliver_bytes(a, c, 0, (const uint8_t *)held.data, held.len);
	buf_clear(&held);
}

static void record_reply(struct conv *c, const char *line, bool error)
{
	char *e = str_escape(line, strlen(line), 200);
	if (error && c->s.error_replies.n < 8)
		strvec_push(&c->s.error_replies, e);
	set_str(&c->s.last_reply, e);
}

static void smtp_server_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	size_t len = strlen(line);
	bool wellformed = len >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' &&
			  line[2] >= '0' && line[2] <= '9' && (len == 3 || line[3] == ' ' || line[3] == '-');
	if (!wellformed)
		return;
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	bool last = len == 3 || line[3] == ' ';
	enum cmd head = c->qn ? c->q[c->qh] : C_OTHER;
	/* RFC 5321 section 4.1.1.1: the EHLO reply's first line is the
	 * greeting, each further line a capability. */
	if (head == C_EHLO && code == 250) {
		if (c->ehlo_lines++ > 0 && len > 4 && c->s.capabilities.n < 64)
			strvec_push_owned(&c->s.capabilities, str_escape(line + 4, len - 4, 100));
	}
	if (!last)
		return;
	c->ehlo_lines = 0;
	if (c->sasl && code == 334)
		return;
	c->sasl = 0;
	enum cmd k = cmd_pop(c);
	record_reply(c, line, code >= 400);
	switch (k) {
	case C_GREETING:
		c->s.greeting_us = a->now - c->t_first;
		break;
	case C_EHLO:
		c->s.ehlo_us = a->now - c->t_ehlo_cmd;
		break;
	case C_STARTTLS:
		starttls_answered(a, c, code == 220, code == 220 ? NULL : line);
		break;
	case C_DATA:
		c->in_data = code == 354;
		break;
	default:
		break;
	}
}

static void pop3_server_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	if (c->multiline) {
		if (strcmp(line, ".") == 0)
			c->multiline = false;
		else if (c->multi_caps && c->s.capabilities.n < 64)
			strvec_push_owned(&c->s.capabilities, str_escape(line, strlen(line), 100));
		return;
	}
	if (c->sasl && line[0] == '+' && line[1] == ' ')
		return;
	bool ok = strncmp(line, "+OK", 3) == 0;
	if (!ok && strncmp(line, "-ERR", 4) != 0)
		return;
	c->sasl = 0;
	enum cmd k = cmd_pop(c);
	record_reply(c, line, !ok);
	switch (k) {
	case C_GREETING:
		c->s.greeting_us = a->now - c->t_first;
		break;
	case C_CAPA:
		c->multiline = ok;
		c->multi_caps = true;
		strvec_clear(&c->s.capabilities);
		break;
	case C_MULTI:
		c->multiline = ok;
		c->multi_caps = false;
		break;
	case C_STARTTLS:
		starttls_answered(a, c, ok, ok ? NULL : line);
		break;
	default:
		break;
	}
}

static void imap_caps(struct conv *c, const char *s)
{
	const char *p = strcasestr(s, "CAPABILITY ");
	if (!p)
		return;
	strvec_clear(&c->s.capabilities);
	for (p += 11; *p && *p != ']' && c->s.capabilities.n < 64;) {
		size_t n = strcspn(p, " ]");
		if (n)
			strvec_push_owned(&c->s.capabilities, str_escape(p, n, 60));
		p += n;
		if (*p == ' ')
			p++;
	}
}

static void imap_server_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	if (line[0] == '*' && line[1] == ' ') {
		if (c->qn && c->q[c->qh] == C_GREETING) {
			cmd_pop(c);
			c->s.greeting_us = a->now - c->t_first;
			record_reply(c, line, strncasecmp(line + 2, "BYE", 3) == 0);
		}
		imap_caps(c, line);
		return;
	}
	if (line[0] == '+')
		return;
	c->sasl = 0;
	size_t tl = strcspn(line, " ");
	if (!line[tl])
		return;
	const char *st = line + tl + 1;
	bool ok = strncasecmp(st, "OK", 2) == 0;
	record_reply(c, line, !ok);
	imap_caps(c, line);
	if (c->starttls_pending && c->imap_tag[0] && strlen(c->imap_tag) == tl && strncmp(line, c->imap_tag, tl) == 0)
		starttls_answered(a, c, ok, ok ? NULL : line);
}

static void server_line(struct wire_analyzer *a, struct conv *c, const char *line)
{
	switch (c->proto) {
	case P_SMTP:
	case P_LMTP:
		smtp_server_line(a, c, line);
		break;
	case P_POP3:
		pop3_server_line(a, c, line);
		break;
	case P_IMAP:
		imap_server_line(a, c, line);
		break;
	default:
		break;
	}
}

/* ---- TLS records --------------------------------------------------- */

/* Redacts what could carry a secret in an excerpt of plaintext: the
 * argument of AUTH, PASS, LOGIN, APOP, USER, AUTHENTICATE, and any line
 * that looks like base64 alone (a SASL response). */
static char *redacted_excerpt(const uint8_t *p, size_t n)
{
	struct buf out;
	buf_init(&out, 4 * n + 64);
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		size_t ll = e - i;
		char line[EXCERPT + 8];
		snprintf(line, sizeof line, "%.*s", (int)(ll < EXCERPT ? ll : EXCERPT), (const char *)p + i);
		static const char *const verbs[] = { "AUTH ", "PASS ", "APOP ", "USER ", "LOGIN ", "AUTHENTICATE " };
		size_t keep = ll;
		for (size_t v = 0; v < ARRAY_LEN(verbs); v++) {
			const char *hit = strcasestr(line, verbs[v]);
			if (hit && (size_t)(hit - line) + strlen(verbs[v]) < keep)
				keep = (size_t)(hit - line) + strlen(verbs[v]);
		}
		size_t b64 = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r");
		if (ll >= 4 && b64 == strlen(line))
			keep = 0;
		char *esc = str_escape(p + i, keep, 4 * EXCERPT);
		buf_append(&out, esc, strlen(esc));
		free(esc);
		if (keep < ll)
			buf_append(&out, "<redacted>", 10);
		if (e < n)
			buf_append(&out, "\\n", 2);
		i = e + 1;
	}
	buf_append(&out, "", 1);
	return out.data ? out.data : xstrdup("");
}

static void plaintext_found(struct conv *c, int dir, uint64_t offset, const uint8_t *p, size_t n)
{
	struct wire_session *s = &c->s;
	if (s->plaintext_after_starttls)
		return;
	s->plaintext_after_starttls = true;
	s->plaintext_dir = xstrdup(dir == 0 ? "client" : "server");
	s->plaintext_offset = offset;
	s->plaintext_bytes = redacted_excerpt(p, n < EXCERPT ? n : EXCERPT);
}

static void handshake_message(struct wire_analyzer *a, struct conv *c, int dir, uint8_t type, const uint8_t *body,
			      size_t len)
{
	struct wire_session *s = &c->s;
	uint16_t selected = 0, suite = 0;
	if (dir == 0 && type == TLS_HS_CLIENT_HELLO && !s->client_hello.seen) {
		c->t_ch = a->now;
		tls_hello_parse(body, len, true, &s->client_hello, &selected, &suite);
		c->d[0].t.hs_done = true;
	} else if (dir == 1 && type == TLS_HS_SERVER_HELLO) {
		bool hrr = s->server_hello.hello_retry;
		if (s->server_hello.seen) {
			struct wire_hello fresh = { 0 };
			free(s->server_hello.version);
			strvec_clear(&s->server_hello.versions);
			strvec_clear(&s->server_hello.suites);
			strvec_clear(&s->server_hello.key_shares);
			strvec_clear(&s->server_hello.extensions);
			strvec_clear(&s->server_hello.alpn);
			free(s->server_hello.sni);
			s->server_hello = fresh;
		}
		if (tls_hello_parse(body, len, false, &s->server_hello, &selected, &suite) < 0 && !s->server_hello.seen)
			return;
		bool this_hrr = s->server_hello.hello_retry;
		s->server_hello.hello_retry = hrr || this_hrr;
		if (this_hrr)
			return;
		char buf[8];
		c->version = selected;
		c->suite = suite;
		set_str(&s->tls_version, xstrdup(tls_version_name(selected, buf)));
		set_str(&s->cipher_suite, xstrdup(tls_suite_name(suite, buf)));
		if (selected >= 0x0304)
			c->d[1].t.hs_done = true; /* the rest is encrypted */
	} else if (dir == 1 && type == TLS_HS_CERTIFICATE && c->version && c->version <= 0x0303 &&
		   s->cert_subjects.n == 0) {
		tls_certificate_parse(body, len, &s->cert_subjects, &s->cert_sha256, 10);
	} else if (dir == 1 && type == TLS_HS_SERVER_HELLO_DONE) {
		c->d[1].t.hs_done = true;
	}
}

static void handshake_bytes(struct wire_analyzer *a, struct conv *c, int dir, const uint8_t *p, size_t n)
{
	struct tlsdir *t = &c->d[dir].t;
	if (t->hs_done)
		return;
	if (!t->hs.max)
		buf_init(&t->hs, WIRE_MAX_HANDSHAKE);
	if (a->buffered >= WIRE_MAX_BUFFERED || buf_append(&t->hs, p, n) < 0) {
		c->s.truncated = true;
		t->hs_done = true;
		buf_clear(&t->hs);
		return;
	}
	while (!t->hs_done && t->hs.len >= 4) {
		const uint8_t *m = (const uint8_t *)t->hs.data;
		size_t ml = ((size_t)m[1] << 16) | ((size_t)m[2] << 8) | m[3];
		if (ml + 4 > WIRE_MAX_HANDSHAKE) {
			c->s.truncated = true;
			t->hs_done = true;
			break;
		}
		if (t->hs.len < ml + 4)
			return;
		handshake_message(a, c, dir, m[0], m + 4, ml);
		buf_consume(&t->hs, ml + 4);
	}
	if (t->hs_done)
		buf_clear(&t->hs);
}

static void record_start(struct wire_analyzer *a, struct conv *c, int dir, uint8_t type)
{
	struct tlsdir *t = &c->d[dir].t;
	if (type == TLS_CT_CHANGE_CIPHER_SPEC) {
		t->ccs = true;
		t->hs_done = true;
		buf_clear(&t->hs);
		return;
	}
	/* The client's Finished: its first record after its
	 * ChangeCipherSpec (TLS 1.2) or its first encrypted record (1.3). */
	if (dir == 0 && c->s.handshake_us < 0 && c->s.client_hello.seen &&
	    ((t->ccs && type == TLS_CT_HANDSHAKE) || type == TLS_CT_APPLICATION_DATA))
		c->s.handshake_us = a->now - c->t_ch;
}

static void tls_bytes(struct wire_analyzer *a, struct conv *c, int dir, const uint8_t *p, size_t n)
{
	struct dstate *d = &c->d[dir];
	struct tlsdir *t = &d->t;
	while (n > 0 && d->mode == M_TLS) {
		if (t->body_left == 0) {
			size_t take = TLS_RECORD_HEADER - t->hdr_have;
			if (take > n)
				take = n;
			memcpy(t->hdr + t->hdr_have, p, take);
			t->hdr_have = (uint8_t)(t->hdr_have + take);
			p += take;
			n -= take;
			d->offset += take;
			if (t->hdr_have < TLS_RECORD_HEADER)
				return;
			t->hdr_have = 0;
			size_t len;
			bool ok = tls_record_header_ok(t->hdr, &len);
			if (t->resync_left && !(ok && t->hdr[0] == TLS_CT_HANDSHAKE)) {
				/* Still looking for the handshake after plaintext. */
				memmove(t->hdr, t->hdr + 1, TLS_RECORD_HEADER - 1);
				t->hdr_have = TLS_RECORD_HEADER - 1;
				if (--t->resync_left == 0)
					d->mode = M_IGNORE;
				continue;
			}
			t->resync_left = 0;
			if (!ok) {
				bool starttls = strcmp(c->s.tls_mode ? c->s.tls_mode : "", "starttls") == 0;
				if (!starttls) {
					d->mode = M_IGNORE;
					return;
				}
				uint8_t ex[EXCERPT];
				size_t rest = n < EXCERPT - TLS_RECORD_HEADER ? n : EXCERPT - TLS_RECORD_HEADER;
				memcpy(ex, t->hdr, TLS_RECORD_HEADER);
				memcpy(ex + TLS_RECORD_HEADER, p, rest);
				plaintext_found(c, dir, d->offset - TLS_RECORD_HEADER, ex, TLS_RECORD_HEADER + rest);
				/* The handshake may follow the injected bytes: look
				 * for its first record, a byte at a time, a little
				 * way on, so the hellos are still read. */
				memmove(t->hdr, t->hdr + 1, TLS_RECORD_HEADER - 1);
				t->hdr_have = TLS_RECORD_HEADER - 1;
				t->resync_left = RESYNC_MAX;
				continue;
			}
			t->type = t->hdr[0];
			t->body_left = (uint32_t)len;
			record_start(a, c, dir, t->type);
			continue;
		}
		size_t take = t->body_left < n ? t->body_left : n;
		if (t->type == TLS_CT_HANDSHAKE)
			handshake_bytes(a, c, dir, p, take);
		t->body_left -= (uint32_t)take;
		p += take;
		n -= take;
		d->offset += take;
	}
}

/* ---- bytes in order ------------------------------------------------ */

static bool mail_port_implicit(uint16_t port, const char **name)
{
	switch (port) {
	case 465:
		*name = "smtps";
		return true;
	case 993:
		*name = "imaps";
		return true;
	case 995:
		*name = "pop3s";
		return true;
	default:
		return false;
	}
}

/* Recognises the protocol from the first bytes of either side; false when
 * the connection is not mail. */
static bool recognise(struct flow *f, struct conv *c, int dir, const uint8_t *p, size_t n)
{
	const char *name = NULL;
	if (n >= 2 && p[0] == TLS_CT_HANDSHAKE && p[1] == 3 && mail_port_implicit(f->sport, &name)) {
		c->proto = P_IMPLICIT;
		c->s.protocol = xstrdup(name);
		c->s.tls_mode = xstrdup("implicit");
		c->d[0].mode = c->d[1].mode = M_TLS;
		return true;
	}
	if (dir != 1 || n < 3)
		return dir == 0; /* the client first: wait for the server's bytes */
	if (p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
	    (n == 3 || p[3] == ' ' || p[3] == '-' || p[3] == '\r'))
		c->proto = P_SMTP;
	else if (memcmp(p, "+OK", 3) == 0)
		c->proto = P_POP3;
	else if (n >= 4 && (memcmp(p, "* OK", 4) == 0 || memcmp(p, "* PR", 4) == 0 || memcmp(p, "* BY", 4) == 0))
		c->proto = P_IMAP;
	else
		return false;
	c->s.tls_mode = xstrdup("none");
	cmd_push(c, C_GREETING);
	return true;
}

/* Could these first bytes still become a greeting: "220 ", "+OK", "* OK"? */
static bool prefix_plausible(const uint8_t *p, size_t n)
{
	bool smtp = true, pop = true, imap = true;
	for (size_t i = 0; i < n; i++) {
		smtp &= i < 3 ? (p[i] >= '0' && p[i] <= '9') : (p[i] == ' ' || p[i] == '-' || p[i] == '\r');
		pop &= i < 3 && p[i] == "+OK"[i];
		imap &= i < 2 && p[i] == "* "[i];
	}
	return smtp || pop || imap;
}

static const char *proto_name(enum proto p)
{
	switch (p) {
	case P_SMTP:
		return "smtp";
	case P_LMTP:
		return "lmtp";
	case P_POP3:
		return "pop3";
	case P_IMAP:
		return "imap";
	default:
		return "unknown";
	}
}

static void lines_bytes(struct wire_analyzer *a, struct conv *c, int dir, const uint8_t *p, size_t n, size_t *used)
{
	struct dstate *d = &c->d[dir];
	const uint8_t *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) + 1 : n;
	*used = take;
	d->offset += take;
	if (d->resync) {
		d->resync = !nl;
		return;
	}
	size_t room = LINE_MAX_KEPT - 1 - d->line_len;
	size_t copy = take < room ? take : room;
	memcpy(d->line + d->line_len, p, copy);
	d->line_len += copy;
	if (!nl)
		return;
	size_t ll = d->line_len;
	while (ll && (d->line[ll - 1] == '\n' || d->line[ll - 1] == '\r'))
		ll--;
	d->line[ll] = '\0';
	/* A NUL inside ends the line as we see it; the rest is not needed. */
	d->line_len = 0;
	if (dir == 0)
		client_line(a, c, d->line);
	else
		server_line(a, c, d->line);
}

static void deliver_bytes(struct wire_analyzer *a, struct conv *c, int dir, const uint8_t *p, size_t n)
{
	while (n > 0) {
		struct dstate *d = &c->d[dir];
		size_t used = n;
		switch (d->mode) {
		case M_LINES:
			lines_bytes(a, c, dir, p, n, &used);
			break;
		case M_HOLD:
			if (buf_append(&c->hold, p, n) < 0)
				c->s.truncated = true;
			break;
		case M_TLS:
			tls_bytes(a, c, dir, p, n);
			break;
		default:
			break;
		}
		p += used;
		n -= used;
	}
}

static void on_deliver(void *user, int dir, const uint8_t *p, size_t n)
{
	struct flow *f = user;
	struct conv *c = f->cv;
	if (!c || f->ignored)
		return;
	if (c->proto == P_UNKNOWN && dir == 1) {
		/* The server's first four bytes decide; a tarpit sends them
		 * one at a time. */
		size_t take = sizeof c->first - c->first_n < n ? sizeof c->first - c->first_n : n;
		memcpy(c->first + c->first_n, p, take);
		c->first_n += take;
		p += take;
		n -= take;
		if (c->first_n < sizeof c->first && prefix_plausible(c->first, c->first_n))
			return;
		if (!recognise(f, c, 1, c->first, c->first_n)) {
			f->ignored = true;
			return;
		}
		if (!c->s.protocol)
			c->s.protocol = xstrdup(proto_name(c->proto));
		deliver_bytes(f->a, c, 1, c->first, c->first_n);
	} else if (c->proto == P_UNKNOWN) {
		/* Client bytes before the server said anything: implicit TLS,
		 * or (a capture that began mid-connection, or not mail) not
		 * judged. */
		if (!recognise(f, c, 0, p, n)) {
			f->ignored = true;
			return;
		}
		if (c->proto == P_UNKNOWN)
			return;
	}
	deliver_bytes(f->a, c, dir, p, n);
	if (c->proto == P_LMTP && strcmp(c->s.protocol, "lmtp") != 0)
		set_str(&c->s.protocol, xstrdup("lmtp"));
}

static void on_gap(void *user, int dir, uint64_t n)
{
	struct flow *f = user;
	struct conv *c = f->cv;
	if (!c)
		return;
	c->s.gap_bytes += n;
	struct dstate *d = &c->d[dir];
	d->offset += n;
	if (d->mode == M_LINES) {
		d->line_len = 0;
		d->resync = true;
	} else if (d->mode == M_TLS) {
		d->mode = M_IGNORE; /* record framing is lost: nothing after it is judged */
	}
}

/* ---- sessions to findings ------------------------------------------ */

static void ev_session(struct finding *fd, const struct wire_session *s)
{
	finding_add_ev(fd, "client", "%s", s->client);
	finding_add_ev(fd, "server", "%s", s->server);
	finding_add_ev(fd, "protocol", "%s", s->protocol ? s->protocol : "unknown");
}

static void session_findings(struct wire_analyzer *a, const struct wire_session *s)
{
	struct finding *fd;
	for (size_t i = 0; i < s->credentials.n; i++) {
		bool digest = strncmp(s->credentials.v[i], "APOP", 4) == 0 ||
			      strncmp(s->credentials.v[i], "AUTH CRAM-MD5", 13) == 0;
		fd = add_finding(a, "wire.credentials-in-clear", digest ? SEV_WARN : SEV_FAIL,
				 digest ? "A login crossed the wire in clear (a challenge-response digest)"
					: "A password crossed the wire in clear");
		if (!fd)
			continue;
		finding_set_detail(fd, "%s was sent before TLS on %s -> %s; anyone on the path can read %s.",
				   s->credentials.v[i], s->client, s->server,
				   digest ? "the user name and guess the password offline from the digest"
					  : "the password (shown here redacted)");
		finding_set_remedy(fd, "Allow authentication only after STARTTLS (Postfix smtpd_tls_auth_only = "
				       "yes, Dovecot disable_plaintext_auth = yes / auth_allow_cleartext = no), "
				       "or use implicit TLS (RFC 8314).");
		finding_set_rfc(fd, "RFC 4954 section 4, RFC 8314 section 3");
		ev_session(fd, s);
		finding_add_ev(fd, "mechanism", "%s", s->credentials.v[i]);
		finding_add_ev(fd, "secret", "<redacted>");
	}
	if (s->plaintext_after_starttls) {
		fd = add_finding(a, "wire.plaintext-after-starttls", SEV_FAIL,
				 "Plaintext crossed the wire after the reply to STARTTLS");
		if (fd) {
			finding_set_detail(fd,
					   "After the reply to STARTTLS every byte must be a TLS record; the %s sent "
					   "bytes that are not, at offset %llu of its stream: %s",
					   s->plaintext_dir, (unsigned long long)s->plaintext_offset,
					   s->plaintext_bytes);
			finding_set_remedy(fd, "Something between the client and the server (or the server "
					       "itself) injected plaintext: a STARTTLS command-injection bug "
					       "(CVE-2011-0411 class) or a meddling middlebox. Fix or bypass it.");
			finding_set_rfc(fd, "RFC 3207 section 4.2");
			ev_session(fd, s);
			finding_add_ev(fd, "direction", "%s", s->plaintext_dir);
			finding_add_ev(fd, "offset", "%llu", (unsigned long long)s->plaintext_offset);
			finding_add_ev(fd, "bytes", "%s", s->plaintext_bytes);
		}
	} else if (s->tls_mode && strcmp(s->tls_mode, "starttls") == 0 && s->server_hello.seen && !s->gap_bytes) {
		fd = add_finding(a, "wire.tls-clean", SEV_PASS,
				 "After STARTTLS only TLS records crossed the wire, both ways");
		if (fd) {
			ev_session(fd, s);
			finding_add_ev(fd, "tls_version", "%s", s->tls_version ? s->tls_version : "");
			finding_add_ev(fd, "cipher_suite", "%s", s->cipher_suite ? s->cipher_suite : "");
		}
	}
	if (s->tls_mode && strcmp(s->tls_mode, "none") == 0) {
		fd = add_finding(a, "wire.cleartext-session", a->cleartext_sev, "A mail session ran in clear");
		if (fd) {
			finding_set_detail(fd,
					   "%s -> %s never started TLS: everything it carried is readable on "
					   "the path.",
					   s->client, s->server);
			ev_session(fd, s);
		}
	} else if (s->tls_mode && strcmp(s->tls_mode, "starttls-refused") == 0) {
		fd = add_finding(a, "wire.cleartext-session", a->cleartext_sev,
				 "STARTTLS was refused and the session went on in clear");
		if (fd) {
			ev_session(fd, s);
			finding_add_ev(fd, "reply", "%s", s->error_replies.n ? s->error_replies.v[0] : "");
		}
	}
	if (s->gap_bytes) {
		fd = add_finding(a, "wire.gap", SEV_INFO, "Bytes of a session are missing from the capture");
		if (fd) {
			finding_set_detail(fd,
					   "%llu bytes were never captured; what follows a gap in a direction is "
					   "not judged.",
					   (unsigned long long)s->gap_bytes);
			ev_session(fd, s);
			finding_add_ev(fd, "missing_bytes", "%llu", (unsigned long long)s->gap_bytes);
		}
	}
	if (s->truncated) {
		fd = add_finding(a, "wire.truncated", SEV_INFO, "A session exceeded the analysis buffer cap");
		if (fd) {
			finding_set_detail(fd,
					   "Out-of-order data or handshake messages past %u KiB per direction "
					   "were skipped (reported as a gap), so memory stays bounded.",
					   (unsigned)(WIRE_MAX_HOLD / 1024));
			ev_session(fd, s);
		}
	}
}

/* The bytes a connection holds in its buffers (WIRE_MAX_BUFFERED). */
static size_t flow_buffered(const struct flow *f)
{
	size_t n = f->r[0].ooo_bytes + f->r[1].ooo_bytes;
	if (f->cv)
		n += f->cv->hold.cap + f->cv->d[0].t.hs.cap + f->cv->d[1].t.hs.cap;
	return n;
}

static void flow_free(struct wire_analyzer *a, struct flow *f)
{
	a->buffered -= flow_buffered(f);
	struct flow **pp = &a->bucket[f->hash & (a->nbuckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(a, f);
	a->nflows--;
	reasm_clear(&f->r[0]);
	reasm_clear(&f->r[1]);
	if (f->cv) {
		buf_clear(&f->cv->hold);
		buf_clear(&f->cv->d[0].t.hs);
		buf_clear(&f->cv->d[1].t.hs);
		wire_session_clear(&f->cv->s);
		free(f->cv);
	}
	free(f);
}

/* The connection ended (or idled, or was evicted): its session goes into
 * the summary, its findings into the probe result, its memory away. */
static void flow_end(struct wire_analyzer *a, struct flow *f)
{
	struct reasm_sink sink = { on_deliver, on_gap, f };
	if (f->cv && !f->ignored) {
		size_t before = flow_buffered(f);
		reasm_flush(&f->r[0], &sink, 0);
		reasm_flush(&f->r[1], &sink, 1);
		a->buffered = a->buffered - before + flow_buffered(f);
	}
	struct conv *c = f->cv;
	if (c && !f->ignored && c->proto != P_UNKNOWN) {
		struct wire_session *s = &c->s;
		s->client = endpoint(f->family, f->caddr, f->cport);
		s->server = endpoint(f->family, f->saddr, f->sport);
		s->start_wall_us = f->first_us;
		s->duration_us = f->last_us - f->first_us;
		s->packets = f->packets;
		s->closed = f->fin[0] || f->fin[1];
		s->truncated |= f->r[0].truncated || f->r[1].truncated;
		if (c->t_syn >= 0 && c->t_synack >= 0)
			s->connect_us = c->t_synack - c->t_syn;
		a->sum->mail_sessions++;
		session_findings(a, s);
		if (a->sum->n < WIRE_MAX_LISTED) {
			if (a->sum->n == a->sum->cap) {
				a->sum->cap = a->sum->cap ? 2 * a->sum->cap : 16;
				a->sum->s = xrealloc(a->sum->s, a->sum->cap * sizeof a->sum->s[0]);
			}
			a->sum->s[a->sum->n++] = *s;
			memset(s, 0, sizeof *s);
		} else {
			a->sum->sessions_not_listed++;
		}
	}
	flow_free(a, f);
}

static struct conv *conv_new(void)
{
	struct conv *c = xcalloc(1, sizeof *c);
	buf_init(&c->hold, HOLD_MAX);
	c->t_syn = c->t_synack = c->t_first = -1;
	c->last_dir = -1;
	struct wire_session *s = &c->s;
	s->connect_us = s->greeting_us = s->ehlo_us = s->starttls_us = s->handshake_us = -1;
	return c;
}

/* Doubles the hash table when the live connections outnumber its buckets. */
static void grow_table(struct wire_analyzer *a)
{
	if (a->nflows < a->nbuckets || a->nbuckets >= HASH_MAX)
		return;
	free(a->bucket);
	a->nbuckets *= 2;
	a->bucket = xcalloc(a->nbuckets, sizeof a->bucket[0]);
	for (struct flow *f = a->lru_head; f; f = f->next) {
		f->hnext = a->bucket[f->hash & (a->nbuckets - 1)];
		a->bucket[f->hash & (a->nbuckets - 1)] = f;
	}
}

static struct flow *flow_new(struct wire_analyzer *a, const struct tcp_seg *g, uint32_t hash)
{
	if (a->nflows >= WIRE_MAX_FLOWS && a->lru_head)
		flow_end(a, a->lru_head);
	grow_table(a);
	struct flow *f = xcalloc(1, sizeof *f);
	size_t al = g->family == 4 ? 4 : 16;
	/* The client sent the SYN; without one, the side on the higher port. */
	bool src_is_client = (g->flags & TCP_F_SYN) ? !(g->flags & TCP_F_ACK) : g->sport > g->dport;
	f->family = g->family;
	memcpy(src_is_client ? f->caddr : f->saddr, g->src, al);
	memcpy(src_is_client ? f->saddr : f->caddr, g->dst, al);
	f->cport = src_is_client ? g->sport : g->dport;
	f->sport = src_is_client ? g->dport : g->sport;
	f->hash = hash;
	f->first_us = a->now;
	f->a = a;
	f->cv = conv_new();
	f->cv->s.handshake_seen = (g->flags & TCP_F_SYN) != 0;
	f->hnext = a->bucket[hash & (a->nbuckets - 1)];
	a->bucket[hash & (a->nbuckets - 1)] = f;
	lru_append(a, f);
	a->nflows++;
	a->sum->tcp_connections++;
	return f;
}

static void expire_idle(struct wire_analyzer *a)
{
	while (a->lru_head && a->now - a->lru_head->last_us > WIRE_IDLE_US)
		flow_end(a, a->lru_head);
}

static void tcp_segment(struct wire_analyzer *a, const struct tcp_seg *g)
{
	uint32_t h = flow_hash(g);
	struct flow *f = a->bucket[h & (a->nbuckets - 1)];
	int dir = -1;
	for (; f; f = f->hnext)
		if (f->hash == h && (dir = flow_dir(f, g)) >= 0)
			break;
	if (!f) {
		/* Only a SYN or data opens a connection: a stray ACK or FIN
		 * after the end does not bring one back. */
		if (!(g->flags & TCP_F_SYN) && g->len == 0) {
			a->sum->packets_skipped++;
			return;
		}
		f = flow_new(a, g, h);
		dir = flow_dir(f, g);
	}
	f->packets++;
	f->last_us = a->now;
	lru_unlink(a, f);
	lru_append(a, f);
	struct conv *c = f->cv;
	if (c && !f->ignored) {
		if ((g->flags & TCP_F_SYN) && !(g->flags & TCP_F_ACK) && c->t_syn < 0)
			c->t_syn = a->now;
		if ((g->flags & TCP_F_SYN) && (g->flags & TCP_F_ACK) && c->t_synack < 0)
			c->t_synack = a->now;
		if (c->t_first < 0 && !(g->flags & TCP_F_SYN))
			c->t_first = c->t_synack >= 0 ? c->t_synack : a->now;
		if (g->len) {
			if (dir == 0)
				c->s.bytes_c2s += g->len;
			else
				c->s.bytes_s2c += g->len;
			if (dir == 1 && c->last_dir == 0)
				c->s.round_trips++;
			c->last_dir = dir;
		}
		struct reasm_sink sink = { on_deliver, on_gap, f };
		size_t before = flow_buffered(f);
		size_t max_hold = a->buffered < WIRE_MAX_BUFFERED ? WIRE_MAX_HOLD : 0;
		reasm_segment(&f->r[dir], &sink, dir, g->seq, g->flags & TCP_F_SYN, g->flags & TCP_F_FIN, g->payload,
			      g->len, max_hold);
		a->buffered = a->buffered - before + flow_buffered(f);
		if (f->ignored) {
			/* Not mail: only the packets are counted from now on. */
			a->buffered -= flow_buffered(f);
			reasm_clear(&f->r[0]);
			reasm_clear(&f->r[1]);
			buf_clear(&c->hold);
			buf_clear(&c->d[0].t.hs);
			buf_clear(&c->d[1].t.hs);
			wire_session_clear(&c->s);
			free(c);
			f->cv = NULL;
		}
	}
	if (g->flags & TCP_F_FIN)
		f->fin[dir] = true;
	if ((g->flags & TCP_F_RST) || (f->fin[0] && f->fin[1]))
		flow_end(a, f);
}

/* ---- the public side ----------------------------------------------- */

struct wire_analyzer *wire_analyzer_new(struct wire_summary *sum, struct probe_result *pr, enum severity cleartext_sev)
{
	struct wire_analyzer *a = xcalloc(1, sizeof *a);
	a->sum = sum;
	a->pr = pr;
	a->cleartext_sev = cleartext_sev;
	a->frags = frag_table_new();
	a->nbuckets = HASH_MIN;
	a->bucket = xcalloc(a->nbuckets, sizeof a->bucket[0]);
	return a;
}

void wire_analyzer_packet(struct wire_analyzer *a, int dlt, int64_t ts_us, const uint8_t *p, size_t caplen)
{
	a->sum->packets++;
	if (ts_us > a->now)
		a->now = ts_us;
	struct tcp_seg g;
	switch (packet_decode(a->frags, dlt, a->now, p, caplen, &g)) {
	case PKT_TCP:
		tcp_segment(a, &g);
		break;
	case PKT_FRAGMENT:
		break;
	default:
		a->sum->packets_skipped++;
		break;
	}
	if ((a->sum->packets & 1023) == 0)
		expire_idle(a);
}

static int cmp_random(const void *x, const void *y)
{
	const struct wire_session *const *a = x, *const *b = y;
	return strcmp((*a)->client_hello.random_hex, (*b)->client_hello.random_hex);
}

static bool strvec_equal(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* What differs between two ClientHellos, "" if nothing we compare. */
static void hello_diff(const struct wire_hello *x, const struct wire_hello *y, char *out, size_t outlen)
{
	out[0] = '\0';
	if (strcmp(x->sni ? x->sni : "", y->sni ? y->sni : "") != 0)
		snprintf(out + strlen(out), outlen - strlen(out), "server_name %s vs %s; ", x->sni ? x->sni : "none",
			 y->sni ? y->sni : "none");
	if (!strvec_equal(&x->suites, &y->suites))
		snprintf(out + strlen(out), outlen - strlen(out), "cipher suites %zu vs %zu offered; ", x->suites.n,
			 y->suites.n);
	if (!strvec_equal(&x->versions, &y->versions))
		snprintf(out + strlen(out), outlen - strlen(out), "supported_versions differ; ");
	if (!strvec_equal(&x->groups, &y->groups))
		snprintf(out + strlen(out), outlen - strlen(out), "supported_groups differ; ");
	if (!strvec_equal(&x->extensions, &y->extensions))
		snprintf(out + strlen(out), outlen - strlen(out), "extensions differ; ");
	if (!strvec_equal(&x->alpn, &y->alpn))
		snprintf(out + strlen(out), outlen - strlen(out), "ALPN differs; ");
}

/* A ClientHello's random is fresh per handshake (RFC 8446 section 4.1.2):
 * the same random in two connections with different contents is one hello
 * that something rewrote on its way (both legs in the capture). */
static void same_random_check(struct wire_analyzer *a)
{
	const struct wire_session **v = xcalloc(a->sum->n + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < a->sum->n; i++)
		if (a->sum->s[i].client_hello.seen)
			v[k++] = &a->sum->s[i];
	qsort(v, k, sizeof *v, cmp_random);
	for (size_t i = 0; i + 1 < k; i++) {
		const struct wire_session *x = v[i], *y = v[i + 1];
		if (strcmp(x->client_hello.random_hex, y->client_hello.random_hex) != 0)
			continue;
		char diff[512];
		hello_diff(&x->client_hello, &y->client_hello, diff, sizeof diff);
		if (!diff[0])
			continue;
		struct finding *fd = add_finding(a, "wire.hello-mismatch", SEV_FAIL,
						 "A ClientHello was rewritten between two legs of the path");
		if (!fd)
			continue;
		finding_set_detail(fd,
				   "The same ClientHello (random %.16s...) crossed %s -> %s and %s -> %s with "
				   "different contents: %s",
				   x->client_hello.random_hex, x->client, x->server, y->client, y->server, diff);
		finding_set_remedy(fd, "A middlebox (TLS inspection, a firewall's SMTP fixup) edits the handshake; "
				       "the handshake then fails or is downgraded. Exempt mail traffic from it.");
		finding_set_rfc(fd, "RFC 8446 section 4.1.2");
		finding_add_ev(fd, "leg_1", "%s -> %s", x->client, x->server);
		finding_add_ev(fd, "leg_2", "%s -> %s", y->client, y->server);
		finding_add_ev(fd, "differences", "%s", diff);
	}
	free(v);
}

void wire_analyzer_finish(struct wire_analyzer *a)
{
	while (a->lru_head)
		flow_end(a, a->lru_head);
	same_random_check(a);
	struct wire_summary *w = a->sum;
	struct finding *fd;
	if (w->mail_sessions == 0) {
		fd = probe_result_add(a->pr, "wire.no-mail", SEV_INFO, "No mail session in the capture");
		finding_set_detail(fd,
				   "%llu packets, %llu TCP connections, none of them SMTP, LMTP, POP3 or IMAP "
				   "(nor implicit TLS on 465, 993, 995).",
				   (unsigned long long)w->packets, (unsigned long long)w->tcp_connections);
	} else {
		fd = probe_result_add(a->pr, "wire.sessions", SEV_INFO, "Mail sessions on the wire");
		finding_set_detail(fd, "%llu mail sessions in %llu TCP connections, %llu packets.",
				   (unsigned long long)w->mail_sessions, (unsigned long long)w->tcp_connections,
				   (unsigned long long)w->packets);
	}
	finding_add_ev(fd, "packets", "%llu", (unsigned long long)w->packets);
	finding_add_ev(fd, "tcp_connections", "%llu", (unsigned long long)w->tcp_connections);
	finding_add_ev(fd, "mail_sessions", "%llu", (unsigned long long)w->mail_sessions);
	for (size_t i = 0; i < a->ncounts; i++) {
		if (a->counts[i].n <= WIRE_MAX_PER_FINDING)
			continue;
		fd = probe_result_add(a->pr, "wire.findings-capped", SEV_INFO, "More findings of one kind");
		finding_set_detail(fd, "%zu more %s findings are not listed.", a->counts[i].n - WIRE_MAX_PER_FINDING,
				   a->counts[i].id);
		finding_add_ev(fd, "id", "%s", a->counts[i].id);
		finding_add_ev(fd, "not_listed", "%zu", a->counts[i].n - WIRE_MAX_PER_FINDING);
	}
}

void wire_analyzer_free(struct wire_analyzer *a)
{
	if (!a)
		return;
	while (a->lru_head)
		flow_free(a, a->lru_head);
	frag_table_free(a->frags);
	free(a->bucket);
	free(a);
}
