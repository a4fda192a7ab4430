/*
 * test_cli_connect.c: how postroute finds the controller and its token
 * (flags, environment, token file, INI file, ~/.config), exit status 3 when
 * the controller cannot be reached or refuses the token, usage errors, and
 * --help with an example on every verb.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "clirun.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *dir;

static int
setup(void **state)
{
	(void)state;
	ctl = tl_controller_start(NULL);
	dir = tl_mkdtemp("cli-connect");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tl_controller_free(ctl);
	free(dir);
	return 0;
}

/* postroute with exactly the environment given (NAME=VALUE strings). */
static int
run_env(char *const *env, char *const *words, char **out, char **err)
{
	static const char *const vars[] = { "POSTROUTE_URL", "POSTROUTE_TOKEN", "POSTROUTE_TOKEN_FILE",
		"POSTROUTE_CONFIG", "POSTROUTE_CA_FILE", "XDG_CONFIG_HOME", "HOME", NULL };
	char *argv[32];
	size_t n = 0;

	for (size_t i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("HOME", dir, 1);
	for (size_t i = 0; env[i]; i++)
		putenv(env[i]);
	argv[n++] = xasprintf("%s/postroute", tl_bindir());
	for (size_t i = 0; words[i]; i++)
		argv[n++] = words[i];
	argv[n] = NULL;
	int rc = tl_run(argv, out, err, 60);
	free(argv[0]);
	return rc;
}

static void
test_sources(void **state)
{
	char *tokfile = xasprintf("%s/token", dir), *ini = xasprintf("%s/cli.ini", dir);
	char *urlenv = xasprintf("POSTROUTE_URL=%s", ctl->url);
	char *tokenv = xasprintf("POSTROUTE_TOKEN=%s", ctl->admin);
	char *tokfileenv = xasprintf("POSTROUTE_TOKEN_FILE=%s", tokfile);
	char *text = xasprintf("%s\n", ctl->admin), *out = NULL, *err = NULL;
	char *words[] = { "relay", "list", "--json", NULL };

	(void)state;
	tl_write_file(tokfile, text);
	chmod(tokfile, 0600);
	free(text);
	text = xasprintf("[cli]\nurl = %s\ntoken_file = %s\n", ctl->url, tokfile);
	tl_write_file(ini, text);

	/* environment */
	char *e1[] = { urlenv, tokenv, NULL };
	assert_int_equal(run_env(e1, words, &out, &err), 0);
	free(out), free(err);
	/* POSTROUTE_TOKEN_FILE */
	char *e2[] = { urlenv, tokfileenv, NULL };
	assert_int_equal(run_env(e2, words, &out, &err), 0);
	free(out), free(err);
	/* flags only */
	char *e0[] = { NULL };
	char *w3[] = { "--url", ctl->url, "--token-file", tokfile, "relay", "list", NULL };
	assert_int_equal(run_env(e0, w3, &out, &err), 0);
	free(out), free(err);
	/* --config FILE */
	char *w4[] = { "relay", "list", "--config", ini, NULL };
	assert_int_equal(run_env(e0, w4, &out, &err), 0);
	free(out), free(err);
	/* ~/.config/postroute/cli.ini */
	char *cfgdir = xasprintf("%s/.config", dir), *prdir = xasprintf("%s/.config/postroute", dir);
	mkdir(cfgdir, 0700), mkdir(prdir, 0700);
	char *homeini = xasprintf("%s/cli.ini", prdir);
	tl_write_file(homeini, text);
	assert_int_equal(run_env(e0, words, &out, &err), 0);
	free(out), free(err);
	/* a flag wins over the INI file: a dead URL on the command line */
	char *dead = xasprintf("http://127.0.0.1:%d", tl_free_port());
	char *w5[] = { "--url", dead, "relay", "list", NULL };
	assert_int_equal(run_env(e0, w5, &out, &err), 3);
	assert_non_null(strstr(err, "postroute: relay list: GET http://127.0.0.1:"));
	free(out), free(err);
	/* a bad INI file is a usage error naming the line */
	tl_write_file(homeini, "[cli]\nurl = http://x\ntoken = inline-secrets-are-not-allowed\n");
	assert_int_equal(run_env(e0, words, &out, &err), 2);
	assert_non_null(strstr(err, "cli.ini:3: [cli] token: unknown key"));
	free(out), free(err);
	unlink(homeini);
	/* nothing configured */
	assert_int_equal(run_env(e0, words, &out, &err), 2);
	assert_non_null(strstr(err, "no controller URL"));
	free(out), free(err);
	char *w6[] = { "--url", ctl->url, "relay", "list", NULL };
	assert_int_equal(run_env(e0, w6, &out, &err), 2);
	assert_non_null(strstr(err, "no API token"));
	free(out), free(err);
	char *w7[] = { "--url", ctl->url, "--token-file", "/nonexistent/token", "relay", "list", NULL };
	assert_int_equal(run_env(e0, w7, &out, &err), 2);
	assert_non_null(strstr(err, "token file /nonexistent/token: No such file or directory"));
	free(out), free(err);

	free(tokfile), free(ini), free(urlenv), free(tokenv), free(tokfileenv), free(text);
	free(cfgdir), free(prdir), free(homeini), free(dead);
}

static void
test_unreachable_and_unauthorised(void **state)
{
	struct clirun r;
	char *https = xasprintf("https://127.0.0.1:%d", ctl->port);

	(void)state;
	clirun(&r, ctl->url, "wrong-token", "routes", NULL);
	clirun_expect(&r, 3, "bad token");
	assert_non_null(strstr(r.err, "(HTTP 401)"));
	clirun_free(&r);
	char *det = tl_token(ctl, "det", "detector", "*");
	clirun(&r, ctl->url, det, "routes", NULL);
	clirun_expect(&r, 3, "detector reads routes");
	assert_non_null(strstr(r.err, "(HTTP 403)"));
	clirun_free(&r);
	free(det);
	/* TLS to a plain HTTP port: the handshake fails (a missing --ca-file
	 * is a usage error before any connection: test_sec_tls) */
	clirun(&r, https, ctl->admin, "routes", NULL);
	clirun_expect(&r, 3, "TLS failure");
	clirun_free(&r);
	free(https);
	/* the controller stopped, then back */
	assert_int_equal(tl_controller_stop(ctl), 0);
	clirun(&r, ctl->url, ctl->admin, "status", NULL);
	clirun_expect(&r, 3, "controller down");
	assert_non_null(strstr(r.err, "Couldn't connect to server"));
	clirun_free(&r);
	tl_controller_restart(ctl);
	clirun(&r, ctl->url, ctl->admin, "routes", NULL);
	clirun_expect(&r, 0, "controller back");
	clirun_free(&r);
}

static void
test_usage_and_help(void **state)
{
	static const char *const verbs[][2] = {
		{ "flip", NULL }, { "unflip", NULL }, { "routes", NULL }, { "status", NULL },
		{ "history", NULL }, { "relay", "list" }, { "relay", "show" }, { "relay", "add" },
		{ "relay", "set" }, { "relay", "remove" }, { "relay", "drain" }, { "relay", "undrain" },
		{ "provider", "list" }, { "provider", "show" }, { "provider", "add" },
		{ "provider", "set" }, { "provider", "remove" }, { "node", "list" },
		{ "node", "show" }, { "node", "add" }, { "node", "set" }, { "node", "remove" },
	};
	struct clirun r;

	(void)state;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (verbs[i][1])
			clirun(&r, NULL, NULL, verbs[i][0], verbs[i][1], "--help", NULL);
		else
			clirun(&r, NULL, NULL, verbs[i][0], "--help", NULL);
		clirun_expect(&r, 0, verbs[i][0]);
		if (strncmp(r.out, "usage: postroute ", 17) != 0 || strstr(r.out, "example") == NULL ||
		    strstr(r.out, "exit status: 0 ok, 1 the operation failed, 2 usage error, 3 cannot "
		    "reach the controller or not authorised") == NULL)
			fail_msg("%s %s --help:\n%s", verbs[i][0], verbs[i][1] ? verbs[i][1] : "", r.out);
		clirun_free(&r);
	}
	clirun(&r, NULL, NULL, "help", "relay", "drain", NULL);
	clirun_expect(&r, 0, "help relay drain");
	assert_memory_equal(r.out, "usage: postroute relay drain NAME", 33);
	clirun_free(&r);
	clirun(&r, NULL, NULL, "--help", NULL);
	clirun_expect(&r, 0, "--help");
	assert_non_null(strstr(r.out, "  relay undrain      accept routes to a relay again\n"));
	clirun_free(&r);
	clirun(&r, NULL, NULL, "--version", NULL);
	clirun_expect(&r, 0, "--version");
	assert_memory_equal(r.out, "postroute ", 10);
	clirun_free(&r);
	clirun(&r, NULL, NULL, NULL);
	clirun_expect(&r, 2, "no verb");
	assert_memory_equal(r.err, "usage: postroute VERB", 21);
	clirun_free(&r);
	clirun(&r, ctl->url, ctl->admin, "frobnicate", NULL);
	clirun_expect(&r, 2, "unknown verb");
	assert_memory_equal(r.err, "postroute: unknown verb \"frobnicate\"", 36);
	clirun_free(&r);
	clirun(&r, ctl->url, ctl->admin, "relay", NULL);
	clirun_expect(&r, 2, "relay without sub-verb");
	assert_memory_equal(r.err, "usage: postroute relay VERB", 27);
	clirun_free(&r);
	clirun(&r, NULL, NULL, "provider", "--help", NULL);
	clirun_expect(&r, 0, "provider --help");
	assert_non_null(strstr(r.out, "  provider remove    remove a provider\n"));
	clirun_free(&r);
	/* common options before the verb */
	char *tokfile = xasprintf("%s/token-before-verb", dir), *tokline = xasprintf("%s\n", ctl->admin);
	tl_write_file(tokfile, tokline);
	chmod(tokfile, 0600);
	clirun(&r, NULL, NULL, "--url", ctl->url, "--token-file", tokfile, "--json", "routes", NULL);
	free(tokfile), free(tokline);
	clirun_expect(&r, 0, "options before the verb");
	assert_non_null(json_object_get(r.json, "routes"));
	clirun_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_unreachable_and_unauthorised),
		cmocka_unit_test(test_usage_and_help),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
