/*
 * clirun.h: running the real bin/postroute in integration tests.
 *
 * clirun sets POSTROUTE_URL and POSTROUTE_TOKEN in the environment the
 * child inherits (tests are single-threaded), and the TLS identity of
 * tl_tls_client as POSTROUTE_CA_FILE, POSTROUTE_CLIENT_CERT and
 * POSTROUTE_CLIENT_KEY (unset when not set there), points HOME at an empty
 * directory so that no user's ~/.config/postroute/cli.ini is read, runs
 * postroute with the given words and a timeout, and keeps its exit status,
 * stdout, stderr and stdout parsed as JSON (NULL when it is not JSON).
 * Release the result with clirun_free.
 */
#ifndef POSTROUTE_CLIRUN_H
#define POSTROUTE_CLIRUN_H

#include <jansson.h>

struct clirun {
	int rc;
	char *out;
	char *err;
	json_t *json;
};

/* url and token may be NULL (the variable is then unset). The words end
 * with NULL. */
void clirun(struct clirun *r, const char *url, const char *token, ...)
    __attribute__((sentinel));
/* The same with an argv vector (NULL-terminated), e.g. built in a loop. */
void clirun_argv(struct clirun *r, const char *url, const char *token, char *const *words);
void clirun_free(struct clirun *r);

/* Fails the test, showing the output, unless r->rc == rc. */
void clirun_expect(const struct clirun *r, int rc, const char *what);

struct tl_controller;

/* The set-up CLI tests share: a controller started with extra_ini (may
 * be NULL), a viewer token (vera) and an operator token (otto), all the
 * caller's. clirun_teardown frees the three (tl_controller_free). */
void clirun_setup(struct tl_controller **ctl, char **viewer, char **operator,
    const char *extra_ini);
void clirun_teardown(struct tl_controller *ctl, char *viewer, char *operator);

/* The same as cmocka group set-up and tear-down functions, for a test
 * whose set-up is clirun_setup and nothing else: clirun_group names the
 * test's three variables and extra_ini before cmocka_run_group_tests. */
void clirun_group(struct tl_controller **ctl, char **viewer, char **operator,
    const char *extra_ini);
int clirun_group_setup(void **state);
int clirun_group_teardown(void **state);

#endif
