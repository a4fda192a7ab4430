/*
 * test_agent_maincf.c: an agent whose Postfix does not use its map is
 * "failed" at the controller, with the reason, never "applied". The real
 * controller, a private Postfix whose main.cf names another transport
 * map first, the agent's loop: the node shows failed at step maincf
 * (GET /v1/status and `postroute status`) while the map is installed;
 * main.cf fixed, Postfix reloaded and the agent sent SIGHUP: applied.
 * Broken again: failed again; fixed while the agent is stopped: applied
 * after its restart. With hold_map, smtpd_sender_restrictions without
 * the hold map fails the same way.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <cmocka.h>

#include "agentrun.h"
#include "clirun.h"
#include "pfx.h"
#include "testlib.h"
#include "xalloc.h"

#define NEXTHOP "smtp:[127.0.0.2]:2525"

static struct tl_controller *ctl;
static char *tok, *viewer;
static long long version;

static int
setup(void **state)
{
	json_t *j;

	(void)state;
	ctl = tl_controller_start(NULL);
	json_decref(tl_api_ok(ctl, "PUT", "/v1/relays/relay-a", ctl->admin,
	    "{\"nexthop\": \"" NEXTHOP "\"}"));
	json_decref(tl_api_ok(ctl, "PUT", "/v1/nodes/mx01", ctl->admin, "{\"role\": \"server\"}"));
	j = tl_api_ok(ctl, "PUT", "/v1/routes/google", ctl->admin,
	    "{\"relay\": \"relay-a\", \"reason\": \"test\"}");
	version = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	tok = tl_token(ctl, "mx01", "agent", "mx01");
	viewer = tl_token(ctl, "vera", "viewer", NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_free(ctl);
	free(tok), free(viewer);
	return 0;
}

/* One main.cf setting with postconf -e, mtime 10 s back (a main.cf
 * written within a second stalls Postfix commands). */
static void
main_cf(const struct pfx *p, const char *setting)
{
	char *argv[] = { "/usr/sbin/postconf", "-c", p->conf_dir, "-e", (char *)setting, NULL };
	char *path = xasprintf("%s/main.cf", p->conf_dir);
	struct timeval tv[2];

	if (tl_run(argv, NULL, NULL, 30) != 0)
		fail_msg("postconf -e %s failed", setting);
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= 10;
	tv[1] = tv[0];
	utimes(path, tv);
	free(path);
}

static void
postfix_reload(const struct pfx *p)
{
	char *argv[] = { "/usr/sbin/postfix", "-c", p->conf_dir, "reload", NULL };

	assert_int_equal(tl_run(argv, NULL, NULL, 30), 0);
}

/* An empty hash map "other" beside the agent's, for main.cf to name. */
static char *
other_map(const struct pfx *p)
{
	char *path = xasprintf("%s/other", p->map_dir), *map = xasprintf("hash:%s", path);
	char *argv[] = { "/usr/sbin/postmap", "-c", p->conf_dir, map, NULL };

	tl_write_file(path, "");
	assert_int_equal(tl_run(argv, NULL, NULL, 30), 0);
	free(map);
	return path;
}

struct want {
	const char *status;      /* last_status */
	const char *error;       /* in last_error, or NULL */
	long long applied;       /* applied_version; -1: not this version; -2: any */
	json_t *seen;            /* mx01's last state, for messages */
};

static int
node_is(void *arg)
{
	struct want *w = arg;
	json_t *st = NULL, *n;
	size_t i;
	int ok = 0;

	tl_api(ctl, "GET", "/v1/status", viewer, NULL, &st);
	json_array_foreach(json_object_get(st, "nodes"), i, n) {
		if (strcmp(json_string_value(json_object_get(n, "name")), "mx01") != 0)
			continue;
		const char *s = json_string_value(json_object_get(n, "last_status"));
		const char *e = json_string_value(json_object_get(n, "last_error"));
		json_int_t av = json_integer_value(json_object_get(n, "applied_version"));
		ok = s != NULL && strcmp(s, w->status) == 0 &&
		    (w->error == NULL || (e != NULL && strstr(e, w->error) != NULL)) &&
		    (w->applied == -2 || (w->applied == -1 ? av != version : av == w->applied));
		json_decref(w->seen);
		w->seen = json_incref(n);
	}
	json_decref(st);
	return ok;
}

static void
await_node(const char *status, const char *error, long long applied, const struct agentrun *a)
{
	struct want w = { status, error, applied, NULL };

	if (!tl_wait_for(node_is, &w, 20000)) {
		char *s = w.seen ? json_dumps(w.seen, 0) : NULL;
		char *log = tl_read_file(a->log);
		fail_msg("mx01 is not %s (%s): %s\nagent log:\n%s", status, error ? error : "",
		    s ? s : "(absent)", log);
	}
	json_decref(w.seen);
}

static void
test_map_not_named(void **state)
{
	struct pfx *mx = pfx_start("mx01", "hash", NULL);
	char *other = other_map(mx);
	char *set = xasprintf("transport_maps = hash:%s", other);
	char *why = xasprintf("maincf: transport_maps: main.cf names hash:%s but not the agent's "
	    "map hash:%s", other, mx->transport);
	struct agentrun *a = agentrun_new("mx01", ctl->url, tok, mx, NULL, NULL);
	struct clirun r;

	(void)state;
	main_cf(mx, set);
	postfix_reload(mx);
	agentrun_start(a);
	await_node("failed", why, -1, a);
	char *v = pfx_lookup(mx, "gmail.com");   /* installed, though Postfix ignores it */
	assert_non_null(v);
	assert_string_equal(v, NEXTHOP);
	free(v);
	assert_true(agentrun_log_count(a, "Postfix does not use the agent's map") >= 1);
	clirun(&r, ctl->url, viewer, "status", NULL);
	clirun_expect(&r, 1, "status with a node whose Postfix ignores its map");
	if (strstr(r.out, "transport_maps: main.cf names") == NULL &&
	    strstr(r.err, "transport_maps: main.cf names") == NULL)
		fail_msg("postroute status does not give the reason:\n%s%s", r.out, r.err);
	clirun_free(&r);

	/* fixed, Postfix reloaded, the agent told: applied */
	free(set);
	set = xasprintf("transport_maps = hash:%s, hash:%s", mx->transport, other);
	main_cf(mx, set);
	postfix_reload(mx);
	kill(a->pid, SIGHUP);
	await_node("applied", NULL, version, a);

	/* broken again: failed again, without a new version (applied_version
	 * keeps the version last reported applied; last_status is now) */
	free(set);
	set = xasprintf("transport_maps = hash:%s", other);
	main_cf(mx, set);
	kill(a->pid, SIGHUP);
	await_node("failed", why, -2, a);

	/* --once says so too; fixed while the agent is stopped: applied at start */
	assert_int_equal(agentrun_stop(a), 0);
	assert_int_equal(agentrun_once(a, NULL), 1);
	free(set);
	set = xasprintf("transport_maps = hash:%s", mx->transport);
	main_cf(mx, set);
	agentrun_start(a);
	await_node("applied", NULL, version, a);
	assert_int_equal(agentrun_stop(a), 0);
	assert_int_equal(agentrun_once(a, NULL), 0);
	free(set), free(why), free(other);
	agentrun_free(a);
	pfx_stop(mx);
}

static void
test_hold_map_not_named(void **state)
{
	struct pfx *mx = pfx_start_sasl("mx01", "hash", NULL);
	char *hold = xasprintf("hold_map = %s", mx->hold);
	struct agentrun *a = agentrun_new("mx01", ctl->url, tok, mx, NULL, hold);

	(void)state;
	main_cf(mx, "smtpd_sender_restrictions = permit_mynetworks");
	agentrun_start(a);
	await_node("failed", "maincf: smtpd_sender_restrictions: main.cf does not name the hold map",
	    -2, a);
	char *set = xasprintf("smtpd_sender_restrictions = check_sasl_access hash:%s", mx->hold);
	main_cf(mx, set);
	postfix_reload(mx);
	kill(a->pid, SIGHUP);
	await_node("applied", NULL, version, a);
	free(set), free(hold);
	agentrun_free(a);
	pfx_stop(mx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_not_named),
		cmocka_unit_test(test_hold_map_not_named),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
