/*
 * test_relit.c: the literals every match of a pattern must contain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "relit.h"
#include "strbuf.h"

struct rcase {
	const char *pattern;
	const char *want;   /* literals joined by '|', or NULL for none */
};

static void
test_extract(void **state)
{
	static const struct rcase cases[] = {
		{ "greylist|Grey-List|try again in \\d+ (seconds|minutes)", "greylist|grey-list|try again in " },
		{ "\\[TS03\\]|permanently deferred", "[ts03]|permanently deferred" },
		{ "max(imum)? (number of )?messages? per (connection|session)", "message" },
		{ "exceeded .{0,40}(rate|limit)", "exceeded " },
		{ "(?<!sender )address rejected", "address rejected" },
		{ "\\bSPF\\b|\\bDKIM\\b", "spf|dkim" },
		{ "IP you.re using", "re using" },
		{ "[abc]def|ghi[)(|]jkl", "def|ghi" },
		{ "rate.?limit", "limit" },
		{ "abcd+e", "abcd" },
		{ "abc{2}x", NULL },              /* "ab", "x": nothing of 3 */
		{ "^4\\d\\d\\s*$", NULL },
		{ "ok|no", NULL },                /* one alternative without 3 literals */
		{ "a\\x41bc", NULL },             /* a character by code: give up */
		{ "\\Qa.b\\E", NULL },
		{ "(unclosed", NULL },
		{ "(?x)abc def", NULL },          /* extended mode: blanks are not literal */
		{ "(?i)abc def", "abc def" },
		{ "abcd{2,}e|fghi{,3}|ijk{x|lmn}", "abc|fgh|ijk|lmn}" },
		{ "abc(d|e)fghi", "fghi" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relit r;
		int rc = relit_extract(cases[i].pattern, 3, &r);
		if (cases[i].want == NULL) {
			if (rc != -1)
				fail_msg("%s: got literals, want none", cases[i].pattern);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: no literals", cases[i].pattern);
		struct strbuf got = STRBUF_INIT;
		for (size_t k = 0; k < r.n; k++)
			strbuf_appendf(&got, "%s%s", k ? "|" : "", r.lits[k]);
		if (strcmp(got.buf, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].pattern, got.buf, cases[i].want);
		strbuf_clear(&got);
		relit_clear(&r);
	}
}

static void
test_any(void **state)
{
	struct relit r;
	char low[64];
	const char *text = "421 4.7.0 [TSS04] Messages FROM 192.0.2.1";

	(void)state;
	assert_int_equal(relit_extract("messages from|nothing here", 3, &r), 0);
	relit_lower(text, strlen(text), low);
	assert_true(relit_any(&r, low, strlen(text)));
	assert_false(relit_any(&r, low, 20));
	relit_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_any),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
