/*
 * test_sec_event_time.c: a reporter's clock cannot rewrite when a block
 * began or ended (issue 10, finding 9: event "at").
 *
 * Against a real controller: an event's "at" is clamped to now - 1 hour
 * .. now + 1 minute; a clear dated before its block's since clears it at
 * since; the database refuses cleared_at < since (schema 0006), and the
 * migration first fixes rows that break the rule.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "seed.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *detector;

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	seed_servers(ctl, 2);
	detector = tl_token(ctl, "detector-1", "detector", "*");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_finish(ctl);
	free(detector);
	return 0;
}

static void
event(const char *type, const char *node, const char *at)
{
	char *b = xasprintf("{\"type\":\"%s\",\"node\":\"%s\",\"provider\":\"google\",\"class\":\"block\","
	    "\"at\":\"%s\"}", type, node, at);

	json_decref(tl_api_ok(ctl, "POST", "/v1/events", detector, b));
	free(b);
}

/* A block dated years back starts at most an hour ago; one dated in the
 * future starts at most a minute from now. */
static void
test_at_clamped(void **state)
{
	(void)state;
	event("block", "mx01", "2001-01-01T00:00:00Z");
	tl_expect_sql(ctl->conninfo, "SELECT since BETWEEN now() - interval '61 minutes'"
	    " AND now() - interval '59 minutes' FROM blocks WHERE node = 'mx01'", "t");
	event("block", "mx02", "2100-01-01T00:00:00Z");
	tl_expect_sql(ctl->conninfo, "SELECT since BETWEEN now() AND now() + interval '61 seconds'"
	    " FROM blocks WHERE node = 'mx02'", "t");
}

/* A clear dated before the block it clears ends it at its since. */
static void
test_clear_not_before_since(void **state)
{
	(void)state;
	event("clear", "mx02", "2001-01-01T00:00:00Z");
	tl_expect_sql(ctl->conninfo, "SELECT cleared_at = since FROM blocks WHERE node = 'mx02'", "t");
	event("clear", "mx01", "2100-01-01T00:00:00Z");
	tl_expect_sql(ctl->conninfo, "SELECT cleared_at BETWEEN now() AND now() + interval '61 seconds'"
	    " FROM blocks WHERE node = 'mx01'", "t");
}

/* The database refuses cleared_at < since, whoever writes it. */
static void
test_check_constraint(void **state)
{
	char *err = NULL;

	(void)state;
	assert_int_equal(tl_sql_try(ctl->conninfo,
	    "UPDATE blocks SET cleared_at = since - interval '1 second' WHERE node = 'mx01'", &err), -1);
	assert_non_null(strstr(err, "blocks_cleared_after_since"));
	free(err);
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM blocks WHERE cleared_at < since", "0");
}

/* The migration fixes rows that break the rule before adding the CHECK. */
static void
test_migration_fixes_rows(void **state)
{
	char *out = NULL, *err = NULL;
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "migrate", "-c", ctl->conf, NULL };

	(void)state;
	free(tl_sql(ctl->conninfo, "ALTER TABLE blocks DROP CONSTRAINT blocks_cleared_after_since"));
	free(tl_sql(ctl->conninfo, "INSERT INTO blocks (node, provider, since, class, reporter, cleared_at)"
	    " VALUES ('mx02', 'yahoo', now(), 'block', 'old', now() - interval '3 days')"));
	free(tl_sql(ctl->conninfo, "DELETE FROM schema_migrations WHERE name LIKE '0006%'"));
	if (tl_run(argv, &out, &err, 60) != 0)
		fail_msg("postrouted migrate: %s%s", out ? out : "", err ? err : "");
	tl_expect_sql(ctl->conninfo, "SELECT cleared_at = since FROM blocks WHERE provider = 'yahoo'", "t");
	tl_expect_sql(ctl->conninfo, "SELECT count(*) FROM pg_constraint"
	    " WHERE conname = 'blocks_cleared_after_since'", "1");
	free(out), free(err), free(bin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_at_clamped),
		cmocka_unit_test(test_clear_not_before_since),
		cmocka_unit_test(test_check_constraint),
		cmocka_unit_test(test_migration_fixes_rows),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
