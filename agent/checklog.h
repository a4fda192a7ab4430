/*
 * checklog.h: the "log" line of `postroute-agent check` (check.h).
 *
 * NAME
 *	checklog - is the log source the agent follows readable and recent?
 *
 * DESCRIPTION
 *	checklog_run names the configured source type (checklog_source)
 *	and calls the check of that type from one table, so that each
 *	source of logwatch has its own function:
 *
 *	  off    [logwatch] file empty: skipped (no log detector);
 *	  stdin  file = -: skipped (what feeds standard input is the
 *	         unit's business: journalctl -f -u postfix ...);
 *	  file   the file exists, is a regular file, can be opened by the
 *	         user that follows it ([agent] user when set, else the user
 *	         running check) and was written within --log-age (24 h by
 *	         default: Postfix logs every start, reload and delivery, so
 *	         an older file is not where it logs now). A FAIL names
 *	         main.cf's maillog_file when it is set and differs.
 *
 * DIAGNOSTICS
 *	One line, through check_line.
 */
#ifndef POSTROUTE_CHECKLOG_H
#define POSTROUTE_CHECKLOG_H

#include "agentconf.h"
#include "check.h"

/* "off", "stdin" or "file": the key of the check that applies. */
const char *checklog_source(const struct agent_config *cfg);
void checklog_run(struct check *ck, const struct agent_config *cfg);

#endif
