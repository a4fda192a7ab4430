/*
 * test_ui_browser.c: the on-call page in a real headless Chromium
 * (tests/lib/browser.h) against a real controller and PostgreSQL, as
 * on-call sees it: opened with a viewer token in the URL fragment it
 * lists the nodes and routes and takes the token out of the address bar;
 * a flip made with the real CLI shows without a reload; a node whose apply
 * failed shows as failing with its reason; a controller that goes away
 * leaves the last data on screen marked stale, and the page recovers by
 * itself; markup in a reason, an agent's error or a hold reason shows as
 * text and runs nothing; the token form and "Forget token" work; a wrong
 * token, or one whose role may not read the status, shows an error and no
 * data; with the token's long-poll waits all taken elsewhere the page
 * reads by polling, without an error. Every wait is for what the page shows, with a generous bound that
 * fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "browser.h"
#include "clirun.h"
#include "seed.h"
#include "testlib.h"
#include "xalloc.h"

#define SHOW_S 20      /* upper bound for a change to show on the page */

static struct tl_controller *ctl;
static struct browser *web;
static char *viewer, *operator, *agent[2];
static const char *const names[2] = { "mx01", "mx02" };

/* The hostile text: shown as text, it runs nothing; taken as markup it
 * would make an img and a script element and set window.__pwned. */
static const char hostile[] = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";

static void
api(const char *method, const char *path, const char *token, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, token, body));
}

/* The page's URL with a token in its fragment (NULL: none). */
static char *
page_url(const char *token)
{
	return token ? xasprintf("%s/ui#token=%s", ctl->url, token) : xasprintf("%s/ui", ctl->url);
}

/* A JavaScript string literal of s (JSON's is one). */
static char *
js_string(const char *s)
{
	json_t *j = json_string(s);
	char *t = json_dumps(j, JSON_ENCODE_ANY);

	json_decref(j);
	return t;
}

/* Waits until the cell sel (in #data) has exactly text. */
static double
wait_cell(const char *sel, const char *text, const char *what)
{
	char *lit = js_string(text), *ssel = js_string(sel);
	char *js = xasprintf("(function () { var e = document.querySelector(%s);"
	    " return !!e && e.textContent === %s; })()", ssel, lit);
	double s = browser_wait(web, js, SHOW_S, what);

	free(lit), free(ssel), free(js);
	return s;
}

static void
expect_js(const char *js, const char *want)
{
	char *got = browser_eval_text(web, js);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", js, got, want);
	free(got);
}

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	viewer = tl_token(ctl, "oncall", "viewer", NULL);
	operator = tl_token(ctl, "sre-alice", "operator", NULL);
	seed_relay(ctl, "relay01", "smtp:[relay01.example.net]:25");
	seed_relay(ctl, "relay02", "smtp:[relay02.example.net]:25");
	for (int i = 0; i < 2; i++) {
		seed_server(ctl, names[i]);
		agent[i] = tl_token(ctl, names[i], "agent", names[i]);
	}
	api("PUT", "/v1/routes/google", operator, "{\"relay\": \"relay01\", \"reason\": \"TSS04 on the direct path\"}");
	tl_agent_round(ctl, names[0], agent[0], NULL, NULL);
	tl_agent_round(ctl, names[1], agent[1], NULL, NULL);
	web = browser_start();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	browser_stop(web);
	tl_controller_free(ctl);
	free(viewer), free(operator), free(agent[0]), free(agent[1]);
	return 0;
}

static void
test_loads_with_token(void **state)
{
	(void)state;
	char *url = page_url(viewer);
	browser_open(web, "about:blank");
	browser_open(web, url);
	free(url);
	wait_cell("#routes tr[data-provider=\"google\"] td.relay", "relay01", "the google route");
	wait_cell("#nodes tr[data-node=\"mx01\"] td.status", "ok", "node mx01");
	wait_cell("#nodes tr[data-node=\"mx02\"] td.status", "ok", "node mx02");
	wait_cell("#routes tr[data-provider=\"google\"] td.actor", "sre-alice", "who set the route");
	expect_js("document.querySelector('#routes tr[data-provider=\"google\"] td.reason').textContent",
	    "TSS04 on the direct path");
	expect_js("document.querySelector('#routes tr[data-provider=\"google\"] td.origin').textContent", "manual");
	expect_js("document.getElementById('error').hidden", "true");
	expect_js("document.getElementById('login').hidden", "true");
	/* the token left the address bar, and stays in this tab only */
	expect_js("location.hash", "");
	char *want = js_string(viewer);
	char *js = xasprintf("sessionStorage.getItem('postroute.token') === %s", want);
	expect_js(js, "true");
	expect_js("localStorage.length", "0");
	expect_js("document.cookie", "");
	free(want), free(js);
	/* marks this document: a reload would lose it */
	json_decref(browser_eval(web, "window.__loaded = 'first load'"));
}

static void
test_flip_shows_without_reload(void **state)
{
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay02", "--reason",
	    "TSS04 on relay01", "--no-wait", NULL);
	clirun_expect(&r, 0, "flip google to relay02");
	clirun_free(&r);
	double s = wait_cell("#routes tr[data-provider=\"google\"] td.relay", "relay02",
	    "the flip to relay02");
	printf("flip shown on the page %.2f s after the CLI returned\n", s);
	wait_cell("#routes tr[data-provider=\"google\"] td.reason", "TSS04 on relay01", "the flip's reason");
	expect_js("window.__loaded", "first load");
	/* the nodes have not applied it: behind; the history has it */
	wait_cell("#nodes tr[data-node=\"mx01\"] td.lag", "1", "mx01 one version behind");
	expect_js("document.querySelector('#nodes tr[data-node=\"mx01\"]').className", "behind");
	expect_js("document.querySelector('#history tbody tr td.action').textContent", "route.set");
	tl_agent_round(ctl, names[0], agent[0], NULL, NULL);
	tl_agent_round(ctl, names[1], agent[1], NULL, NULL);
	wait_cell("#nodes tr[data-node=\"mx01\"] td.status", "ok", "mx01 applied the flip");
	wait_cell("#nodes tr[data-node=\"mx02\"] td.status", "ok", "mx02 applied the flip");
	expect_js("window.__loaded", "first load");
}

static void
test_failing_node(void **state)
{
	(void)state;
	tl_agent_round(ctl, names[1], agent[1], "postmap",
	    "postmap: fatal: open /etc/postfix/postroute_transport.db: Permission denied");
	wait_cell("#nodes tr[data-node=\"mx02\"] td.status",
	    "failing: postmap: postmap: fatal: open /etc/postfix/postroute_transport.db: Permission denied",
	    "mx02 failing with its reason");
	expect_js("document.querySelector('#nodes tr[data-node=\"mx02\"]').className", "failing");
	expect_js("document.querySelector('#nodes tr[data-node=\"mx01\"]').className", "ok");
	expect_js("/1 failing/.test(document.getElementById('summary').textContent)", "true");
	expect_js("window.__loaded", "first load");
}

/* The controller goes away: the page keeps the last data, says so, and
 * comes back by itself when the controller does. */
static void
test_controller_away(void **state)
{
	(void)state;
	assert_int_equal(tl_controller_stop(ctl), 0);
	browser_wait(web, "!document.getElementById('error').hidden &&"
	    " document.getElementById('error').textContent.indexOf('cannot reach the controller') >= 0",
	    SHOW_S, "the controller unreachable");
	expect_js("document.getElementById('data').hidden", "false");
	expect_js("/Showing the data of /.test(document.getElementById('error').textContent)", "true");
	expect_js("document.getElementById('updated').className", "stale");
	expect_js("document.querySelector('#routes tr[data-provider=\"google\"] td.relay').textContent",
	    "relay02");
	tl_controller_restart(ctl);
	browser_wait(web, "document.getElementById('error').hidden &&"
	    " document.getElementById('updated').className === ''", SHOW_S, "the page back to normal");
	expect_js("window.__loaded", "first load");
}

static void
test_hostile_text(void **state)
{
	struct clirun r;

	(void)state;
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay01", "--node", "mx01",
	    "--reason", hostile, "--no-wait", NULL);
	clirun_expect(&r, 0, "flip with a hostile reason");
	clirun_free(&r);
	json_t *body = json_pack("{s:s}", "reason", hostile);
	char *text = json_dumps(body, JSON_COMPACT);
	api("PUT", "/v1/holds/info@shop.example.jp", operator, text);
	free(text), json_decref(body);
	tl_agent_round(ctl, names[0], agent[0], "reload", hostile);

	wait_cell("#routes tr[data-provider=\"google\"][data-scope=\"mx01\"] td.reason", hostile,
	    "the hostile route reason, as text");
	wait_cell("#holds tr[data-sender=\"info@shop.example.jp\"] td.reason", hostile,
	    "the hostile hold reason, as text");
	char *want = xasprintf("failing: reload: %s", hostile);
	wait_cell("#nodes tr[data-node=\"mx01\"] td.status", want, "the hostile error, as text");
	free(want);
	wait_cell("#history tbody tr td.reason", hostile, "the hostile history reason, as text");
	expect_js("document.querySelectorAll('img, iframe, object, embed').length", "0");
	expect_js("document.querySelectorAll('script').length", "1");
	expect_js("typeof window.__pwned", "undefined");
	/* nothing was blocked either: the page never tried to run it, and its
	 * own style and script are allowed by the policy */
	json_t *console = browser_console(web);
	size_t i;
	json_t *m;
	json_array_foreach(console, i, m)
		if (strstr(json_string_value(m), "Content Security Policy") != NULL)
			fail_msg("console: %s", json_string_value(m));
	json_decref(console);
	expect_js("getComputedStyle(document.querySelector('header')).display", "flex");
}

static void
test_forget_and_form(void **state)
{
	(void)state;
	browser_click(web, "#forget");
	browser_wait(web, "!document.getElementById('login').hidden", SHOW_S, "the token form");
	expect_js("document.getElementById('data').hidden", "true");
	expect_js("sessionStorage.getItem('postroute.token')", "null");
	expect_js("document.querySelectorAll('#nodes tbody tr').length", "0");
	/* a new document: no token anywhere, so the form */
	char *url = page_url(NULL);
	browser_open(web, url);
	free(url);
	browser_wait(web, "!document.getElementById('login').hidden", SHOW_S, "the token form");
	expect_js("document.getElementById('data').hidden", "true");
	browser_type(web, "#token", viewer);
	browser_click(web, "#login button[type=submit]");
	wait_cell("#routes tr[data-provider=\"google\"][data-scope=\"*\"] td.relay", "relay02",
	    "the routes after the token was typed in");
	expect_js("document.getElementById('login').hidden", "true");
}

/* A token the controller refuses (401) or whose role may not read the
 * status (403): a clear error, the form again, and no data. */
static void
expect_refused(const char *token, const char *message)
{
	char *url = page_url(token);
	char *lit = js_string(message);
	char *js = xasprintf("!document.getElementById('error').hidden &&"
	    " document.getElementById('error').textContent.indexOf(%s) >= 0", lit);

	browser_open(web, "about:blank");
	browser_open(web, url);
	browser_wait(web, js, SHOW_S, message);
	expect_js("document.getElementById('data').hidden", "true");
	expect_js("document.getElementById('login').hidden", "false");
	expect_js("sessionStorage.getItem('postroute.token')", "null");
	expect_js("document.querySelectorAll('#data tbody tr').length", "0");
	/* no data anywhere but in the error, which may name the token */
	expect_js("/mx0|relay0|google|version/.test(document.body.innerText.replace("
	    "document.getElementById('error').innerText, ''))", "false");
	free(url), free(lit), free(js);
}

static void
test_wrong_token(void **state)
{
	(void)state;
	expect_refused("prt_this_is_not_a_token", "The controller refused this token: Authorization: unknown or revoked token");
	expect_refused(agent[0], "This token may not read the status: token \"mx01\" (role agent) may not GET /v1/status");
}

/* A curl long-polling mx01's feed with token from version on, for up to
 * two minutes: one of the token's [server] max_waits_per_token waits. */
static pid_t
hold_wait(const char *token, const char *version)
{
	char *url = xasprintf("%s/v1/nodes/mx01/transport?after=%s&wait=120", ctl->url, version);
	char *auth = xasprintf("Authorization: Bearer %s", token);
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		execl("/usr/bin/curl", "curl", "-s", "-m", "150", "-o", "/dev/null", "-H", auth, url, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	free(url), free(auth);
	return pid;
}

/* The controller counts *arg waiting feed requests. */
static int
waiting(void *arg)
{
	char *text = NULL, *url = xasprintf("%s/metrics", ctl->url);
	long status = tl_http("GET", url, NULL, NULL, NULL, &text);
	const char *line = text ? strstr(text, "\npostroute_feed_waiting ") : NULL;
	int yes = status == 200 && line != NULL && atol(line + 24) == *(int *)arg;

	free(text), free(url);
	return yes;
}

/* Two other tabs (here two curls) hold the token's waits: the page's
 * long-poll is refused, and it reads every 2 s instead, without an error
 * on screen; a flip still shows. */
static void
test_waits_taken(void **state)
{
	pid_t held[2];
	char *token = tl_token(ctl, "oncall-2", "viewer", NULL);
	json_t *routes = tl_api_ok(ctl, "GET", "/v1/routes", token, NULL);
	char *version = xasprintf("%lld", (long long)json_integer_value(json_object_get(routes, "version")));
	struct clirun r;

	(void)state;
	json_decref(routes);
	json_decref(browser_console(web));   /* forget the messages so far */
	/* first in this file: no page has long-polled yet, so they are the
	 * only waits */
	for (int i = 0; i < 2; i++) {
		int n = i + 1;
		held[i] = hold_wait(token, version);
		if (!tl_wait_for(waiting, &n, 20000))
			fail_msg("curl %d does not wait", n);
	}
	char *path = xasprintf("/v1/nodes/mx01/transport?after=%s&wait=1", version);
	assert_int_equal(tl_api(ctl, "GET", path, token, NULL, NULL), 429);
	free(path);
	char *url = page_url(token);
	browser_open(web, url);
	wait_cell("#routes tr[data-provider=\"google\"][data-scope=\"*\"] td.relay", "relay01",
	    "the routes with the token's waits taken");
	clirun(&r, ctl->url, operator, "flip", "google", "--to", "relay02", "--reason",
	    "relay01 queue growing", "--no-wait", NULL);
	clirun_expect(&r, 0, "flip google to relay02");
	clirun_free(&r);
	wait_cell("#routes tr[data-provider=\"google\"][data-scope=\"*\"] td.relay", "relay02",
	    "the flip, read by polling");
	expect_js("document.getElementById('error').hidden", "true");
	/* the page's long-poll was indeed refused */
	json_t *console = browser_console(web);
	char *all = json_dumps(console, 0);
	if (strstr(all, "429") == NULL)
		fail_msg("no 429 in the console: %s", all);
	free(all), json_decref(console);
	for (int i = 0; i < 2; i++) {
		kill(held[i], SIGTERM);
		waitpid(held[i], NULL, 0);
	}
	free(url), free(version), free(token);
	api("PUT", "/v1/routes/google", operator, "{\"relay\": \"relay01\", \"reason\": \"TSS04 on the direct path\"}");
	tl_agent_round(ctl, names[0], agent[0], NULL, NULL);
	tl_agent_round(ctl, names[1], agent[1], NULL, NULL);
}

/* make check runs the suite twice, plain and under ASan/UBSan; the browser
 * (about 30 s) runs once, in the plain pass: the page is the same bytes in
 * both, and test_ui_page serves it and its API from the sanitizer build. */
#if defined(__SANITIZE_ADDRESS__)
#define UI_BROWSER_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UI_BROWSER_SKIP 1
#endif
#endif

int
main(void)
{
#ifdef UI_BROWSER_SKIP
	printf("test_ui_browser: run by the plain build only\n");
	return 0;
#endif
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_taken),
		cmocka_unit_test(test_loads_with_token),
		cmocka_unit_test(test_flip_shows_without_reload),
		cmocka_unit_test(test_failing_node),
		cmocka_unit_test(test_controller_away),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_forget_and_form),
		cmocka_unit_test(test_wrong_token),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
