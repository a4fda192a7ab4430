/*
 * cmd_sender.h: postroute sender hold, release and list.
 */
#ifndef POSTROUTE_CLI_CMD_SENDER_H
#define POSTROUTE_CLI_CMD_SENDER_H

#include "verb.h"

extern const struct cli_verb cmd_sender_verbs[];

#endif
