/*
 * test_default_config.c: without -c, the real postrouted and
 * postroute-agent read the Debian paths /etc/postroute/postrouted.ini and
 * /etc/postroute/agent.ini. This machine has no /etc/postroute (the test
 * skips if it has), so both must exit 2 naming the path and pointing at -c,
 * for every controller command and for the agent's -n and --once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "confpath.h"
#include "testlib.h"

static char ctl[4096], agent[4096];

static int
setup(void **state)
{
	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/postrouted", tl_bindir());
	snprintf(agent, sizeof(agent), "%s/postroute-agent", tl_bindir());
	return 0;
}

static void
expect_missing(char *const argv[], const char *prog, const char *path)
{
	char *out = NULL, *err = NULL, want[512];

	snprintf(want, sizeof(want), "%s: no configuration file: %s: No such file or directory "
	    "(give one with -c FILE)\n", prog, path);
	assert_int_equal(tl_run(argv, &out, &err, 30), 2);
	assert_string_equal(out, "");
	assert_string_equal(err, want);
	free(out);
	free(err);
}

static void
test_default_paths(void **state)
{
	(void)state;
	if (access(CONFPATH_DIR, F_OK) == 0)
		skip();
	assert_string_equal(CONFPATH_CONTROLLER, "/etc/postroute/postrouted.ini");
	assert_string_equal(CONFPATH_AGENT, "/etc/postroute/agent.ini");

	char *c1[] = { ctl, "-n", NULL };
	char *c2[] = { ctl, "migrate", NULL };
	char *c3[] = { ctl, "token", "list", NULL };
	char *c4[] = { ctl, NULL };
	expect_missing(c1, "postrouted", CONFPATH_CONTROLLER);
	expect_missing(c2, "postrouted", CONFPATH_CONTROLLER);
	expect_missing(c3, "postrouted", CONFPATH_CONTROLLER);
	expect_missing(c4, "postrouted", CONFPATH_CONTROLLER);

	char *a1[] = { agent, "-n", NULL };
	char *a2[] = { agent, "--once", NULL };
	expect_missing(a1, "postroute-agent", CONFPATH_AGENT);
	expect_missing(a2, "postroute-agent", CONFPATH_AGENT);
}

/* An explicit -c still wins, and its own errors are unchanged. */
static void
test_explicit_wins(void **state)
{
	char *out = NULL, *err = NULL;

	(void)state;
	char *c1[] = { ctl, "-n", "-c", "/nonexistent/x.ini", NULL };
	assert_int_equal(tl_run(c1, &out, &err, 30), 1);
	assert_non_null(strstr(err, "/nonexistent/x.ini"));
	assert_null(strstr(err, CONFPATH_CONTROLLER));
	free(out), free(err);
	char *a1[] = { agent, "-n", "-c", "/nonexistent/y.ini", NULL };
	assert_int_equal(tl_run(a1, &out, &err, 30), 1);
	assert_non_null(strstr(err, "/nonexistent/y.ini"));
	assert_null(strstr(err, CONFPATH_AGENT));
	free(out), free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_paths),
		cmocka_unit_test(test_explicit_wins),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
