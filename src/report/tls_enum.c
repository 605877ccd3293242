/* \summary: the enumeration artifact: cleanup and names (report/tls_enum.h). */
#include "report/tls_enum.h"

#include <stdlib.h>
#include <string.h>

const char *enum_order_name(enum enum_order o)
{
	switch (o) {
	case ORDER_SERVER:
		return "server";
	case ORDER_CLIENT:
		return "client";
	default:
		return "unknown";
	}
}

void tls_enum_clear(struct tls_enum *e)
{
	for (size_t v = 0; v < ENUM_VERSIONS; v++) {
		struct enum_version *ev = &e->v[v];
		for (size_t i = 0; i < ev->n_suites; i++) {
			free(ev->suites[i].group);
			free(ev->suites[i].dh_prime_name);
		}
		free(ev->suites);
		free(ev->refusal);
	}
	for (size_t i = 0; i < e->n_groups; i++)
		free(e->groups[i].name);
	free(e->groups);
	free(e->stopped);
	free(e->dh_prime_name);
	memset(e, 0, sizeof *e);
}

void tls_enum_free(struct tls_enum *e)
{
	if (!e)
		return;
	tls_enum_clear(e);
	free(e);
}
