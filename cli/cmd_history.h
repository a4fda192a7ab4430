/*
 * cmd_history.h: postroute history, and history reading for other verbs.
 */
#ifndef POSTROUTE_CLI_CMD_HISTORY_H
#define POSTROUTE_CLI_CMD_HISTORY_H

#include <jansson.h>

#include "strbuf.h"
#include "verb.h"

extern const struct cli_verb cmd_history_verbs[];

/*
 * Every history row matching query (URL query text such as
 * "provider=google&", may be "") up to and including until (RFC 3339),
 * fetched page by page, newest first. Returns an exit status; *rows is
 * a new array on CLIENT_OK.
 */
int cmd_history_fetch(struct cli *cli, const char *query, const char *until,
    json_t **rows, struct strbuf *err);

/* A short text for a row's change ("relay01 -> relay03", "drained: no -> yes"). */
char *cmd_history_change(const json_t *row);

#endif
