/* \summary: the scenario lexer and parser over a table of rows: what a
 * scenario may say, and every mistake with its exact FILE:LINE:COLUMN
 * message (unknown statements, missing and extra arguments, unterminated
 * strings, bad codes, bad regexes, unknown variables, long lines, NUL
 * bytes, invalid UTF-8, secrets where they would be shown); the shipped
 * scenarios parse; queue ids are found in the replies of real servers.
 * specification: docs/scenarios.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario/scenario.h"

struct row {
	const char *name;
	const char *text;
	size_t len;	   /* 0: strlen(text) */
	const char *error; /* NULL: parses */
	size_t nstmts;	   /* when it parses */
};

#define OK(n, t, k)              \
	{                        \
		n, t, 0, NULL, k \
	}
#define BAD(n, t, e)          \
	{                     \
		n, t, 0, e, 0 \
	}

static const struct row rows[] = {
	/* what parses */
	OK("minimal", "connect\n", 1),
	OK("comments and blank lines", "# a comment\n\n   \nconnect # trailing\nexpect 220\n", 2),
	OK("CRLF lines", "connect\r\nexpect 220\r\n", 2),
	OK("no final newline", "connect\nexpect 220", 2),
	OK("tabs", "\tconnect\n\texpect\t220\n", 2),
	OK("code class", "connect\nexpect 2xx\n", 2),
	OK("code decade", "connect\nexpect 25x\n", 2),
	OK("code alternatives", "connect\nexpect 4xx,5xx\n", 2),
	OK("enhanced code", "connect\nexpect 530 5.7.0\n", 2),
	OK("code and regex", "connect\nexpect 220 /Ready to start TLS/\n", 2),
	OK("regex only", "connect\nexpect /ESMTP/\n", 2),
	OK("regex with escaped slash", "connect\nexpect /a\\/b/\n", 2),
	OK("capability", "connect\nehlo\nexpect capability STARTTLS\nexpect no-capability auth\n", 4),
	OK("closed", "connect\nquit\nexpect closed\n", 3),
	OK("then and else",
	   "connect\nexpect 5xx then pass relay.refused \"ok\" else fail relay.open \"open\" continue\n", 2),
	OK("else continue", "connect\nexpect 2xx then fail relay.open \"o\" else continue\nexpect 5xx else continue\n",
	   3),
	OK("else error", "connect\nexpect 250 else error relay.not-tested \"could not\"\n", 2),
	OK("starttls clauses", "connect\nehlo\nstarttls else fail starttls.failed \"no\"\n", 3),
	OK("tls options", "tls sni mx.example\ntls priority \"NORMAL:-VERS-TLS1.0\"\ntls client-cert a.pem key a.key\n",
	   3),
	OK("tls sni none", "tls sni none\nconnect\n", 2),
	OK("ehlo and helo names", "connect\nehlo mta.example.org\nhelo x\n", 3),
	OK("send", "connect\nsend \"NOOP\"\nexpect 250\n", 3),
	OK("mail rcpt data", "connect\nmail from <a@b.example>\nrcpt to <c@d.example>\ndata\nexpect 250\nrset\nquit\n",
	   7),
	OK("null sender", "connect\nmail from <>\n", 2),
	OK("finding", "finding info note.x \"a note\"\n", 1),
	OK("set and use", "set S a@b.example\nconnect\nmail from <${S}>\n", 2),
	OK("set replaces", "set S a\nset S b\nconnect\nehlo ${S}\n", 2),
	OK("var in string", "set N world\nconnect\nsend \"HELO ${N}\"\n", 2),
	OK("escaped dollar", "connect\nsend \"a \\${N}\"\n", 2),
	OK("dollar alone", "connect\nsend \"cost $5\"\n", 2),
	OK("title", "title \"Relay check\"\nconnect\n", 1),
	OK("secret in auth", "secret PW env MXTEST_SCN_PW\nconnect\nehlo\nstarttls\nauth plain user ${PW}\n", 4),
	OK("utf-8 in a string", "connect\nsend \"NOOP caf\xc3\xa9\"\n", 2),
	OK("cli var", "connect\nrcpt to <${RCPT}>\n", 2),

	/* unknown statements, missing and extra arguments */
	BAD("unknown statement", "conect\n",
	    "t.scn:1:1: expected a statement (connect, ehlo, helo, starttls, tls, "
	    "send, expect, auth, mail, rcpt, data, rset, quit, finding, set, env, "
	    "secret, title), got \"conect\""),
	BAD("unknown on line 3", "connect\n\n  frobnicate\n",
	    "t.scn:3:3: expected a statement (connect, ehlo, helo, "
	    "starttls, tls, send, expect, auth, mail, rcpt, data, "
	    "rset, quit, finding, set, env, secret, title), got "
	    "\"frobnicate\""),
	BAD("statement as a string", "\"connect\"\n",
	    "t.scn:1:1: expected a statement (connect, ehlo, helo, starttls, "
	    "tls, send, expect, auth, mail, rcpt, data, rset, quit, "
	    "finding, set, env, secret, title), got \"\\\"connect\\\"\""),
	BAD("extra argument", "connect now\n", "t.scn:1:9: expected end of line, got \"now\""),
	/* The quoted word obeys the one escaping rule: cut inside a UTF-8
	 * character (found by fuzz_scenario), a C1 control. */
	BAD("word cut inside a character", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa4\n",
	    "t.scn:1:1: expected a statement (connect, ehlo, helo, starttls, tls, send, expect, auth, mail, rcpt, data, "
	    "rset, quit, finding, set, env, secret, title), got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\xC3...\""),
	BAD("C1 control in a word",
	    "conn\xc2\x85"
	    "ect\n",
	    "t.scn:1:1: expected a statement (connect, ehlo, helo, starttls, tls, send, expect, auth, mail, rcpt, data, "
	    "rset, quit, finding, set, env, secret, title), got \"conn\\u0085ect\""),
	BAD("expect without argument", "connect\nexpect\n",
	    "t.scn:2:7: expected a reply code (250, 2xx, 25x), "
	    "/regex/, capability, no-capability or closed, got end "
	    "of line"),
	BAD("send without line", "connect\nsend\n", "t.scn:2:5: expected a \"line\" to send, got end of line"),
	BAD("send two strings", "connect\nsend \"a\" \"b\"\n", "t.scn:2:10: expected end of line, got \"\\\"b\\\"\""),
	BAD("mail without from", "connect\nmail <a@b>\n", "t.scn:2:6: expected from, got \"<a@b>\""),
	BAD("rcpt without brackets", "connect\nrcpt to a@b.example\n",
	    "t.scn:2:9: expected an address in angle brackets such as <postmaster@example.com>, got \"a@b.example\""),
	BAD("rcpt null", "connect\nrcpt to <>\n",
	    "t.scn:2:9: expected an address in angle brackets such as <postmaster@example.com>, got \"<>\""),
	BAD("tls unknown", "tls version 1.3\n", "t.scn:1:5: expected sni, priority or client-cert, got \"version\""),
	BAD("client-cert without key", "tls client-cert a.pem b.key\n", "t.scn:1:23: expected key, got \"b.key\""),
	BAD("auth mechanism", "secret P env MXTEST_SCN_PW\nconnect\nauth login u ${P}\n",
	    "t.scn:3:6: expected a mechanism: PLAIN, got \"login\""),
	BAD("auth literal password", "connect\nauth plain u hunter2\n",
	    "t.scn:2:14: expected a password from a secret variable such as ${PASSWORD}, got a value that is not a "
	    "secret"),
	BAD("secret outside auth", "secret P env MXTEST_SCN_PW\nconnect\nsend \"PASS ${P}\"\n",
	    "t.scn:3:6: expected a \"line\" to send, got a secret variable (secrets go only into auth)"),
	BAD("secret in ehlo", "secret P env MXTEST_SCN_PW\nconnect\nehlo ${P}\n",
	    "t.scn:3:6: expected a host name or end of line, got \"${P}\""),
	BAD("finding without message", "finding warn a.b\n", "t.scn:1:17: expected a \"message\", got end of line"),
	BAD("finding severity error", "finding error a.b \"m\"\n",
	    "t.scn:1:9: expected a severity: pass, info, warn or fail, got \"error\""),
	BAD("then error", "connect\nexpect 250 then error a.b \"m\"\n",
	    "t.scn:2:17: expected a severity: pass, info, warn or fail, got \"error\""),
	BAD("bad finding id", "finding warn Relay.Open \"m\"\n",
	    "t.scn:1:14: expected a finding id such as relay.open, got \"Relay.Open\""),
	BAD("id without dot", "finding warn relay \"m\"\n",
	    "t.scn:1:14: expected a finding id such as relay.open, got \"relay\""),
	BAD("continue without else", "connect\nexpect 250 continue\n",
	    "t.scn:2:12: expected then, else or end of line, got \"continue\""),
	BAD("two else", "connect\nexpect 250 else fail a.b \"x\" else fail a.c \"y\"\n",
	    "t.scn:2:30: expected end of line or continue, got \"else\""),
	BAD("then after else", "connect\nexpect 250 else fail a.b \"x\" then pass a.c \"y\"\n",
	    "t.scn:2:30: expected end of line or continue, got \"then\""),
	BAD("else continue then junk", "connect\nexpect 250 else continue now\n",
	    "t.scn:2:26: expected end of line, got \"now\""),
	BAD("after continue", "connect\nexpect 250 else fail a.b \"x\" continue now\n",
	    "t.scn:2:39: expected end of line, got \"now\""),

	/* order */
	BAD("ehlo before connect", "ehlo\n", "t.scn:1:1: expected connect before this statement, got ehlo"),
	BAD("expect before a reply", "tls sni a.example\nexpect 220\n",
	    "t.scn:2:1: expected a statement that reads a reply before expect, got no reply yet"),
	BAD("capability before ehlo", "connect\nexpect capability STARTTLS\n",
	    "t.scn:2:1: expected ehlo before expect capability (since connect or starttls), got no EHLO reply"),
	BAD("capability after starttls", "connect\nehlo\nstarttls\nexpect capability AUTH\n",
	    "t.scn:4:1: expected ehlo before expect capability (since connect or starttls), got no EHLO reply"),

	/* strings */
	BAD("unterminated string", "connect\nsend \"NOOP\n", "t.scn:2:6: expected a closing \", got end of line"),
	BAD("unterminated before CR", "connect\r\nsend \"NOOP\r\n",
	    "t.scn:2:6: expected a closing \", got end of line"),
	BAD("bad escape", "connect\nsend \"a\\qb\"\n", "t.scn:2:8: expected \\\", \\\\ or \\$, got \"\\\\q\""),
	BAD("quote inside a word", "connect\nehlo ab\"c\"\n", "t.scn:2:8: expected a space before a string, got \""),
	BAD("junk after string", "connect\nsend \"a\"b\n",
	    "t.scn:2:9: expected a space after the closing quote or slash, got \"b\""),

	/* codes */
	BAD("code too long", "connect\nexpect 2500\n",
	    "t.scn:2:8: expected a reply code such as 250, 2xx, 25x or "
	    "4xx,5xx, got \"2500\""),
	BAD("code class 1", "connect\nexpect 150\n",
	    "t.scn:2:8: expected a reply code such as 250, 2xx, 25x or "
	    "4xx,5xx, got \"150\""),
	BAD("code 600", "connect\nexpect 600\n",
	    "t.scn:2:8: expected a reply code such as 250, 2xx, 25x or "
	    "4xx,5xx, got \"600\""),
	BAD("code x5x", "connect\nexpect 2x5\n",
	    "t.scn:2:8: expected a reply code such as 250, 2xx, 25x or "
	    "4xx,5xx, got \"2x5\""),
	BAD("code empty alternative", "connect\nexpect 4xx,\n",
	    "t.scn:2:8: expected a reply code such as 250, 2xx, "
	    "25x or 4xx,5xx, got \"4xx,\""),
	BAD("five alternatives", "connect\nexpect 2xx,3xx,4xx,5xx,250\n",
	    "t.scn:2:8: expected a reply code such as 250, 2xx, 25x or 4xx,5xx, got \"2xx,3xx,4xx,5xx,250\""),
	BAD("enhanced class mismatch", "connect\nexpect 530 2.7.0\n",
	    "t.scn:2:12: expected an enhanced status code of class 5 such as 5.7.1, got \"2.7.0\""),
	BAD("enhanced code malformed", "connect\nexpect 530 5.7\n",
	    "t.scn:2:12: expected an enhanced status code of class 5 such as 5.7.1, got \"5.7\""),
	BAD("enhanced with alternatives", "connect\nexpect 4xx,5xx 5.7.1\n",
	    "t.scn:2:16: expected one reply code before an enhanced status code, got \"5.7.1\""),
	BAD("capability keyword", "connect\nehlo\nexpect capability AUTH=PLAIN\n",
	    "t.scn:3:19: expected a capability keyword such as STARTTLS, got \"AUTH=PLAIN\""),

	/* regexes */
	BAD("bad regex", "connect\nexpect /a(/\n",
	    "t.scn:2:8: expected a POSIX extended regular expression, got "
	    "\"/a(/\" (Unmatched ( or \\()"),
	BAD("regex that expands exponentially", "connect\nexpect /a++++++++++++++/\n",
	    "t.scn:2:8: expected a regular expression of at most 512 characters whose repetitions (+, {m,n}) "
	    "expand it at most 4096 times, got \"/a++++++++++++++/\""),
	BAD("nested intervals", "connect\nexpect /((a{1,100}){1,100})/\n",
	    "t.scn:2:8: expected a regular expression of at most 512 characters whose repetitions (+, {m,n}) "
	    "expand it at most 4096 times, got \"/((a{1,100}){1,100})/\""),
	OK("a few repetitions", "connect\nexpect /^queued as [A-Z0-9]+( [a-z]{1,8})?$/\n", 2),
	BAD("unterminated regex", "connect\nexpect /abc\n",
	    "t.scn:2:8: expected a closing / after the regular expression, got end of line"),
	BAD("regex then junk", "connect\nexpect /a/x\n",
	    "t.scn:2:11: expected a space after the closing quote or slash, got \"x\""),

	/* variables */
	BAD("unknown variable", "connect\nsend \"${NOPE}\"\n",
	    "t.scn:2:7: expected a variable defined by --var, set, env or secret, got ${NOPE}"),
	BAD("unknown variable in word", "connect\nehlo a${X}b\n",
	    "t.scn:2:7: expected a variable defined by --var, set, env or secret, got ${X}"),
	BAD("unterminated variable", "connect\nsend \"${NAME\"\n",
	    "t.scn:2:7: expected a variable such as ${NAME}, got \"${NAME\""),
	BAD("empty variable name", "connect\nehlo ${}\n",
	    "t.scn:2:6: expected a variable such as ${NAME}, got \"${}\""),
	BAD("bad set name", "set 1X a\n", "t.scn:1:5: expected a variable name such as SENDER, got \"1X\""),
	BAD("set without value", "set X\n", "t.scn:1:6: expected a value, got end of line"),
	BAD("env unset", "env MXTEST_SCN_SURELY_UNSET_42\n",
	    "t.scn:1:5: expected MXTEST_SCN_SURELY_UNSET_42 set in the environment, got it unset"),
	BAD("secret file missing", "secret P from /nonexistent/mxprobe-secret\n",
	    "t.scn:1:15: expected a readable file with the secret on its first line, got No such file or directory"),
	BAD("secret how", "secret P in f\n", "t.scn:1:10: expected from FILE or env VARIABLE, got \"in\""),

	/* bytes */
	{ "NUL byte", "connect\nexp\0ect 220\n", 20, "t.scn:2:4: expected text, got a NUL byte", 0 },
	BAD("control byte", "connect\nsend \"a\x01\"\n", "t.scn:2:8: expected text, got control byte 0x01"),
	BAD("DEL byte", "\x7f\n", "t.scn:1:1: expected text, got control byte 0x7F"),
	BAD("CR inside a line", "conn\rect\n", "t.scn:1:5: expected text, got control byte 0x0D"),
	BAD("invalid UTF-8", "connect\nsend \"caf\xe9\"\n", "t.scn:2:10: expected UTF-8 text, got byte 0xE9"),
	BAD("overlong UTF-8", "connect\n\xc0\xaf\n", "t.scn:2:1: expected UTF-8 text, got byte 0xC0"),
	BAD("UTF-8 surrogate", "\xed\xa0\x80\n", "t.scn:1:1: expected UTF-8 text, got byte 0xED"),
	BAD("truncated UTF-8", "connect\nsend \"\xe2\x82\"\n", "t.scn:2:7: expected UTF-8 text, got byte 0xE2"),
	BAD("empty file", "", "t.scn:1:1: expected at least one statement, got none"),
	BAD("only comments", "# nothing\n\n", "t.scn:2:1: expected at least one statement, got none"),
};

static char *long_line(size_t n)
{
	char *s = malloc(n + 16);
	assert_non_null(s);
	memcpy(s, "send \"", 6);
	memset(s + 6, 'a', n - 7);
	s[n - 1] = '"';
	s[n] = '\n';
	s[n + 1] = '\0';
	return s;
}

static void test_rows(void **state)
{
	(void)state;
	setenv("MXTEST_SCN_PW", "s3cret-value", 1);
	unsetenv("MXTEST_SCN_SURELY_UNSET_42");
	const char *vars[] = { "RCPT=postmaster@example.com" };
	struct scn_parse_opts po = { .vars = vars, .nvars = 1 };
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		struct scenario *sc = NULL;
		char err[600] = "";
		size_t len = r->len ? r->len : strlen(r->text);
		int rc = scenario_parse("t.scn", r->text, len, &po, &sc, err, sizeof err);
		if (r->error) {
			if (rc == 0 || strcmp(err, r->error) != 0)
				fail_msg("row '%s': expected error\n  %s\ngot (rc %d)\n  %s", r->name, r->error, rc,
					 err);
			assert_null(sc);
			/* one line, and never the secret */
			assert_null(strchr(err, '\n'));
			assert_null(strstr(err, "s3cret"));
		} else {
			if (rc != 0)
				fail_msg("row '%s': expected success, got %s", r->name, err);
			if (sc->n != r->nstmts)
				fail_msg("row '%s': %zu statements, expected %zu", r->name, sc->n, r->nstmts);
			scenario_free(sc);
		}
	}
}

static void test_line_limit(void **state)
{
	(void)state;
	char *ok = long_line(SCN_MAX_LINE);
	char *text = malloc(strlen(ok) + 16);
	assert_non_null(text);
	sprintf(text, "connect\n%s", ok);
	struct scenario *sc = NULL;
	char err[600];
	assert_int_equal(scenario_parse("t.scn", text, strlen(text), NULL, &sc, err, sizeof err), 0);
	scenario_free(sc);
	free(ok);
	free(text);

	char *bad = long_line(SCN_MAX_LINE + 1);
	text = malloc(strlen(bad) + 16);
	assert_non_null(text);
	sprintf(text, "connect\n%s", bad);
	assert_int_equal(scenario_parse("t.scn", text, strlen(text), NULL, &sc, err, sizeof err), -1);
	assert_string_equal(err, "t.scn:2:4097: expected a line of at most 4096 bytes, got a line of 4097 bytes");
	free(bad);
	free(text);
}

static void test_parsed_fields(void **state)
{
	(void)state;
	const char *vars[] = { "OUT=partner.example", "SENDER=me@here.example" };
	struct scn_parse_opts po = { .vars = vars, .nvars = 2 };
	const char *text = "set SENDER ignored@x.example # --var wins over set\n"
			   "connect\n"
			   "mail from <${SENDER}>\n"
			   "rcpt to <a@${OUT}>\n"
			   "expect 4xx,5xx /relay/ then pass relay.refused \"r\" else fail relay.open \"o\" continue\n";
	struct scenario *sc = NULL;
	char err[600];
	if (scenario_parse("dir/relay-check.scn", text, strlen(text), &po, &sc, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(sc->name, "relay-check");
	assert_int_equal(sc->n, 4);
	assert_int_equal(sc->s[1].op, SCN_MAIL);
	assert_string_equal(sc->s[1].arg, "<me@here.example>");
	assert_string_equal(sc->s[2].arg, "<a@partner.example>");
	const struct scn_stmt *e = &sc->s[3];
	assert_int_equal(e->line, 5);
	assert_int_equal(e->ex.ncodes, 2);
	assert_int_equal(e->ex.code_lo[0], 400);
	assert_int_equal(e->ex.code_hi[1], 599);
	assert_string_equal(e->ex.enh, "");
	assert_true(e->ex.has_re);
	assert_true(e->then.set && e->els.set && e->cont);
	assert_int_equal(e->then.sev, SEV_PASS);
	assert_string_equal(e->els.id, "relay.open");
	scenario_free(sc);

	/* the secret stays out of the statement's source text */
	setenv("MXTEST_SCN_PW", "s3cret-value", 1);
	text = "secret PW env MXTEST_SCN_PW\nconnect\nehlo\nstarttls\nauth plain user@x ${PW}\n";
	if (scenario_parse("a.scn", text, strlen(text), NULL, &sc, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(sc->s[3].op, SCN_AUTH_PLAIN);
	assert_string_equal(sc->s[3].secret, "s3cret-value");
	assert_null(strstr(sc->s[3].src, "s3cret"));
	scenario_free(sc);

	/* bad --var */
	const char *badvars[] = { "1X=a" };
	po.vars = badvars;
	po.nvars = 1;
	assert_int_equal(scenario_parse("a.scn", "connect\n", 8, &po, &sc, err, sizeof err), -1);
	assert_string_equal(err, "--var '1X=a': expected NAME=VALUE");
}

static void test_secret_file(void **state)
{
	(void)state;
	char path[] = "/tmp/mxprobe-scn-secret-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "pa ss\nsecond\n", 13), 13);
	close(fd);
	char text[256];
	snprintf(text, sizeof text, "secret PW from %s\nconnect\nauth plain u ${PW}\n", path);
	struct scenario *sc = NULL;
	char err[600];
	if (scenario_parse("a.scn", text, strlen(text), NULL, &sc, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(sc->s[1].secret, "pa ss");
	scenario_free(sc);
	unlink(path);
}

/* Every shipped scenario parses (with the variables its header names). */
static void test_shipped(void **state)
{
	(void)state;
	const char *vars[] = { "CLIENT_CERT=c.pem", "CLIENT_KEY=c.key", "PARTNER=mx.partner.example",
			       "RCPT=postmaster@example.com" };
	struct scn_parse_opts po = { .vars = vars, .nvars = 4 };
	DIR *d = opendir("scenarios");
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".scn") != 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, "scenarios/%s", de->d_name);
		struct scenario *sc = NULL;
		char err[600];
		if (scenario_load(path, &po, &sc, err, sizeof err) != 0)
			fail_msg("%s: %s", path, err);
		assert_non_null(sc->title);
		scenario_free(sc);
		n++;
	}
	closedir(d);
	assert_true(n >= 7);
}

static void test_queue_id(void **state)
{
	(void)state;
	static const struct {
		const char *text, *id;
	} q[] = {
		{ "Ok: queued as 4XyZ12AbCd", "4XyZ12AbCd" },					/* Postfix */
		{ "OK id=1rZabc-000Abc-2x", "1rZabc-000Abc-2x" },				/* Exim */
		{ "<a@b> [InternalId=12345, Hostname=EX1] Queued mail for delivery", "12345" }, /* Exchange */
		{ "x1ABC23 Message accepted for delivery", "x1ABC23" },				/* Sendmail */
		{ "Ok", NULL },
		{ "queued as ", NULL },
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		char *id = scenario_queue_id(q[i].text);
		if (q[i].id) {
			assert_non_null(id);
			assert_string_equal(id, q[i].id);
		} else {
			assert_null(id);
		}
		free(id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),	      cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_parsed_fields), cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_shipped),	      cmocka_unit_test(test_queue_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
