/* \summary: option defaults and policy names. */
#include "core/options.h"

#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static const char *const policy_names[] = { "none", "may", "dane", "encrypt", "verify", "secure", "domain-secure" };

const char *policy_name(enum policy p)
{
	return (unsigned)p < ARRAY_LEN(policy_names) ? policy_names[p] : "unknown";
}

int policy_parse(const char *s, enum policy *out)
{
	for (size_t i = 0; i < ARRAY_LEN(policy_names); i++) {
		if (strcasecmp(s, policy_names[i]) == 0) {
			*out = (enum policy)i;
			return 0;
		}
	}
	return -1;
}

static const char *const revocation_names[] = { "soft", "hard", "off" };

const char *revocation_mode_name(enum revocation_mode m)
{
	return (unsigned)m < ARRAY_LEN(revocation_names) ? revocation_names[m] : "unknown";
}

int revocation_mode_parse(const char *s, enum revocation_mode *out)
{
	for (size_t i = 0; i < ARRAY_LEN(revocation_names); i++) {
		if (strcasecmp(s, revocation_names[i]) == 0) {
			*out = (enum revocation_mode)i;
			return 0;
		}
	}
	return -1;
}

void mx_options_defaults(struct mx_options *o)
{
	memset(o, 0, sizeof *o);
	o->step_timeout_us = 10 * 1000000LL;
	o->target_timeout_us = 60 * 1000000LL;
	/* RFC 5321 section 4.5.3.2 has senders wait 5 minutes for the greeting;
	 * 60 s outlasts greet pauses (sendmail greet_pause, postscreen's
	 * pregreet test, tarpits of 10 to 30 s) without making a silent server
	 * cost five minutes. */
	o->greeting_timeout_us = 60 * 1000000LL;
	o->policy = POLICY_ENCRYPT;
	o->format = FORMAT_TEXT;
	o->now = (int64_t)time(NULL);
	o->ehlo_name = NULL; /* the cli fills in the host's FQDN; NULL: address literals (session_ehlo_name) */
	o->warn_days = 30;
}

int64_t mx_options_at(const struct mx_options *o)
{
	if (o->at)
		return o->at;
	return o->now ? o->now : (int64_t)time(NULL);
}
