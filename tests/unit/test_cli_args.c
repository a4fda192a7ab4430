/*
 * test_cli_args.c: option tables, values, repeats and usage errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"

static const struct args_opt common[] = {
	{ "json", ARGS_FLAG, NULL, "json" },
	{ "url", ARGS_VALUE, "URL", "url" },
	{ "help", ARGS_FLAG, NULL, "help" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt verb[] = {
	{ "to", ARGS_VALUE, "RELAY", "relay" },
	{ "reason", ARGS_VALUE, "TEXT", "why" },
	{ "dry-run", ARGS_FLAG, NULL, "dry" },
	{ "domain", ARGS_LIST, "DOMAIN", "a domain" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt *const tables[] = { common, verb, NULL };

static int
parse(struct args *a, const char *line, struct strbuf *err)
{
	static char copy[512];
	char *argv[32];
	int argc = 0;

	strcpy(copy, line);
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "))
		argv[argc++] = strcmp(tok, "''") == 0 ? (char *)"" : tok;
	return args_parse(a, tables, argc, argv, err);
}

static void
test_values_and_positionals(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct args a;

	(void)state;
	assert_int_equal(parse(&a, "google --to relay03 --reason=why --json --dry-run", &err), 0);
	assert_int_equal(a.npos, 1);
	assert_string_equal(a.pos[0], "google");
	assert_string_equal(args_get(&a, "to"), "relay03");
	assert_string_equal(args_get(&a, "reason"), "why");
	assert_string_equal(args_get(&a, "json"), "");
	assert_true(args_has(&a, "dry-run"));
	assert_false(args_has(&a, "url"));
	assert_null(args_get(&a, "nonexistent"));
	args_free(&a);

	assert_int_equal(parse(&a, "--domain a.com x --domain b.com -- --to", &err), 0);
	assert_string_equal(args_get_nth(&a, "domain", 0), "a.com");
	assert_string_equal(args_get_nth(&a, "domain", 1), "b.com");
	assert_null(args_get_nth(&a, "domain", 2));
	assert_string_equal(args_get(&a, "domain"), "b.com");
	assert_int_equal(a.npos, 2);
	assert_string_equal(a.pos[1], "--to");
	args_free(&a);

	assert_int_equal(parse(&a, "-h - --reason=", &err), 0);
	assert_true(args_has(&a, "help"));
	assert_string_equal(a.pos[0], "-");
	assert_string_equal(args_get(&a, "reason"), "");
	args_free(&a);
	strbuf_clear(&err);
}

static void
test_usage_errors(void **state)
{
	static const struct { const char *line, *msg; } cases[] = {
		{ "--frob", "unknown option --frob" },
		{ "--frob=1", "unknown option --frob" },
		{ "-x", "unknown option -x" },
		{ "--to", "--to needs a value (RELAY)" },
		{ "--to --json", "--to needs a value (RELAY)" },
		{ "--to a --to b", "--to given twice" },
		{ "--json=yes", "--json takes no value" },
		{ "--json --json", "--json given twice" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf err = STRBUF_INIT;
		struct args a;
		assert_int_equal(parse(&a, cases[i].line, &err), -1);
		if (strcmp(strbuf_str(&err), cases[i].msg) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].line, strbuf_str(&err),
			    cases[i].msg);
		args_free(&a);
		strbuf_clear(&err);
	}
}

static void
test_help_lines(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	args_help(verb, &out);
	assert_non_null(strstr(strbuf_str(&out), "  --to RELAY               relay\n"));
	assert_non_null(strstr(strbuf_str(&out), "  --dry-run                dry\n"));
	assert_non_null(strstr(strbuf_str(&out), "a domain (repeatable)"));
	strbuf_clear(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_positionals),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
