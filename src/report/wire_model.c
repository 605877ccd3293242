/* \summary: the wire summary artifact: constructors and destructors. */
#include "report/wire_model.h"

#include <stdlib.h>
#include <string.h>

static void hello_clear(struct wire_hello *h)
{
	free(h->version);
	strvec_clear(&h->versions);
	strvec_clear(&h->suites);
	free(h->sni);
	strvec_clear(&h->alpn);
	strvec_clear(&h->groups);
	strvec_clear(&h->key_shares);
	strvec_clear(&h->extensions);
	memset(h, 0, sizeof *h);
}

void wire_session_clear(struct wire_session *s)
{
	free(s->client);
	free(s->server);
	free(s->protocol);
	free(s->tls_mode);
	free(s->ehlo_name);
	strvec_clear(&s->capabilities);
	free(s->tls_version);
	free(s->cipher_suite);
	hello_clear(&s->client_hello);
	hello_clear(&s->server_hello);
	strvec_clear(&s->cert_subjects);
	strvec_clear(&s->cert_sha256);
	strvec_clear(&s->error_replies);
	free(s->last_reply);
	strvec_clear(&s->credentials);
	free(s->plaintext_dir);
	free(s->plaintext_bytes);
	memset(s, 0, sizeof *s);
}

struct wire_summary *wire_summary_new(void)
{
	return xcalloc(1, sizeof(struct wire_summary));
}

void wire_summary_free(struct wire_summary *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		wire_session_clear(&w->s[i]);
	free(w->s);
	free(w->source);
	free(w->link_type);
	free(w->filter);
	free(w->error);
	free(w);
}
