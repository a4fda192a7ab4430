/*
 * test_config.c: the table-driven INI loader: defaults, every kind of
 * error with its line number, and durations.
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

#include "config.h"
#include "duration.h"

struct sample {
	char *name;
	long long count;
	int flag;
	long long wait_ms;
	char *mode;
	char *required;
};

static const struct config_key keys[] = {
	{ "main", "name", CONFIG_STRING, offsetof(struct sample, name), "default-name", 0, 0, 0, NULL, "a name" },
	{ "main", "count", CONFIG_INT, offsetof(struct sample, count), "3", 1, 10, 0, NULL, "a count" },
	{ "main", "flag", CONFIG_BOOL, offsetof(struct sample, flag), "no", 0, 0, 0, NULL, "a flag" },
	{ "main", "wait", CONFIG_DURATION, offsetof(struct sample, wait_ms), "30s", 1000, 3600000, 0, NULL, "a wait" },
	{ "main", "mode", CONFIG_ENUM, offsetof(struct sample, mode), "hash", 0, 0, 0, "hash|cdb|lmdb", "a mode" },
	{ "other", "required", CONFIG_STRING, offsetof(struct sample, required), NULL, 0, 0, 1, NULL, "must be set" },
	{ NULL, NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL },
};

static char *
write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_config.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int
load(const char *text, struct sample *s, struct strbuf *err, char **path)
{
	memset(s, 0, sizeof(*s));
	*path = write_tmp(text);
	return config_load(keys, s, *path, err);
}

static void
test_defaults_and_values(void **state)
{
	struct sample s;
	struct strbuf err = STRBUF_INIT;
	char *path;

	(void)state;
	assert_int_equal(load("[other]\nrequired = yes\n", &s, &err, &path), 0);
	assert_string_equal(s.name, "default-name");
	assert_int_equal(s.count, 3);
	assert_int_equal(s.flag, 0);
	assert_int_equal(s.wait_ms, 30000);
	assert_string_equal(s.mode, "hash");
	config_free(keys, &s);
	unlink(path), free(path);

	assert_int_equal(load("; comment\n[main]\nname = x y\ncount = 10\nflag = yes\n"
	    "wait = 1500ms\nmode = lmdb\n[other]\nrequired = r\n", &s, &err, &path), 0);
	assert_string_equal(s.name, "x y");
	assert_int_equal(s.count, 10);
	assert_int_equal(s.flag, 1);
	assert_int_equal(s.wait_ms, 1500);
	assert_string_equal(s.mode, "lmdb");
	config_free(keys, &s);
	unlink(path), free(path);
	strbuf_clear(&err);
}

static void
test_errors_name_lines(void **state)
{
	struct sample s;
	struct strbuf err = STRBUF_INIT;
	char *path, *want;

	(void)state;
	assert_int_equal(load("[main]\ncount = 11\nbogus = 1\nflag = maybe\nmode = dbm\n"
	    "count = 2\nwait = 5 parsecs\n[nosuch]\nx = 1\n", &s, &err, &path), -1);
	want = NULL;
	if (asprintf(&want,
	    "%1$s:2: [main] count: \"11\" is out of range\n"
	    "%1$s:3: [main] bogus: unknown key\n"
	    "%1$s:4: [main] flag: \"maybe\" is not a boolean (yes/no)\n"
	    "%1$s:5: [main] mode: \"dbm\" is not one of hash|cdb|lmdb\n"
	    "%1$s:6: [main] count: set twice\n"
	    "%1$s:7: [main] wait: \"5 parsecs\" is not a duration (e.g. 500ms, 30s, 5m, 2h)\n"
	    "%1$s:9: [nosuch] x: unknown key\n"
	    "%1$s: [other] required: required key is missing\n", path) < 0)
		fail();
	assert_string_equal(strbuf_str(&err), want);
	free(want);
	config_free(keys, &s);
	unlink(path), free(path);
	strbuf_clear(&err);
}

static void
test_syntax_error_and_missing_file(void **state)
{
	struct sample s;
	struct strbuf err = STRBUF_INIT;
	char *path, *want = NULL;

	(void)state;
	assert_int_equal(load("[other]\nrequired = 1\nthis line has no equals sign\n", &s, &err, &path), -1);
	if (asprintf(&want, "%s:3: syntax error (expected [section] or key = value)\n", path) < 0)
		fail();
	assert_string_equal(strbuf_str(&err), want);
	free(want);
	config_free(keys, &s);
	unlink(path), free(path);
	strbuf_reset(&err);
	memset(&s, 0, sizeof(s));
	assert_int_equal(config_load(keys, &s, "/nonexistent/x.ini", &err), -1);
	assert_string_equal(strbuf_str(&err), "/nonexistent/x.ini: cannot open: No such file or directory\n");
	config_free(keys, &s);
	strbuf_clear(&err);
}

static void
test_durations(void **state)
{
	long long ms;

	(void)state;
	assert_int_equal(duration_parse_ms("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(duration_parse_ms("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(duration_parse_ms("7d", &ms), 0);
	assert_int_equal(ms, 7 * 86400000LL);
	assert_int_equal(duration_parse_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(duration_parse_ms("-1s", &ms), -1);
	assert_int_equal(duration_parse_ms("1 h", &ms), -1);
	assert_int_equal(duration_parse_ms("h", &ms), -1);
	assert_int_equal(duration_parse_ms("99999999999999999999s", &ms), -1);
	assert_int_equal(duration_parse_ms("1y", &ms), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_errors_name_lines),
		cmocka_unit_test(test_syntax_error_and_missing_file),
		cmocka_unit_test(test_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
