/*
 * cmd_sender.h: postroute sender hold, release and list.
 */
#ifndef POSTROUTE_CLI_CMD_SENDER_H
#define POSTROUTE_CLI_CMD_SENDER_H

#include "rows.h"
#include "verb.h"

extern const struct cli_verb cmd_sender_verbs[];
/* A held sender's columns (sender list, and status's held senders). */
extern const struct rows_col cmd_sender_cols[];

#endif
