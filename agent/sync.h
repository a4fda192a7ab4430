/*
 * sync.h: the agent's convergence loop.
 *
 * NAME
 *	sync - make this host's transport map equal the node's feed
 *
 * DESCRIPTION
 *	sync_run loops until *stop is set: re-check the installed map
 *	(restore it when changed by hand), send a report still owed, then
 *	long-poll the feed (the one place it blocks) with after = applied
 *	version. A new version is applied in steps:
 *
 *	  validate   every entry again (render.h), one line per entry
 *	  mastercf   each nexthop's service exists here (mastercf.h)
 *	  write, postmap, verify, install   (mapinstall.h)
 *	  reload     postfix reload (reload = always)
 *	  requeue    deferred mail of moved domains (requeue = moved|all)
 *	  hold       with [postfix] hold_map: the feed's holds (validated
 *	             with the entries, holdmap.h) installed as the hold map
 *	             when they differ from the applied ones, then the held
 *	             mail of senders taken off released (holdq.h)
 *	  state      applied version and checksum saved (state.h)
 *
 *	and "applied" with each step's duration is reported only after all
 *	of them succeeded (durations_ms keys: render, which includes the
 *	validation, mastercf, write, postmap, verify, install, reload,
 *	requeue, holds, state, total); otherwise "failed" with the step and
 *	the reason (exit status, stderr); a bad hold fails "validate", a
 *	failed hold map install or release "hold". If the entries are the
 *	same as installed, the version is recorded and reported without
 *	postmap or reload; the same holds are not installed again. Without
 *	hold_map the feed's holds are ignored.
 *	After a failure (including an unreachable controller) the loop
 *	waits retry_min doubling to retry_max, with jitter (between half
 *	and all of the delay), then asks again: fail static, the installed
 *	map stays until a version installs completely.
 *
 *	SYNC_SWEEP_MS after a change that moved domains, the loop requeues
 *	their deferred mail once more (apply_sweep): deliveries that were in
 *	flight through the old route when Postfix reloaded end up deferred
 *	after the requeue, and would otherwise wait for the next queue run
 *	(up to minimal_backoff_time, 300 s by default). The long-poll is
 *	shortened to wake up for it.
 *
 *	Postfix must use the maps: main.cf is checked (maincf.h: postconf
 *	says transport_maps names the agent's map first, and with hold_map
 *	smtpd_sender_restrictions names the hold map) at start, after
 *	every SIGHUP, after every reload of Postfix, and whenever main.cf
 *	changed (its inode, size or mtime, looked at each cycle). While it
 *	fails, a version is still installed, but reported "failed" at step
 *	"maincf" with the reason, never "applied"; the state remembers
 *	that (state.h), and once main.cf is right again (or wrong again
 *	after an applied report) the feed is read whole and the version
 *	reported anew.
 *
 *	The first fetch after start asks for the whole feed (no after=), so
 *	that on_feed sees the providers and holds it carries; a version
 *	already applied is not applied or reported again.
 *
 *	sync_once does one cycle without waiting (--once).
 *
 * OWNERSHIP
 *	struct sync borrows the config, the applier and the two flags;
 *	sync_init and sync_clear manage the rest.
 *
 * DIAGNOSTICS
 *	Failures are logged once here (the loop's top) and reported to the
 *	controller; sync_init fails only on an unreadable state file.
 *
 * SECURITY
 *	Everything from the controller goes through feed_parse and render
 *	validation before any file is written; Postfix commands run with
 *	fixed argv (proc.h) through the applier (applier.h): in this
 *	process, or, with [agent] user, in the root helper (privsep.h)
 *	while this loop runs unprivileged.
 */
#ifndef POSTROUTE_SYNC_H
#define POSTROUTE_SYNC_H

#include <signal.h>
#include <sys/stat.h>

#include "agentconf.h"
#include "applier.h"
#include "ctlclient.h"
#include "feed.h"
#include "holdsince.h"
#include "mastercf.h"
#include "state.h"
#include "strbuf.h"
#include "timings.h"

#define SYNC_SWEEP_MS 3000

enum sync_result {
	SYNC_CURRENT,      /* nothing new */
	SYNC_APPLIED,      /* a new version is installed and reported */
	SYNC_FAILED,       /* the version failed; reported */
	SYNC_UNREACHABLE,  /* no controller answered usefully */
};

struct sync_report {
	int pending;
	long long version;
	char status[16];
	char *step;
	char *error;
	struct timings dur;
};

struct sync {
	const struct agent_config *cfg;
	const struct applier *ap;   /* installs, reloads, requeues, releases */
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t *wake;
	struct ctlclient ctl;    /* the controller: feed and reports */
	struct state st;
	int pending_reload;      /* map installed, reload/requeue not yet done */
	char *prev_text;         /* map before the last install, for requeue */
	struct sync_report rep;
	char *maincf_why;        /* why Postfix does not use the maps, or NULL */
	int maincf_due;          /* check main.cf at the next chance */
	struct stat maincf_stat; /* main.cf as of that check */
	struct mastercf mc;      /* services of master.cf, as of mc_stat */
	struct stat mc_stat;
	int mc_valid;
	unsigned failures;       /* consecutive, for the backoff */
	unsigned rand_state;
	int fetched;             /* a whole feed was read since start */
	struct holdsince hs;     /* when each held sender's hold began */
	char *went_back;         /* "the controller's version went back ...": told
	                          * in the next applied report, then freed */
	char **sweep;            /* moved domains to requeue once more, or NULL */
	size_t nsweep;
	long sweep_at;           /* monotonic ms */
	/* called with every new feed before it is applied (may be NULL);
	 * it may take f->providers, which the sync loop does not use, and
	 * set f->warning, told in the "applied" report of that version */
	void (*on_feed)(struct feed *f, void *arg);
	void *on_feed_arg;
};

/* ap: applier_local, or privsep_start's with [agent] user (applier.h). */
int sync_init(struct sync *s, const struct agent_config *cfg, const struct applier *ap,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *wake, struct strbuf *err);
void sync_clear(struct sync *s);

enum sync_result sync_once(struct sync *s, int wait_s);
void sync_run(struct sync *s);

/* The backoff before retry number n (0-based): for tests. */
long sync_backoff_ms(long min_ms, long max_ms, unsigned n, unsigned *rand_state);

#endif
