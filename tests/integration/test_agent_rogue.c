/*
 * test_agent_rogue.c: postroute-agent on real private Postfix instances,
 * fed by a stand-in controller (tests/lib/fakectl): each map type end to
 * end, hostile feeds, postmap failures with retries, controller down and
 * up, failover between URLs, a hand-edited map, restarts without reloads,
 * and requeue of deferred mail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
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

static struct pfx_sink *sink_a, *sink_b, *sink_block;

static int
group_setup(void **state)
{
	(void)state;
	sink_a = pfx_sink_start("127.0.0.2", NULL);
	sink_b = pfx_sink_start("127.0.0.3", NULL);
	sink_block = pfx_sink_start("127.0.0.4",
	    "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to user complaints");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	pfx_sink_stop(sink_a), pfx_sink_stop(sink_b), pfx_sink_stop(sink_block);
	return 0;
}

static void
env_start(struct agentrun_env *e, const char *map_type, const char *postfix_extra)
{
	e->pfx = pfx_start("pfx", map_type, NULL);
	e->ctl = fakectl_start(TOKEN, 0);
	e->agent = agentrun_new("mx01", fakectl_url(e->ctl), TOKEN, e->pfx, NULL, postfix_extra);
}

static void
set_feed(struct agentrun_env *e, long long version, int n, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_appendf(&sb, "{\"node\": \"mx01\", \"version\": %lld, \"entries\": [", version);
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *d = va_arg(ap, const char *), *h = va_arg(ap, const char *);
		strbuf_appendf(&sb, "%s{\"domain\": \"%s\", \"nexthop\": \"%s\", \"provider\": \"google\"}",
		    i ? ", " : "", d, h);
	}
	va_end(ap);
	strbuf_append(&sb, "]}");
	fakectl_set_feed(e->ctl, version, strbuf_str(&sb));
	strbuf_clear(&sb);
}

struct reload_wait {
	const struct pfx *p;
	int n;
};

static int
has_reloads(void *arg)
{
	struct reload_wait *w = arg;

	return pfx_reloads(w->p) >= w->n;
}

static void
await_reloads(const struct pfx *p, int n)
{
	struct reload_wait w = { p, n };

	if (!tl_wait_for(has_reloads, &w, 10000))
		fail_msg("%d reloads seen, wanted %d", pfx_reloads(p), n);
}

static void
assert_lookup(const struct pfx *p, const char *key, const char *want)
{
	char *v = pfx_lookup(p, key);

	if (want == NULL ? v != NULL : (v == NULL || strcmp(v, want) != 0))
		fail_msg("%s: %s maps to %s, wanted %s", p->map_type, key, v ? v : "(nothing)",
		    want ? want : "(nothing)");
	free(v);
}

static void
send_and_await(const struct pfx *p, const char *rcpt, const struct pfx_sink *s)
{
	int before = pfx_sink_count(s);

	assert_int_equal(pfx_send(p, rcpt, "test"), 0);
	if (!pfx_sink_wait(s, before + 1, 15000))
		fail_msg("mail to %s did not reach %s (log: %s)", rcpt, s->nexthop, p->maillog);
}

static long long
mtime_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec : 0;
}

/* Each map type end to end: apply, mail flows, flip, same content, restart. */
static void
end_to_end(const char *type)
{
	struct agentrun_env e;

	env_start(&e, type, NULL);
	set_feed(&e, 1, 1, "gmail.test", sink_a->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	/* the report carries each step's duration */
	json_t *r = fakectl_last_report(e.ctl), *d = json_object_get(r, "durations_ms");
	const char *keys[] = { "render", "mastercf", "write", "postmap", "verify", "install",
		"reload", "requeue", "state", "total" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_is_integer(json_object_get(d, keys[i])))
			fail_msg("durations_ms.%s missing: %s", keys[i], json_dumps(r, 0));
	}
	assert_true(json_is_null(json_object_get(r, "error")));
	json_decref(r);
	assert_lookup(e.pfx, "gmail.test", sink_a->nexthop);
	await_reloads(e.pfx, 1);
	send_and_await(e.pfx, "u1@gmail.test", sink_a);

	set_feed(&e, 2, 2, "gmail.test", sink_b->nexthop, ".gmail.test", sink_b->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	assert_lookup(e.pfx, "gmail.test", sink_b->nexthop);
	await_reloads(e.pfx, 2);
	send_and_await(e.pfx, "u2@mx.gmail.test", sink_b);

	/* same entries under a new version: recorded, no postmap, no reload */
	long long before = mtime_of(e.pfx->transport);
	set_feed(&e, 3, 2, ".gmail.test", sink_b->nexthop, "gmail.test", sink_b->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 3, "applied", NULL, NULL);
	assert_true(mtime_of(e.pfx->transport) == before);
	/* a restart finds version 3 applied: nothing to do, no reload */
	size_t reports = fakectl_report_count(e.ctl);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	assert_int_equal(fakectl_report_count(e.ctl), reports);
	assert_int_equal(pfx_reload_requests(e.pfx), 2);
	assert_int_equal(pfx_reloads(e.pfx), 2);
	agentrun_env_clear(&e);
}

static void
test_hash(void **state)
{
	(void)state;
	end_to_end("hash");
}

static void
test_cdb(void **state)
{
	(void)state;
	end_to_end("cdb");
}

static void
test_lmdb(void **state)
{
	(void)state;
	end_to_end("lmdb");
}

struct rogue_case {
	const char *body;
	const char *step;
	const char *error;
};

static void
test_rogue_feeds(void **state)
{
	struct agentrun_env e;
	char *good_text, *entry_a = xasprintf("{\"domain\": \"gmail.test\", \"nexthop\": \"%s\"}",
	    sink_a->nexthop);
	const struct rogue_case cases[] = {
		{ "{\"node\": \"mx01\", \"version\": %d, \"entries\": [%s, {\"domain\": "
		  "\"yahoo.test\\nevil.test smtp:[127.0.0.9]:25\", \"nexthop\": \"smtp:[127.0.0.3]:25\"}]}",
		  "validate", "entry 1: domain: contains a line break" },
		{ "{\"node\": \"mx01\", \"version\": %d, \"entries\": [%s, {\"domain\": \"yahoo.test\", "
		  "\"nexthop\": \"smtp:[127.0.0.3]:25\\nevil.test smtp:[127.0.0.9]:25\"}]}",
		  "validate", "entry 1 (yahoo.test): nexthop: contains a line break" },
		{ "{\"node\": \"mx01\", \"version\": %d, \"entries\": [%s, {\"domain\": \"yahoo.test\", "
		  "\"nexthop\": \"smtp_ip9:[127.0.0.3]:25\"}]}",
		  "mastercf", "service \"smtp_ip9\" is not in master.cf" },
		{ "{\"node\": \"mx01\", \"version\": %d, \"entries\": [%s, {\"domain\": \"yahoo..test\", "
		  "\"nexthop\": \"smtp:[127.0.0.3]:25\"}]}",
		  "validate", "entry 1: domain: has an empty label" },
		{ "{\"node\": \"mx01\", \"version\": %d, \"entries\": [%s, {\"domain\": \"yahoo.test#x\", "
		  "\"nexthop\": \"smtp:[127.0.0.3]:25\"}]}",
		  "validate", "entry 1: domain: contains '#'" },
		{ "{\"node\": \"mx01\", \"version\": %d, \"entries\": [%s, %s]}",
		  "validate", "is listed twice" },
		{ "{\"node\": \"mx01\", \"version\": %d, \"entries\": [%s, {\"domain\": \"yahoo.test\"}]}",
		  "feed", "entries[1].nexthop: is missing" },
	};

	(void)state;
	env_start(&e, "hash", NULL);
	set_feed(&e, 1, 1, "gmail.test", sink_a->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	good_text = tl_read_file(e.pfx->transport);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = (int)i + 2;
		char *body = xasprintf(cases[i].body, v, entry_a, entry_a);
		fakectl_set_feed(e.ctl, v, body);
		assert_int_equal(agentrun_once(e.agent, NULL), 1);
		fakectl_expect_report(e.ctl, v, "failed", cases[i].step, cases[i].error);
		char *now = tl_read_file(e.pfx->transport);
		assert_string_equal(now, good_text);
		assert_lookup(e.pfx, "gmail.test", sink_a->nexthop);
		assert_lookup(e.pfx, "yahoo.test", NULL);
		assert_lookup(e.pfx, "evil.test", NULL);
		free(now), free(body);
	}
	/* a feed for another node, and one that is not JSON: nothing installed */
	fakectl_set_feed(e.ctl, 20, "{\"node\": \"mx02\", \"version\": 20, \"entries\": []}");
	assert_int_equal(agentrun_once(e.agent, NULL), 1);
	fakectl_set_feed(e.ctl, 21, "{\"node\": \"mx01\", \"version\": 21, \"entries\": [");
	assert_int_equal(agentrun_once(e.agent, NULL), 1);
	assert_lookup(e.pfx, "gmail.test", sink_a->nexthop);
	/* no temp files left next to the map */
	char *ls[] = { "/bin/sh", "-c", "ls \"$0\" | grep -c new", e.pfx->map_dir, NULL };
	char *out = NULL;
	tl_run(ls, &out, NULL, 10);
	assert_string_equal(out, "0\n");
	free(out), free(good_text), free(entry_a);
	agentrun_env_clear(&e);
}

/* e's agent configured with [postfix] command_directory dir (NULL: none). */
static void
with_commands(struct agentrun_env *e, const char *dir)
{
	char *extra = dir != NULL ? xasprintf("command_directory = %s", dir) : NULL;

	agentrun_config(e->agent, fakectl_url(e->ctl), TOKEN, e->pfx, NULL, extra);
	free(extra);
}

/* A run --once that fails at step: exit 1, version 2 reported failed with
 * needle, and the map still routes gmail.test to sink_a (version 1). */
static void
version_2_fails(struct agentrun_env *e, const char *step, const char *needle)
{
	assert_int_equal(agentrun_once(e->agent, NULL), 1);
	fakectl_expect_report(e->ctl, 2, "failed", step, needle);
	assert_lookup(e->pfx, "gmail.test", sink_a->nexthop);
}

static void
test_postmap_failures(void **state)
{
	struct agentrun_env e;
	char *missing = agentrun_commands(NULL, NULL);
	char *warns = agentrun_commands("#!/bin/sh\necho 'postmap: warning: x: duplicate entry' >&2\n"
	    "exec /usr/sbin/postmap \"$@\"\n", NULL);
	char *good;

	(void)state;
	env_start(&e, "hash", NULL);
	set_feed(&e, 1, 1, "gmail.test", sink_a->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	good = tl_read_file(e.pfx->transport);
	set_feed(&e, 2, 1, "gmail.test", sink_b->nexthop);

	/* postmap missing */
	with_commands(&e, missing);
	version_2_fails(&e, "postmap", "postmap: cannot execute: No such file or directory");

	/* postmap "succeeds" with a warning */
	with_commands(&e, warns);
	version_2_fails(&e, "postmap", "warning: x: duplicate entry");

	/* unwritable map directory (immutable: root ignores permissions) */
	char *chattr[] = { "/usr/bin/chattr", "+i", e.pfx->map_dir, NULL };
	char *unchattr[] = { "/usr/bin/chattr", "-i", e.pfx->map_dir, NULL };
	with_commands(&e, NULL);
	if (tl_run(chattr, NULL, NULL, 10) == 0) {
		assert_int_equal(agentrun_once(e.agent, NULL), 1);
		tl_run(unchattr, NULL, NULL, 10);
		fakectl_expect_report(e.ctl, 2, "failed", "write", "Operation not permitted");
		assert_lookup(e.pfx, "gmail.test", sink_a->nexthop);
	} else {
		print_message("chattr unavailable: unwritable-directory case skipped\n");
	}
	char *now = tl_read_file(e.pfx->transport);
	assert_string_equal(now, good);
	free(now);

	/* the loop retries with backoff, and applies once postmap is back */
	with_commands(&e, missing);
	size_t before = fakectl_report_count(e.ctl);
	agentrun_start(e.agent);
	if (!fakectl_wait_reports(e.ctl, before + 3, 15000))
		fail_msg("no retries: %zu reports", fakectl_report_count(e.ctl) - before);
	fakectl_expect_report(e.ctl, 2, "failed", "postmap", "cannot execute");
	assert_true(agentrun_log_count(e.agent, "retrying in") >= 2);
	char *pm = xasprintf("%s/postmap", missing);
	assert_int_equal(symlink("/usr/sbin/postmap", pm), 0);
	before = fakectl_report_count(e.ctl);
	if (!fakectl_wait_reports(e.ctl, before + 1, 15000))
		fail_msg("no report after postmap came back");
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	assert_lookup(e.pfx, "gmail.test", sink_b->nexthop);
	assert_int_equal(agentrun_stop(e.agent), 0);
	free(pm), free(good), free(missing), free(warns);
	agentrun_env_clear(&e);
}

/* A hash-map agent running, version 1 (gmail.test to sink_a) reported. */
static void
start_on_version_1(struct agentrun_env *e)
{
	env_start(e, "hash", NULL);
	set_feed(e, 1, 1, "gmail.test", sink_a->nexthop);
	agentrun_start(e->agent);
	if (!fakectl_wait_reports(e->ctl, 1, 10000))
		fail_msg("version 1 not reported");
}

static void
test_controller_down_up(void **state)
{
	struct agentrun_env e;
	int port;

	(void)state;
	start_on_version_1(&e);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	port = fakectl_port(e.ctl);
	fakectl_stop(e.ctl);
	e.ctl = NULL;
	/* the agent keeps trying and keeps the map */
	int errors = agentrun_log_count(e.agent, "feed: GET");
	agentrun_await_log(e.agent, "feed: GET", errors + 2, 10000);
	assert_lookup(e.pfx, "gmail.test", sink_a->nexthop);
	/* back, with a version made meanwhile */
	e.ctl = fakectl_start(TOKEN, port);
	set_feed(&e, 2, 1, "gmail.test", sink_b->nexthop);
	if (!fakectl_wait_reports(e.ctl, 1, 15000))
		fail_msg("version 2 not reported after the controller came back");
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	assert_lookup(e.pfx, "gmail.test", sink_b->nexthop);
	/* a clean stop while a long-poll is held */
	if (!fakectl_wait_held(e.ctl, 1, 10000))
		fail_msg("no long-poll held after version 2");
	assert_int_equal(agentrun_stop(e.agent), 0);
	agentrun_env_clear(&e);
}

static void
test_failover(void **state)
{
	struct agentrun_env e;
	char *urls;

	(void)state;
	env_start(&e, "hash", NULL);
	urls = xasprintf("http://127.0.0.1:%d %s", tl_free_port(), fakectl_url(e.ctl));
	agentrun_config(e.agent, urls, TOKEN, e.pfx, NULL, NULL);
	set_feed(&e, 1, 1, "gmail.test", sink_a->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	/* a controller answering 503 is skipped too */
	struct fakectl *sick = fakectl_start(TOKEN, 0);
	fakectl_set_status(sick, 503);
	free(urls);
	urls = xasprintf("%s %s", fakectl_url(sick), fakectl_url(e.ctl));
	agentrun_config(e.agent, urls, TOKEN, e.pfx, NULL, NULL);
	set_feed(&e, 2, 1, "gmail.test", sink_b->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	/* a wrong token is an error, not a reason to install anything */
	agentrun_config(e.agent, fakectl_url(e.ctl), "wrong-token", e.pfx, NULL, NULL);
	set_feed(&e, 3, 0);
	char *log = NULL;
	assert_int_equal(agentrun_once(e.agent, &log), 1);
	assert_non_null(strstr(log, "HTTP 401"));
	assert_lookup(e.pfx, "gmail.test", sink_b->nexthop);
	free(log), free(urls);
	fakectl_stop(sick);
	agentrun_env_clear(&e);
}

static void
test_hand_edit_and_restart(void **state)
{
	struct agentrun_env e;
	char *good;

	(void)state;
	start_on_version_1(&e);
	await_reloads(e.pfx, 1);
	assert_int_equal(agentrun_stop(e.agent), 0);
	good = tl_read_file(e.pfx->transport);

	/* restarts: no reload for the version already applied */
	size_t polls = fakectl_feed_requests(e.ctl);
	agentrun_start(e.agent);
	assert_true(fakectl_wait_feed_requests(e.ctl, polls + 1, 10000));
	assert_int_equal(agentrun_stop(e.agent), 0);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	assert_int_equal(pfx_reload_requests(e.pfx), 1);
	assert_int_equal(pfx_reloads(e.pfx), 1);
	assert_int_equal(fakectl_report_count(e.ctl), 1);

	/* a hand edit is detected, restored and reported */
	char *edited = xasprintf("%sgmail.test\tsmtp:[127.0.0.9]:25\n", "# mine\n");
	tl_write_file(e.pfx->transport, edited);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, "was changed by hand; restored version 1");
	char *now = tl_read_file(e.pfx->transport);
	assert_string_equal(now, good);
	assert_lookup(e.pfx, "gmail.test", sink_a->nexthop);
	await_reloads(e.pfx, 2);
	free(now), free(edited), free(good);
	agentrun_env_clear(&e);
}

static void
test_requeue_deferred(void **state)
{
	struct agentrun_env e;
	struct timespec a, b;

	(void)state;
	env_start(&e, "hash", NULL);
	set_feed(&e, 1, 1, "gmail.test", sink_block->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	await_reloads(e.pfx, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pfx_send(e.pfx, "held@gmail.test", "deferred"), 0);
	assert_int_equal(pfx_send(e.pfx, "other@elsewhere.test", "not moved"), 0);
	if (!pfx_await_log(e.pfx, "[TSS04]", 3, 10000))
		fail_msg("no three refusals (log: %s)", e.pfx->maillog);
	pfx_await_queue(e.pfx, "deferred", 4, 10000);
	int before = pfx_sink_count(sink_a);
	set_feed(&e, 2, 1, "gmail.test", sink_a->nexthop);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	/* well before the 10 s retry of the sandbox's timers */
	if (!pfx_sink_wait(sink_a, before + 3, 5000))
		fail_msg("deferred mail not requeued: %d at the new relay", pfx_sink_count(sink_a) - before);
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("deferred mail delivered %.2f s after the agent started\n",
	    (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	assert_int_equal(pfx_deferred(e.pfx), 1);   /* the unmoved one stays */
	assert_true(agentrun_log_count(e.agent, "3 deferred message(s) for 1 moved domain(s): 3 pushed") == 1);
	agentrun_env_clear(&e);
}

/* The root-free variant: lmdb, reload = never, as an ordinary user. */
static void
test_unprivileged_lmdb(void **state)
{
	struct agentrun_env e;
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());

	(void)state;
	env_start(&e, "lmdb", "reload = never\nrequeue = none");
	char *chown_argv[] = { "/bin/chown", "-R", "nobody:nogroup", e.pfx->map_dir, e.agent->dir, NULL };
	assert_int_equal(tl_run(chown_argv, NULL, NULL, 10), 0);
	char *argv[] = { "/usr/sbin/runuser", "-u", "nobody", "--", bin, "-c", e.agent->conf, "--once", NULL };
	char *err = NULL;

	set_feed(&e, 1, 1, "gmail.test", sink_a->nexthop);
	if (tl_run(argv, NULL, &err, 60) != 0)
		fail_msg("agent as nobody: %s", err);
	free(err);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	send_and_await(e.pfx, "u1@gmail.test", sink_a);
	set_feed(&e, 2, 1, "gmail.test", sink_b->nexthop);
	assert_int_equal(tl_run(argv, NULL, NULL, 60), 0);
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	/* no reload, yet new mail takes the new route at once */
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	send_and_await(e.pfx, "u2@gmail.test", sink_b);
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("lmdb without reload: new route used after %.2f s\n",
	    (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	assert_int_equal(pfx_reloads(e.pfx), 0);
	free(bin);
	agentrun_env_clear(&e);
}

/* [agent] user: the loop runs as nobody, a root helper installs and reloads. */
static void
test_privsep_hash(void **state)
{
	struct agentrun_env e;
	struct stat sb;
	struct passwd *pw = getpwnam("nobody");

	(void)state;
	assert_non_null(pw);
	uid_t nobody = pw->pw_uid;   /* getpwnam's buffer is reused by pfx */
	env_start(&e, "hash", NULL);
	agentrun_config(e.agent, fakectl_url(e.ctl), TOKEN, e.pfx, "user = nobody", NULL);
	set_feed(&e, 1, 1, "gmail.test", sink_a->nexthop);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	fakectl_expect_report(e.ctl, 1, "applied", NULL, NULL);
	assert_lookup(e.pfx, "gmail.test", sink_a->nexthop);
	await_reloads(e.pfx, 1);
	/* the state was written by the unprivileged side, the map by the helper */
	char *st = xasprintf("%s/user/state", e.agent->state_dir);
	assert_int_equal(stat(st, &sb), 0);
	assert_int_equal(sb.st_uid, nobody);
	assert_int_equal(stat(e.pfx->transport, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	/* the loop, a flip, and a clean stop through the helper */
	agentrun_start(e.agent);
	set_feed(&e, 2, 1, "gmail.test", sink_b->nexthop);
	if (!fakectl_wait_reports(e.ctl, 2, 10000))
		fail_msg("version 2 not reported");
	fakectl_expect_report(e.ctl, 2, "applied", NULL, NULL);
	send_and_await(e.pfx, "u@gmail.test", sink_b);
	assert_int_equal(agentrun_stop(e.agent), 0);
	assert_int_equal(stat(st, &sb), 0);
	assert_int_equal(sb.st_uid, nobody);
	free(st);
	agentrun_env_clear(&e);
}

/* postroute-agent (argv) exits 1, every one of the n lines of want in
 * what it writes to stderr. */
static void
expect_refused(char **argv, const char *const *want, size_t n)
{
	char *err = NULL;

	assert_int_equal(tl_run(argv, NULL, &err, 10), 1);
	for (size_t i = 0; i < n; i++) {
		if (strstr(err, want[i]) == NULL)
			fail_msg("missing \"%s\" in:\n%s", want[i], err);
	}
	free(err);
}

static void
test_check_config(void **state)
{
	char *dir = tl_mkdtemp("conf");
	char *conf = xasprintf("%s/bad.ini", dir);
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { bin, "-c", conf, "-n", NULL };

	(void)state;
	tl_write_file(conf, "[agent]\nnode = MX 1\ncontroller = ftp://x\ntoken_file = /nonexistent\n"
	    "colour = blue\n[postfix]\nmap_type = btree\ntransport_file = relative\n");
	const char *want[] = { "bad.ini:5: [agent] colour: unknown key",
		"bad.ini:7: [postfix] map_type: \"btree\" is not one of hash|cdb|lmdb" };
	expect_refused(argv, want, 2);
	tl_write_file(conf, "[agent]\nnode = MX 1\ncontroller = ftp://x\ntoken_file = /nonexistent\n"
	    "[postfix]\ntransport_file = relative\n");
	const char *want2[] = { "[agent] node: must start with a lower-case letter or a digit",
		"[agent] controller: \"ftp://x\" is not an http:// or https:// URL",
		"[postfix] transport_file: \"relative\" is not an absolute path",
		"[agent] token_file: token file /nonexistent: No such file or directory" };
	expect_refused(argv, want2, 4);

	/* the logwatch thresholds and the hold map */
	char *tok = xasprintf("%s/token", dir);
	tl_write_file(tok, "secret\n");
	chmod(tok, 0600);
	char *text = xasprintf("[agent]\nnode = mx01\ncontroller = http://127.0.0.1:1\ntoken_file = %s\n"
	    "[logwatch]\nfail_percent = 101\nwindow = 5s\nqueue_max = 0\nvolume_max_client_ips = 16\n", tok);
	tl_write_file(conf, text);
	free(text);
	const char *want3[] = { "bad.ini:6: [logwatch] fail_percent: \"101\" is out of range",
		"bad.ini:7: [logwatch] window: \"5s\" is out of range",
		"bad.ini:8: [logwatch] queue_max: \"0\" is out of range",
		"bad.ini:9: [logwatch] volume_max_client_ips: \"16\" is out of range" };
	expect_refused(argv, want3, 4);
	text = xasprintf("[agent]\nnode = mx01\ncontroller = http://127.0.0.1:1\ntoken_file = %s\n"
	    "[postfix]\ntransport_file = /etc/postfix/t\nhold_map = /etc/postfix/t\n"
	    "[logwatch]\nfile = mail.log\nrules = local.rules\n", tok);
	tl_write_file(conf, text);
	free(text);
	const char *want4[] = { "[postfix] hold_map: is the transport_file",
		"[logwatch] file: \"mail.log\" is not an absolute path",
		"[logwatch] rules: \"local.rules\" is not an absolute path" };
	expect_refused(argv, want4, 3);

	/* a broken local rules file stops the agent at start, every bad line named */
	char *rules = xasprintf("%s/local.rules", dir), *st = xasprintf("%s/state", dir);
	tl_write_file(rules, "bad line here\nx-rule reputation yes /(unclosed/\n");
	text = xasprintf("[agent]\nnode = mx01\ncontroller = http://127.0.0.1:1\ntoken_file = %s\n"
	    "state_dir = %s\n[postfix]\ntransport_file = %s/t\n[logwatch]\nfile = %s/mail.log\n"
	    "rules = %s\n", tok, st, dir, dir, rules);
	tl_write_file(conf, text);
	char *run[] = { bin, "-c", conf, NULL };
	const char *want5[] = { "local.rules:1: bad: expected NAME CLASS REROUTABLE",
		"local.rules:2: x-rule: bad pattern at offset 9: missing closing parenthesis" };
	expect_refused(run, want5, 2);
	free(text), free(rules), free(st), free(tok);
	free(conf), free(bin), free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_config),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_cdb),
		cmocka_unit_test(test_lmdb),
		cmocka_unit_test(test_rogue_feeds),
		cmocka_unit_test(test_postmap_failures),
		cmocka_unit_test(test_controller_down_up),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_hand_edit_and_restart),
		cmocka_unit_test(test_requeue_deferred),
		cmocka_unit_test(test_unprivileged_lmdb),
		cmocka_unit_test(test_privsep_hash),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
