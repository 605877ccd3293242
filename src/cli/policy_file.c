/* \summary: --policy-file (see policy_file.h). */
#include "cli/policy_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns/dns.h"
#include "net/target.h"
#include "util/util.h"

#define POLICY_FILE_MAX (1024 * 1024)

struct pf {
	const char *file, *dir;
	char *err;
	size_t errlen;
};

static int fail(struct pf *pf, unsigned line, unsigned col, const char *expected, const char *got, size_t gotlen)
{
	snprintf(pf->err, pf->errlen, "%s:%u:%u: expected %s, got %s%.*s%s", pf->file, line, col, expected,
		 gotlen ? "'" : "", (int)(gotlen > 80 ? 80 : gotlen), got ? got : "",
		 gotlen ? "'" : "the end of the line");
	return -1;
}

static char *path_in(const struct pf *pf, const char *v, size_t n)
{
	if (v[0] == '/' || !pf->dir || !*pf->dir)
		return xstrndup(v, n);
	return xasprintf("%s/%.*s", pf->dir, (int)n, v);
}

/* One NAME=VALUE word of a partner line. */
static int parse_option(struct pf *pf, struct partner *p, unsigned line, unsigned col, const char *w, size_t n)
{
	static const char *const keys[] = { "name", "client-cert", "client-key", "pkcs12", "pkcs12-password-file" };
	const char *eq = memchr(w, '=', n);
	size_t kl = eq ? (size_t)(eq - w) : n;
	size_t k = 0;
	while (k < ARRAY_LEN(keys) && !(strlen(keys[k]) == kl && strncasecmp(w, keys[k], kl) == 0))
		k++;
	if (k == ARRAY_LEN(keys) || !eq)
		return fail(pf, line, col,
			    "an option name=HOST, client-cert=FILE, client-key=FILE, pkcs12=FILE or "
			    "pkcs12-password-file=FILE",
			    w, n);
	const char *v = eq + 1;
	size_t vl = n - kl - 1;
	unsigned vcol = col + (unsigned)kl + 1;
	if (vl == 0)
		return fail(pf, line, vcol, "a value after '='", NULL, 0);
	if (k == 0) {
		char *name = xstrndup(v, vl);
		bool ok = target_host_name_ok(name);
		free(name);
		if (!ok)
			return fail(pf, line, vcol, "a host name", v, vl);
		if (p->nnames >= MX_MAX_EXPECT_NAMES)
			return fail(pf, line, col, "at most 16 names per partner", w, n);
		p->names[p->nnames++] = xstrndup(v, vl);
		return 0;
	}
	char **slot = k == 1   ? &p->client_cert
		      : k == 2 ? &p->client_key
		      : k == 3 ? &p->pkcs12
			       : &p->pkcs12_password_file;
	if (*slot)
		return fail(pf, line, col, "each file option once per partner", w, n);
	char *path = path_in(pf, v, vl);
	if (access(path, R_OK) != 0) {
		char what[64];
		snprintf(what, sizeof what, "a readable file (%s)", strerror(errno));
		free(path);
		return fail(pf, line, vcol, what, v, vl);
	}
	*slot = path;
	return 0;
}

static int check_identity(struct pf *pf, const struct partner *p)
{
	if (p->pkcs12 && (p->client_cert || p->client_key))
		return fail(pf, p->line, p->col, "pkcs12= or client-cert=/client-key=, not both", p->domain,
			    strlen(p->domain));
	if (!p->pkcs12 && !p->client_cert != !p->client_key)
		return fail(pf, p->line, p->col, "client-cert= and client-key= together", p->domain, strlen(p->domain));
	if (p->pkcs12_password_file && !p->pkcs12)
		return fail(pf, p->line, p->col, "pkcs12= with pkcs12-password-file=", p->domain, strlen(p->domain));
	return 0;
}

/* One line: words separated by blanks; a comment from '#'. */
static int parse_line(struct pf *pf, struct partner_list *out, const char *s, size_t len, unsigned line)
{
	const char *w[64];
	size_t wl[64];
	unsigned col[64];
	size_t nw = 0;
	/* Control characters anywhere (a comment too): errors quote words,
	 * and a message must stay one printable line. */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\t' && s[i] != '\r') || (unsigned char)s[i] == 0x7f)
			return fail(pf, line, (unsigned)i + 1, "printable text", "a control character", 0);
	for (size_t i = 0; i < len;) {
		if (s[i] == '#')
			break;
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '#')
			j++;
		if (nw == ARRAY_LEN(w))
			return fail(pf, line, (unsigned)i + 1, "at most 64 words on a line", s + i, j - i);
		w[nw] = s + i;
		wl[nw] = j - i;
		col[nw] = (unsigned)i + 1;
		nw++;
		i = j;
	}
	if (nw == 0)
		return 0;
	char *dom = xstrndup(w[0], wl[0]);
	if (!dns_domain_ok(dom)) {
		free(dom);
		return fail(pf, line, col[0], "a partner's mail domain such as example.com", w[0], wl[0]);
	}
	for (size_t i = 0; i < out->n; i++)
		if (strcasecmp(out->p[i].domain, dom) == 0) {
			char what[96];
			snprintf(what, sizeof what, "each domain once (first on line %u)", out->p[i].line);
			free(dom);
			return fail(pf, line, col[0], what, w[0], wl[0]);
		}
	if (nw < 2) {
		free(dom);
		return fail(pf, line, col[0] + (unsigned)wl[0],
			    "a level after the domain: none, may, dane, encrypt, verify, secure or domain-secure", NULL,
			    0);
	}
	char *lvl = xstrndup(w[1], wl[1]);
	enum policy pol;
	int prc = policy_parse(lvl, &pol);
	free(lvl);
	if (prc < 0) {
		free(dom);
		return fail(pf, line, col[1], "a level: none, may, dane, encrypt, verify, secure or domain-secure",
			    w[1], wl[1]);
	}
	if (out->n == out->cap) {
		out->cap = out->cap ? 2 * out->cap : 16;
		out->p = xrealloc(out->p, out->cap * sizeof *out->p);
	}
	struct partner *p = &out->p[out->n++];
	memset(p, 0, sizeof *p);
	p->domain = dom;
	p->policy = pol;
	p->line = line;
	p->col = col[0];
	for (size_t i = 2; i < nw; i++)
		if (parse_option(pf, p, line, col[i], w[i], wl[i]) < 0)
			return -1;
	return check_identity(pf, p);
}

int policy_file_parse(const char *text, size_t len, const char *file, const char *dir, struct partner_list *out,
		      char *err, size_t errlen)
{
	struct pf pf = { .file = file, .dir = dir, .err = err, .errlen = errlen };
	memset(out, 0, sizeof *out);
	unsigned line = 0;
	for (size_t i = 0; i < len;) {
		line++;
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		if (memchr(text + i, '\0', n)) {
			fail(&pf, line, (unsigned)((const char *)memchr(text + i, '\0', n) - (text + i)) + 1,
			     "printable text", "a NUL byte", 0);
			partner_list_clear(out);
			return -1;
		}
		if (parse_line(&pf, out, text + i, n, line) < 0) {
			partner_list_clear(out);
			return -1;
		}
		i += n + (nl ? 1 : 0);
	}
	if (out->n == 0) {
		fail(&pf, line ? line : 1, 1, "at least one partner line: DOMAIN LEVEL [OPTIONS]", "none", 0);
		return -1;
	}
	return 0;
}

int policy_file_load(const char *path, struct partner_list *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = xmalloc(POLICY_FILE_MAX + 1);
	size_t n = fread(text, 1, POLICY_FILE_MAX + 1, fp);
	bool bad = ferror(fp);
	fclose(fp);
	int rc = -1;
	if (bad) {
		snprintf(err, errlen, "%s: read error", path);
	} else if (n > POLICY_FILE_MAX) {
		snprintf(err, errlen, "%s:1:1: expected a file of at most 1 MiB, got more", path);
	} else {
		const char *slash = strrchr(path, '/');
		char *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup("");
		rc = policy_file_parse(text, n, path, dir, out, err, errlen);
		free(dir);
	}
	free(text);
	return rc;
}

void partner_list_clear(struct partner_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct partner *p = &l->p[i];
		free(p->domain);
		for (size_t k = 0; k < p->nnames; k++)
			free(p->names[k]);
		free(p->client_cert);
		free(p->client_key);
		free(p->pkcs12);
		free(p->pkcs12_password_file);
	}
	free(l->p);
	memset(l, 0, sizeof *l);
}
