/*
 * cmd_status.h: postroute status.
 */
#ifndef POSTROUTE_CLI_CMD_STATUS_H
#define POSTROUTE_CLI_CMD_STATUS_H

#include <jansson.h>

#include "verb.h"

extern const struct cli_verb cmd_status_verbs[];

/*
 * The problems of a GET /v1/status document, as a new array of
 * {"node", "problem"}: a node whose last report failed; a server node
 * whose feed is not connected, or that has lagged behind the current
 * version for more than max_behind_s seconds (relay nodes are not fed
 * routes, so their versions say nothing).
 */
json_t *cmd_status_problems(const json_t *status, long long max_behind_s);

#endif
