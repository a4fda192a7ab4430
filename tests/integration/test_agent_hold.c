/*
 * test_agent_hold.c: the agent's hold map on a real private Postfix with
 * SMTP AUTH (Cyrus SASL, a private sasldb) and check_sasl_access, fed by a
 * stand-in controller (tests/lib/fakectl): a held sender's mail stays in
 * the hold queue while others' is delivered, and is released and
 * delivered when the sender leaves the list (also through the privileged
 * helper); hostile holds refuse the version; a failed hold install is
 * step "hold"; without hold_map the holds are ignored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "fakectl.h"
#include "pfx.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

#define TOKEN "agent-token-0123456789"
#define PASSWORD "secret-pw"
#define RCPT "someone@dest.test"

static struct pfx_sink *sink;

static int
group_setup(void **state)
{
	(void)state;
	sink = pfx_sink_start("127.0.0.2", NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	pfx_sink_stop(sink);
	return 0;
}

/* hold_map: 1 for the instance's hold map, 0 for none. */
static void
env_start(struct agentrun_env *e, int hold_map, const char *agent_extra, const char *postfix_extra)
{
	char *extra;

	e->pfx = pfx_start_sasl("pfx", "hash", sink->nexthop);
	e->ctl = fakectl_start(TOKEN, 0);
	extra = xasprintf("%s%s\n%s", hold_map ? "hold_map = " : "", hold_map ? e->pfx->hold : "",
	    postfix_extra ? postfix_extra : "");
	e->agent = agentrun_new("mx01", fakectl_url(e->ctl), TOKEN, e->pfx, agent_extra, extra);
	free(extra);
	const char *users[] = { "alice@example.test", "bob@example.test", "carol@example.test" };
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(pfx_sasl_user(e->pfx, users[i], PASSWORD), 0);
}

/* A feed with no transport entries and these holds (JSON string bodies,
 * escapes included). */
static void
set_holds(struct agentrun_env *e, long long version, int n, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_appendf(&sb, "{\"node\": \"mx01\", \"version\": %lld, \"entries\": [], \"holds\": [",
	    version);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		strbuf_appendf(&sb, "%s\"%s\"", i ? ", " : "", va_arg(ap, const char *));
	va_end(ap);
	strbuf_append(&sb, "]}");
	fakectl_set_feed(e->ctl, version, strbuf_str(&sb));
	strbuf_clear(&sb);
}

static double
secs_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static void
submit(const struct agentrun_env *e, const char *login)
{
	if (pfx_submit(e->pfx, login, PASSWORD, login, RCPT, "hold test") != 0)
		fail_msg("submit as %s refused (log: %s)", login, e->pfx->maillog);
}

/* bob's mail is delivered; submitted after the others, it is also the
 * barrier after which theirs would have arrived if not held. */
static void
submit_bob_delivered(const struct agentrun_env *e, int *at_sink)
{
	submit(e, "bob@example.test");
	if (!pfx_sink_wait(sink, *at_sink + 1, 15000))
		fail_msg("bob's mail not delivered (log: %s)", e->pfx->maillog);
	(*at_sink)++;
	pfx_await_settled(e->pfx, 15000);   /* the others held or delivered: the count is final */
	assert_int_equal(pfx_sink_count(sink), *at_sink);
}

static void
await_report(struct agentrun_env *e, size_t n, const char *what)
{
	if (!fakectl_wait_reports(e->ctl, n, 15000))
		fail_msg("%s not reported (agent log: %s)", what, e->agent->log);
}

/*
 * The round trip with the agent's loop: hold alice and Carol (mixed case:
 * Postfix folds), their mail is held and bob's delivered; alice leaves the
 * list: hers is released and delivered, carol's stays; carol leaves: hers
 * too. Timed from the feed change.
 */
static void
round_trip(const char *agent_extra)
{
	struct agentrun_env e;
	struct timespec t0;
	int at_sink = pfx_sink_count(sink);

	env_start(&e, 1, agent_extra, NULL);
	agentrun_start(e.agent);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	set_holds(&e, 1, 2, "alice@example.test", "Carol@Example.TEST");
	await_report(&e, 1, "version 1");
	print_message("hold: feed change to hold map applied (report) in %.3f s\n", secs_since(&t0));
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	json_t *r = fakectl_last_report(e.ctl);
	if (!json_is_integer(json_object_get(json_object_get(r, "durations_ms"), "holds")))
		fail_msg("durations_ms.holds missing: %s", json_dumps(r, 0));
	json_decref(r);
	char *map = tl_read_file(e.pfx->hold);
	assert_non_null(strstr(map, "alice@example.test\tHOLD\ncarol@example.test\tHOLD\n"));
	free(map);

	submit(&e, "alice@example.test");
	submit(&e, "alice@example.test");
	submit(&e, "carol@example.test");
	submit_bob_delivered(&e, &at_sink);
	pfx_await_queue(e.pfx, "hold", 3, 10000);
	assert_int_equal(pfx_log_count(e.pfx, "SASL login name triggers HOLD action"), 3);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	set_holds(&e, 2, 1, "carol@example.test");
	if (!pfx_sink_wait(sink, at_sink + 2, 15000))
		fail_msg("alice's held mail not released: %d at the sink (agent log: %s)",
		    pfx_sink_count(sink) - at_sink, e.agent->log);
	print_message("hold: feed change to alice's 2 held messages delivered in %.3f s\n",
	    secs_since(&t0));
	at_sink += 2;
	await_report(&e, 2, "version 2");
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	pfx_await_queue(e.pfx, "hold", 1, 10000);   /* carol's stays */
	assert_int_equal(pfx_log_count(e.pfx, "released from hold"), 2);
	/* alice is not held any more: new mail goes straight through */
	submit(&e, "alice@example.test");
	if (!pfx_sink_wait(sink, at_sink + 1, 15000))
		fail_msg("alice's new mail not delivered");
	at_sink++;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	set_holds(&e, 3, 0);
	if (!pfx_sink_wait(sink, at_sink + 1, 15000))
		fail_msg("carol's held mail not released");
	print_message("hold: feed change to carol's held message delivered in %.3f s\n",
	    secs_since(&t0));
	await_report(&e, 3, "version 3");
	fakectl_expect_report(e.ctl, 3, "applied", NULL, NULL);
	pfx_await_queue(e.pfx, "hold", 0, 10000);
	assert_int_equal(agentrun_stop(e.agent), 0);
	agentrun_env_clear(&e);
}

static void
test_round_trip(void **state)
{
	(void)state;
	round_trip(NULL);
}

/* [agent] user: the hold map and the release go through the root helper. */
static void
test_round_trip_privsep(void **state)
{
	(void)state;
	round_trip("user = nobody");
}

/* A restart with a version already applied, then a release: the state's
 * copy of the hold map says what was held. */
static void
test_restart_then_release(void **state)
{
	struct agentrun_env e;
	int at_sink = pfx_sink_count(sink);

	(void)state;
	env_start(&e, 1, NULL, NULL);
	set_holds(&e, 1, 1, "alice@example.test");
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	submit(&e, "alice@example.test");
	submit_bob_delivered(&e, &at_sink);
	pfx_await_queue(e.pfx, "hold", 1, 10000);
	/* same version again after a restart: nothing to do */
	size_t reports = fakectl_report_count(e.ctl);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	assert_int_equal(fakectl_report_count(e.ctl), reports);
	set_holds(&e, 2, 0);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	if (!pfx_sink_wait(sink, at_sink + 1, 15000))
		fail_msg("held mail not released after a restart");
	pfx_await_queue(e.pfx, "hold", 0, 10000);
	agentrun_env_clear(&e);
}

struct hostile {
	const char *json;       /* as written in the feed body */
	const char *error;
};

static void
test_hostile_holds(void **state)
{
	const struct hostile cases[] = {
		{ "a\\nb HOLD", "holds[1]: contains a line break" },
		{ "x y", "holds[1]: contains whitespace" },
		{ "#", "holds[1]: contains '#'" },
		{ ",", "holds[1]: contains ','" },
		{ "@dom", "holds[1]: must not start with '.' or '@'" },
		{ "", "holds[1]: is empty" },
	};
	struct agentrun_env e;

	(void)state;
	env_start(&e, 1, NULL, NULL);
	set_holds(&e, 1, 1, "alice@example.test");
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	char *good = tl_read_file(e.pfx->hold);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long v = (long long)i + 2;
		set_holds(&e, v, 2, "bob@example.test", cases[i].json);
		assert_int_equal(agentrun_once(e.agent, NULL), 1);
		fakectl_expect_report(e.ctl, v, "failed", "validate", cases[i].error);
		char *now = tl_read_file(e.pfx->hold);
		assert_string_equal(now, good);
		free(now);
	}
	/* still held: alice's mail goes to the hold queue, bob's through */
	int at_sink = pfx_sink_count(sink);
	submit(&e, "alice@example.test");
	submit_bob_delivered(&e, &at_sink);
	pfx_await_queue(e.pfx, "hold", 1, 10000);
	free(good);
	agentrun_env_clear(&e);
}

/* A command directory of symlinks to the real tools, with a postmap that
 * fails on the hold map only. */
static char *
postmap_fails_on_hold(void)
{
	char *dir = tl_mkdtemp("cmd");
	const char *tools[] = { "postconf", "postfix", "postqueue", "postcat", "postsuper" };

	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		char *from = xasprintf("/usr/sbin/%s", tools[i]), *to = xasprintf("%s/%s", dir, tools[i]);
		if (symlink(from, to) != 0)
			fail_msg("symlink %s", to);
		free(from), free(to);
	}
	char *pm = xasprintf("%s/postmap", dir);
	tl_write_file(pm, "#!/bin/sh\ncase \"$*\" in *hold*) echo 'postmap: fatal: disk on fire' >&2; "
	    "exit 1;; esac\nexec /usr/sbin/postmap \"$@\"\n");
	chmod(pm, 0755);
	free(pm);
	return dir;
}

/* A failed hold install is reported as step "hold"; the installed map
 * stays; once postmap works the same version applies. */
static void
test_hold_install_fails(void **state)
{
	struct agentrun_env e;
	char *cmd = postmap_fails_on_hold(), *extra = xasprintf("command_directory = %s", cmd);

	(void)state;
	env_start(&e, 1, NULL, NULL);
	set_holds(&e, 1, 1, "alice@example.test");
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	char *good = tl_read_file(e.pfx->hold);
	char *hold_extra = xasprintf("hold_map = %s\n%s", e.pfx->hold, extra);
	agentrun_config(e.agent, fakectl_url(e.ctl), TOKEN, e.pfx, NULL, hold_extra);
	set_holds(&e, 2, 1, "bob@example.test");
	assert_int_equal(agentrun_once(e.agent, NULL), 1);
	fakectl_expect_report(e.ctl, 2, "failed", "hold", "postmap: fatal: disk on fire");
	char *now = tl_read_file(e.pfx->hold);
	assert_string_equal(now, good);
	free(now), free(hold_extra);
	hold_extra = xasprintf("hold_map = %s", e.pfx->hold);
	agentrun_config(e.agent, fakectl_url(e.ctl), TOKEN, e.pfx, NULL, hold_extra);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	now = tl_read_file(e.pfx->hold);
	assert_non_null(strstr(now, "\nbob@example.test\tHOLD\n"));
	assert_null(strstr(now, "alice"));
	free(now), free(hold_extra), free(good), free(extra), free(cmd);
	agentrun_env_clear(&e);
}

/* Without hold_map, holds are ignored, even hostile ones; turning
 * hold_map on later installs the holds of the version already applied. */
static void
test_hold_map_off(void **state)
{
	struct agentrun_env e;
	int at_sink = pfx_sink_count(sink);

	(void)state;
	env_start(&e, 0, NULL, NULL);
	set_holds(&e, 1, 2, "alice@example.test", "x y");
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	char *map = tl_read_file(e.pfx->hold);
	assert_string_equal(map, "");
	free(map);
	char *copy = xasprintf("%s/hold", e.agent->state_dir);
	assert_int_equal(access(copy, F_OK), -1);
	submit(&e, "alice@example.test");
	if (!pfx_sink_wait(sink, at_sink + 1, 15000))
		fail_msg("alice's mail not delivered with hold_map off");
	at_sink++;

	/* on, with the same version: the holds are installed anyway */
	set_holds(&e, 1, 1, "alice@example.test");
	char *extra = xasprintf("hold_map = %s", e.pfx->hold);
	agentrun_config(e.agent, fakectl_url(e.ctl), TOKEN, e.pfx, NULL, extra);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	assert_int_equal(access(copy, F_OK), 0);
	submit(&e, "alice@example.test");
	submit_bob_delivered(&e, &at_sink);
	pfx_await_queue(e.pfx, "hold", 1, 10000);
	free(extra), free(copy);
	agentrun_env_clear(&e);
}

/* A hold map edited by hand (a sender taken off) is put back at the next cycle. */
static void
test_hand_edit_restored(void **state)
{
	struct agentrun_env e;
	char *log = NULL;

	(void)state;
	env_start(&e, 1, NULL, NULL);
	set_holds(&e, 1, 1, "alice@example.test");
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	char *good = tl_read_file(e.pfx->hold);
	assert_non_null(strstr(good, "alice@example.test\tHOLD"));
	tl_write_file(e.pfx->hold, "# emptied by hand\n");
	assert_int_equal(agentrun_once(e.agent, &log), 0);
	assert_non_null(strstr(log, "was changed by hand: restored"));
	char *now = tl_read_file(e.pfx->hold);
	assert_string_equal(now, good);
	free(log), free(now);
	/* and the index too: alice is held again */
	int at_sink = pfx_sink_count(sink);
	submit(&e, "alice@example.test");
	submit_bob_delivered(&e, &at_sink);
	pfx_await_queue(e.pfx, "hold", 1, 10000);
	free(good);
	agentrun_env_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_privsep),
		cmocka_unit_test(test_restart_then_release),
		cmocka_unit_test(test_hostile_holds),
		cmocka_unit_test(test_hold_install_fails),
		cmocka_unit_test(test_hold_map_off),
		cmocka_unit_test(test_hand_edit_restored),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
