/*
 * test_settings.c: postrouted's key table against its sample file and
 * man page: every key is documented, the sample file loads, and a broken
 * file is refused with line numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "settings.h"
#include "testlib.h"
#include "xalloc.h"

static void
test_sample_lists_every_key(void **state)
{
	char *path = xasprintf("%s/deploy/postrouted.ini", tl_srcdir());
	char *text = tl_read_file(path);

	(void)state;
	assert_non_null(text);
	for (int i = 0; settings_keys[i].key != NULL; i++) {
		char *section = xasprintf("[%s]", settings_keys[i].section);
		char *key = xasprintf("\n%s =", settings_keys[i].key);
		char *commented = xasprintf("\n;%s =", settings_keys[i].key);
		char *at = strstr(text, section);
		if (at == NULL || (strstr(at, key) == NULL && strstr(at, commented) == NULL))
			fail_msg("deploy/postrouted.ini lacks [%s] %s", settings_keys[i].section,
			    settings_keys[i].key);
		free(section), free(key), free(commented);
	}
	free(text), free(path);
}

/* postrouted(8) names every key (".B key" or ".BR key ,"). */
static void
test_man_lists_every_key(void **state)
{
	char *path = xasprintf("%s/docs/man/postrouted.8", tl_srcdir());
	char *text = tl_read_file(path);

	(void)state;
	assert_non_null(text);
	for (int i = 0; settings_keys[i].key != NULL; i++) {
		const char *k = settings_keys[i].key;
		char *b = xasprintf("\n.B %s\n", k), *b2 = xasprintf("\n.B %s ", k);
		char *br = xasprintf("\n.BR %s ", k);
		if (strstr(text, b) == NULL && strstr(text, b2) == NULL && strstr(text, br) == NULL)
			fail_msg("docs/man/postrouted.8 lacks [%s] %s", settings_keys[i].section, k);
		free(b), free(b2), free(br);
	}
	free(text), free(path);
}

static void
test_sample_loads(void **state)
{
	char *path = xasprintf("%s/deploy/postrouted.ini", tl_srcdir());
	struct settings s;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	if (settings_load(&s, path, &err) != 0)
		fail_msg("%s", strbuf_str(&err));
	assert_string_equal(s.listen, "127.0.0.1:8470");
	assert_int_equal(s.max_wait_ms, 300000);
	assert_int_equal(s.auto_ttl_ms, 6 * 3600 * 1000LL);
	settings_free(&s);
	strbuf_clear(&err);
	free(path);
}

static void
test_check_mode(void **state)
{
	char *dir = tl_mkdtemp("settings");
	char *bad = xasprintf("%s/bad.ini", dir), *good = xasprintf("%s/deploy/postrouted.ini", tl_srcdir());
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *out = NULL, *err = NULL, *want;

	(void)state;
	tl_write_file(bad, "[server]\nthreads = 0\nlisten = 127.0.0.1:1\n[database]\nconnifo = x\n");
	char *argv1[] = { bin, "-n", "-c", bad, NULL };
	assert_int_equal(tl_run(argv1, &out, &err, 10), 1);
	want = xasprintf("%1$s:2: [server] threads: \"0\" is out of range\n"
	    "%1$s:5: [database] connifo: unknown key\n"
	    "%1$s: [database] conninfo: required key is missing\n", bad);
	assert_string_equal(err, want);
	free(out), free(err), free(want);
	char *argv2[] = { bin, "-n", "-c", good, NULL };
	assert_int_equal(tl_run(argv2, &out, &err, 10), 0);
	assert_non_null(strstr(out, "configuration ok"));
	free(out), free(err);
	char *argv3[] = { bin, "bogus", "-c", good, NULL };
	assert_int_equal(tl_run(argv3, NULL, NULL, 10), 2);
	free(bin), free(bad), free(good), free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_lists_every_key),
		cmocka_unit_test(test_man_lists_every_key),
		cmocka_unit_test(test_sample_loads),
		cmocka_unit_test(test_check_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
