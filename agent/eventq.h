/*
 * eventq.h: the agent's outbox of detector events.
 *
 * NAME
 *	eventq - queue events for POST /v1/events and deliver them
 *
 * DESCRIPTION
 *	eventq_push hands over one event (a JSON object as docs/api.md
 *	describes it) and never blocks: the log is read at its own pace
 *	whatever the controller does. A sender thread posts the events in
 *	order, trying the controller URLs like the feed does (the one that
 *	answered last first, the others on a transport error or a 5xx).
 *
 *	Delivery: a 2xx removes the event. A transport error, a 5xx or a
 *	429 (the token sent more than the controller's [server]
 *	events_per_minute) keeps it and waits retry_min, doubling up to
 *	retry_max, before trying again; so the queue survives a controller
 *	restart, a network cut or a burst.
 *	Any other status (400, 401, 403, 404, 413) is final for that event:
 *	sending it again would give the same answer. It is dropped and the
 *	reason kept in the counters and the log.
 *
 *	Deduplication: an event is keyed by type and its provider (block,
 *	clear) or sender (volume). A new event whose key is already waiting
 *	replaces the waiting one in its place, so a flapping detector or a
 *	long outage sends the latest word once, not every step. A block and
 *	a clear have different keys: both are sent, in order.
 *
 *	Bounded: at most max events wait; beyond that the oldest is dropped
 *	(counted in dropped).
 *
 * OWNERSHIP
 *	The queue owns the events pushed (json_decref'd after sending or
 *	dropping) and its HTTP handle; the config strings are borrowed for
 *	the queue's life.
 *
 * DIAGNOSTICS
 *	eventq_start fails only when the thread cannot be created. Delivery
 *	failures are logged once per outage (and when it ends), not per try.
 */
#ifndef POSTROUTE_EVENTQ_H
#define POSTROUTE_EVENTQ_H

#include <stddef.h>

#include <jansson.h>

#include "agentconf.h"

struct eventq;

struct eventq_stats {
	size_t queued;       /* waiting now */
	size_t sent;         /* accepted by the controller */
	size_t replaced;     /* waiting events replaced by a newer one of the same key */
	size_t dropped;      /* oldest dropped because the queue was full */
	size_t refused;      /* answered 4xx and dropped */
	size_t failures;     /* attempts that failed and will be retried */
};

struct eventq *eventq_start(const struct agent_config *cfg);

/* Takes ev (a reference is stolen). Never blocks on the network. */
void eventq_push(struct eventq *q, json_t *ev);

void eventq_stats(struct eventq *q, struct eventq_stats *st);

/*
 * Stops the sender: events still waiting are tried once more for at most
 * linger_ms, then dropped. Frees the queue; returns NULL.
 */
struct eventq *eventq_stop(struct eventq *q, long linger_ms);

#endif
