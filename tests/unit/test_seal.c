/* \summary: the seal step (report/seal.h): every encoding of a known
 * secret replaced, whatever surrounds it, and every string of the model
 * brought under the one escaping rule. Rows: raw, escaped, AUTH LOGIN and
 * PLAIN base64 (both authzid forms), base64 of the password inside other
 * bytes at each alignment, the marker kept on a second pass; the fixpoint
 * rows (no secret re-formed by a marker and its neighbours). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/model.h"
#include "report/seal.h"
#include "util/util.h"

static const char PASS[] = "s3cr3t-Pa55\\word";
static const char USER[] = "alice";

static char *b64(const void *p, size_t n)
{
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)p, (unsigned)n }, out = { NULL, 0 };
	assert_int_equal(gnutls_base64_encode2(&in, &out), 0);
	char *s = xstrndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	return s;
}

/* base64(before + mid + after), lengths given (mid may hold NULs) */
static char *b64_wrapped(const char *before, size_t bl, const char *mid, size_t ml, const char *after)
{
	size_t al = strlen(after);
	char *raw = xmalloc(bl + ml + al);
	memcpy(raw, before, bl);
	memcpy(raw + bl, mid, ml);
	memcpy(raw + bl + ml, after, al);
	char *s = b64(raw, bl + ml + al);
	free(raw);
	return s;
}

static void assert_no_secret(const char *s, const char *what)
{
	if (strstr(s, PASS) || strstr(s, "s3cr3t")) {
		print_error("%s: the password is still in \"%s\"\n", what, s);
		fail();
	}
}

static void test_redact_encodings(void **state)
{
	(void)state;
	struct redact r;
	redact_init(&r);
	redact_add_secret(&r, PASS, USER);
	char plain[64];
	size_t n = (size_t)snprintf(plain, sizeof plain, "%c%s%c%s", 0, USER, 0, PASS);
	char *forms[] = {
		xstrdup(PASS),
		str_escape(PASS, strlen(PASS), 200),
		b64(PASS, strlen(PASS)),
		b64(plain, n),
		b64_wrapped("alice", 5, plain, n, ""),			       /* authzid = user */
		b64_wrapped("x", 1, PASS, strlen(PASS), ""),		       /* alignment 1 */
		b64_wrapped("xy", 2, PASS, strlen(PASS), "z"),		       /* alignment 2 */
		b64_wrapped("someone-else\0", 13, PASS, strlen(PASS), "tail"), /* any authzid */
	};
	for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
		char *line = xasprintf("535 5.7.8 failed for %s (echo)", forms[i]);
		char *got = redact_apply(&r, line);
		if (!strstr(got, SEAL_MARK)) {
			print_error("form %zu (%s): not redacted: %s\n", i, forms[i], got);
			fail();
		}
		/* the whole base64 form, or the part the password determines, is gone */
		assert_null(strstr(got, forms[i]));
		assert_no_secret(got, "redact_apply");
		assert_non_null(strstr(got, "535 5.7.8 failed for "));
		char *again = redact_apply(&r, got);
		assert_string_equal(again, got);
		free(again);
		free(got);
		free(line);
		free(forms[i]);
	}
	char *keep = redact_apply(&r, "nothing secret here, alice");
	assert_string_equal(keep, "nothing secret here, alice");
	free(keep);
	redact_clear(&r);
	/* no secret: a copy */
	char *copy = redact_apply(NULL, "x");
	assert_string_equal(copy, "x");
	free(copy);
}

/* A fixpoint: a marker and the bytes beside it never re-form a secret, and a
 * second pass gives the same bytes (rows found by fuzz_escape). */
static void test_redact_fixpoint(void **state)
{
	(void)state;
	static const struct {
		const char *secrets[2], *in, *out;
	} rows[] = {
		/* "pw-one" becomes a marker whose end and "tail" form "d>tail" */
		{ { "pw-one", "d>tail" }, "x pw-onetail y", "x <redacted> y" },
		/* a secret that starts with the marker's beginning */
		{ { "pw-one", "ab<r" },
		  "ab pw-one ab"
		  "pw-one",
		  "ab <redacted> <redacted>" },
		/* a secret spanning two markers and the byte between them */
		{ { "pw-one", "d>-<r" }, "pw-one-pw-one!", "<redacted>!" },
		/* overlapping occurrences are covered as one run */
		{ { "abcab", NULL }, "xabcabcaby", "x<redacted>y" },
		/* adjacent markers (one already there) merge */
		{ { "pw-one", NULL }, "<redacted>pw-one<redacted>", "<redacted>" },
		/* a secret inside the marker's own letters cannot be kept out */
		{ { "act", NULL }, "react <redacted>", "re<redacted> <redacted>" },
		/* base64 of the password next to a marker: one marker */
		{ { "pw-one", NULL }, "pw-onecHctb25l", "<redacted>" },
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct redact r;
		redact_init(&r);
		for (size_t k = 0; k < 2; k++)
			redact_add_secret(&r, rows[i].secrets[k], NULL);
		char *got = redact_apply(&r, rows[i].in);
		if (strcmp(got, rows[i].out) != 0) {
			print_error("row %zu: \"%s\" -> \"%s\", expected \"%s\"\n", i, rows[i].in, got, rows[i].out);
			fail();
		}
		for (size_t k = 0; k < 2; k++)
			if (rows[i].secrets[k] && !strstr(SEAL_MARK, rows[i].secrets[k]))
				assert_null(strstr(got, rows[i].secrets[k]));
		char *again = redact_apply(&r, got);
		assert_string_equal(again, got);
		free(again);
		free(got);
		redact_clear(&r);
	}
}

/* The walk: a secret and hostile bytes in every kind of model string. */
static void test_seal_target(void **state)
{
	(void)state;
	struct redact r;
	redact_init(&r);
	redact_add_secret(&r, PASS, USER);
	struct report rep;
	report_init(&rep);
	struct target_result *t = report_add_target(&rep);
	t->input = xstrdup("x\xe2\x80\xae"
			   "y");
	t->host = xstrdup("host");
	t->scheme = xstrdup("smtp");
	transcript_add_bytes(&t->tr, TR_RECV, "535 s3cr3t-Pa55\\word", 20);
	transcript_add(&t->tr, TR_RECV, "raw s3cr3t-Pa55\\word \x1b[2J");
	t->facts.banner.code = 220;
	t->facts.banner.text = xstrdup("hi\xc2\x9b"
				       "31m\nsecond line");
	struct probe_result *pr = target_add_probe(t, "auth", "AUTH");
	struct finding *f = probe_result_add(pr, "auth.refused", SEV_FAIL, "refused");
	finding_set_detail(f, "the server said %s", PASS);
	finding_add_ev(f, "reply", "535 %s\xff", PASS);
	report_seal(&rep, &r);
	assert_string_equal(t->input, "x\\u202Ey");
	for (size_t i = 0; i < t->tr.n; i++) {
		assert_no_secret(t->tr.e[i].text, "transcript");
		assert_true(str_is_safe(t->tr.e[i].text, strlen(t->tr.e[i].text), false));
	}
	assert_string_equal(t->facts.banner.text, "hi\\u009B31m\nsecond line");
	f = &t->probes[0].f[0];
	assert_string_equal(f->detail, "the server said <redacted>");
	assert_string_equal(f->ev[0].value, "535 <redacted>\\xFF");
	report_clear(&rep);
	redact_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_encodings),
		cmocka_unit_test(test_redact_fixpoint),
		cmocka_unit_test(test_seal_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
