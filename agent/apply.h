/*
 * apply.h: the two privileged operations of the agent, in one place.
 *
 * NAME
 *	apply - install a rendered map; reload and requeue
 *
 * DESCRIPTION
 *	apply_install publishes a rendered transport file (mapinstall.h)
 *	as the configured map. apply_activate makes Postfix use it: the
 *	deferred ids of the moved domains are listed (postqueue -j) before
 *	`postfix reload` (reload = always) and pushed after it (postqueue
 *	-i, or one postqueue -f above requeue_max); requeue = all flushes,
 *	none skips.
 *
 *	apply_hold_install publishes a rendered hold map (holdmap.h) as
 *	[postfix] hold_map, with the same machinery and map_type. It needs
 *	no reload: smtpd notices the changed table and restarts before its
 *	next session. apply_hold_release releases the held mail of senders
 *	taken off the map (holdq.h), pushing at most requeue_max ids one by
 *	one (else one flush), whatever requeue says.
 *
 *	These are all the agent does that needs root on a stock host. The
 *	sync loop calls them directly, or, with [agent] user set, through
 *	the privileged helper (privsep.h), which calls them in the root
 *	process.
 *
 * OWNERSHIP
 *	Arguments are borrowed.
 *
 * DIAGNOSTICS
 *	-1 with *step ("write", "postmap", "verify", "install", "reload",
 *	"requeue", "release") and the reason in err. Never fatal.
 */
#ifndef POSTROUTE_APPLY_H
#define POSTROUTE_APPLY_H

#include <stddef.h>

#include "agentconf.h"
#include "strbuf.h"
#include "timings.h"

int apply_install(const struct agent_config *cfg, const char *text, struct timings *t,
    const char **step, struct strbuf *err);
/*
 * apply_activate lists the moved domains' deferred mail before the reload
 * and again after it (mail deferred meanwhile went by the old route), and
 * pushes both. apply_sweep lists and pushes once more, without a reload:
 * the sync loop runs it a little later for deliveries that were in flight
 * through the old route when the map changed.
 */
int apply_sweep(const struct agent_config *cfg, char **moved, size_t nmoved,
    struct timings *t, const char **step, struct strbuf *err);
/* moved: sorted domains whose nexthop changed (".d" forms allowed). */
int apply_activate(const struct agent_config *cfg, char **moved, size_t nmoved,
    struct timings *t, const char **step, struct strbuf *err);

int apply_hold_install(const struct agent_config *cfg, const char *text, struct timings *t,
    const char **step, struct strbuf *err);
/* removed: senders taken off the map, since: when each one's hold began
 * (0: unknown; only mail that arrived since is released, holdq.h); held:
 * those still on it (both sorted, lower case). */
int apply_hold_release(const struct agent_config *cfg, char **removed, const long long *since,
    size_t nremoved, char **held, size_t nheld, const char **step, struct strbuf *err);

#endif
