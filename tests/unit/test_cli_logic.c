/*
 * test_cli_logic.c: the CLI's decisions that need no controller: history
 * replay (routes --at), which nodes a flip waits for and when a node
 * counts as applied or failed, status problems, history change summaries,
 * and where the connection settings come from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cmd_history.h"
#include "cmd_status.h"
#include "replay.h"
#include "cliconf.h"
#include "testlib.h"
#include "xalloc.h"
#include "waitapply.h"

#define ROUTE(p, s, r) "{\"provider\":\"" p "\",\"scope\":\"" s "\",\"relay\":\"" r "\"}"

/* newest first, as the API returns them */
static const char *history_rows =
    "[{\"id\":7,\"at\":\"2026-11-27T12:00:00.000Z\",\"action\":\"route.expired\","
    "  \"provider\":\"yahoo\",\"before\":" ROUTE("yahoo", "*", "relay02") ",\"after\":null,\"version\":7},"
    " {\"id\":6,\"at\":\"2026-11-27T11:00:00.000Z\",\"action\":\"relay.put\",\"object\":\"relay09\","
    "  \"before\":null,\"after\":{\"name\":\"relay09\"},\"version\":6},"
    " {\"id\":5,\"at\":\"2026-11-27T10:00:00.000Z\",\"action\":\"route.delete\","
    "  \"provider\":\"google\",\"before\":" ROUTE("google", "mx07", "relay03") ",\"after\":null,\"version\":5},"
    " {\"id\":4,\"at\":\"2026-11-27T09:00:00.000Z\",\"action\":\"route.set\",\"provider\":\"google\","
    "  \"before\":" ROUTE("google", "*", "relay01") ",\"after\":" ROUTE("google", "*", "relay05") ",\"version\":4},"
    " {\"id\":3,\"at\":\"2026-11-27T08:00:00.000Z\",\"action\":\"route.set\",\"provider\":\"yahoo\","
    "  \"before\":null,\"after\":" ROUTE("yahoo", "*", "relay02") ",\"version\":3},"
    " {\"id\":2,\"at\":\"2026-11-27T08:00:00.000Z\",\"action\":\"route.set\",\"provider\":\"google\","
    "  \"before\":null,\"after\":" ROUTE("google", "mx07", "relay03") ",\"version\":2},"
    " {\"id\":1,\"at\":\"2026-11-27T07:00:00.000Z\",\"action\":\"route.set\",\"provider\":\"google\","
    "  \"before\":null,\"after\":" ROUTE("google", "*", "relay01") ",\"version\":1}]";

/* "provider/scope=relay ..." of a replay at t, and its version */
static char *
replay_at(const char *t, long long *version)
{
	json_t *rows = json_loads(history_rows, 0, NULL), *routes = NULL, *r;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct tp_time at;
	const char *why;
	size_t i;

	assert_non_null(rows);
	assert_int_equal(timeparse_absolute(t, &at, &why), 0);
	if (replay_routes(rows, &at, &routes, version, &err) != 0)
		fail_msg("replay: %s", strbuf_str(&err));
	json_array_foreach(routes, i, r) {
		strbuf_appendf(&out, "%s%s/%s=%s", i ? " " : "",
		    json_string_value(json_object_get(r, "provider")),
		    json_string_value(json_object_get(r, "scope")),
		    json_string_value(json_object_get(r, "relay")));
	}
	json_decref(rows), json_decref(routes);
	strbuf_clear(&err);
	return strbuf_detach(&out);
}

static void
test_replay(void **state)
{
	static const struct { const char *at, *want; long long version; } cases[] = {
		{ "2026-11-27T06:59:59Z", "", 0 },
		{ "2026-11-27T07:00:00Z", "google/*=relay01", 1 },
		{ "2026-11-27T08:30:00Z", "google/*=relay01 google/mx07=relay03 yahoo/*=relay02", 3 },
		{ "2026-11-27T09:00:00Z", "google/*=relay05 google/mx07=relay03 yahoo/*=relay02", 4 },
		{ "2026-11-27T10:00:00.001Z", "google/*=relay05 yahoo/*=relay02", 5 },
		{ "2026-11-27T11:30:00Z", "google/*=relay05 yahoo/*=relay02", 5 },
		{ "2026-11-27T13:00:00Z", "google/*=relay05", 7 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long v = -1;
		char *got = replay_at(cases[i].at, &v);
		if (strcmp(got, cases[i].want) != 0 || v != cases[i].version)
			fail_msg("at %s: got \"%s\" v%lld, want \"%s\" v%lld", cases[i].at, got, v,
			    cases[i].want, cases[i].version);
		free(got);
	}
}

static void
test_replay_malformed(void **state)
{
	json_t *rows = json_loads("[{\"id\":9,\"action\":\"route.set\",\"at\":\"yesterday\"}]", 0, NULL);
	json_t *routes = NULL;
	struct strbuf err = STRBUF_INIT;
	struct tp_time at = { 2000000000LL, 0 };
	long long v;

	(void)state;
	assert_int_equal(replay_routes(rows, &at, &routes, &v, &err), -1);
	assert_string_equal(strbuf_str(&err), "history row 9: \"at\" is not a time "
	    "(use 2026-11-27T18:04:05Z, or 30m, 2h, 7d ago)");
	json_decref(rows);
	strbuf_reset(&err);
	rows = json_loads("[{\"id\":3,\"action\":\"route.set\",\"at\":\"2026-11-27T08:00:00Z\","
	    "\"after\":{\"relay\":\"r\"}}]", 0, NULL);
	assert_int_equal(replay_routes(rows, &at, &routes, &v, &err), -1);
	assert_string_equal(strbuf_str(&err), "history row 3: no provider and scope in the route");
	json_decref(rows);
	strbuf_clear(&err);
}

static const char *status_doc =
    "{\"version\": 12, \"nodes\": ["
    " {\"name\":\"mx01\",\"role\":\"server\",\"applied_version\":12,\"lag\":0,\"behind_s\":0,"
    "  \"last_status\":\"applied\",\"connected\":true,\"last_report_at\":\"2026-11-27T10:00:00.000Z\"},"
    " {\"name\":\"mx02\",\"role\":\"server\",\"applied_version\":10,\"lag\":2,\"behind_s\":300,"
    "  \"last_status\":\"failed\",\"last_error\":\"postmap: exit 1\",\"connected\":true,"
    "  \"last_report_at\":\"2026-11-27T10:00:01.000Z\"},"
    " {\"name\":\"mx03\",\"role\":\"server\",\"applied_version\":null,\"lag\":12,\"behind_s\":30,"
    "  \"last_status\":null,\"connected\":false},"
    " {\"name\":\"relay03-host\",\"role\":\"relay\",\"relay\":\"relay03\",\"applied_version\":null,"
    "  \"lag\":12,\"behind_s\":30,\"connected\":false}],"
    " \"blocks\": []}";

static void
test_wait_targets(void **state)
{
	json_t *st = json_loads(status_doc, 0, NULL), *t;
	char *s;

	(void)state;
	t = waitapply_targets(st, "*");
	s = json_dumps(t, JSON_COMPACT);
	assert_string_equal(s, "[\"mx01\",\"mx02\",\"mx03\"]");
	free(s), json_decref(t);
	t = waitapply_targets(st, "mx02");
	s = json_dumps(t, JSON_COMPACT);
	assert_string_equal(s, "[\"mx02\"]");
	free(s), json_decref(t);
	t = waitapply_targets(st, "relay03-host");
	assert_int_equal(json_array_size(t), 0);
	json_decref(t);
	assert_null(waitapply_targets(st, "mx99"));
	json_decref(st);
}

static void
test_wait_node_state(void **state)
{
	json_t *st = json_loads(status_doc, 0, NULL);
	json_t *nodes = json_object_get(st, "nodes");
	json_t *mx01 = json_array_get(nodes, 0), *mx02 = json_array_get(nodes, 1);
	json_t *mx03 = json_array_get(nodes, 2);

	(void)state;
	assert_int_equal(waitapply_node_state(mx01, 12, NULL), WAITAPPLY_APPLIED);
	assert_int_equal(waitapply_node_state(mx01, 13, NULL), WAITAPPLY_PENDING);
	/* a failure reported after the change began */
	assert_int_equal(waitapply_node_state(mx02, 12, NULL), WAITAPPLY_FAILED);
	assert_int_equal(waitapply_node_state(mx02, 12, "2026-11-27T09:00:00.000Z"), WAITAPPLY_FAILED);
	/* the same failure as before the change: the agent may yet apply */
	assert_int_equal(waitapply_node_state(mx02, 12, "2026-11-27T10:00:01.000Z"), WAITAPPLY_PENDING);
	assert_int_equal(waitapply_node_state(mx02, 10, "2026-11-27T10:00:01.000Z"), WAITAPPLY_APPLIED);
	assert_int_equal(waitapply_node_state(mx03, 1, NULL), WAITAPPLY_PENDING);
	json_decref(st);
}

static void
test_status_problems(void **state)
{
	json_t *st = json_loads(status_doc, 0, NULL), *p;
	char *s;

	(void)state;
	p = cmd_status_problems(st, 60);
	s = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s,
	    "[{\"node\":\"mx02\",\"problem\":\"last apply failed: postmap: exit 1\"},"
	    "{\"node\":\"mx02\",\"problem\":\"2 versions behind for 300 s\"},"
	    "{\"node\":\"mx03\",\"problem\":\"agent not connected (no feed request in the last 90 s)\"}]");
	free(s), json_decref(p);
	p = cmd_status_problems(st, 10);
	assert_int_equal(json_array_size(p), 4);   /* mx03 lags 30 s; relay nodes do not count */
	json_decref(p);
	json_decref(st);
}

static void
test_history_change(void **state)
{
	static const struct { const char *row, *want; } cases[] = {
		{ "{\"action\":\"route.set\",\"before\":null,\"after\":{\"relay\":\"relay03\"}}",
		  "(default) -> relay03" },
		{ "{\"action\":\"route.delete\",\"before\":{\"relay\":\"relay03\"},\"after\":null}",
		  "relay03 -> (default)" },
		{ "{\"action\":\"relay.put\",\"before\":null,\"after\":{\"name\":\"r\"}}", "created" },
		{ "{\"action\":\"relay.delete\",\"before\":{\"name\":\"r\"},\"after\":null}", "deleted" },
		{ "{\"action\":\"relay.put\",\"before\":{\"name\":\"r\",\"drained\":false,"
		  "\"updated_at\":\"a\"},\"after\":{\"name\":\"r\",\"drained\":true,\"updated_at\":\"b\"}}",
		  "drained: no -> yes" },
		{ "{\"action\":\"provider.put\",\"before\":{\"domains\":[\"a.com\"]},"
		  "\"after\":{\"domains\":[\"a.com\",\"b.com\"]}}", "domains: a.com -> a.com,b.com" },
		{ "{\"action\":\"token.create\"}", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *row = json_loads(cases[i].row, 0, NULL);
		char *got = cmd_history_change(row);
		if (cases[i].want == NULL)
			assert_null(got);
		else if (got == NULL || strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got %s", cases[i].row, got ? got : "NULL");
		free(got);
		json_decref(row);
	}
}

/* ---- settings ---- */

static const char *fake_env[16];

static const char *
env_lookup(const char *name)
{
	for (size_t i = 0; fake_env[i] != NULL; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

static int
resolve(int argc, char **argv, struct cliconf *s, struct strbuf *err)
{
	static const struct args_opt opts[] = {
		{ "url", ARGS_VALUE, "URL", "" }, { "token", ARGS_VALUE, "T", "" },
		{ "token-file", ARGS_VALUE, "F", "" }, { "token-stdin", ARGS_FLAG, NULL, "" },
		{ "ca-file", ARGS_VALUE, "F", "" },
		{ "config", ARGS_VALUE, "F", "" }, { NULL, ARGS_FLAG, NULL, NULL },
	};
	const struct args_opt *const tables[] = { opts, NULL };
	struct args a;
	int rc;

	assert_int_equal(args_parse(&a, tables, argc, argv, err), 0);
	rc = cliconf_resolve(s, &a, env_lookup, err);
	args_free(&a);
	return rc;
}

static void
test_settings(void **state)
{
	char *dir = tl_mkdtemp("cli-settings");
	char *tok = xasprintf("%s/token", dir), *ini = xasprintf("%s/cli.ini", dir);
	char *home_ini_dir = xasprintf("%s/.config/postroute", dir);
	char *home_ini = xasprintf("%s/cli.ini", home_ini_dir);
	char *bad_ini = xasprintf("%s/bad.ini", dir);
	struct strbuf err = STRBUF_INIT;
	struct cliconf s;

	(void)state;
	tl_write_file(tok, "secret-from-file  \n second line\n");
	chmod(tok, 0600);
	tl_write_file(ini, "[cli]\nurl = https://ini.example:8443\ntoken_file = /nonexistent\n");
	tl_write_file(bad_ini, "[cli]\nurl = x\nfrob = 1\n");

	/* flags win over the environment */
	fake_env[0] = "POSTROUTE_URL", fake_env[1] = "http://env:1";
	fake_env[2] = "POSTROUTE_TOKEN", fake_env[3] = "env-token";
	fake_env[4] = "HOME", fake_env[5] = dir;
	fake_env[6] = "POSTROUTE_INSECURE_HTTP", fake_env[7] = "yes", fake_env[8] = NULL;
	char *a1[] = { "--url", "http://flag:2", "--token-file", tok };
	assert_int_equal(resolve(4, a1, &s, &err), 0);
	assert_string_equal(s.url, "http://flag:2");
	assert_string_equal(s.token, "secret-from-file");
	assert_null(s.ca_file);
	cliconf_free(&s);

	/* the environment wins over the INI file */
	char *a2[] = { "--config", ini };
	assert_int_equal(resolve(2, a2, &s, &err), 0);
	assert_string_equal(s.url, "http://env:1");
	assert_string_equal(s.token, "env-token");
	cliconf_free(&s);

	/* the INI file named by --config; its token file is missing */
	fake_env[0] = "HOME", fake_env[1] = dir, fake_env[2] = NULL;
	assert_int_equal(resolve(2, a2, &s, &err), -1);
	assert_string_equal(strbuf_str(&err), "token file /nonexistent: No such file or directory");
	strbuf_reset(&err);

	/* ~/.config/postroute/cli.ini when it exists */
	char *mk = xasprintf("mkdir -p %s", home_ini_dir);
	assert_int_equal(system(mk), 0);
	char *text = xasprintf("[cli]\nurl = http://home:3/\ntoken_file = %s\nca_file = /ca.pem\n"
	    "insecure_http = yes\n", tok);
	tl_write_file(home_ini, text);
	assert_int_equal(resolve(0, NULL, &s, &err), 0);
	assert_string_equal(s.url, "http://home:3/");
	assert_string_equal(s.ca_file, "/ca.pem");
	cliconf_free(&s);

	/* errors */
	char *a3[] = { "--config", bad_ini };
	assert_int_equal(resolve(2, a3, &s, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "bad.ini:3: [cli] frob: unknown key"));
	strbuf_reset(&err);
	char *a4[] = { "--url", "ftp://x", "--token-file", tok };
	assert_int_equal(resolve(4, a4, &s, &err), -1);
	assert_string_equal(strbuf_str(&err), "controller URL \"ftp://x\" must start with http:// or https://");
	strbuf_reset(&err);
	char *a5[] = { "--url", "http://x", "--token-stdin", "--token-file", tok };
	assert_int_equal(resolve(5, a5, &s, &err), -1);
	assert_string_equal(strbuf_str(&err), "--token-file and --token-stdin are exclusive");
	strbuf_reset(&err);
	fake_env[0] = NULL;
	assert_int_equal(resolve(0, NULL, &s, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "no controller URL"));
	strbuf_reset(&err);
	char *a6[] = { "--url", "http://x" };
	assert_int_equal(resolve(2, a6, &s, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "no API token"));
	strbuf_reset(&err);
	fake_env[0] = "POSTROUTE_TOKEN", fake_env[1] = "abc\r\nX-Injected: 1", fake_env[2] = NULL;
	char *a8[] = { "--url", "http://x" };
	assert_int_equal(resolve(2, a8, &s, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "the API token contains a space, a control character"));
	strbuf_reset(&err);
	fake_env[0] = NULL;
	tl_write_file(tok, "\n");
	char *a7[] = { "--url", "http://x", "--token-file", tok };
	assert_int_equal(resolve(4, a7, &s, &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "the first line is empty"));

	strbuf_clear(&err);
	free(mk), free(text), free(dir), free(tok), free(ini), free(home_ini_dir);
	free(home_ini), free(bad_ini);
}

/* deploy/cli.ini and postroute(1) name every key of the table; the sample loads. */
static void
test_sample_and_man_page(void **state)
{
	char *path = xasprintf("%s/deploy/cli.ini", tl_srcdir());
	char *man = xasprintf("%s/docs/man/postroute.1", tl_srcdir());
	char *text = tl_read_file(path), *mantext = tl_read_file(man);
	struct cliconf s;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_non_null(text);
	assert_non_null(mantext);
	for (int i = 0; cliconf_keys[i].key != NULL; i++) {
		char *key = xasprintf("\n%s =", cliconf_keys[i].key);
		char *commented = xasprintf("\n;%s =", cliconf_keys[i].key);
		char *inman = xasprintf(".B %s\n", cliconf_keys[i].key);
		if (strstr(text, key) == NULL && strstr(text, commented) == NULL)
			fail_msg("deploy/cli.ini lacks [cli] %s", cliconf_keys[i].key);
		if (strstr(mantext, inman) == NULL)
			fail_msg("postroute.1 lacks [cli] %s", cliconf_keys[i].key);
		free(key), free(commented), free(inman);
	}
	/* the sample loads (its token file does not exist: that error only) */
	char *a[] = { "--config", path };
	fake_env[0] = NULL;
	assert_int_equal(resolve(2, a, &s, &err), -1);
	assert_string_equal(strbuf_str(&err),
	    "token file /home/alice/.config/postroute/token: No such file or directory");
	strbuf_clear(&err);
	free(text), free(mantext), free(path), free(man);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_malformed),
		cmocka_unit_test(test_wait_targets),
		cmocka_unit_test(test_wait_node_state),
		cmocka_unit_test(test_status_problems),
		cmocka_unit_test(test_history_change),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_sample_and_man_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
