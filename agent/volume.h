/*
 * volume.h: sender volume surges, the mark of a hijacked account.
 *
 * NAME
 *	volume - per-sender outbound rates, baselines and surge events
 *
 * DESCRIPTION
 *	Fed every parsed log record in order. smtpd "client=..,
 *	sasl_username=.." lines tie a queue id to a SASL user and a client
 *	IP; qmgr "from=<..>, nrcpt=N" lines then count N recipients for the
 *	sender: the SASL user when the queue id had one, else the envelope
 *	sender (the null sender of bounces is not counted). Delivery results
 *	count each sender's deferred and bounced recipients. A SASL login
 *	and an envelope address spelled alike are two senders, and each
 *	event says which it is (sasl): only a login proves an account sent
 *	the mail, since anyone can write any envelope address.
 *
 *	Rates are recipients per interval (60 s by default). Each sender's
 *	baseline is an exponentially weighted moving average of its
 *	per-interval counts (weight alpha; idle intervals count as zero),
 *	never taken below baseline_floor. A surge is a rate, within the
 *	current interval, above both rate_floor and multiple x baseline. A
 *	SASL user seen from more than max_client_ips distinct client IPs
 *	within an hour is reported too. Each surge gives one event; the
 *	sender is re-armed once a whole interval passes under the threshold.
 *
 *	Each node's total (all senders together, sender "*") has a baseline
 *	of its own and gives a VOLUME_NODE event by the same rule: a spam
 *	run spread over many accounts, each under its own threshold. When
 *	a sender's own surge in the same interval explains the node's, only
 *	the sender's event is given. The total reports nothing during warm-up (a busy node is busy from its
 *	first minute); at most VOLUME_NODES nodes per tracker.
 *
 *	Warm-up: for the first warmup intervals after the tracker starts,
 *	nobody has a baseline yet, so the tracker only learns; it reports
 *	only rates above warmup_ceiling (a rate no legitimate sender of
 *	this host reaches). After warm-up a sender never seen before starts
 *	from baseline_floor, i.e. it is treated as a quiet account.
 *
 * MEMORY
 *	At most max_senders are tracked; the least recently seen is evicted
 *	when a new one arrives. Each tracked sender costs
 *	sizeof(struct volume_sender) + its key + one hash slot (reported by
 *	volume_bytes; about 300 bytes for a 40-octet address). The queue-id
 *	join table is a fixed ring of VOLUME_QIDS entries.
 *
 * OWNERSHIP
 *	The tracker owns its senders; events are handed to the callback by
 *	pointer and are valid during the call only.
 */
#ifndef POSTROUTE_VOLUME_H
#define POSTROUTE_VOLUME_H

#include <stddef.h>
#include <time.h>

#include "maillog.h"

#define VOLUME_QIDS 4096
#define VOLUME_IPS 16
#define VOLUME_SAMPLES 3

struct volume_config {
	int interval_s;           /* 60 */
	double alpha;             /* 0.1 */
	double multiple;          /* 10 */
	double rate_floor;        /* 100 recipients per interval */
	double baseline_floor;    /* 2 */
	int warmup;               /* 30 intervals */
	double warmup_ceiling;    /* 1000 recipients per interval */
	int max_client_ips;       /* 5 per hour */
	size_t max_senders;       /* 100000 */
};

void volume_config_defaults(struct volume_config *cfg);

enum volume_kind { VOLUME_RATE, VOLUME_CLIENT_IPS, VOLUME_NODE };

struct volume_event {
	enum volume_kind kind;
	const char *node;
	const char *sender;
	int sasl;                 /* sender is a SASL login (1) or an envelope
	                           * address (0: anyone can forge it) */
	double rate;              /* recipients in the interval so far */
	double baseline;
	int client_ips;
	int deferred, bounced;    /* this interval */
	int interval_s;           /* the interval (cfg.interval_s) */
	const char *queue_ids[VOLUME_SAMPLES];
	int nqueue_ids;
	time_t at;
};

typedef void volume_event_fn(const struct volume_event *ev, void *arg);

struct volume;

struct volume *volume_new(const struct volume_config *cfg, volume_event_fn *fn, void *arg);
struct volume *volume_free(struct volume *v);

/* Feeds one parsed record (any kind; others are ignored). */
void volume_feed(struct volume *v, const struct maillog_rec *rec);

size_t volume_count(const struct volume *v);
size_t volume_bytes(const struct volume *v);

#endif
