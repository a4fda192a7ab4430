/*
 * test_cli_holds.c: postroute sender hold|release|list against a real
 * controller: plain and --json output, holding twice, releasing what is
 * not held, the rows that history and status show, and refusals (exit 2
 * before anything is sent, 3 for a token that may not) that change
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clirun.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *viewer, *operator;

/* "history rows:held senders", proof that a refusal changed nothing. */
static char *
state_now(void)
{
	return tl_sql(ctl->conninfo, "SELECT (SELECT count(*) FROM history) || ':' ||"
	    " coalesce((SELECT string_agg(sender, ',' ORDER BY sender) FROM holds), '')");
}

static void
expect_out(const struct clirun *r, const char *needle, const char *what)
{
	if (r->out == NULL || strstr(r->out, needle) == NULL)
		fail_msg("%s: stdout lacks \"%s\":\n%s\nstderr:\n%s", what, needle,
		    r->out ? r->out : "", r->err ? r->err : "");
}

static void
expect_err(const struct clirun *r, const char *needle, const char *what)
{
	if (r->err == NULL || strstr(r->err, needle) == NULL)
		fail_msg("%s: stderr lacks \"%s\":\n%s", what, needle, r->err ? r->err : "");
}

static void
test_hold_list_release(void **state)
{
	struct clirun r;
	json_t *h;

	(void)state;
	clirun(&r, ctl->url, operator, "sender", "hold", "info@shop.example.jp", "--reason",
	    "hijacked, ticket 4711", NULL);
	clirun_expect(&r, 0, "sender hold");
	expect_out(&r, "sender info@shop.example.jp held: its new mail stays in the hold queue", "hold");
	clirun_free(&r);

	/* again, in another case: nothing changes, exit 0 */
	clirun(&r, ctl->url, operator, "sender", "hold", "INFO@shop.example.jp", NULL);
	clirun_expect(&r, 0, "sender hold again");
	expect_out(&r, "sender info@shop.example.jp was held already, since ", "hold again");
	expect_out(&r, "UTC by otto; nothing changed", "hold again");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "sender", "hold", "info@shop.example.jp", "--json", NULL);
	clirun_expect(&r, 0, "sender hold again --json");
	assert_true(json_is_false(json_object_get(r.json, "created")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "hold"),
	    "reason")), "hijacked, ticket 4711");
	clirun_free(&r);

	/* list: plain lines, JSON */
	clirun(&r, ctl->url, viewer, "sender", "list", NULL);
	clirun_expect(&r, 0, "sender list");
	expect_out(&r, "info@shop.example.jp\tmanual\t", "sender list");
	expect_out(&r, "\totto\thijacked, ticket 4711\n", "sender list");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "sender", "list", "--json", NULL);
	clirun_expect(&r, 0, "sender list --json");
	h = json_array_get(json_object_get(r.json, "holds"), 0);
	assert_string_equal(json_string_value(json_object_get(h, "sender")), "info@shop.example.jp");
	assert_string_equal(json_string_value(json_object_get(h, "origin")), "manual");
	assert_string_equal(json_string_value(json_object_get(h, "actor")), "otto");
	assert_non_null(json_string_value(json_object_get(h, "created_at")));
	assert_true(json_is_integer(json_object_get(r.json, "version")));
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "sender", "list", "--format", "table", NULL);
	clirun_expect(&r, 0, "sender list table");
	expect_out(&r, "SENDER", "sender list table");
	expect_out(&r, "REASON", "sender list table");
	clirun_free(&r);

	/* status shows them */
	clirun(&r, ctl->url, viewer, "status", "--json", NULL);
	clirun_expect(&r, 0, "status --json");
	h = json_array_get(json_object_get(r.json, "holds"), 0);
	assert_string_equal(json_string_value(json_object_get(h, "sender")), "info@shop.example.jp");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "status", "--format", "table", NULL);
	clirun_expect(&r, 0, "status table");
	expect_out(&r, "held senders (postroute sender release USER)", "status table");
	expect_out(&r, "info@shop.example.jp", "status table");
	clirun_free(&r);

	/* release, then once more: not held */
	clirun(&r, ctl->url, operator, "sender", "release", "info@shop.example.jp", "--reason",
	    "password reset", "--json", NULL);
	clirun_expect(&r, 0, "sender release");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "released"),
	    "sender")), "info@shop.example.jp");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "sender", "release", "info@shop.example.jp", NULL);
	clirun_expect(&r, 1, "sender release not held");
	expect_err(&r, "sender: \"info@shop.example.jp\" is not held (HTTP 404)", "release not held");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "sender", "hold", "sasl_user7", NULL);
	clirun_expect(&r, 0, "sender hold without reason");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "sender", "release", "sasl_user7", NULL);
	clirun_expect(&r, 0, "sender release without reason");
	expect_out(&r, "sender sasl_user7 released", "release plain");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "sender", "list", NULL);
	clirun_expect(&r, 0, "sender list empty");
	assert_string_equal(r.out, "");
	clirun_free(&r);
}

static void
test_history_rows(void **state)
{
	struct clirun r;
	size_t i;
	json_t *row;
	int hold = 0, release = 0;

	(void)state;
	clirun(&r, ctl->url, viewer, "history", "--action", "sender.hold", NULL);
	clirun_expect(&r, 0, "history --action sender.hold");
	expect_out(&r, "\totto\tsender.hold\tinfo@shop.example.jp\tcreated\thijacked, ticket 4711\n",
	    "history sender.hold");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "history", "--actor", "otto", "--json", NULL);
	clirun_expect(&r, 0, "history --json");
	json_array_foreach(json_object_get(r.json, "history"), i, row) {
		const char *action = json_string_value(json_object_get(row, "action"));
		const char *object = json_string_value(json_object_get(row, "object"));
		if (strcmp(object, "info@shop.example.jp") != 0)
			continue;
		if (strcmp(action, "sender.hold") == 0) {
			hold++;
			assert_string_equal(json_string_value(json_object_get(row, "object_type")), "sender");
			assert_true(json_is_null(json_object_get(row, "before")));
		} else if (strcmp(action, "sender.release") == 0) {
			release++;
			assert_string_equal(json_string_value(json_object_get(row, "reason")), "password reset");
			assert_true(json_is_null(json_object_get(row, "after")));
			assert_string_equal(json_string_value(json_object_get(json_object_get(row,
			    "before"), "reason")), "hijacked, ticket 4711");
		}
	}
	assert_int_equal(hold, 1);
	assert_int_equal(release, 1);
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "history", "--action", "sender.release", "--format", "csv", NULL);
	clirun_expect(&r, 0, "history csv");
	expect_out(&r, ",otto,sender.release,sender,info@shop.example.jp,", "history csv");
	clirun_free(&r);
}

static void
test_refusals(void **state)
{
	static const struct { const char *words[6]; int rc; const char *err; } cases[] = {
		{ { "sender", "hold", "a b", NULL }, 2, "USER \"a b\": contains whitespace" },
		{ { "sender", "hold", "a\nb HOLD", NULL }, 2, ": contains a line break" },
		{ { "sender", "hold", "#x", NULL }, 2, "USER \"#x\": contains '#'" },
		{ { "sender", "hold", ",", NULL }, 2, "USER \",\": contains ','" },
		{ { "sender", "hold", "a/b", NULL }, 2,
		  "USER \"a/b\": contains '/', which the API cannot take in a path" },
		{ { "sender", "hold", "", NULL }, 2, "USER \"\": is empty" },
		{ { "sender", "hold", "@example.com", NULL }, 2, "must not start with '.' or '@'" },
		{ { "sender", "release", "a\tb", NULL }, 2, "contains whitespace" },
		{ { "sender", "hold", "ok@example.com", "--reason", "a\nb", NULL }, 2,
		  "--reason contains a control character" },
		{ { "sender", "hold", NULL }, 2, "missing argument (usage: postroute sender hold USER" },
		{ { "sender", "hold", "a", "b", NULL }, 2, "unexpected argument \"b\"" },
		{ { "sender", "list", "x", NULL }, 2, "unexpected argument \"x\"" },
		{ { "sender", "hold", "ok@example.com", "--bogus", NULL }, 2, "--bogus" },
	};
	char *before = state_now(), *after;
	char *longer = xmalloc(300);
	struct clirun r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		clirun_argv(&r, ctl->url, operator, (char *const *)cases[i].words);
		clirun_expect(&r, cases[i].rc, cases[i].words[2] ? cases[i].words[2] : "(none)");
		expect_err(&r, cases[i].err, cases[i].words[2] ? cases[i].words[2] : "(none)");
		clirun_free(&r);
	}
	memset(longer, 'a', 256);
	longer[256] = '\0';
	clirun(&r, ctl->url, operator, "sender", "hold", longer, NULL);
	clirun_expect(&r, 2, "sender hold 256 octets");
	expect_err(&r, ": is longer than 255 octets", "256 octets");
	clirun_free(&r);
	free(longer);
	/* tokens that may not, or are not known */
	clirun(&r, ctl->url, viewer, "sender", "hold", "ok@example.com", NULL);
	clirun_expect(&r, 3, "viewer sender hold");
	expect_err(&r, "may not PUT /v1/holds/{} (HTTP 403)", "viewer hold");
	clirun_free(&r);
	clirun(&r, ctl->url, "prt_0000", "sender", "release", "ok@example.com", NULL);
	clirun_expect(&r, 3, "unknown token");
	clirun_free(&r);
	after = state_now();
	assert_string_equal(before, after);
	free(before), free(after);
}

static void
test_help(void **state)
{
	static const char *const verbs[] = { "hold", "release", "list" };
	struct clirun r;

	(void)state;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		clirun(&r, NULL, NULL, "sender", verbs[i], "--help", NULL);
		clirun_expect(&r, 0, verbs[i]);
		if (strncmp(r.out, "usage: postroute sender ", 24) != 0 ||
		    strstr(r.out, "example") == NULL || strstr(r.out, "exit status: 0 ok") == NULL)
			fail_msg("sender %s --help:\n%s", verbs[i], r.out);
		clirun_free(&r);
	}
	clirun(&r, NULL, NULL, "sender", NULL);
	clirun_expect(&r, 2, "sender alone");
	expect_err(&r, "usage: postroute sender VERB", "sender alone");
	expect_err(&r, "sender release", "sender alone");
	clirun_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_list_release),
		cmocka_unit_test(test_history_rows),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_help),
	};

	clirun_group(&ctl, &viewer, &operator, NULL);
	return cmocka_run_group_tests(tests, clirun_group_setup, clirun_group_teardown);
}
