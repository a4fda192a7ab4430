/*
 * logwatch.h: the agent's live detector, on its own thread.
 *
 * NAME
 *	logwatch - follow the Postfix log, detect, report
 *
 * DESCRIPTION
 *	logwatch_start loads the rules (the default rules.conf, then
 *	[logwatch] rules over it) and the catalogue (the default
 *	providers.conf, or [logwatch] providers), opens the log source
 *	(source = file: [logwatch] file through logfollow, tail -F
 *	semantics, offset saved in state_dir/logwatch.offset, "-" is
 *	standard input; source = journal: the entries of journal_units in
 *	the system journal or journal_directory through journalsrc, cursor
 *	saved in state_dir/logwatch.cursor) and starts a thread that, for
 *	every line: parses it (maillog.h), feeds the
 *	sender volume tracker (volume.h), attributes delivery results to a
 *	provider (catalogue.h), classifies them (classify.h) and feeds the
 *	block detector (detector.h) with the log's own timestamps. Block,
 *	clear and volume events go to the outbox (eventq.h) as the JSON of
 *	POST /v1/events (eventjson.h, the encoder scan uses too), always for
 *	this node ([agent] node): the agent reads its own host's log.
 *
 *	Deliveries that went through a relay rather than the provider's MX
 *	hosts are not evidence about this node's path and are skipped, as
 *	scan does.
 *
 *	Deliveries through one of the relays this node's own routes name
 *	(the hosts of its feed's nexthops) are not evidence either: after a
 *	failover they say how the relay fares, not this node. The block
 *	episode then goes quiet, and is confirmed again, or cleared, once
 *	the route has reverted (detector.h).
 *
 *	logwatch_feed hands over a feed (called on the sync thread): the
 *	controller's providers and the routed relay hosts. The logwatch
 *	thread rebuilds its catalogue from the file plus those providers
 *	before its next line. When the feed's rules changed, logwatch_feed
 *	also compiles a new classifier (the rules files again, then the
 *	feed's rules in front, classify_add_specs) on the sync thread, and
 *	the logwatch thread swaps it in before its next line, without a
 *	restart. A feed rule that does not compile is skipped and logged;
 *	the others apply; the message is set in f->warning, which the sync
 *	loop reports with "applied" (every version while the rule stays).
 *
 * OWNERSHIP
 *	struct logwatch owns the follower, parser clock, catalogue,
 *	classifier, detector and volume tracker; the config and the outbox
 *	are borrowed and must outlive it.
 *
 * DIAGNOSTICS
 *	logwatch_start returns NULL with every problem in err (bad rules or
 *	providers files, an unreadable log). After that nothing is fatal:
 *	read errors are logged and retried.
 */
#ifndef POSTROUTE_LOGWATCH_H
#define POSTROUTE_LOGWATCH_H

#include "agentconf.h"
#include "eventq.h"
#include "feed.h"
#include "strbuf.h"

struct logwatch;

struct logwatch *logwatch_start(const struct agent_config *cfg, struct eventq *q,
    struct strbuf *err);

/* A new feed: its providers (merged over the file's; taken out of f,
 * which is left without them), its relays and its rules (f->warning set
 * when some are skipped). */
void logwatch_feed(struct logwatch *lw, struct feed *f);

/* Stops the thread, saves the offset, logs what it read, frees; returns NULL. */
struct logwatch *logwatch_stop(struct logwatch *lw);

#endif
