/*
 * test_scan.c: the real "postroute-agent scan" ($POSTROUTE_BINDIR) on
 * tests/data/scan-basic.log, compared with tests/data/scan-basic.out, and
 * its exit statuses.
 *
 * The fixture's block episode uses RFC 3339 timestamps so that the events'
 * "at" does not depend on the year inferred for syslog timestamps.
 * Defaults come from $POSTROUTE_SRCDIR/deploy through POSTROUTE_DATADIR,
 * except in test_defaults_from_any_cwd, which checks the lookup without it.
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

#include "datafile.h"
#include "strbuf.h"
#include "scanrun.h"
#include "testlib.h"

static struct scanrun_paths sp;

static int
setup(void **state)
{
	(void)state;
	return scanrun_setup(&sp, "scan-basic");
}

static void
test_golden(void **state)
{
	char *argv[] = { sp.agent, "scan", sp.log, NULL };
	char *err, *out = scanrun(argv, 0, &err);

	(void)state;
	scanrun_golden(out, sp.golden, "scan output");
	assert_non_null(strstr(err, "scan: 3 lines skipped as malformed"));
	free(out);
	free(err);
}

/* Two files: line numbers restart, the detector carries on. */
static void
test_two_files(void **state)
{
	char *argv[] = { sp.agent, "scan", sp.log, sp.log, NULL };
	char *out = NULL, *err = NULL;

	(void)state;
	out = scanrun(argv, 0, &err);
	char *second = strstr(out, "{\"type\":\"delivery\",\"line\":4,");
	assert_non_null(second);
	assert_non_null(strstr(second + 1, "{\"type\":\"delivery\",\"line\":4,"));
	/* the second copy repeats the episode: block and clear again */
	size_t blocks = 0;
	for (char *p = out; (p = strstr(p, "{\"type\":\"block\"")) != NULL; p++)
		blocks++;
	assert_int_equal(blocks, 2);
	free(out);
	free(err);
}

static void
test_local_rules_and_errors(void **state)
{
	char *dir = tl_mkdtemp("scan");
	char rules[4096], bad[4096];
	char *out = NULL, *err = NULL;

	(void)state;
	snprintf(rules, sizeof(rules), "%s/local.rules", dir);
	snprintf(bad, sizeof(bad), "%s/bad.rules", dir);
	/* a local rule that makes user-unknown bounces reroutable: mx12 now blocks */
	tl_write_file(rules, "user-unknown block yes /does not exist/\n");
	tl_write_file(bad, "x block yes /(/\n");
	char *a1[] = { sp.agent, "scan", "--rules", rules, sp.log, NULL };
	out = scanrun(a1, 0, &err);
	assert_non_null(strstr(out, "{\"type\":\"block\",\"node\":\"mx12\",\"provider\":\"google\",\"class\":\"block\",\"count\":5,"));
	free(out);
	free(err);

	char *a2[] = { sp.agent, "scan", "--rules", bad, sp.log, NULL };
	out = scanrun(a2, 2, &err);
	assert_non_null(strstr(err, "bad.rules:1: x: bad pattern at offset 1: missing closing parenthesis"));
	assert_string_equal(out, "");
	free(out);
	free(err);

	char *a3[] = { sp.agent, "scan", NULL };
	out = scanrun(a3, 2, &err);
	assert_non_null(strstr(err, "usage: postroute-agent scan"));
	free(out);
	free(err);

	char *a4[] = { sp.agent, "scan", "/nonexistent/maillog", sp.log, NULL };
	out = scanrun(a4, 1, &err);
	assert_non_null(strstr(err, "scan: /nonexistent/maillog: No such file or directory"));
	assert_non_null(strstr(out, "{\"type\":\"clear\""));   /* the other file was scanned */
	free(out);
	free(err);

	/* thresholds for the run: 7 failures needed, the episode has 6 */
	char *a6[] = { sp.agent, "scan", "--set", "fail_count=7", sp.log, NULL };
	out = scanrun(a6, 0, &err);
	assert_null(strstr(out, "{\"type\":\"block\""));
	assert_null(strstr(out, "{\"type\":\"clear\""));
	free(out);
	free(err);
	char *a7[] = { sp.agent, "scan", "--set=min_definite=9", sp.log, NULL };
	out = scanrun(a7, 2, &err);
	assert_non_null(strstr(err, "scan: detector thresholds: min_definite must be between 1 and fail_count"));
	free(out);
	free(err);
	/* the [logwatch] names and units: a share in percent, a duration with its unit */
	char *a8[] = { sp.agent, "scan", "--set", "fail_percent=100", "--set", "window=5m", sp.log, NULL };
	out = scanrun(a8, 0, &err);
	assert_null(strstr(out, "{\"type\":\"block\""));   /* 5 of 7 attempts failed: 71 % */
	free(out);
	free(err);
	char *a9[] = { sp.agent, "scan", "--set", "fail_percent=71", "--set", "window=5m", sp.log, NULL };
	out = scanrun(a9, 0, &err);
	assert_non_null(strstr(out, "{\"type\":\"block\",\"node\":\"relay03\""));
	free(out);
	free(err);
	/* refused as the file would refuse it, with the range; the old names with the new one */
	static const struct {
		const char *set, *error;
	} refused[] = {
		{ "fail_percent=101", "scan: --set fail_percent: \"101\" is out of range; allowed: 1 to 100" },
		{ "window=5", "scan: --set window: \"5\" is out of range; allowed: 10s to 86400s" },
		{ "clear_quiet=2x", "scan: --set clear_quiet: \"2x\" is not a duration" },
		{ "fail_share=0.3", "scan: --set fail_share=0.3: fail_share is now fail_percent, in percent"
		  " as in agent.ini's [logwatch]: --set fail_percent=30" },
		{ "conn_share=0.8", "--set conn_percent=80" },
		{ "queue_max=10", "scan: --set queue_max: no such threshold; NAME=VALUE, NAME one of window"
		  " fail_count fail_percent min_definite conn_count conn_percent clear_successes clear_quiet"
		  " volume_interval volume_multiple" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char *ab[] = { sp.agent, "scan", "--set", (char *)refused[i].set, sp.log, NULL };
		out = scanrun(ab, 2, &err);
		if (strstr(err, refused[i].error) == NULL)
			fail_msg("--set %s: %s (want %s)", refused[i].set, err, refused[i].error);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}

	char *a5[] = { sp.agent, "scan", "--providers", "/nonexistent/providers.conf", sp.log, NULL };
	out = scanrun(a5, 2, &err);
	assert_non_null(strstr(err, "/nonexistent/providers.conf: cannot open"));
	free(out);
	free(err);
	free(dir);
}

/* CRLF endings, a line longer than the read buffer, no final newline, an empty file. */
static void
test_reader_edges(void **state)
{
	char *dir = tl_mkdtemp("scan-edges");
	char path[4096], empty[4096];
	const char *ok = "2026-11-27T17:00:00Z mx1 postfix/smtp[1]: ABCDE12345: to=<a@gmail.com>, "
	    "relay=gmail-smtp-in.l.google.com[142.250.1.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, "
	    "status=sent (250 2.0.0 OK)";
	struct strbuf log = STRBUF_INIT;
	char *out = NULL, *err = NULL;

	(void)state;
	strbuf_appendf(&log, "%s\r\n", ok);                 /* 1 */
	for (size_t i = 0; i < (5u << 20); i += 64)          /* 2: 5 MiB */
		strbuf_append(&log, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	strbuf_appendf(&log, "\n%s\n\n%s", ok, ok);          /* 3, 4 (empty), 5 without newline */
	snprintf(path, sizeof(path), "%s/edges.log", dir);
	snprintf(empty, sizeof(empty), "%s/empty.log", dir);
	tl_write_file(path, log.buf);
	tl_write_file(empty, "");
	char *argv[] = { sp.agent, "scan", path, empty, NULL };
	out = scanrun(argv, 0, &err);
	const char *want[] = { "\"line\":1,", "\"line\":3,", "\"line\":5," };
	const char *p = out;
	for (size_t i = 0; i < 3; i++) {
		p = strstr(p, want[i]);
		if (p == NULL)
			fail_msg("no %s in:\n%s", want[i], out);
	}
	assert_int_equal(strstr(p + 1, "\"type\"") == NULL, 1);   /* nothing after line 5 */
	assert_non_null(strstr(err, "scan: 1 lines skipped as malformed"));
	strbuf_clear(&log);
	free(out);
	free(err);
	free(dir);
}

/* A quiet sender jumping 100x gives exactly one volume event; a steady
 * busy sender none. */
static void
test_volume_events(void **state)
{
	char *dir = tl_mkdtemp("scan-volume");
	char path[4096], line[512];
	struct strbuf log = STRBUF_INIT;
	char *out = NULL, *err = NULL;
	int q = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/maillog", dir);
	for (int m = 0; m < 50; m++) {
		int burst = m >= 45;
		for (int i = 0; i < (burst ? 30 : 2); i++) {
			snprintf(line, sizeof(line), "2026-11-27T10:%02d:%02dZ mx07 postfix/qmgr[1020]: %X:"
			    " from=<info@shop.example.jp>, size=4821, nrcpt=%d (queue active)\n",
			    m, i, 0xA0000 + q++, burst ? 10 : 1);
			strbuf_append(&log, line);
		}
		snprintf(line, sizeof(line), "2026-11-27T10:%02d:30Z mx07 postfix/qmgr[1020]: %X:"
		    " from=<news@shop.example>, size=4821, nrcpt=400 (queue active)\n", m, 0xA0000 + q++);
		strbuf_append(&log, line);
	}
	tl_write_file(path, strbuf_str(&log));
	char *argv[] = { sp.agent, "scan", path, NULL };
	out = scanrun(argv, 0, &err);
	size_t n = 0;
	for (char *p = out; (p = strstr(p, "{\"type\":\"volume\"")) != NULL; p++)
		n++;
	assert_int_equal(n, 1);
	assert_non_null(strstr(out, "{\"type\":\"volume\",\"node\":\"mx07\","
	    "\"sender\":\"info@shop.example.jp\",\"sender_kind\":\"envelope\",\"reason\":\"rate\","
	    "\"rate\":"));
	assert_null(strstr(out, "news@shop.example"));
	free(out), free(err), free(dir);
	strbuf_clear(&log);
}

/*
 * Without $POSTROUTE_DATADIR and from a directory with no deploy/ in it,
 * the real binary finds rules.conf and providers.conf in the source tree
 * it was built in (bin/.. or build/asan/bin/../../..) and prints the same
 * as from the source tree. A copy of the program outside any source tree
 * and install exits 2 naming every place it looked.
 */
static void
test_defaults_from_any_cwd(void **state)
{
	char *dir = tl_mkdtemp("scancwd");
	char here[4096], exe[4096], log[4096], copy[4200], bindir[4096];
	char *out = NULL, *err = NULL, *want = tl_read_file(sp.golden);
	char *saved = getenv("POSTROUTE_DATADIR") ? strdup(getenv("POSTROUTE_DATADIR")) : NULL;

	(void)state;
	assert_non_null(want);
	assert_non_null(realpath(sp.agent, exe));
	assert_non_null(realpath(sp.log, log));
	assert_non_null(getcwd(here, sizeof(here)));
	unsetenv("POSTROUTE_DATADIR");
	assert_int_equal(chdir(dir), 0);

	char *a1[] = { exe, "scan", log, NULL };
	int rc = tl_run(a1, &out, &err, 60);
	if (rc != 0)
		printf("stderr: %s", err);
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
	free(out), free(err);

	/* the same program, copied where no data files are (unless installed here) */
	if (access(POSTROUTE_DATADIR "/rules.conf", F_OK) == 0) {
		printf("skip the copy: %s is installed on this machine\n", POSTROUTE_DATADIR);
		goto out;
	}
	snprintf(bindir, sizeof(bindir), "%s/a/b/c/bin", dir);
	snprintf(copy, sizeof(copy), "%s/postroute-agent", bindir);
	char *mk[] = { "/bin/mkdir", "-p", bindir, NULL };
	assert_int_equal(tl_run(mk, &out, &err, 30), 0);
	free(out), free(err);
	char *cp[] = { "/bin/cp", exe, copy, NULL };
	assert_int_equal(tl_run(cp, &out, &err, 30), 0);
	free(out), free(err);
	char *a2[] = { copy, "scan", log, NULL };
	out = scanrun(a2, 2, &err);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "scan: no rules.conf (looked in " POSTROUTE_DATADIR "/rules.conf, "));
	assert_non_null(strstr(err, "scan: no providers.conf (looked in " POSTROUTE_DATADIR "/providers.conf, "));
	assert_non_null(strstr(err, "/a/b/c/bin/../share/postroute/providers.conf, "));
	assert_non_null(strstr(err, "/a/b/c/bin/../deploy/providers.conf, "));
	assert_non_null(strstr(err, "/a/b/c/bin/../../../deploy/providers.conf)"));
	free(out), free(err);
out:
	assert_int_equal(chdir(here), 0);
	if (saved != NULL)
		setenv("POSTROUTE_DATADIR", saved, 1);
	free(saved);
	free(want);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volume_events),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_two_files),
		cmocka_unit_test(test_local_rules_and_errors),
		cmocka_unit_test(test_reader_edges),
		cmocka_unit_test(test_defaults_from_any_cwd),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
