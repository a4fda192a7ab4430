/*
 * policy.h: what the controller does about a reported block.
 *
 *   (server node, provider) blocked, no route   -> an automatic route for
 *       the provider scoped to that node, to the best relay
 *   (relay node, provider) blocked               -> every automatic route of
 *       the provider through that relay moves to another healthy relay;
 *       manual routes are never changed: on-call is told instead
 *
 * The best relay is not drained, not blocked for the provider (open
 * blocks of the provider on at least [policy] relay_block_reporters
 * distinct relay nodes linked to it; fewer: the block is recorded and the
 * policy refuses), carries fewer automatic routes of the provider than its
 * share ([policy] max_relay_share_percent of the server nodes, rounded
 * down, at least one; no cap while at most one relay is in service),
 * carries the fewest automatic routes, and ties go to the lowest name. Automatic routes expire
 * ([policy] auto_ttl); a block back within [policy] reblock_window of the
 * previous automatic route doubles the lifetime, up to [policy] max_ttl.
 * A block reported again while it is still open only refreshes its
 * counts, unless it is about a server node that no route covers any more
 * (its automatic route expired and the provider still refuses the node):
 * then the policy acts again, as for a new block.
 * More than [policy] max_flips_per_hour automatic flips of one provider in
 * an hour stop automation for it, more than [policy]
 * max_auto_routes_per_hour of all providers together stop it for every
 * provider: one token reporting blocks cannot move the fleet faster. Every
 * decision and every refusal is a history row with the evidence
 * (policy.flip, policy.refused; after.limit names the [policy] key that
 * refused) and a message to on-call.
 *
 * A volume event (a sender's sudden surge) is a history row
 * (volume.surge); with [policy] hold_on_surge it also holds the sender's
 * new mail (senderhold.h, origin "auto", actor "policy") when the sender
 * is a valid hold map key (validate_sender), a SASL login (sender_kind
 * "sasl": an envelope address can be forged by anyone, so holding it
 * would let an outsider freeze a customer's mail) and not held already.
 * The notification says whether the sender was held and how to release
 * it, or why it was not.
 * Sender "*" is the node's total volume (many senders at once): recorded
 * and notified, never held.
 *
 * Runs inside the caller's change (change.h): the event, the block, the
 * routes, the hold and the history commit together. Only what a feed
 * carries bumps the routing version (an automatic route.set, a
 * sender.hold); a block opened or refreshed, a clear, a decision without
 * a route and a surge without a hold are history notes (change_note), so
 * a stream of such events wakes no agent.
 */
#ifndef POSTROUTE_POLICY_H
#define POSTROUTE_POLICY_H

#include "change.h"
#include "settings.h"
#include "strbuf.h"

/* What the policy decided about one event, for the metrics
 * (metrics_count_policy): action "flip", "refused" or "hold" and its
 * reason, static strings; action NULL when it decided nothing. */
struct policy_outcome {
	const char *action, *reason;
};

struct policy_event {
	const char *type;          /* "block", "clear", "volume" */
	const char *node;
	const char *provider;      /* block/clear */
	const char *class_;
	long long count, attempts, window_s;
	const char *at;            /* RFC 3339, or NULL for now */
	const char *evidence;      /* the event as JSON text, samples included */
	const char *reporter;      /* token name */
	const char *sender;        /* volume */
	const char *sender_kind;   /* volume: "sasl", "envelope", or NULL (not said) */
	double rate, baseline;     /* volume, when has_rate / has_baseline */
	long long client_ips;      /* volume, when has_client_ips */
	long long deferred, bounced; /* volume: this interval's, or -1 */
	int has_rate, has_baseline, has_client_ips;
	struct policy_outcome *outcome;   /* may be NULL: else told the decision */
};

/* Applies the event. Appends to summary what on-call should read ("" when
 * nothing is worth a message) and to key a deduplication key. Returns 0,
 * or -1 with ch->error set. */
int policy_handle(struct change *ch, const struct settings *s, const struct policy_event *ev,
    struct strbuf *summary, struct strbuf *key);

#endif
