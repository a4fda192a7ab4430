/*
 * cmd_objects.h: postroute relay|provider|node list|show|add|set|remove,
 * relay drain|undrain.
 */
#ifndef POSTROUTE_CLI_CMD_OBJECTS_H
#define POSTROUTE_CLI_CMD_OBJECTS_H

#include "verb.h"

extern const struct cli_verb cmd_objects_verbs[];

#endif
