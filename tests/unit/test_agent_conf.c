/*
 * test_agent_conf.c: the agent's key table against deploy/agent.ini and
 * the man page (every key documented with its default), the sample
 * file loading cleanly, the checks of the journal source's keys, and the
 * thresholds: one table for the file and scan --set, whose defaults are
 * the detector's and the volume tracker's.
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

#include "agentconf.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static char *
src_file(const char *rel)
{
	char *path = xasprintf("%s/%s", tl_srcdir(), rel);
	char *text = tl_read_file(path);

	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

/* The text of section [name] of an INI file (up to the next section). */
static char *
ini_section(const char *ini, const char *name)
{
	char *hdr = xasprintf("\n[%s]\n", name);
	const char *p = strstr(ini, hdr);

	if (p == NULL)
		fail_msg("deploy/agent.ini has no [%s]", name);
	p += strlen(hdr);
	const char *end = strstr(p, "\n[");
	free(hdr);
	return xstrndup(p, end ? (size_t)(end - p) : strlen(p));
}

static void
test_sample_lists_every_key(void **state)
{
	char *ini = src_file("deploy/agent.ini");

	(void)state;
	for (const struct config_key *k = agentconf_keys; k->key != NULL; k++) {
		char *sec = ini_section(ini, k->section);
		char *set = xasprintf("\n%s = ", k->key), *dflt = xasprintf("\n;%s = %s\n", k->key,
		    k->def ? k->def : "");
		char *bare = xasprintf("\n;%s =\n", k->key);
		int found = strstr(sec, set) != NULL || strstr(sec, dflt) != NULL ||
		    ((k->def == NULL || k->def[0] == '\0') && strstr(sec, bare) != NULL);
		if (!found)
			fail_msg("[%s] %s: missing from deploy/agent.ini (or its default is not %s)",
			    k->section, k->key, k->def ? k->def : "(none)");
		free(sec), free(set), free(dflt), free(bare);
	}
	free(ini);
}

static void
test_man_page_lists_every_key(void **state)
{
	char *man = src_file("docs/man/postroute-agent.8");

	(void)state;
	for (const struct config_key *k = agentconf_keys; k->key != NULL; k++) {
		char *b = xasprintf(".B %s\n", k->key), *br = xasprintf(".BR %s ", k->key);
		char *br2 = xasprintf(".BR %s\n", k->key);
		if (!strstr(man, b) && !strstr(man, br) && !strstr(man, br2))
			fail_msg("[%s] %s: not in docs/man/postroute-agent.8", k->section, k->key);
		free(b), free(br), free(br2);
	}
	free(man);
}

static void
test_sample_loads(void **state)
{
	char *dir = tl_mkdtemp("conf");
	char *tok = xasprintf("%s/token", dir), *conf = xasprintf("%s/agent.ini", dir);
	char *ini = src_file("deploy/agent.ini");
	char *at = strstr(ini, "/etc/postroute/agent.token");
	struct agent_config cfg;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_non_null(at);
	*at = '\0';
	char *text = xasprintf("%s%s%s", ini, tok, at + strlen("/etc/postroute/agent.token"));
	tl_write_file(conf, text);
	tl_write_file(tok, "secret-token\n");
	chmod(tok, 0600);
	if (agentconf_load(conf, &cfg, &err) != 0)
		fail_msg("%s", strbuf_str(&err));
	assert_int_equal(cfg.nurls, 2);
	assert_string_equal(cfg.urls[1], "https://postroute-b.example.net");
	assert_string_equal(cfg.token, "secret-token");
	assert_string_equal(cfg.map_type, "hash");
	assert_int_equal(cfg.poll_wait_ms, 60000);
	assert_int_equal(cfg.retry_max_ms, 30000);
	agentconf_free(&cfg);
	strbuf_clear(&err);
	free(dir), free(tok), free(conf), free(ini), free(text);
}

/* Loads a config with these [logwatch] lines: 0, or -1 with the errors in err. */
static int
load_logwatch(const char *lines, struct agent_config *cfg, struct strbuf *err)
{
	char *dir = tl_mkdtemp("conf");
	char *tok = xasprintf("%s/token", dir), *conf = xasprintf("%s/agent.ini", dir);
	char *text = xasprintf("[agent]\nnode = mx01\ncontroller = http://127.0.0.1:1\n"
	    "token_file = %s\n[logwatch]\n%s", tok, lines);
	int rc;

	tl_write_file(tok, "secret-token\n");
	chmod(tok, 0600);
	tl_write_file(conf, text);
	rc = agentconf_load(conf, cfg, err);
	free(dir), free(tok), free(conf), free(text);
	return rc;
}

static void
test_journal_keys(void **state)
{
	struct agent_config cfg;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	/* the defaults: file, off; the Postfix units of Debian and others */
	assert_int_equal(load_logwatch("", &cfg, &err), 0);
	assert_string_equal(cfg.logwatch_source, "file");
	assert_string_equal(cfg.logwatch_journal_units, "postfix@-.service postfix.service");
	assert_string_equal(cfg.logwatch_journal_directory, "");
	assert_int_equal(agentconf_logwatch_on(&cfg), 0);
	agentconf_free(&cfg);
	assert_int_equal(load_logwatch("source = journal\n", &cfg, &err), 0);
	assert_int_equal(agentconf_logwatch_on(&cfg), 1);
	agentconf_free(&cfg);
	assert_int_equal(load_logwatch("source = journal\njournal_units = postfix@-.service,"
	    "postfix@postfix-out.service\njournal_directory = /var/log/journal/remote\n", &cfg,
	    &err), 0);
	agentconf_free(&cfg);
	static const struct { const char *lines, *error; } bad[] = {
		{ "source = syslog\n", "[logwatch] source" },
		{ "source = journal\nfile = /var/log/mail.log\n",
		  "[logwatch] file: not read with source = journal" },
		{ "source = journal\njournal_units =\n", "[logwatch] journal_units: no unit named" },
		{ "source = journal\njournal_units = postfix\n",
		  "[logwatch] journal_units: unit \"postfix\" has no unit type suffix" },
		{ "source = journal\njournal_units = postfix@-.service;reboot\n",
		  "has a character that no unit name has" },
		{ "source = journal\njournal_directory = var/log/journal\n",
		  "[logwatch] journal_directory: \"var/log/journal\" is not an absolute path" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load_logwatch(bad[i].lines, &cfg, &err) == 0)
			fail_msg("accepted: %s", bad[i].lines);
		if (strstr(strbuf_str(&err), bad[i].error) == NULL)
			fail_msg("for %s: %s (want %s)", bad[i].lines, strbuf_str(&err), bad[i].error);
		agentconf_free(&cfg);
		strbuf_reset(&err);
	}
	strbuf_clear(&err);
}

/* The table's thresholds at their defaults are the detector's and the
 * tracker's own defaults (detector_config_default, volume_config_defaults). */
static void
test_threshold_defaults(void **state)
{
	struct agent_thresholds th;
	struct detector_config d, dd;
	struct volume_config v, vd;
	int n = 0;

	(void)state;
	agentconf_thresholds_default(&th);
	agentconf_thresholds_apply(&th, &d, &v);
	detector_config_default(&dd);
	volume_config_defaults(&vd);
	assert_int_equal(d.window_s, dd.window_s);
	assert_int_equal(d.fail_count, dd.fail_count);
	assert_true(d.fail_share == dd.fail_share);
	assert_int_equal(d.min_definite, dd.min_definite);
	assert_int_equal(d.conn_count, dd.conn_count);
	assert_true(d.conn_share == dd.conn_share);
	assert_int_equal(d.clear_successes, dd.clear_successes);
	assert_int_equal(d.clear_quiet_s, dd.clear_quiet_s);
	assert_int_equal(v.interval_s, vd.interval_s);
	assert_true(v.alpha == vd.alpha);
	assert_true(v.multiple == vd.multiple);
	assert_true(v.rate_floor == vd.rate_floor);
	assert_true(v.baseline_floor == vd.baseline_floor);
	assert_int_equal(v.warmup, vd.warmup);
	assert_true(v.warmup_ceiling == vd.warmup_ceiling);
	assert_int_equal(v.max_client_ips, vd.max_client_ips);
	assert_int_equal(v.max_senders, vd.max_senders);
	for (const struct config_key *k = agentconf_keys; k->key != NULL; k++)
		n += agentconf_is_threshold(k);
	assert_int_equal(n, (int)(sizeof(th) / sizeof(long long)));
}

/* The same words in the file and after --set give the same thresholds;
 * what the file refuses, --set refuses; every threshold is in the --set
 * list of docs/detector.md. */
static void
test_threshold_set(void **state)
{
	static const char *const set[] = { "window=10m", "fail_percent=50", "clear_quiet=90",
		"conn_count=7", "volume_interval=30s", "volume_max_senders=500" };
	struct agent_config cfg;
	struct agent_thresholds th;
	struct strbuf lines = STRBUF_INIT, err = STRBUF_INIT;
	char *doc = src_file("docs/detector.md");
	const char *list = strstr(doc, "`--set NAME=VALUE` changes a threshold");

	(void)state;
	agentconf_thresholds_default(&th);
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		const char *eq = strchr(set[i], '=');
		strbuf_appendf(&lines, "%.*s = %s\n", (int)(eq - set[i]), set[i], eq + 1);
		if (agentconf_threshold_set(&th, set[i], &err) != 0)
			fail_msg("%s: %s", set[i], strbuf_str(&err));
	}
	if (load_logwatch(strbuf_str(&lines), &cfg, &err) != 0)
		fail_msg("%s", strbuf_str(&err));
	assert_memory_equal(&cfg.th, &th, sizeof(th));
	assert_int_equal(th.window_ms, 600000);
	assert_int_equal(th.clear_quiet_ms, 90000);
	agentconf_free(&cfg);

	assert_non_null(list);
	for (const struct config_key *k = agentconf_keys; k->key != NULL; k++) {
		if (!agentconf_is_threshold(k))
			continue;
		char *named = xasprintf("`%s`", k->key);
		char *low = k->type == CONFIG_DURATION ? xasprintf("%s=%lldms", k->key, k->min - 1) :
		    xasprintf("%s=%lld", k->key, k->min - 1);
		if (strstr(list, named) == NULL)
			fail_msg("%s: not in the --set list of docs/detector.md", k->key);
		strbuf_reset(&err);
		if (k->min > 0 && agentconf_threshold_set(&th, low, &err) == 0)
			fail_msg("--set %s accepted", low);
		if (k->min > 0 && strstr(strbuf_str(&err), "is out of range; allowed: ") == NULL)
			fail_msg("--set %s: %s", low, strbuf_str(&err));
		free(named), free(low);
	}
	strbuf_reset(&err);
	assert_int_equal(agentconf_threshold_set(&th, "node=mx01", &err), -1);
	assert_non_null(strstr(strbuf_str(&err), "node: no such threshold; NAME=VALUE, NAME one of window "));
	strbuf_clear(&lines);
	strbuf_clear(&err);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_lists_every_key),
		cmocka_unit_test(test_man_page_lists_every_key),
		cmocka_unit_test(test_sample_loads),
		cmocka_unit_test(test_journal_keys),
		cmocka_unit_test(test_threshold_defaults),
		cmocka_unit_test(test_threshold_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
