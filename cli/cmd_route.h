/*
 * cmd_route.h: postroute flip, unflip and routes.
 */
#ifndef POSTROUTE_CLI_CMD_ROUTE_H
#define POSTROUTE_CLI_CMD_ROUTE_H

#include "verb.h"

extern const struct cli_verb cmd_route_verbs[];

#endif
