/*
 * clirun.c: bin/postroute as a child process for tests.
 */
#include "clirun.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testlib.h"
#include "xalloc.h"

static void
clirun_env(const char *name, const char *value)
{
	if (value != NULL)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

void
clirun_argv(struct clirun *r, const char *url, const char *token, char *const *words)
{
	static char *home;
	char *argv[64];
	size_t n = 0;

	if (home == NULL)
		home = tl_mkdtemp("cli-home");
	clirun_env("POSTROUTE_URL", url);
	clirun_env("POSTROUTE_TOKEN", token);
	clirun_env("HOME", home);
	unsetenv("POSTROUTE_TOKEN_FILE");
	unsetenv("POSTROUTE_CONFIG");
	clirun_env("POSTROUTE_CA_FILE", tl_tls_ca());
	clirun_env("POSTROUTE_CLIENT_CERT", tl_tls_cert());
	clirun_env("POSTROUTE_CLIENT_KEY", tl_tls_key());
	unsetenv("POSTROUTE_INSECURE_HTTP");
	unsetenv("XDG_CONFIG_HOME");
	argv[n++] = xasprintf("%s/postroute", tl_bindir());
	for (size_t i = 0; words[i] != NULL && n < 63; i++)
		argv[n++] = words[i];
	argv[n] = NULL;
	memset(r, 0, sizeof(*r));
	r->rc = tl_run(argv, &r->out, &r->err, 120);
	free(argv[0]);
	json_error_t je;
	r->json = json_loads(r->out, 0, &je);
}

void
clirun(struct clirun *r, const char *url, const char *token, ...)
{
	char *words[64];
	size_t n = 0;
	va_list ap;

	va_start(ap, token);
	while (n < 63 && (words[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	words[n] = NULL;
	clirun_argv(r, url, token, words);
}

void
clirun_free(struct clirun *r)
{
	free(r->out);
	free(r->err);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

void
clirun_expect(const struct clirun *r, int rc, const char *what)
{
	if (r->rc != rc)
		fail_msg("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r->rc, rc, r->out,
		    r->err);
}

void
clirun_setup(struct tl_controller **ctl, char **viewer, char **operator, const char *extra_ini)
{
	*ctl = tl_controller_start(extra_ini);
	*viewer = tl_token(*ctl, "vera", "viewer", NULL);
	*operator = tl_token(*ctl, "otto", "operator", NULL);
}

void
clirun_teardown(struct tl_controller *ctl, char *viewer, char *operator)
{
	tl_controller_free(ctl);
	free(viewer), free(operator);
}

static struct {
	struct tl_controller **ctl;
	char **viewer, **operator;
	const char *extra_ini;
} group;

void
clirun_group(struct tl_controller **ctl, char **viewer, char **operator, const char *extra_ini)
{
	group.ctl = ctl, group.viewer = viewer, group.operator = operator;
	group.extra_ini = extra_ini;
}

int
clirun_group_setup(void **state)
{
	(void)state;
	clirun_setup(group.ctl, group.viewer, group.operator, group.extra_ini);
	return 0;
}

int
clirun_group_teardown(void **state)
{
	(void)state;
	clirun_teardown(*group.ctl, *group.viewer, *group.operator);
	return 0;
}
