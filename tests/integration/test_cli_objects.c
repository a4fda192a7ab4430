/*
 * test_cli_objects.c: postroute relay|provider|node against a real
 * controller: every sub-verb, --json shapes, refusals that change nothing.
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

static int
setup(void **state)
{
	clirun_group_setup(state);
	tl_providers_clear(ctl);
	return 0;
}

static void
test_relays(void **state)
{
	static const char *const relay_keys[] = { "name", "nexthop", "drained", "created_at",
		"updated_at", NULL };
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "relay", "add", "relay01", "--nexthop",
	    "smtp:[relay01.example.net]:25", "--reason", "first relay", "--json", NULL);
	clirun_expect(&r, 0, "relay add");
	tl_assert_keys(r.json, relay_keys);
	assert_string_equal(json_string_value(json_object_get(r.json, "nexthop")),
	    "smtp:[relay01.example.net]:25");
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "relay", "add", "relay03", "--nexthop",
	    "smtp:[relay03.example.net]:25", NULL);
	clirun_expect(&r, 0, "relay add");
	assert_string_equal(r.out, "relay relay03 added\n");
	clirun_free(&r);

	/* add an existing relay: refused, nothing changed */
	long long before = tl_history_count(ctl);
	clirun(&r, ctl->url, operator, "relay", "add", "relay03", "--nexthop", "smtp:[x.example]:25", NULL);
	clirun_expect(&r, 1, "relay add existing");
	assert_non_null(strstr(r.err, "relay relay03 already exists"));
	clirun_free(&r);
	assert_int_equal(tl_history_count(ctl), before);

	clirun(&r, ctl->url, viewer, "relay", "list", "--json", NULL);
	clirun_expect(&r, 0, "relay list");
	json_t *list = json_object_get(r.json, "relays");
	assert_int_equal(json_array_size(list), 2);
	tl_assert_keys(json_array_get(list, 0), relay_keys);
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "relay", "list", NULL);   /* piped: plain */
	clirun_expect(&r, 0, "relay list plain");
	assert_non_null(strstr(r.out, "relay01\tsmtp:[relay01.example.net]:25\tno\t"));
	assert_null(strstr(r.out, "NEXTHOP"));
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "relay", "list", "--format", "table", NULL);
	clirun_expect(&r, 0, "relay list table");
	assert_memory_equal(r.out, "RELAY    NEXTHOP ", 17);
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "relay", "set", "relay03", "--nexthop",
	    "smtp_ip2:[relay03.example.net]:25", "--reason", "second IP", NULL);
	clirun_expect(&r, 0, "relay set");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "relay", "show", "relay03", "--json", NULL);
	clirun_expect(&r, 0, "relay show");
	assert_string_equal(json_string_value(json_object_get(r.json, "nexthop")),
	    "smtp_ip2:[relay03.example.net]:25");
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "relay", "show", "relay03", NULL);
	clirun_expect(&r, 0, "relay show plain");
	assert_non_null(strstr(r.out, "nexthop\tsmtp_ip2:[relay03.example.net]:25\n"));
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "relay", "drain", "relay03", "--reason", "maintenance", NULL);
	clirun_expect(&r, 0, "relay drain");
	assert_string_equal(r.out, "relay relay03 drained\n");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "relay", "show", "relay03", "--json", NULL);
	assert_true(json_is_true(json_object_get(r.json, "drained")));
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "relay", "undrain", "relay03", NULL);
	clirun_expect(&r, 0, "relay undrain");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "relay", "show", "relay03", "--json", NULL);
	assert_true(json_is_false(json_object_get(r.json, "drained")));
	assert_string_equal(json_string_value(json_object_get(r.json, "nexthop")),
	    "smtp_ip2:[relay03.example.net]:25");
	clirun_free(&r);

	/* set, show, drain, remove of a relay that does not exist */
	static const char *const missing[][3] = { { "set", "--nexthop", "smtp:[a.example]:25" },
		{ "show", NULL, NULL }, { "drain", NULL, NULL }, { "remove", NULL, NULL } };
	for (size_t i = 0; i < 4; i++) {
		clirun(&r, ctl->url, operator, "relay", missing[i][0], "relay77",
		    missing[i][1], missing[i][2], NULL);
		clirun_expect(&r, 1, missing[i][0]);
		assert_non_null(strstr(r.err, "relay77"));
		clirun_free(&r);
	}
	assert_int_equal(tl_history_count(ctl), before + 3);   /* set, drain, undrain */
}

static void
test_relay_refusals(void **state)
{
	static const struct { const char *words[8]; int rc; const char *msg; } cases[] = {
		{ { "relay", "add", "relay05", "--nexthop", "smtp:[r.example]:25\nevil.com smtp:[x]", NULL },
		  2, "--nexthop" },
		{ { "relay", "add", "relay05", "--nexthop", "smtp:[r.example]:25 #", NULL }, 2, "--nexthop" },
		{ { "relay", "add", "relay05", NULL }, 2, "--nexthop is required" },
		{ { "relay", "add", "Relay 5", "--nexthop", "smtp:[r.example]:25", NULL }, 2, "relay \"Relay 5\"" },
		{ { "relay", "add", "../x", "--nexthop", "smtp:[r.example]:25", NULL }, 2, "relay \"../x\"" },
		{ { "relay", "add", "relay05", "--nexthop", "smtp:[r.example]:25", "--reason", "a\nb", NULL },
		  2, "--reason contains a control character" },
		{ { "relay", "add", NULL }, 2, "missing argument" },
		{ { "relay", "show", "a", "b", NULL }, 2, "unexpected argument \"b\"" },
		{ { "relay", "add", "relay05", "--frob", NULL }, 2, "unknown option --frob" },
		{ { "relay", "remove", "relay01", "--reason", "", NULL }, 2, "--reason is empty" },
	};
	long long before = tl_history_count(ctl);
	struct clirun r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		clirun_argv(&r, ctl->url, operator, (char *const *)cases[i].words);
		clirun_expect(&r, cases[i].rc, cases[i].words[2] ? cases[i].words[2] : "?");
		if (strstr(r.err, cases[i].msg) == NULL)
			fail_msg("case %zu: stderr \"%s\" lacks \"%s\"", i, r.err, cases[i].msg);
		clirun_free(&r);
	}
	/* a viewer may not write: not authorised */
	clirun(&r, ctl->url, viewer, "relay", "add", "relay05", "--nexthop", "smtp:[r.example]:25", NULL);
	clirun_expect(&r, 3, "viewer relay add");
	assert_non_null(strstr(r.err, "HTTP 403"));
	clirun_free(&r);
	assert_int_equal(tl_history_count(ctl), before);
}

static void
test_providers(void **state)
{
	static const char *const keys[] = { "name", "domains", "mx_patterns",
		"include_subdomains", "created_at", "updated_at", NULL };
	struct clirun r;
	char *s;

	(void)state;
	clirun(&r, ctl->url, operator, "provider", "add", "google", "--domain", "gmail.com",
	    "--domain", "GoogleMail.com", "--mx-pattern", "*.google.com", "--json", NULL);
	clirun_expect(&r, 0, "provider add");
	tl_assert_keys(r.json, keys);
	s = json_dumps(json_object_get(r.json, "domains"), JSON_COMPACT);
	assert_string_equal(s, "[\"gmail.com\",\"googlemail.com\"]");
	free(s);
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "provider", "set", "google", "--add-domain", "google.com",
	    "--remove-domain", "gmail.com", "--subdomains", "yes", "--reason", "tidy", NULL);
	clirun_expect(&r, 0, "provider set");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "provider", "show", "google", "--json", NULL);
	s = json_dumps(json_object_get(r.json, "domains"), JSON_COMPACT);
	assert_string_equal(s, "[\"google.com\",\"googlemail.com\"]");
	free(s);
	assert_true(json_is_true(json_object_get(r.json, "include_subdomains")));
	s = json_dumps(json_object_get(r.json, "mx_patterns"), JSON_COMPACT);
	assert_string_equal(s, "[\"*.google.com\"]");   /* kept by set */
	free(s);
	clirun_free(&r);

	clirun(&r, ctl->url, viewer, "provider", "list", "--json", NULL);
	clirun_expect(&r, 0, "provider list");
	assert_int_equal(json_array_size(json_object_get(r.json, "providers")), 1);
	clirun_free(&r);

	long long before = tl_history_count(ctl);
	clirun(&r, ctl->url, operator, "provider", "add", "yahoo", "--domain", "yahoo.com\n.evil", NULL);
	clirun_expect(&r, 2, "provider add bad domain");
	assert_non_null(strstr(r.err, "--domain \"yahoo.com\n.evil\": contains a line break"));
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "provider", "add", "yahoo", NULL);
	clirun_expect(&r, 2, "provider add without domain");
	assert_non_null(strstr(r.err, "at least one domain"));
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "provider", "add", "yahoo", "--domain", "yahoo.com",
	    "--subdomains", "maybe", NULL);
	clirun_expect(&r, 2, "provider add bad subdomains");
	clirun_free(&r);
	/* a domain that belongs to google already: the API refuses */
	clirun(&r, ctl->url, operator, "provider", "add", "yahoo", "--domain", "google.com", NULL);
	clirun_expect(&r, 1, "provider add taken domain");
	assert_non_null(strstr(r.err, "HTTP 4"));
	clirun_free(&r);
	assert_int_equal(tl_history_count(ctl), before);

	clirun(&r, ctl->url, operator, "provider", "add", "oldmail", "--domain", "oldmail.example", NULL);
	clirun_expect(&r, 0, "provider add");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "provider", "remove", "oldmail", "--reason", "gone", NULL);
	clirun_expect(&r, 0, "provider remove");
	assert_string_equal(r.out, "provider oldmail removed\n");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "provider", "show", "oldmail", NULL);
	clirun_expect(&r, 1, "provider show removed");
	clirun_free(&r);
}

static void
test_nodes(void **state)
{
	static const char *const keys[] = { "name", "role", "relay", "applied_version",
		"last_status", "last_error", "last_report_at", "last_feed_at", NULL };
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "node", "add", "mx01", "--role", "server", "--json", NULL);
	clirun_expect(&r, 0, "node add");
	tl_assert_keys(r.json, keys);
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "node", "add", "relay01-host", "--role", "relay", "--relay",
	    "relay01", NULL);
	clirun_expect(&r, 0, "node add relay");
	clirun_free(&r);

	long long before = tl_history_count(ctl);
	clirun(&r, ctl->url, operator, "node", "add", "r2", "--role", "relay", NULL);
	clirun_expect(&r, 2, "relay node without relay");
	assert_non_null(strstr(r.err, "--relay R is required"));
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "node", "add", "r2", "--role", "router", NULL);
	clirun_expect(&r, 2, "bad role");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "node", "add", "mx02", "--role", "server", "--relay", "relay01", NULL);
	clirun_expect(&r, 2, "server with relay");
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "node", "add", "r2", "--role", "relay", "--relay", "relay99", NULL);
	clirun_expect(&r, 1, "unknown relay");
	assert_non_null(strstr(r.err, "relay99"));
	clirun_free(&r);
	assert_int_equal(tl_history_count(ctl), before);

	clirun(&r, ctl->url, viewer, "node", "list", "--json", NULL);
	clirun_expect(&r, 0, "node list");
	assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 2);
	tl_assert_keys(json_array_get(json_object_get(r.json, "nodes"), 0), keys);
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "node", "set", "relay01-host", "--relay", "relay03", NULL);
	clirun_expect(&r, 0, "node set");
	clirun_free(&r);
	clirun(&r, ctl->url, viewer, "node", "show", "relay01-host", "--json", NULL);
	assert_string_equal(json_string_value(json_object_get(r.json, "relay")), "relay03");
	assert_string_equal(json_string_value(json_object_get(r.json, "role")), "relay");
	clirun_free(&r);

	/* relay03 is used by a node: the controller refuses to remove it */
	clirun(&r, ctl->url, operator, "relay", "remove", "relay03", NULL);
	clirun_expect(&r, 1, "remove used relay");
	assert_non_null(strstr(r.err, "HTTP 409"));
	clirun_free(&r);

	clirun(&r, ctl->url, operator, "node", "remove", "relay01-host", "--reason", "retired", "--json", NULL);
	clirun_expect(&r, 0, "node remove");
	assert_non_null(r.json);
	clirun_free(&r);
	clirun(&r, ctl->url, operator, "relay", "remove", "relay03", NULL);
	clirun_expect(&r, 0, "remove relay");
	clirun_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relays),
		cmocka_unit_test(test_relay_refusals),
		cmocka_unit_test(test_providers),
		cmocka_unit_test(test_nodes),
	};
	clirun_group(&ctl, &viewer, &operator, NULL);
	return cmocka_run_group_tests(tests, setup, clirun_group_teardown);
}
