/*
 * test_cli_rules.c: postroute rule list|show|add|set|remove|test against a
 * real controller: every sub-verb, --json shapes, a bad pattern refused
 * locally with PCRE2's message, refusals that change nothing, and rule
 * test over a mail log and over one reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clirun.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *viewer, *operator;

/* A reply no shipped rule knows: class unknown. */
#define ZX_REPLY "421 4.7.0 [ZX42] try again in a while"

static void
expect_in(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, text);
}

static void
test_add_list_show_set_remove(void **state)
{
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "rule", "add", "zx42", "--class", "rate_limit",
	    "--reroutable", "yes", "--provider", "yahoo", "--note", "seen on mx01",
	    "--reason", "new reply", "\\[ZX42\\]", NULL);
	clirun_expect(&r, 0, "rule add");
	expect_in(r.out, "rule zx42 added (routing version ");
	clirun_free(&r);
	tl_expect_sql(ctl->conninfo, "SELECT author || ' ' || class || ' ' || provider || ' ' || pattern"
	    " FROM rules", "otto rate_limit yahoo \\[ZX42\\]");

	/* a second add fails; set changes the given fields */
	clirun(&r, ctl->url, operator, "rule", "add", "zx42", "--class", "block", "--reroutable",
	    "yes", "x", NULL);
	clirun_expect(&r, 1, "rule add again");
	expect_in(r.err, "rule zx42 already exists");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "rule", "set", "zx42", "--reroutable", "ambiguous",
	    "--every-provider", NULL);
	clirun_expect(&r, 0, "rule set");
	expect_in(r.out, "rule zx42 changed");
	clirun_free(&r);
	tl_expect_sql(ctl->conninfo, "SELECT reroutable || ' ' || (provider IS NULL) || ' ' || note"
	    " FROM rules", "ambiguous true seen on mx01");

	/* list: a table, and --json */
	clirun(&r, ctl->url, viewer, "rule", "list", NULL);   /* piped: plain */
	clirun_expect(&r, 0, "rule list");
	expect_in(r.out, "zx42\trate_limit\tambiguous\t-\t\\[ZX42\\]\totto\t");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "rule", "list", "--format", "table", NULL);
	clirun_expect(&r, 0, "rule list table");
	assert_memory_equal(r.out, "RULE  CLASS       REROUTABLE  PROVIDER  PATTERN ", 48);
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "rule", "list", "--json", NULL);
	clirun_expect(&r, 0, "rule list --json");
	json_t *one = json_array_get(json_object_get(r.json, "rules"), 0);
	assert_string_equal(json_string_value(json_object_get(one, "name")), "zx42");
	assert_string_equal(json_string_value(json_object_get(one, "author")), "otto");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "rule", "show", "zx42", NULL);
	clirun_expect(&r, 0, "rule show");
	expect_in(r.out, "seen on mx01");
	clirun_free(&r);

	/* the history names the verbs */
	clirun(&r, ctl->url, viewer, "history", "--action", "rule.put", NULL);
	clirun_expect(&r, 0, "history");
	expect_in(r.out, "rule.put");
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "rule", "remove", "zx42", "--reason", "done", NULL);
	clirun_expect(&r, 0, "rule remove");
	expect_in(r.out, "rule zx42 removed");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "rule", "rm", "zx42", NULL);
	clirun_expect(&r, 1, "rule rm (short for remove) again");
	expect_in(r.err, "no such rule \"zx42\"");
	clirun_free(&r);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM rules", "0");
}

/* Refused before anything is sent: exit 2, history unchanged. */
static void
test_refusals(void **state)
{
	static const char *const cases[][9] = {
		{ "rule", "add", "r1", "--class", "block", "--reroutable", "yes", "(unclosed", NULL },
		{ "rule", "add", "r1", "--class", "blocked", "--reroutable", "yes", "x", NULL },
		{ "rule", "add", "r1", "--class", "block", "--reroutable", "maybe", "x", NULL },
		{ "rule", "add", "r1", "--reroutable", "yes", "x", NULL },
		{ "rule", "add", "R1", "--class", "block", "--reroutable", "yes", "x", NULL },
	};
	static const char *const want[] = {
		"pattern: bad pattern at offset 9: missing closing parenthesis",
		"class: unknown class; one of block",
		"reroutable: must be yes, no or ambiguous",
		"--class is required",
		"rule \"R1\": must start with",
	};
	long long h0 = tl_history_count(ctl);
	struct clirun r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		clirun_argv(&r, ctl->url, operator, (char *const *)cases[i]);
		clirun_expect(&r, 2, cases[i][2]);
		expect_in(r.err, want[i]);
		clirun_free(&r);
	}
	/* a viewer may not write */
	clirun(&r, ctl->url, viewer, "rule", "add", "r1", "--class", "block", "--reroutable", "yes",
	    "x", NULL);
	clirun_expect(&r, 3, "rule add as viewer");
	clirun_free(&r);
	assert_int_equal(tl_history_count(ctl), h0);
}

static void
test_rule_test(void **state)
{
	struct clirun r;
	char *dir = tl_mkdtemp("rule-test");
	char *log = xasprintf("%s/mail.log", dir);

	(void)state;
	tl_write_file(log,
	    "Dec  5 10:00:00 mx01 postfix/smtp[1]: 1A2B3C4D5E: to=<a@yahoo.com>,"
	    " relay=mta5.am0.yahoodns.net[192.0.2.7]:25, delay=1, delays=0/0/0/1, dsn=4.7.0,"
	    " status=deferred (host mta5.am0.yahoodns.net[192.0.2.7] said: " ZX_REPLY
	    " (in reply to RCPT TO command))\n"
	    "Dec  5 10:00:01 mx01 postfix/smtp[1]: 2B3C4D5E6F: to=<b@yahoo.com>,"
	    " relay=mta5.am0.yahoodns.net[192.0.2.7]:25, delay=1, delays=0/0/0/1, dsn=2.0.0,"
	    " status=sent (250 ok dirdel)\n"
	    "Dec  5 10:00:02 mx01 postfix/smtp[1]: 3C4D5E6F7A: to=<c@example.org>,"
	    " relay=mx.example.org[192.0.2.8]:25, delay=1, delays=0/0/0/1, dsn=5.1.1,"
	    " status=bounced (host mx.example.org[192.0.2.8] said: 550 5.1.1 no such user"
	    " (in reply to RCPT TO command))\n"
	    "garbage line\n");

	/* a new rule, given by its options, over the log */
	clirun(&r, ctl->url, viewer, "rule", "test", "zx42", "--class", "rate_limit", "--reroutable",
	    "yes", "\\[ZX42\\]", "--log", log, NULL);
	clirun_expect(&r, 0, "rule test --log");
	expect_in(r.out, "1A2B3C4D5E");
	expect_in(r.out, "yahoo");
	expect_in(r.out, "unknown/ambiguous (fallback)");
	expect_in(r.out, "rate_limit/yes (zx42)");
	expect_in(r.out, "3 delivery results, 2 failed, 1 changed by rule zx42\n");
	assert_null(strstr(r.out, "3C4D5E6F7A"));
	clirun_free(&r);

	/* scoped to another provider: nothing changes */
	clirun(&r, ctl->url, viewer, "rule", "test", "zx42", "--class", "rate_limit", "--reroutable",
	    "yes", "--provider", "google", "\\[ZX42\\]", "--log", log, "--json", NULL);
	clirun_expect(&r, 0, "rule test --provider google");
	assert_int_equal(json_integer_value(json_object_get(r.json, "changed")), 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "deliveries")), 3);
	clirun_free(&r);

	/* the controller's rule by NAME, over one reply */
	json_decref(tl_api_ok(ctl, "PUT", "/v1/rules/zx42", operator,
	    "{\"pattern\":\"\\\\[ZX42\\\\]\",\"class\":\"reputation\",\"reroutable\":\"yes\"}"));
	clirun(&r, ctl->url, viewer, "rule", "test", "zx42", "--reply", ZX_REPLY, "--json", NULL);
	clirun_expect(&r, 0, "rule test --reply");
	json_t *c = json_array_get(json_object_get(r.json, "changes"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "before"), "class")),
	    "unknown");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "after"), "class")),
	    "reputation");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "after"), "rule")),
	    "zx42");
	assert_int_equal(json_integer_value(json_object_get(r.json, "changed")), 1);
	clirun_free(&r);

	/* a reply the rule does not match */
	clirun(&r, ctl->url, viewer, "rule", "test", "zx42", "--reply", "550 5.1.1 no such user", NULL);
	clirun_expect(&r, 0, "rule test --reply unmatched");
	expect_in(r.out, "user_unknown/no");
	expect_in(r.out, "1 delivery results, 1 failed, 0 changed by rule zx42\n");
	clirun_free(&r);

	/* usage errors */
	clirun(&r, ctl->url, viewer, "rule", "test", "nope", "--reply", ZX_REPLY, NULL);
	clirun_expect(&r, 1, "rule test of an unknown rule");
	expect_in(r.err, "no rule nope on the controller");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "rule", "test", "zx42", NULL);
	clirun_expect(&r, 2, "rule test without input");
	expect_in(r.err, "give one of --log FILE or --reply TEXT");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "rule", "test", "zx42", "--class", "block", "--reroutable", "yes",
	    "a{2,1}", "--reply", ZX_REPLY, NULL);
	clirun_expect(&r, 2, "rule test of a bad pattern");
	expect_in(r.err, "pattern: bad pattern at offset 5");
	clirun_free(&r);
	free(log), free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_list_show_set_remove),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_rule_test),
	};
	clirun_group(&ctl, &viewer, &operator, NULL);
	return cmocka_run_group_tests(tests, clirun_group_setup, clirun_group_teardown);
}
