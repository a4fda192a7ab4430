/*
 * detector.h: decide, per (node, provider), that a provider blocks us.
 *
 * NAME
 *	detector - sliding-window block and clear decisions
 *
 * DESCRIPTION
 *	detector_feed takes one classified delivery attempt with its time
 *	(the log's timestamp: the clock is whatever the caller feeds, so
 *	scan replays old logs exactly as the live agent would have seen
 *	them) and says whether it starts or ends a block episode.
 *
 *	Per (node, provider) the detector keeps the last window_s seconds
 *	in DETECTOR_BUCKETS buckets: attempts (every result but Postfix's
 *	"suspended" repeats), reroutable failures ("yes"), ambiguous ones,
 *	connection failures and successes.
 *
 *	block   when, within the window,
 *	          yes >= min_definite, yes + ambiguous >= fail_count and
 *	          (yes + ambiguous) / attempts >= fail_share,
 *	        or, for connection failures alone,
 *	          connection >= conn_count and connection / attempts >= conn_share.
 *	        Ambiguous failures therefore never decide alone. The event's
 *	        class is the most frequent class among the failures counted.
 *	clear   when blocked, after clear_successes successes in a row and
 *	        no failure that counts for a block for clear_quiet_s seconds.
 *	        The window is then emptied, so old failures cannot re-open
 *	        the episode at once.
 *
 *	One block event per episode: while blocked, more failures produce
 *	nothing. Except after silence: when a blocked key sees no attempt
 *	for window_s seconds (the node stopped delivering to the provider
 *	itself, typically failed over through a relay, whose deliveries the
 *	caller does not feed) and failures then reach the block thresholds
 *	again, the block event is sent again (same since). That is the
 *	evidence the controller needs when an automatic route has expired
 *	and the provider still refuses this node. Provider "other" (no catalogue entry) and NULL are never
 *	tracked: there is nothing to reroute.
 *
 * DEFAULTS (chosen from the corpus, see docs/detector.md)
 *	window_s 300, fail_count 5, fail_share 0.3, min_definite 2,
 *	conn_count 20, conn_share 0.8, clear_successes 10, clear_quiet_s 120.
 *	A blocked IP gets the refusal on every attempt (the corpus's
 *	reroutable replies are all per-IP or per-connection), so the share
 *	is near 1; recipient-level failures in normal traffic stay far below
 *	0.3 and never count anyway. Connection failures are ambiguous
 *	(network trouble or a firewall drop), hence four times the count
 *	and a near-total share.
 *
 * OWNERSHIP
 *	The detector owns its per-key state (allocated on a key's first
 *	attempt, nothing per line). Event strings point into that state and
 *	stay valid until the next detector_feed or detector_free.
 *
 * DIAGNOSTICS
 *	Never fails on input. detector_new rejects nothing: the caller
 *	validates the configuration (detector_config_check).
 */
#ifndef POSTROUTE_DETECTOR_H
#define POSTROUTE_DETECTOR_H

#include <stddef.h>
#include <time.h>

#include "classify.h"

#define DETECTOR_BUCKETS 30
#define DETECTOR_SAMPLES 3
#define DETECTOR_SAMPLE_MAX 1024

struct detector_config {
	int window_s;
	int fail_count;
	double fail_share;
	int min_definite;
	int conn_count;
	double conn_share;
	int clear_successes;
	int clear_quiet_s;
};

enum detector_event_type {
	DETECTOR_BLOCK,
	DETECTOR_CLEAR,
};

struct detector_event {
	enum detector_event_type type;
	const char *node;
	const char *provider;
	enum classify_class cls;   /* block: deciding class; clear: the episode's */
	int count;                 /* block: failures counted; clear: successes */
	int attempts;              /* attempts in the window */
	int window_s;
	time_t at;
	time_t since;              /* clear: when the episode began */
	const char *samples[DETECTOR_SAMPLES]; /* block: recent failures, local parts masked */
	int nsamples;
};

struct detector;

void detector_config_default(struct detector_config *cfg);

/* NULL when good, else a static reason naming the field. */
const char *detector_config_check(const struct detector_config *cfg);

struct detector *detector_new(const struct detector_config *cfg);
struct detector *detector_free(struct detector *d);

/*
 * Feeds one attempt. line (may be NULL) is kept as a sample when the
 * attempt counts for a block. Returns 1 and fills ev when the attempt
 * starts or ends an episode, else 0.
 */
int detector_feed(struct detector *d, const char *node, size_t nodelen, const char *provider,
    const struct classify_result *res, time_t ts, const char *line, size_t linelen,
    struct detector_event *ev);

/* Copies line to out (NUL-terminated, truncated to outlen) with every mail local part masked. */
void detector_mask(const char *line, size_t len, char *out, size_t outlen);

#endif
