/*
 * waitapply.h: waiting until the agents applied a routing version.
 *
 * After a change that committed version V, the affected nodes are every
 * server node (scope "*") or the one named node; relay nodes are not fed
 * routes. waitapply polls GET /v1/nodes until each affected node reports
 * applied_version >= V, or reports a failure after the wait began, or the
 * deadline passes. Progress lines go to stderr as nodes finish.
 *
 * The report (owned by the caller) is
 *   {"version": V, "complete": true|false,
 *    "nodes": [{"node", "state": "applied"|"failed"|"timeout",
 *               "applied_version", "error"}]}
 * and the result is CLIENT_OK when every node applied, CLIENT_FAILED when
 * one failed or did not answer in time.
 */
#ifndef POSTROUTE_CLI_WAITAPPLY_H
#define POSTROUTE_CLI_WAITAPPLY_H

#include <jansson.h>

#include "verb.h"

enum waitapply_state { WAITAPPLY_PENDING, WAITAPPLY_APPLIED, WAITAPPLY_FAILED };

/* What is polled: {"nodes": [NODE...]}, each with its agent's state. */
#define WAITAPPLY_PATH "/v1/nodes"

/*
 * The names of the nodes a change of scope affects, from a GET /v1/nodes
 * (or /v1/status) document, as a new array; NULL when scope names a node
 * that is not there.
 */
json_t *waitapply_targets(const json_t *status, const char *scope);

/*
 * One node's state: applied when applied_version >= version; failed when
 * last_status is "failed" and last_report_at differs from baseline (its
 * value before the change, NULL when it had none).
 */
enum waitapply_state waitapply_node_state(const json_t *node, long long version,
    const char *baseline);

struct waitapply_opts {
	long long version;
	const json_t *targets;      /* array of node names */
	const json_t *before;       /* GET WAITAPPLY_PATH taken before the change */
	long long timeout_ms;
	int interval_ms;
};

int waitapply_run(struct cli *cli, const struct waitapply_opts *o, json_t **report);

#endif
