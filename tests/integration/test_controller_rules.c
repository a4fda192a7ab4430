/*
 * test_controller_rules.c: classifier rules stored by postrouted, over
 * real HTTP on a real PostgreSQL: create, update, read, delete with their
 * history rows (rule.put, rule.delete, the author, the chain intact) and
 * version bumps, the "rules" member of every node's feed (and a waiting
 * feed woken by a rule), 400 with PCRE2's message for a bad pattern,
 * hostile bodies that change nothing, and the role matrix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "clirun.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *operator, *viewer, *detector, *agent1;

static json_t *
expect(const char *method, const char *path, const char *token, const char *body,
    long want_status, const char *want_error)
{
	return tl_api_expect(ctl, method, path, token, body, want_status, want_error);
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	json_decref(tl_api_ok(ctl, "PUT", "/v1/nodes/mx01", ctl->admin, "{\"role\":\"server\"}"));
	operator = tl_token(ctl, "otto", "operator", NULL);
	viewer = tl_token(ctl, "vera", "viewer", NULL);
	detector = tl_token(ctl, "detector-1", "detector", "*");
	agent1 = tl_token(ctl, "agent-mx01", "agent", "mx01");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_stop(ctl);
	tl_controller_free(ctl);
	free(operator), free(viewer), free(detector), free(agent1);
	return 0;
}

/* The feed's "rules" as compact JSON. */
static char *
feed_rules(const char *token)
{
	json_t *j = expect("GET", "/v1/nodes/mx01/transport", token, NULL, 200, NULL);
	json_t *r = json_object_get(j, "rules");
	char *s;

	if (!json_is_array(r))
		fail_msg("the feed has no \"rules\" array");
	s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static void
test_crud_history_feed(void **state)
{
	(void)state;
	char *f = feed_rules(ctl->admin);
	assert_string_equal(f, "[]");
	free(f);
	long long v0 = tl_routing_version(ctl);

	/* create, by an operator: the author is the token's name */
	json_t *j = expect("PUT", "/v1/rules/zx42-slow", operator,
	    "{\"pattern\":\"\\\\[ZX42\\\\] slow down\",\"class\":\"rate_limit\",\"reroutable\":\"yes\","
	    "\"provider\":\"acme\",\"note\":\"seen on mx01\",\"reason\":\"new reply\"}", 200, NULL);
	assert_true(json_is_true(json_object_get(j, "created")));
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v0 + 1);
	assert_string_equal(tl_jstr(j, "author"), "otto");
	assert_string_equal(tl_jstr(j, "pattern"), "\\[ZX42\\] slow down");
	assert_string_equal(tl_jstr(j, "provider"), "acme");
	json_decref(j);
	char *want = xasprintf("otto rule.put rule zx42-slow acme %lld true rate_limit new reply",
	    v0 + 1);
	tl_expect_sql(ctl->conninfo,
	    "SELECT actor || ' ' || action || ' ' || object_type || ' ' || object || ' ' ||"
	    " provider || ' ' || version || ' ' || (before IS NULL) || ' ' || (after->>'class') || ' ' ||"
	    " reason FROM history ORDER BY id DESC LIMIT 1", want);
	free(want);

	/* the feed carries it (what an agent compiles, not the note) */
	f = feed_rules(agent1);
	assert_string_equal(f, "[{\"class\":\"rate_limit\",\"name\":\"zx42-slow\","
	    "\"pattern\":\"\\\\[ZX42\\\\] slow down\",\"provider\":\"acme\",\"reroutable\":\"yes\"}]");
	free(f);

	/* update by the admin: absent fields keep their value; provider null = every provider */
	j = expect("PUT", "/v1/rules/zx42-slow", ctl->admin,
	    "{\"reroutable\":\"ambiguous\",\"provider\":null}", 200, NULL);
	assert_false(json_is_true(json_object_get(j, "created")));
	assert_string_equal(tl_jstr(j, "reroutable"), "ambiguous");
	assert_string_equal(tl_jstr(j, "class"), "rate_limit");
	assert_string_equal(tl_jstr(j, "note"), "seen on mx01");
	assert_true(json_is_null(json_object_get(j, "provider")));
	assert_string_equal(tl_jstr(j, "author"), "test-admin");
	json_decref(j);
	assert_int_equal(tl_routing_version(ctl), v0 + 2);

	/* list and get, for a viewer */
	j = expect("GET", "/v1/rules", viewer, NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "rules")), 1);
	assert_string_equal(tl_jstr(json_array_get(json_object_get(j, "rules"), 0), "name"), "zx42-slow");
	json_decref(j);
	j = expect("GET", "/v1/rules/zx42-slow", viewer, NULL, 200, NULL);
	assert_string_equal(tl_jstr(j, "reroutable"), "ambiguous");
	json_decref(j);
	json_decref(expect("GET", "/v1/rules/nope", viewer, NULL, 404, "rule: no such rule \"nope\""));

	/* delete, then 404 on a second delete; history holds both */
	j = expect("DELETE", "/v1/rules/zx42-slow?reason=wrong", operator, NULL, 200, NULL);
	assert_string_equal(tl_jstr(json_object_get(j, "deleted"), "name"), "zx42-slow");
	json_decref(j);
	assert_int_equal(tl_routing_version(ctl), v0 + 3);
	json_decref(expect("DELETE", "/v1/rules/zx42-slow", operator, NULL, 404,
	    "rule: no such rule \"zx42-slow\""));
	tl_expect_sql(ctl->conninfo, "SELECT string_agg(action || '/' || actor, ' ' ORDER BY id) FROM history"
	    " WHERE object_type = 'rule'", "rule.put/otto rule.put/test-admin rule.delete/otto");
	f = feed_rules(ctl->admin);
	assert_string_equal(f, "[]");
	free(f);

	/* the history as the CLI shows it, and its chain intact */
	struct clirun r;
	clirun(&r, ctl->url, ctl->admin, "history", "--action", "rule.delete", NULL);
	clirun_expect(&r, 0, "history --action rule.delete");
	assert_non_null(strstr(r.out, "rule.delete"));
	assert_non_null(strstr(r.out, "zx42-slow"));
	clirun_free(&r);
	clirun(&r, ctl->url, ctl->admin, "history", "--verify", NULL);
	clirun_expect(&r, 0, "history --verify");
	clirun_free(&r);
}

/* Each bad body is refused with its message and changes nothing. */
static void
test_bad_bodies(void **state)
{
	static const struct {
		const char *body;
		const char *error;   /* prefix */
	} cases[] = {
		{ "{\"pattern\":\"(abc\",\"class\":\"block\",\"reroutable\":\"yes\"}",
		  "pattern: bad pattern at offset 4: missing closing parenthesis" },
		{ "{\"pattern\":\"a{2,1}\",\"class\":\"block\",\"reroutable\":\"yes\"}",
		  "pattern: bad pattern at offset 5: numbers out of order in {} quantifier" },
		{ "{\"pattern\":\"x\",\"class\":\"blocked\",\"reroutable\":\"yes\"}",
		  "class: unknown class; one of block dnsbl" },
		{ "{\"pattern\":\"x\",\"class\":\"none\",\"reroutable\":\"yes\"}", "class: unknown class" },
		{ "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":true}", "reroutable: must be a string" },
		{ "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":\"maybe\"}",
		  "reroutable: must be yes, no or ambiguous" },
		{ "{\"pattern\":42,\"class\":\"block\",\"reroutable\":\"yes\"}", "pattern: must be a string" },
		{ "{\"pattern\":[\"x\"],\"class\":\"block\",\"reroutable\":\"yes\"}", "pattern: must be a string" },
		{ "{\"class\":\"block\",\"reroutable\":\"yes\"}", "pattern: required" },
		{ "{\"pattern\":\"x\",\"reroutable\":\"yes\"}", "class: required" },
		{ "{\"pattern\":\"a\\nb\",\"class\":\"block\",\"reroutable\":\"yes\"}",
		  "pattern: contains a control character" },
		{ "{\"pattern\":\"a\\u0000b\",\"class\":\"block\",\"reroutable\":\"yes\"}",
		  "body: malformed JSON at line 1 column 21: \\u0000 is not allowed" },
		{ "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":\"yes\",\"note\":\"a\\rb\"}",
		  "note: contains a control character" },
		{ "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":\"yes\",\"provider\":\"Ya hoo\"}",
		  "provider: must" },
		{ "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":\"yes\",\"author\":\"mallory\"}",
		  "author: unknown field" },
		{ "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":\"yes\",\"stage\":\"rcpt\"}",
		  "stage: unknown field" },
		{ "[\"x\"]", "body: must be a JSON object" },
		{ "{\"pattern\":", "body: malformed JSON" },
	};
	char *h0 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	long long v0 = tl_routing_version(ctl);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = expect("PUT", "/v1/rules/bad1", ctl->admin, cases[i].body, 400, NULL);
		if (strncmp(tl_jstr(j, "error"), cases[i].error, strlen(cases[i].error)) != 0)
			fail_msg("case %zu: error \"%s\", want \"%s...\"", i, tl_jstr(j, "error"), cases[i].error);
		json_decref(j);
	}
	/* a long pattern, and a body over the server's limit */
	struct strbuf big = STRBUF_INIT;
	strbuf_append(&big, "{\"class\":\"block\",\"reroutable\":\"yes\",\"pattern\":\"");
	for (int i = 0; i < 4097; i++)
		strbuf_appendc(&big, 'a');
	strbuf_append(&big, "\"}");
	json_decref(expect("PUT", "/v1/rules/bad1", ctl->admin, strbuf_str(&big), 400,
	    "pattern: longer than 4096 octets"));
	strbuf_reset(&big);
	strbuf_append(&big, "{\"class\":\"block\",\"reroutable\":\"yes\",\"pattern\":\"");
	for (int i = 0; i < 70000; i++)
		strbuf_appendc(&big, 'a');
	strbuf_append(&big, "\"}");
	json_decref(expect("PUT", "/v1/rules/bad1", ctl->admin, strbuf_str(&big), 413, NULL));
	strbuf_clear(&big);
	/* a bad name in the path */
	json_decref(expect("PUT", "/v1/rules/Bad%20Name", ctl->admin,
	    "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":\"yes\"}", 400, NULL));
	/* nothing changed */
	char *h1 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	assert_string_equal(h0, h1);
	free(h0), free(h1);
	assert_int_equal(tl_routing_version(ctl), v0);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM rules", "0");
}

/* Roles: writers as for providers; readers may read; agents and
 * detectors neither; no token or a wrong one is 401. */
static void
test_roles(void **state)
{
	const char *body = "{\"pattern\":\"x\",\"class\":\"block\",\"reroutable\":\"yes\"}";

	(void)state;
	json_decref(expect("PUT", "/v1/rules/r1", viewer, body, 403, NULL));
	json_decref(expect("PUT", "/v1/rules/r1", detector, body, 403, NULL));
	json_decref(expect("PUT", "/v1/rules/r1", agent1, body, 403, NULL));
	json_decref(expect("PUT", "/v1/rules/r1", NULL, body, 401, NULL));
	json_decref(expect("PUT", "/v1/rules/r1", "pr_0000000000000000000000000000000000000000", body,
	    401, NULL));
	json_decref(expect("GET", "/v1/rules", agent1, NULL, 403, NULL));
	json_decref(expect("GET", "/v1/rules", detector, NULL, 403, NULL));
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM rules", "0");
	json_decref(expect("PUT", "/v1/rules/r1", operator, body, 200, NULL));
	json_decref(expect("DELETE", "/v1/rules/r1", viewer, NULL, 403, NULL));
	json_decref(expect("DELETE", "/v1/rules/r1", agent1, NULL, 403, NULL));
	json_decref(expect("DELETE", "/v1/rules/r1", operator, NULL, 200, NULL));
}

/* A feed waiting on the current version wakes when a rule changes. */
static void
test_feed_wakes(void **state)
{
	(void)state;
	long long v = tl_routing_version(ctl);
	char *path = xasprintf("%s/v1/nodes/mx01/transport?after=%lld&wait=20", ctl->url, v);
	pid_t pid = fork();

	if (pid == 0) {
		/* the child writes the rule a little after the wait began: the
		 * parent's request is already waiting by then or answers at once
		 * with the new version; either way it sees the rule */
		json_decref(tl_api_ok(ctl, "PUT", "/v1/rules/wake1", operator,
		    "{\"pattern\":\"wake\",\"class\":\"block\",\"reroutable\":\"yes\"}"));
		_exit(0);
	}
	json_t *j = NULL;
	long st = tl_http("GET", path, agent1, NULL, &j, NULL);
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(st, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v + 1);
	assert_string_equal(tl_jstr(json_array_get(json_object_get(j, "rules"), 0), "name"), "wake1");
	json_decref(j);
	free(path);
	json_decref(expect("DELETE", "/v1/rules/wake1", operator, NULL, 200, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crud_history_feed),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_feed_wakes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
