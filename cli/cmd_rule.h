/*
 * cmd_rule.h: postroute rule list|show|add|set|remove|test: the
 * controller's classifier rules.
 */
#ifndef POSTROUTE_CLI_CMD_RULE_H
#define POSTROUTE_CLI_CMD_RULE_H

#include "verb.h"

extern const struct cli_verb cmd_rule_verbs[];

#endif
