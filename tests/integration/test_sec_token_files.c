/*
 * test_sec_token_files.c: security finding 3, token files and tokens on
 * the command line. A token file that group or others can read, or that
 * is a symbolic link another user owns, is refused by the agent
 * (token_file) and by the CLI (--token-file, POSTROUTE_TOKEN_FILE, the
 * config file's token_file), in ssh's words; 0600 is accepted. The CLI
 * refuses --token VALUE (visible in ps and kept in shell history) and
 * names the alternatives; --token-stdin and POSTROUTE_TOKEN work against
 * a real controller.
 */
#include <pwd.h>
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

#include "proc.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

static struct tl_controller *ctl;
static char *dir;
static uid_t nobody;
static gid_t nogroup;

static int
setup(void **state)
{
	struct passwd *pw = getpwnam("nobody");

	(void)state;
	if (pw == NULL)
		return -1;
	nobody = pw->pw_uid, nogroup = pw->pw_gid;
	ctl = tl_controller_start(NULL);
	dir = tl_mkdtemp("sec-token");
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

static void
assert_contains(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

/* A token file with this mode, holding the admin token. */
static char *
token_file(const char *name, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name), *line = xasprintf("%s\n", ctl->admin);

	tl_write_file(path, line);
	assert_int_equal(chmod(path, mode), 0);
	free(line);
	return path;
}

/* A symbolic link at name to target, owned by uid. */
static char *
token_link(const char *name, const char *target, uid_t uid, gid_t gid)
{
	char *path = xasprintf("%s/%s", dir, name);

	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(lchown(path, uid, gid), 0);
	return path;
}

/* postroute-agent -n on a config naming token_file; its exit status. */
static int
agent_check(const char *tok, char **err)
{
	char *conf = xasprintf("%s/agent.ini", dir);
	char *text = xasprintf("[agent]\nnode = mx01\ncontroller = %s\ntoken_file = %s\n", ctl->url, tok);
	char *bin = xasprintf("%s/postroute-agent", tl_bindir());
	char *argv[] = { bin, "-n", "-c", conf, NULL };

	tl_write_file(conf, text);
	int rc = tl_run(argv, NULL, err, 30);
	free(conf), free(text), free(bin);
	return rc;
}

/* bin/postroute relay list with exactly these words, the environment
 * cleared of POSTROUTE_* (plus one NAME=VALUE if given) and stdin. */
static int
cli(const char *envvar, const char *input, char **err, ...)
{
	static const char *const vars[] = { "POSTROUTE_URL", "POSTROUTE_TOKEN", "POSTROUTE_TOKEN_FILE",
		"POSTROUTE_CONFIG", "POSTROUTE_CA_FILE", "XDG_CONFIG_HOME", NULL };
	char *argv[16];
	size_t n = 0;
	va_list ap;
	struct proc_result res;
	struct strbuf e = STRBUF_INIT;

	for (size_t i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("HOME", dir, 1);
	if (envvar != NULL) {
		char *name = xstrndup(envvar, strcspn(envvar, "="));
		setenv(name, envvar + strlen(name) + 1, 1);
		free(name);
	}
	argv[n++] = xasprintf("%s/postroute", tl_bindir());
	argv[n++] = "--url", argv[n++] = ctl->url;
	va_start(ap, err);
	for (char *w; n < 13 && (w = va_arg(ap, char *)) != NULL;)
		argv[n++] = w;
	va_end(ap);
	argv[n++] = "relay", argv[n++] = "list", argv[n] = NULL;
	if (proc_run(argv, input, 30000, &res, &e) != 0)
		fail_msg("postroute: %s", strbuf_str(&e));
	*err = xstrdup(strbuf_str(&res.err));
	int rc = res.status;
	proc_result_clear(&res);
	strbuf_clear(&e);
	for (size_t i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	free(argv[0]);
	return rc;
}

static void
test_agent_token_file(void **state)
{
	char *err = NULL;

	(void)state;
	char *open_file = token_file("agent-0644", 0644);
	assert_int_equal(agent_check(open_file, &err), 1);
	char *want = xasprintf("[agent] token_file: Permissions 0644 for '%s' are too open. "
	    "It is required that your token file is not accessible by others. This token file "
	    "is refused (chmod 600 '%s').", open_file, open_file);
	assert_contains(err, want);
	free(err), free(want);

	char *group = token_file("agent-0640", 0640);
	assert_int_equal(agent_check(group, &err), 1);
	assert_contains(err, "Permissions 0640 for '");
	free(err);

	char *good = token_file("agent-0600", 0600);
	assert_int_equal(agent_check(good, &err), 0);
	free(err);

	/* a link of root's to a good file is fine; nobody's is refused */
	char *rootlink = token_link("agent-root-link", good, 0, 0);
	assert_int_equal(agent_check(rootlink, &err), 0);
	free(err);
	char *link = token_link("agent-nobody-link", good, nobody, nogroup);
	assert_int_equal(agent_check(link, &err), 1);
	char *want2 = xasprintf("Symbolic link '%s' is owned by uid %lu, not by you (uid 0) or "
	    "root. It is required that your token file cannot be replaced by others.", link,
	    (unsigned long)nobody);
	assert_contains(err, want2);
	free(err), free(want2);

	/* a good mode on another user's file */
	assert_int_equal(chown(good, nobody, nogroup), 0);
	assert_int_equal(agent_check(good, &err), 1);
	assert_contains(err, "is owned by uid");
	free(err);
	free(open_file), free(group), free(good), free(rootlink), free(link);
}

static void
test_cli_token_file(void **state)
{
	char *err = NULL;

	(void)state;
	char *open_file = token_file("cli-0644", 0644), *good = token_file("cli-0600", 0600);
	assert_int_equal(cli(NULL, NULL, &err, "--token-file", open_file, NULL), 2);
	char *want = xasprintf("Permissions 0644 for '%s' are too open. It is required that your "
	    "token file is not accessible by others.", open_file);
	assert_contains(err, want);
	free(err);
	assert_int_equal(cli(NULL, NULL, &err, "--token-file", good, NULL), 0);
	free(err);

	/* the same through POSTROUTE_TOKEN_FILE and the config file */
	char *envfile = xasprintf("POSTROUTE_TOKEN_FILE=%s", open_file);
	assert_int_equal(cli(envfile, NULL, &err, NULL), 2);
	assert_contains(err, want);
	free(err);
	char *ini = xasprintf("%s/cli.ini", dir), *text = xasprintf("[cli]\ntoken_file = %s\n", open_file);
	tl_write_file(ini, text);
	assert_int_equal(cli(NULL, NULL, &err, "--config", ini, NULL), 2);
	assert_contains(err, want);
	free(err), free(want);

	char *link = token_link("cli-nobody-link", good, nobody, nogroup);
	assert_int_equal(cli(NULL, NULL, &err, "--token-file", link, NULL), 2);
	assert_contains(err, "is owned by uid");
	assert_contains(err, "It is required that your token file cannot be replaced by others.");
	free(err);
	free(open_file), free(good), free(envfile), free(ini), free(text), free(link);
}

static void
test_cli_token_flag_and_stdin(void **state)
{
	char *err = NULL;

	(void)state;
	assert_int_equal(cli(NULL, NULL, &err, "--token", ctl->admin, NULL), 2);
	assert_contains(err, "--token puts the API token where other local users can read it");
	assert_contains(err, "--token-file FILE");
	assert_contains(err, "--token-stdin");
	assert_contains(err, "POSTROUTE_TOKEN");
	if (strstr(err, ctl->admin) != NULL)
		fail_msg("the refusal repeats the token: %s", err);
	free(err);

	char *line = xasprintf("%s\n", ctl->admin);
	assert_int_equal(cli(NULL, line, &err, "--token-stdin", NULL), 0);
	free(err);
	assert_int_equal(cli(NULL, "wrong-token\n", &err, "--token-stdin", NULL), 3);
	free(err);
	assert_int_equal(cli(NULL, "\n", &err, "--token-stdin", NULL), 2);
	assert_contains(err, "--token-stdin: standard input: the first line is empty");
	free(err);
	char *envtok = xasprintf("POSTROUTE_TOKEN=%s", ctl->admin);
	assert_int_equal(cli(envtok, NULL, &err, NULL), 0);
	free(err);
	free(line), free(envtok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_token_file),
		cmocka_unit_test(test_cli_token_file),
		cmocka_unit_test(test_cli_token_flag_and_stdin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
