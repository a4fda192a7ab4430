/*
 * applier.h: the Postfix side of an apply, done here or by the root helper.
 *
 * NAME
 *	applier - install map, install hold map, reload and requeue, sweep,
 *	release held mail
 *
 * SYNOPSIS
 *	struct applier a;
 *
 *	applier_local(&a, cfg);
 *	privsep_start(cfg, &a, err);   (with [agent] user)
 *	applier_install(&a, text, &t, &step, err);
 *
 * DESCRIPTION
 *	An applier does the five things of apply.h that need root on a stock
 *	host; the sync loop (sync.h) calls them without knowing where they
 *	run:
 *
 *	  applier_install       the transport map (apply_install)
 *	  applier_hold_install  the hold map (apply_hold_install)
 *	  applier_activate      reload, and requeue the moved domains'
 *	                        deferred mail (apply_activate: the listing
 *	                        comes before the reload, so the two are one
 *	                        call)
 *	  applier_sweep         requeue the moved domains' mail once more
 *	                        (apply_sweep)
 *	  applier_release       release the held mail of senders taken off
 *	                        the hold map (apply_hold_release)
 *
 *	applier_local runs them in this process with cfg. privsep_start
 *	(privsep.h) makes an applier that sends them to the privileged
 *	helper, which checks each request again and runs the same functions
 *	as root.
 *
 *	Each call sets the durations of the steps that ran in t
 *	(timings.h); a call through the helper gets them back over its
 *	socket.
 *
 * OWNERSHIP
 *	struct applier borrows the config (or the helper's socket); the
 *	arguments of each call are borrowed.
 *
 * DIAGNOSTICS
 *	As apply.h: -1 with *step and the reason in err; through the helper,
 *	also step "helper" when it refused the request or is gone. *step
 *	points to static storage that the next call may change.
 */
#ifndef POSTROUTE_APPLIER_H
#define POSTROUTE_APPLIER_H

#include <stddef.h>

#include "agentconf.h"
#include "strbuf.h"
#include "timings.h"

struct applier;

struct applier_ops {
	int (*install)(const struct applier *a, const char *text, struct timings *t,
	    const char **step, struct strbuf *err);
	int (*hold_install)(const struct applier *a, const char *text, struct timings *t,
	    const char **step, struct strbuf *err);
	int (*activate)(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
	    const char **step, struct strbuf *err);
	int (*sweep)(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
	    const char **step, struct strbuf *err);
	int (*release)(const struct applier *a, char **removed, const long long *since,
	    size_t nremoved, char **held, size_t nheld, const char **step, struct strbuf *err);
};

struct applier {
	const struct applier_ops *ops;
	const struct agent_config *cfg;   /* applier_local's */
	int fd;                           /* the helper's socket (privsep.c) */
};

void applier_local(struct applier *a, const struct agent_config *cfg);

int applier_install(const struct applier *a, const char *text, struct timings *t,
    const char **step, struct strbuf *err);
int applier_hold_install(const struct applier *a, const char *text, struct timings *t,
    const char **step, struct strbuf *err);
/* moved: sorted domains whose nexthop changed (".d" forms allowed). */
int applier_activate(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err);
int applier_sweep(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err);
/* removed (with when each one's hold began, 0: unknown) and held: sorted,
 * lower case, as apply_hold_release. */
int applier_release(const struct applier *a, char **removed, const long long *since,
    size_t nremoved, char **held, size_t nheld, const char **step, struct strbuf *err);

#endif
