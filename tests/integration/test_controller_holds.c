/*
 * test_controller_holds.c: held senders in postrouted over real HTTP on a
 * real PostgreSQL: hold and release with their history rows and version
 * bumps, the "holds" list of every node's feed (and a waiting feed woken
 * by a hold), the role matrix, hostile senders and reasons that change
 * nothing, and [policy] hold_on_surge on and off with the webhook's words.
 */
#include <curl/curl.h>
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

#include "seed.h"
#include "testlib.h"
#include "webhook.h"
#include "xalloc.h"

static struct tl_controller *ctl;    /* [policy] hold_on_surge = yes */
static struct webhook *hook;
static char *operator, *viewer, *detector, *agent1;

static json_t *
expect(const char *method, const char *path, const char *token, const char *body,
    long want_status, const char *want_error)
{
	return tl_api_expect(ctl, method, path, token, body, want_status, want_error);
}

/* The "holds" of node's feed, read with token, as "a,b,c". */
static char *
feed_holds_on(struct tl_controller *c, const char *node, const char *token)
{
	char *path = xasprintf("/v1/nodes/%s/transport", node);
	json_t *j = tl_api_expect(c, "GET", path, token, NULL, 200, NULL), *h = json_object_get(j, "holds");
	char *out = xstrdup("");
	size_t i;
	json_t *v;

	if (!json_is_array(h))
		fail_msg("feed of %s has no \"holds\" array", node);
	json_array_foreach(h, i, v) {
		char *next = xasprintf("%s%s%s", out, i ? "," : "", json_string_value(v));
		free(out);
		out = next;
	}
	json_decref(j);
	free(path);
	return out;
}

static void
expect_feed_holds(const char *node, const char *want)
{
	char *got = feed_holds_on(ctl, node, ctl->admin);

	if (strcmp(got, want) != 0)
		fail_msg("feed of %s: holds \"%s\", want \"%s\"", node, got, want);
	free(got);
}

static void
seed(struct tl_controller *c)
{
	seed_relays(c, 1, 0);
	seed_servers(c, 2);
	seed_relay_node(c, "relay01n", "relay01");
}

static int
setup(void **state)
{
	(void)state;
	hook = webhook_start();
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\n[policy]\nhold_on_surge = yes\n",
	    webhook_url(hook));
	ctl = tl_controller_start(ini);
	free(ini);
	seed(ctl);
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
	tl_controller_finish(ctl);
	webhook_stop(hook);
	free(operator), free(viewer), free(detector), free(agent1);
	return 0;
}

static void
test_hold_and_release(void **state)
{
	long long v0 = tl_routing_version(ctl);
	json_t *j, *h;
	char *want;

	(void)state;
	expect_feed_holds("mx01", "");
	j = expect("PUT", "/v1/holds/info@shop.example.jp", operator,
	    "{\"reason\":\"hijacked, ticket 4711\"}", 200, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v0 + 1);
	assert_true(json_is_true(json_object_get(j, "created")));
	h = json_object_get(j, "hold");
	assert_string_equal(tl_jstr(h, "sender"), "info@shop.example.jp");
	assert_string_equal(tl_jstr(h, "origin"), "manual");
	assert_string_equal(tl_jstr(h, "reason"), "hijacked, ticket 4711");
	assert_string_equal(tl_jstr(h, "actor"), "otto");
	assert_non_null(json_string_value(json_object_get(h, "created_at")));
	json_decref(j);
	want = xasprintf("sender.hold sender info@shop.example.jp otto hijacked, ticket 4711 %lld"
	    " true info@shop.example.jp", v0 + 1);
	tl_expect_sql(ctl->conninfo,
	    "SELECT action || ' ' || object_type || ' ' || object || ' ' || actor || ' ' || reason"
	    " || ' ' || version || ' ' || (before IS NULL) || ' ' || (after->>'sender')"
	    " FROM history ORDER BY id DESC LIMIT 1", want);
	free(want);
	/* every node's feed, relay nodes included, carries it */
	expect_feed_holds("mx01", "info@shop.example.jp");
	expect_feed_holds("mx02", "info@shop.example.jp");
	expect_feed_holds("relay01n", "info@shop.example.jp");
	char *own = feed_holds_on(ctl, "mx01", agent1);
	assert_string_equal(own, "info@shop.example.jp");
	free(own);

	/* holding it again (any case) changes nothing */
	char *h0 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	j = expect("PUT", "/v1/holds/INFO@Shop.example.jp", ctl->admin, "{\"reason\":\"again\"}", 200, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v0 + 1);
	assert_true(json_is_false(json_object_get(j, "created")));
	assert_string_equal(tl_jstr(json_object_get(j, "hold"), "reason"), "hijacked, ticket 4711");
	json_decref(j);
	char *h1 = tl_sql(ctl->conninfo, "SELECT count(*) FROM history");
	assert_string_equal(h0, h1);
	free(h0), free(h1);
	assert_int_equal(tl_routing_version(ctl), v0 + 1);

	/* list, status */
	j = expect("GET", "/v1/holds", viewer, NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "holds")), 1);
	assert_string_equal(tl_jstr(json_array_get(json_object_get(j, "holds"), 0), "actor"), "otto");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v0 + 1);
	json_decref(j);
	j = expect("GET", "/v1/status", viewer, NULL, 200, NULL);
	assert_string_equal(tl_jstr(json_array_get(json_object_get(j, "holds"), 0), "sender"),
	    "info@shop.example.jp");
	json_decref(j);

	/* release (any case), with its history row; then it is not held */
	j = expect("DELETE", "/v1/holds/Info@shop.example.jp?reason=owner%20reset%20the%20password",
	    operator, NULL, 200, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v0 + 2);
	assert_string_equal(tl_jstr(json_object_get(j, "released"), "sender"), "info@shop.example.jp");
	json_decref(j);
	want = xasprintf("sender.release info@shop.example.jp otto owner reset the password %lld"
	    " hijacked, ticket 4711 true", v0 + 2);
	tl_expect_sql(ctl->conninfo,
	    "SELECT action || ' ' || object || ' ' || actor || ' ' || reason || ' ' || version"
	    " || ' ' || (before->>'reason') || ' ' || (after IS NULL) FROM history ORDER BY id DESC LIMIT 1",
	    want);
	free(want);
	expect_feed_holds("mx01", "");
	j = expect("DELETE", "/v1/holds/info@shop.example.jp", operator, NULL, 404,
	    "sender: \"info@shop.example.jp\" is not held");
	json_decref(j);
	assert_int_equal(tl_routing_version(ctl), v0 + 2);
	j = expect("GET", "/v1/history?action=sender.hold", viewer, NULL, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
	json_decref(j);
	/* a reason is optional */
	json_decref(expect("PUT", "/v1/holds/bob", operator, "{}", 200, NULL));
	tl_expect_sql(ctl->conninfo, "SELECT coalesce(reason, 'none') FROM holds WHERE sender = 'bob'", "none");
	json_decref(expect("DELETE", "/v1/holds/bob", operator, NULL, 200, NULL));
}

static void
test_holds_sorted(void **state)
{
	static const char *const senders[] = { "zed@example.com", "Alice@example.com",
		"a.b+tag@example.com", "sasl_user", NULL };

	(void)state;
	for (size_t i = 0; senders[i]; i++) {
		char *path = xasprintf("/v1/holds/%s", senders[i]);
		json_decref(expect("PUT", path, operator, "{\"reason\":\"sort\"}", 200, NULL));
		free(path);
	}
	expect_feed_holds("mx02", "Alice@example.com,a.b+tag@example.com,sasl_user,zed@example.com");
	json_t *j = expect("GET", "/v1/holds", viewer, NULL, 200, NULL);
	assert_string_equal(tl_jstr(json_array_get(json_object_get(j, "holds"), 0), "sender"),
	    "Alice@example.com");
	json_decref(j);
	for (size_t i = 0; senders[i]; i++) {
		char *path = xasprintf("/v1/holds/%s?reason=done", senders[i]);
		json_decref(expect("DELETE", path, operator, NULL, 200, NULL));
		free(path);
	}
	expect_feed_holds("mx02", "");
}

/* A child waiting on mx01's feed past version after; exits 0 when the
 * answer carries the hold. */
static pid_t
waiting_feed(long long after)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	char *url = xasprintf("%s/v1/nodes/mx01/transport?after=%lld&wait=30", ctl->url, after);
	json_t *feed = NULL;
	if (tl_http("GET", url, agent1, NULL, &feed, NULL) != 200)
		_exit(1);
	json_t *h = json_object_get(feed, "holds");
	_exit(json_array_size(h) == 1 &&
	    strcmp(json_string_value(json_array_get(h, 0)), "woken@example.com") == 0 ? 0 : 2);
}

static void
test_hold_wakes_waiting_feed(void **state)
{
	long long v = tl_routing_version(ctl);
	int status;

	(void)state;
	pid_t pid = waiting_feed(v);
	tl_await_feed_waiting(ctl, 1, 10000);   /* held: the hold is what wakes it */
	json_decref(expect("PUT", "/v1/holds/woken@example.com", operator, "{}", 200, NULL));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	json_decref(expect("DELETE", "/v1/holds/woken@example.com", operator, NULL, 200, NULL));
}

static void
test_hold_roles(void **state)
{
	static const struct { const char *method, *path, *body; long want[5]; } cases[] = {
		/* admin, operator, viewer, detector, agent */
		{ "GET", "/v1/holds", NULL, { 200, 200, 200, 403, 403 } },
		{ "PUT", "/v1/holds/roles@example.com", "{}", { 200, 200, 403, 403, 403 } },
		{ "DELETE", "/v1/holds/roles@example.com", NULL, { 200, 404, 403, 403, 403 } },
	};
	const char *tokens[5] = { ctl->admin, operator, viewer, detector, agent1 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int r = 0; r < 5; r++) {
			long st = tl_api(ctl, cases[i].method, cases[i].path, tokens[r], cases[i].body, NULL);
			if (st != cases[i].want[r])
				fail_msg("%s %s as token %d: %ld, want %ld", cases[i].method, cases[i].path,
				    r, st, cases[i].want[r]);
		}
		if (tl_api(ctl, cases[i].method, cases[i].path, NULL, cases[i].body, NULL) != 401 ||
		    tl_api(ctl, cases[i].method, cases[i].path, "prt_0000", cases[i].body, NULL) != 401)
			fail_msg("%s %s: a missing or wrong token was not 401", cases[i].method,
			    cases[i].path);
	}
	json_decref(expect("PUT", "/v1/holds/roles@example.com", viewer, "{}", 403,
	    "token \"vera\" (role viewer) may not PUT /v1/holds/{}"));
}

/* Hostile senders and reasons: each a 4xx that changes nothing. */
static void
test_hold_hostile(void **state)
{
	static const struct { const char *method, *path, *body; long status; const char *error; } cases[] = {
		{ "PUT", "/v1/holds/a%0Ab%20HOLD", "{}", 400, "sender: contains a line break" },
		{ "PUT", "/v1/holds/a%0Db", "{}", 400, "sender: contains a line break" },
		{ "PUT", "/v1/holds/a%20b", "{}", 400, "sender: contains whitespace" },
		{ "PUT", "/v1/holds/a%09b", "{}", 400, "sender: contains whitespace" },
		{ "PUT", "/v1/holds/%23x", "{}", 400, "sender: contains '#'" },
		{ "PUT", "/v1/holds/%2C", "{}", 400, "sender: contains ','" },
		{ "PUT", "/v1/holds/a,b@example.com", "{}", 400, "sender: contains ','" },
		{ "PUT", "/v1/holds/a%00b", "{}", 400, "URL: contains %00 (an encoded NUL character)" },
		{ "PUT", "/v1/holds/a%01b", "{}", 400, "sender: contains a control character" },
		{ "PUT", "/v1/holds/a%7Fb", "{}", 400, "sender: contains a control character" },
		{ "PUT", "/v1/holds/%C3%A9t%C3%A9@example.com", "{}", 400,
		  "sender: contains a non-ASCII character (use the xn-- form)" },
		{ "PUT", "/v1/holds/a%3Cb%3E", "{}", 400,
		  "sender: may contain only letters, digits, '@' and !$%&'*+-./=?^_`{|}~" },
		{ "PUT", "/v1/holds/a%22b", "{}", 400,
		  "sender: may contain only letters, digits, '@' and !$%&'*+-./=?^_`{|}~" },
		{ "PUT", "/v1/holds/a%3Ab", "{}", 400,
		  "sender: may contain only letters, digits, '@' and !$%&'*+-./=?^_`{|}~" },
		{ "PUT", "/v1/holds/.x", "{}", 400, "sender: must not start with '.' or '@'" },
		{ "PUT", "/v1/holds/@example.com", "{}", 400, "sender: must not start with '.' or '@'" },
		{ "PUT", "/v1/holds/a@b@example.com", "{}", 400, "sender: has more than one '@'" },
		{ "PUT", "/v1/holds/a@-bad-.example", "{}", 400, "sender: has a bad domain after '@'" },
		{ "PUT", "/v1/holds/a@", "{}", 400, "sender: has a bad domain after '@'" },
		{ "PUT", "/v1/holds/ok@example.com", "{\"reason\":\"a\\nb\"}", 400,
		  "reason: contains a control character" },
		{ "PUT", "/v1/holds/ok@example.com", "{\"reason\":42}", 400, "reason: must be a string" },
		{ "PUT", "/v1/holds/ok@example.com", "{\"reason\":\"x\",\"origin\":\"auto\"}", 400,
		  "origin: unknown field" },
		{ "PUT", "/v1/holds/ok@example.com", "{\"reason\":\"\\u0000x\"}", 400, NULL },
		{ "PUT", "/v1/holds/ok@example.com", "[\"x\"]", 400, "body: must be a JSON object" },
		{ "PUT", "/v1/holds/ok@example.com", "{\"reason\":", 400, NULL },
		{ "PUT", "/v1/holds/ok@example.com/x", "{}", 404, "no such path" },
		{ "POST", "/v1/holds/ok@example.com", "{}", 405, NULL },
		{ "DELETE", "/v1/holds/a%0Ab%20HOLD", NULL, 400, "sender: contains a line break" },
		{ "DELETE", "/v1/holds/%23x", NULL, 400, "sender: contains '#'" },
		{ "DELETE", "/v1/holds/ok@example.com?reason=a%0Ab", NULL, 400,
		  "reason: contains a control character" },
		{ "DELETE", "/v1/holds/kept@example.com?reason=a%00b", NULL, 400,
		  "URL: contains %00 (an encoded NUL character)" },
		{ "DELETE", "/v1/holds/kept%00@example.com", NULL, 400,
		  "URL: contains %00 (an encoded NUL character)" },
		{ "DELETE", "/v1/holds/nobody@example.com", NULL, 404,
		  "sender: \"nobody@example.com\" is not held" },
	};
	json_t *feed0 = NULL, *feed1 = NULL;
	char *h0, *h1, *l0, *l1;

	(void)state;
	json_decref(expect("PUT", "/v1/holds/kept@example.com", operator, "{\"reason\":\"kept\"}", 200, NULL));
	h0 = tl_sql(ctl->conninfo,
	    "SELECT count(*) || ':' || (SELECT version FROM routing_version) FROM history");
	l0 = tl_sql(ctl->conninfo,
	    "SELECT string_agg(sender || '/' || coalesce(reason, ''), ',' ORDER BY sender) FROM holds");
	assert_int_equal(tl_api(ctl, "GET", "/v1/nodes/mx01/transport", ctl->admin, NULL, &feed0), 200);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		json_decref(expect(cases[i].method, cases[i].path, operator, cases[i].body,
		    cases[i].status, cases[i].error));
	/* oversized: a 256-octet sender, a 1001-octet reason, a body over 64 KiB */
	char *longer = xmalloc(300);
	memset(longer, 'a', 256);
	longer[256] = '\0';
	char *path = xasprintf("/v1/holds/%s", longer);
	json_decref(expect("PUT", path, operator, "{}", 400, "sender: is longer than 255 octets"));
	free(path);
	longer[255] = '\0';   /* 255 octets is a sender, but not with a long reason */
	char *reason = xmalloc(1100);
	memset(reason, 'r', 1001);
	reason[1001] = '\0';
	char *body = xasprintf("{\"reason\":\"%s\"}", reason);
	path = xasprintf("/v1/holds/%s", longer);
	json_decref(expect("PUT", path, operator, body, 400, "reason: longer than 1000 octets"));
	free(path), free(body), free(reason), free(longer);
	char *big = xmalloc(70 * 1024 + 1);
	memset(big, ' ', 70 * 1024);
	big[0] = '{', big[70 * 1024 - 1] = '}', big[70 * 1024] = '\0';
	json_decref(expect("PUT", "/v1/holds/ok@example.com", operator, big, 413,
	    "body: larger than 65536 bytes"));
	free(big);
	/* wrong tokens and roles change nothing either */
	json_decref(expect("PUT", "/v1/holds/ok@example.com", "prt_0000", "{}", 401,
	    "Authorization: unknown or revoked token"));
	json_decref(expect("PUT", "/v1/holds/ok@example.com", NULL, "{}", 401, NULL));
	json_decref(expect("PUT", "/v1/holds/ok@example.com", viewer, "{}", 403, NULL));
	json_decref(expect("DELETE", "/v1/holds/kept@example.com", detector, NULL, 403, NULL));
	json_decref(expect("DELETE", "/v1/holds/kept@example.com", agent1, NULL, 403, NULL));

	h1 = tl_sql(ctl->conninfo,
	    "SELECT count(*) || ':' || (SELECT version FROM routing_version) FROM history");
	l1 = tl_sql(ctl->conninfo,
	    "SELECT string_agg(sender || '/' || coalesce(reason, ''), ',' ORDER BY sender) FROM holds");
	assert_string_equal(h0, h1);
	assert_string_equal(l0, l1);
	assert_string_equal(l1, "kept@example.com/kept");
	assert_int_equal(tl_api(ctl, "GET", "/v1/nodes/mx01/transport", ctl->admin, NULL, &feed1), 200);
	assert_true(json_equal(feed0, feed1));
	json_decref(feed0), json_decref(feed1);
	free(h0), free(h1), free(l0), free(l1);
	/* the table refuses by itself what the API would */
	char *err = NULL;
	assert_int_equal(tl_sql_try(ctl->conninfo, "INSERT INTO holds (sender, origin, actor)"
	    " VALUES (E'a\\nb HOLD', 'manual', 'x')", &err), -1);
	free(err);
	assert_int_equal(tl_sql_try(ctl->conninfo, "INSERT INTO holds (sender, origin, actor)"
	    " VALUES ('KEPT@example.com', 'manual', 'x')", &err), -1);
	free(err);
	json_decref(expect("DELETE", "/v1/holds/kept@example.com", operator, NULL, 200, NULL));
	/* the text "%00", encoded, is a sender like any other */
	json_decref(expect("PUT", "/v1/holds/a%2500b", operator, "{}", 200, NULL));
	expect_feed_holds("mx01", "a%00b");
	json_decref(expect("DELETE", "/v1/holds/a%2500b", operator, NULL, 200, NULL));
}

static json_t *
volume_event(struct tl_controller *c, const char *token, const char *node, const char *sender)
{
	char *body = xasprintf("{\"type\":\"volume\",\"node\":\"%s\",\"sender\":\"%s\",\"rate\":900,"
	    "\"baseline\":3,\"client_ips\":14,\"window_s\":60,\"queue_ids\":[\"4F2A71C0B3D\"],"
	    "\"sender_kind\":\"sasl\"}",
	    node, sender);
	json_t *j = tl_api_expect(c, "POST", "/v1/events", token, body, 200, NULL);

	free(body);
	return j;
}

static void
test_surge_holds_sender(void **state)
{
	long long v0 = tl_routing_version(ctl);
	json_t *j;

	(void)state;
	j = volume_event(ctl, detector, "mx02", "info@shop.example.jp");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), v0 + 1);
	assert_non_null(strstr(tl_jstr(j, "outcome"),
	    "Its new mail is now held ([policy] hold_on_surge); after checking the account, release"
	    " it with: postroute sender release info@shop.example.jp"));
	json_decref(j);
	tl_expect_sql(ctl->conninfo, "SELECT origin || ' ' || actor || ' ' || reason FROM holds",
	    "auto policy automatic: volume surge on mx02 (rate 900, baseline 3, client_ips 14,"
	    " window 60s), reported by detector-1");
	/* one change: the surge and the hold share a version */
	char *want = xasprintf("volume.surge/detector-1/%lld,sender.hold/policy/%lld", v0 + 1, v0 + 1);
	tl_expect_sql(ctl->conninfo,
	    "SELECT string_agg(action || '/' || actor || '/' || version, ',' ORDER BY id)"
	    " FROM history WHERE version = (SELECT version FROM routing_version)", want);
	free(want);
	expect_feed_holds("mx01", "info@shop.example.jp");
	webhook_await(hook, "sender info@shop.example.jp on mx02: sudden volume surge", NULL, 10000);
	webhook_await(hook, "release it with: postroute sender release info@shop.example.jp", NULL, 10000);

	/* a second surge: held already, nothing new but the surge row */
	j = volume_event(ctl, detector, "mx01", "INFO@shop.example.jp");
	assert_non_null(strstr(tl_jstr(j, "outcome"), "Its new mail was held already (since "));
	assert_non_null(strstr(tl_jstr(j, "outcome"), "by policy); release it with: postroute sender"
	    " release INFO@shop.example.jp"));
	json_decref(j);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM holds", "1");
	tl_expect_sql(ctl->conninfo,
	    "SELECT count(*) FROM history WHERE action = 'sender.hold' AND actor = 'policy'", "1");

	/* the node's total ("*"): recorded and told, never held */
	j = volume_event(ctl, detector, "mx01", "*");
	assert_non_null(strstr(tl_jstr(j, "outcome"), "node mx01: sudden surge of its total outbound"
	    " volume (900 recipients per interval, baseline 3), spread over many senders;"
	    " nothing was held"));
	json_decref(j);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM holds", "1");
	tl_expect_sql(ctl->conninfo,
	    "SELECT count(*) FROM history WHERE action = 'volume.surge' AND object = 'mx01/*'",
	    "1");

	/* a sender that cannot be a map key is reported, not held */
	j = volume_event(ctl, detector, "mx01", "a#b@example.com");
	assert_non_null(strstr(tl_jstr(j, "outcome"),
	    "Not held: the sender cannot be a hold map key (contains '#')"));
	json_decref(j);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM holds", "1");

	/* a sender with shell characters gets a release command to copy */
	j = volume_event(ctl, detector, "mx01", "o'neil&co@example.com");
	assert_non_null(strstr(tl_jstr(j, "outcome"),
	    "release it with: postroute sender release 'o'\\''neil&co@example.com'"));
	json_decref(j);

	/* released by hand, like any hold */
	json_decref(expect("DELETE", "/v1/holds/info@shop.example.jp?reason=password%20reset",
	    operator, NULL, 200, NULL));
	json_decref(expect("DELETE", "/v1/holds/o'neil&co@example.com?reason=ok", operator, NULL,
	    200, NULL));
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM holds", "0");
	/* hostile figures are refused before anything happens */
	json_decref(expect("POST", "/v1/events", detector,
	    "{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"x@example.com\",\"rate\":\"9\\n00\"}",
	    400, "rate: must be a number between 0 and 1e15"));
	json_decref(expect("POST", "/v1/events", detector,
	    "{\"type\":\"volume\",\"node\":\"mx01\",\"sender\":\"x@example.com\",\"client_ips\":1.5}",
	    400, "client_ips: must be an integer"));
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM holds", "0");
}

static void
test_surge_without_hold_on_surge(void **state)
{
	struct webhook *w = webhook_start();
	char *ini = xasprintf("\n[notify]\nwebhook_url = %s\n", webhook_url(w));
	struct tl_controller *c = tl_controller_start(ini);
	json_t *j;

	(void)state;
	free(ini);
	seed(c);
	j = volume_event(c, c->admin, "mx01", "info@shop.example.jp");
	assert_non_null(strstr(tl_jstr(j, "outcome"), "Nothing was held ([policy] hold_on_surge is off);"
	    " to hold its new mail: postroute sender hold info@shop.example.jp --reason TEXT"));
	json_decref(j);
	webhook_await(w, "sender info@shop.example.jp on mx01: sudden volume surge", NULL, 10000);
	webhook_await(w, "Nothing was held", NULL, 10000);
	char *n = tl_sql(c->conninfo, "SELECT count(*) FROM holds");
	assert_string_equal(n, "0");
	free(n);
	n = feed_holds_on(c, "mx01", c->admin);
	assert_string_equal(n, "");
	free(n);
	/* a sender held by hand is said to be held */
	json_decref(tl_api_ok(c, "PUT", "/v1/holds/info@shop.example.jp", c->admin, "{\"reason\":\"r\"}"));
	j = volume_event(c, c->admin, "mx02", "info@shop.example.jp");
	assert_non_null(strstr(tl_jstr(j, "outcome"), "Its new mail was held already"));
	json_decref(j);
	tl_controller_finish(c);
	webhook_stop(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_and_release),
		cmocka_unit_test(test_holds_sorted),
		cmocka_unit_test(test_hold_wakes_waiting_feed),
		cmocka_unit_test(test_hold_roles),
		cmocka_unit_test(test_hold_hostile),
		cmocka_unit_test(test_surge_holds_sender),
		cmocka_unit_test(test_surge_without_hold_on_surge),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
