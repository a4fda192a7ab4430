/*
 * privsep.h: run the network side of the agent unprivileged, with a small
 * root helper for the Postfix commands.
 *
 * NAME
 *	privsep - privilege separation with [agent] user
 *
 * DESCRIPTION
 *	privsep_start (called as root, after the configuration and the
 *	token were read) forks. The child drops to the configured user
 *	(initgroups, setgid, setuid; it checks that root cannot be
 *	regained) and returns with *a the applier (applier.h) whose calls
 *	are requests on the helper's socket: it runs the sync loop, HTTP,
 *	JSON, rendering and the state files. The parent stays root,
 *	never returns, and serves five requests on the socket:
 *
 *	  install TEXT      apply_install(TEXT) after checking TEXT again:
 *	                    comment lines of printable ASCII and
 *	                    "domain<TAB>nexthop" lines that pass
 *	                    common/validate.h, nothing else;
 *	  activate DOMAINS  apply_activate for these domains, each checked
 *	  sweep DOMAINS     apply_sweep for these domains, each checked
 *	                    with validate_domain;
 *	  hold TEXT         apply_hold_install(TEXT) after checking TEXT
 *	                    again (holdmap_check_text: comments and
 *	                    "sender<TAB>HOLD" lines, nothing else);
 *	  release SENDERS   apply_hold_release: the senders taken off the
 *	                    map, each with the start of its hold (an
 *	                    integer), and those still on it, each checked
 *	                    with validate_sender.
 *
 *	It exits when the child closes the socket, with the child's exit
 *	status, and forwards SIGTERM, SIGINT and SIGHUP to the child.
 *
 *	Before the fork, state_dir is made root's with one directory of
 *	the user's in it (statedir.h); in the child cfg->state_dir then
 *	names STATE_DIR/user. Root never opens, chowns or renames by name
 *	anything in a directory the user can write: the directories the
 *	helper writes in or runs from (the maps' directories,
 *	config_directory, command_directory) must be root's alone
 *	(trustdir.h), checked at start and before every request.
 *
 *	privsep_check_text is the helper's check of a transport text, for
 *	tests; privsep_trusted is its check of the directories
 *	(`postroute-agent check`).
 *
 * DIAGNOSTICS
 *	privsep_start returns -1 with the reason (not root, unknown user,
 *	a directory another user could write, a refused state file, fork);
 *	a failed privilege drop in the child is fatal. A refused
 *	request is answered with step "helper" and the reason.
 *
 * SECURITY
 *	The helper reads only length-prefixed requests (at most 256 MiB)
 *	from its own child, trusts nothing in them, runs no shell and only
 *	the fixed commands of apply.h. It never parses HTTP or JSON.
 */
#ifndef POSTROUTE_PRIVSEP_H
#define POSTROUTE_PRIVSEP_H

#include <stddef.h>

#include "agentconf.h"
#include "applier.h"
#include "strbuf.h"

int privsep_start(struct agent_config *cfg, struct applier *a, struct strbuf *err);
int privsep_check_text(const char *text, struct strbuf *err);
int privsep_trusted(const struct agent_config *cfg, struct strbuf *err);

#endif
