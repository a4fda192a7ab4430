/*
 * agentrun.h: run postroute-agent against a pfx instance in tests.
 *
 * agentrun_new writes DIR/agent.ini ([agent] with the given controller
 * URLs and a token file, state in DIR/state, fast retries and a short
 * poll_wait; [postfix] pointing at the instance and its map type) plus
 * any extra lines per section; ca_file, client_cert and client_key come
 * from tl_tls_client unless the extra lines set them. agentrun_once runs --once; agentrun_start
 * runs the loop in the background with its log in DIR/agent.log.
 * The caller owns the struct: agentrun_free (which stops the agent).
 * agentrun_node and agentrun_watching enrol a node on a real controller
 * and start its agent; struct agentrun_env holds an agent with a fake
 * controller instead; agentrun_commands makes command directories with
 * a postmap or postqueue missing or replaced.
 */
#ifndef POSTROUTE_AGENTRUN_H
#define POSTROUTE_AGENTRUN_H

#include <sys/types.h>

#include "pfx.h"

struct agentrun {
	char *dir;
	char *conf;
	char *state_dir;
	char *log;
	char *node;
	pid_t pid;
	int verbose;        /* start with -v */
};

struct tl_controller;
struct fakectl;

/* An agent on a Postfix of its own with a fake controller
 * (tests/lib/fakectl.h): what a test of the agent alone sets up. The test
 * fills it; agentrun_env_clear frees the three (agent first). */
struct agentrun_env {
	struct pfx *pfx;
	struct fakectl *ctl;
	struct agentrun *agent;
};

void agentrun_env_clear(struct agentrun_env *e);

/* A server node on c with a Postfix and an agent of its own, running:
 * PUT /v1/nodes/NODE (role server), an agent token for it, pfx_start
 * (hash maps, unmapped mail to "retry:no route") into *pfx, agentrun_new
 * with agent_extra (may be NULL) and agentrun_start. The caller ends both
 * (agentrun_free, pfx_stop). */
struct agentrun *agentrun_node(struct tl_controller *c, const char *node, const char *agent_extra,
    struct pfx **pfx);

/* A server node on c whose agent, on Postfix p, watches p's maillog:
 * PUT /v1/nodes/NODE (role server), an agent token for it, agentrun_new
 * with agent_extra and postfix_extra (either may be NULL), a [logwatch]
 * section of "file = MAILLOG" and logwatch_extra (may be NULL), and
 * agentrun_start. Returns once the agent follows the log with the
 * controller's catalogue merged; fails the test, showing the log, if it
 * does not within 10 s. The caller frees it (agentrun_free). */
struct agentrun *agentrun_watching(struct tl_controller *c, const char *node, const struct pfx *p,
    const char *agent_extra, const char *postfix_extra, const char *logwatch_extra);

struct agentrun *agentrun_new(const char *node, const char *urls, const char *token,
    const struct pfx *p, const char *agent_extra, const char *postfix_extra);
/* Rewrites the config (same paths) with other extras. */
void agentrun_config(struct agentrun *a, const char *urls, const char *token,
    const struct pfx *p, const char *agent_extra, const char *postfix_extra);
/* Runs --once; returns its exit status; *log (if wanted) its stderr. */
int agentrun_once(struct agentrun *a, char **log);
/* Appends a [logwatch] section with these lines (call after any
 * agentrun_config) and makes agentrun_start log at debug level. */
void agentrun_logwatch(struct agentrun *a, const char *lines);
void agentrun_start(struct agentrun *a);
/* agentrun_start with input (a pipe's read end, say) as its standard input. */
void agentrun_start_input(struct agentrun *a, int input);
/* SIGTERM, wait; returns the exit status (or 128+signal). */
int agentrun_stop(struct agentrun *a);
void agentrun_free(struct agentrun *a);
/* Occurrences of needle in the background agent's log. */
int agentrun_log_count(const struct agentrun *a, const char *needle);
/* Waits until the log holds needle at least n times; fails the test,
 * showing the log, if it does not within timeout_ms. */
void agentrun_await_log(const struct agentrun *a, const char *needle, int n, int timeout_ms);
/* Waits until the background agent's logwatch follows its input with the
 * controller's catalogue merged (both logged); fails the test, showing
 * the log, if it does not within 10 s. */
void agentrun_await_following(const struct agentrun *a);
/* A new temporary command directory (for [postfix] command_directory)
 * with links to the real postconf, postfix and postqueue, postqueue
 * replaced by postqueue_script and a postmap only when postmap_script is
 * given (either may be NULL). The caller frees the path. */
char *agentrun_commands(const char *postmap_script, const char *postqueue_script);

#endif
