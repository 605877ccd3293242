/* \summary: scenarios: a small line-based language whose statements map one
 * to one onto the session API (proto/session.h, tls/tls.h, net/conn.h).
 * A file is parsed into a list of tagged statements (OpenSMTPD's smtpscript
 * ops), run by one interpreter against one target at a time. The reference
 * is docs/scenarios.md.
 *
 * Variables are expanded while parsing: every value is known before the
 * first connection, so a missing variable is a FILE:LINE:COLUMN error, not
 * a surprise halfway through a conversation. Secrets (secret NAME from
 * FILE) may appear only as the password of `auth`, so they can never reach
 * a transcript or a report.
 * specification: RFC 5321, RFC 3207, RFC 4954 and RFC 4616 (AUTH PLAIN). */
#ifndef SRC_SCENARIO_SCENARIO_H
#define SRC_SCENARIO_SCENARIO_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "net/target.h"
#include "report/model.h"

/* A scenario file may not be larger than this, nor a line longer. */
#define SCN_MAX_FILE (1024 * 1024)
#define SCN_MAX_LINE 4096
#define SCN_MAX_VARS 256

#define SCN_OPS(X)                            \
	X(CONNECT, "connect")                 \
	X(EHLO, "ehlo")                       \
	X(HELO, "helo")                       \
	X(STARTTLS, "starttls")               \
	X(TLS_SNI, "tls sni")                 \
	X(TLS_PRIORITY, "tls priority")       \
	X(TLS_CLIENT_CERT, "tls client-cert") \
	X(SEND, "send")                       \
	X(EXPECT, "expect")                   \
	X(AUTH_PLAIN, "auth plain")           \
	X(MAIL, "mail from")                  \
	X(RCPT, "rcpt to")                    \
	X(DATA, "data")                       \
	X(RSET, "rset")                       \
	X(QUIT, "quit")                       \
	X(FINDING, "finding")

enum scn_op {
#define SCN_OP_ENUM(n, s) SCN_##n,
	SCN_OPS(SCN_OP_ENUM)
#undef SCN_OP_ENUM
};
const char *scn_op_name(enum scn_op op);

enum scn_expect_kind {
	SCN_EXPECT_REPLY, /* codes or classes, an enhanced code and/or a regex */
	SCN_EXPECT_CAP,	  /* a keyword in the last EHLO reply */
	SCN_EXPECT_NO_CAP,
	SCN_EXPECT_CLOSED, /* the server closed the connection */
};

struct scn_expect {
	enum scn_expect_kind kind;
#define SCN_MAX_CODES 4
	size_t ncodes; /* 0: any code; else one of these ranges */
	int code_lo[SCN_MAX_CODES], code_hi[SCN_MAX_CODES];
	char code_src[32]; /* as written: "250", "4xx,5xx" */
	char enh[16];	   /* "" or "5.7.0" */
	bool has_re;
	regex_t re; /* REG_EXTENDED | REG_NOSUB | REG_NEWLINE */
	char *re_src;
	char *cap; /* capability keyword, upper-case */
};

/* What a statement's outcome turns into: `then SEV ID "MSG"` when the
 * expectation holds, `else SEV ID "MSG" [continue]` when the server fails it. */
struct scn_outcome {
	bool set;
	enum severity sev;
	char *id;
	char *msg;
};

struct scn_stmt {
	enum scn_op op;
	unsigned line;
	char *src;	  /* the line as written (variables unexpanded: no secret) */
	char *arg, *arg2; /* name, line, address, file, ... (expanded) */
	char *secret;	  /* auth's password; wiped when freed */
	struct scn_expect ex;
	struct scn_outcome then, els;
	bool cont;	   /* else ... continue */
	bool quiet;	   /* "else continue": a condition, not a requirement (no finding, not counted) */
	enum severity sev; /* finding */
};

struct scenario {
	char *file;  /* as given, for messages */
	char *name;  /* the file's base name without .scn: the probe name */
	char *title; /* `title "..."`, or NULL */
	struct scn_stmt *s;
	size_t n, cap;
};

struct scn_parse_opts {
	const char *const *vars; /* "NAME=VALUE" from --var, in order */
	size_t nvars;
	bool no_io; /* fuzzing: env and files are not read, placeholders are used */
};

/* Parses text (len bytes, any content) from `file`. 0, or -1 with
 * "FILE:LINE:COLUMN: expected X, got Y" in err. */
int scenario_parse(const char *file, const char *text, size_t len, const struct scn_parse_opts *po,
		   struct scenario **out, char *err, size_t errlen);
/* Reads and parses a file. 0 or -1 with the message in err. */
int scenario_load(const char *path, const struct scn_parse_opts *po, struct scenario **out, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/* Runs the scenario against one target, filling out like the engine does
 * (one probe result named after the scenario). Never exits, never prints. */
void scenario_run_target(const struct scenario *sc, const struct mx_options *opt, const struct target_spec *spec,
			 struct target_result *out);

/* The queue id in a reply to the end of DATA: Postfix "queued as 4Xy",
 * Exim "id=1q2w3e-0001", Exchange "InternalId=123", Sendmail
 * "2.0.0 x1ABC Message accepted". NULL if none; owned by the caller. */
char *scenario_queue_id(const char *text);

#endif
