/*
 * check.h: `postroute-agent check`, the preflight of a host.
 *
 * NAME
 *	check - everything that would stop the agent here, one line each
 *
 * SYNOPSIS
 *	postroute-agent check [-c FILE] [--log-age DURATION]
 *
 * DESCRIPTION
 *	check_main loads the configuration the way the agent does and
 *	prints one line per check, in this order, each starting with its
 *	result ("ok", "FAIL" or "skip", padded to five columns) and its
 *	name:
 *
 *	  config                     the file loads (agentconf.h)
 *	  controller                 one line per URL: GET /healthz with the
 *	                             agent's HTTP client and TLS settings
 *	  token                      token_file private (secretfile.h) and
 *	                             accepted: the node's feed is read with it
 *	  transport_maps             maincf_transport
 *	  smtpd_sender_restrictions  maincf_hold (skip without hold_map)
 *	  master.cf                  every nexthop service of that feed
 *	  log                        the log source (checklog.h)
 *	  postmap                    a scratch map built in the map's directory
 *	  postqueue                  postqueue -p
 *
 *	then "check: N ok, N failed, N skipped". A FAIL line says what is
 *	wrong and what to do. A check that needs what an earlier one could
 *	not give (a configuration, a feed) is skipped, saying which.
 *	Commands run as the agent would run them: with [agent] user, postmap
 *	and postqueue as root (the helper) and the log is opened as that
 *	user; without it, as the user running check.
 *
 *	Nothing changes: the feed is read like the agent's first request,
 *	and the scratch map is removed.
 *
 *	check_line and check_as_user are for the modules of the lines
 *	(checkpf.h, checklog.h).
 *
 * DIAGNOSTICS
 *	Exit 0 when no line failed, 1 otherwise, 2 on usage errors.
 */
#ifndef POSTROUTE_CHECK_H
#define POSTROUTE_CHECK_H

#include <stdio.h>

#include "strbuf.h"

enum check_status { CHECK_OK, CHECK_FAIL, CHECK_SKIP };

struct check {
	FILE *out;
	unsigned count[3];         /* lines per check_status */
	long long log_age_ms;      /* --log-age */
};

/* Prints "STATUS NAME: TEXT" (one line: line ends become spaces). */
void check_line(struct check *ck, enum check_status st, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Runs fn(arg, err) as user: in a child process that took the user's
 * identity (initgroups, setgid, setuid) when this process is root and
 * user is set, else here. 0, or -1 with fn's reason (or why the child
 * could not run) in err; at most timeout_ms.
 */
int check_as_user(const char *user, int (*fn)(void *arg, struct strbuf *err), void *arg,
    long timeout_ms, struct strbuf *err);

/* The name of the user running this process (for messages). */
const char *check_whoami(void);

int check_main(int argc, char **argv);

#endif
