/*
 * test_config_tables.c: every typed key of postrouted's, the agent's and
 * the CLI's tables refuses a hostile value. For each integer, duration,
 * boolean and choice key, a file setting it to a value of the wrong kind
 * (and, for numbers, one just outside its range) does not load, and the
 * error names the file, the line and the key. The tables are what
 * settings_load, agentconf_load and the CLI's cli.ini reader use, so a
 * key added later is covered without a test of its own.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agentconf.h"
#include "cliconf.h"
#include "config.h"
#include "settings.h"
#include "testlib.h"
#include "xalloc.h"

/* Loads "[section]\nkey = value\n" into target; the error must name
 * path:2 and the key. */
static void
refused(const struct config_key *keys, void *target, const struct config_key *k,
    const char *value, const char *dir)
{
	char *path = xasprintf("%s/%s-%s.ini", dir, k->section, k->key);
	char *text = xasprintf("[%s]\n%s = %s\n", k->section, k->key, value);
	char *want = xasprintf("%s:2: [%s] %s: \"%s\" ", path, k->section, k->key, value);
	struct strbuf err = STRBUF_INIT;

	tl_write_file(path, text);
	if (config_load(keys, target, path, &err) == 0)
		fail_msg("[%s] %s = %s was accepted", k->section, k->key, value);
	if (strstr(strbuf_str(&err), want) == NULL)
		fail_msg("[%s] %s = %s: error \"%s\" does not hold \"%s\"", k->section, k->key,
		    value, strbuf_str(&err), want);
	config_free(keys, target);
	strbuf_clear(&err);
	free(path), free(text), free(want);
}

static int
every_key(const struct config_key *keys, void *target, const char *dir)
{
	int n = 0;

	for (const struct config_key *k = keys; k->key != NULL; k++) {
		char *edge = NULL;
		switch (k->type) {
		case CONFIG_INT:
			refused(keys, target, k, "12abc", dir);
			if (k->min > LLONG_MIN)
				edge = xasprintf("%lld", k->min - 1);
			break;
		case CONFIG_DURATION:
			refused(keys, target, k, "5 parsecs", dir);
			if (k->min > 0)
				edge = xasprintf("%lldms", k->min - 1);
			break;
		case CONFIG_BOOL:
			refused(keys, target, k, "maybe", dir);
			break;
		case CONFIG_ENUM:
			refused(keys, target, k, "no-such-choice", dir);
			break;
		case CONFIG_STRING:
			continue;
		}
		if (edge != NULL)
			refused(keys, target, k, edge, dir);
		free(edge);
		n++;
	}
	return n;
}

static void
test_controller_keys(void **state)
{
	struct settings s;
	char *dir = tl_mkdtemp("keys-ctl");

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_true(every_key(settings_keys, &s, dir) > 20);
	free(dir);
}

static void
test_agent_keys(void **state)
{
	struct agent_config c;
	char *dir = tl_mkdtemp("keys-agent");

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_true(every_key(agentconf_keys, &c, dir) > 10);
	free(dir);
}

static void
test_cli_keys(void **state)
{
	struct cliconf c;
	char *dir = tl_mkdtemp("keys-cli");

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_true(every_key(cliconf_keys, &c, dir) >= 1);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controller_keys),
		cmocka_unit_test(test_agent_keys),
		cmocka_unit_test(test_cli_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
