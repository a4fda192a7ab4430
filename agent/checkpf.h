/*
 * checkpf.h: the Postfix lines of `postroute-agent check` (check.h).
 *
 * NAME
 *	checkpf - transport_maps, smtpd_sender_restrictions, master.cf,
 *	postmap, postqueue
 *
 * DESCRIPTION
 *	checkpf_maincf prints the transport_maps line and the
 *	smtpd_sender_restrictions line (maincf.h; skipped without
 *	hold_map). checkpf_services compares every nexthop service of the
 *	node's feed with master.cf (postconf -M, mastercf.h) and names each
 *	missing one with a domain routed through it. checkpf_postmap
 *	installs a one-entry scratch map of map_type with the agent's own
 *	code (mapinstall.h: write, postmap, read back, rename) in the
 *	directory of transport_file, then removes every file of it.
 *	checkpf_postqueue runs postqueue -p (skipped when the agent never
 *	runs postqueue: requeue = none and no hold_map).
 *
 *	With [agent] user, postmap and postqueue run in the agent's root
 *	helper: they are checked as root, after the helper's own check of
 *	its directories (privsep_trusted); check must then run as root.
 *	Without it they run as the user running check.
 *
 * OWNERSHIP
 *	struct check_feed owns its feed and text: the caller releases both
 *	(feed_clear, strbuf_clear).
 */
#ifndef POSTROUTE_CHECKPF_H
#define POSTROUTE_CHECKPF_H

#include "agentconf.h"
#include "check.h"
#include "feed.h"
#include "strbuf.h"

/* What the token line read: the node's feed, or why there is none. */
struct check_feed {
	int state;            /* 1: f holds the feed; 0: none (why: skipped); -1: it
	                       * does not parse (why: failed) */
	struct feed f;
	struct strbuf why;
};

void checkpf_maincf(struct check *ck, const struct agent_config *cfg);
void checkpf_services(struct check *ck, const struct agent_config *cfg,
    const struct check_feed *cf);
void checkpf_postmap(struct check *ck, const struct agent_config *cfg);
void checkpf_postqueue(struct check *ck, const struct agent_config *cfg);

#endif
