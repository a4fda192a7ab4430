/*
 * report.h: what one scan saw, summed up for "scan --report" and "--unknown".
 *
 * NAME
 *	report - per-provider totals, block episodes, surges and unknown
 *	replies of a log
 *
 * DESCRIPTION
 *	scan feeds the report every record delivery_read returns
 *	(report_record), every detector event (report_detector) and every
 *	volume event (report_volume, a volume_event_fn), then calls
 *	report_finish with the counts only it knows. report_finish sorts
 *	and returns the view the renderers (reporttext.h, reportjson.h)
 *	print:
 *
 *	summary    the first and last timestamp seen (any parsed line),
 *	           lines read, malformed lines, delivery results, and how
 *	           many were sent, deferred and bounced;
 *	providers  per provider (the catalogue's names, "other" for the
 *	           rest): sent, deferred, bounced, and per class how many
 *	           deferred and bounced; sorted by failures (deferred +
 *	           bounced), then by deliveries, then by name;
 *	blocks     block episodes per (node, provider) from the detector's
 *	           events: class, start, end (0 while still open at the end
 *	           of the log), and the failures counted when the block was
 *	           decided (the largest, when the detector repeated the block
 *	           after silence); still open first (the longest running
 *	           first), then the latest ended;
 *	surges     per (node, sender, sasl or envelope): the first and last
 *	           surge event, their number, the reasons (rate, client_ips,
 *	           node_total) and the highest rate an event reported;
 *	           the latest first;
 *	unknown    deliveries of class unknown, grouped by their reply masked
 *	           with replymask_text: count, up to REPORT_UNKNOWN_PROVIDERS
 *	           providers seen, one reply as logged (mail local parts
 *	           masked) as an example; sorted by count.
 *
 *	Every delivery result counts, also those that went through a relay
 *	rather than the provider's MX hosts (which the detector skips), so
 *	"deliveries" is the number of "delivery" lines plain scan prints.
 *
 * MEMORY
 *	Bounded whatever the size of the log:
 *	- unknown replies: at most REPORT_UNKNOWN distinct masked replies,
 *	  each cut to REPORT_REPLY_MAX bytes (and its example too), about
 *	  1.2 MB at most. When the table is full, a new reply takes the
 *	  place of the least frequent one and inherits its count plus one
 *	  (the Space-Saving algorithm of Metwally, Agrawal and El Abbadi):
 *	  any reply more frequent than 1/REPORT_UNKNOWN of the unknown
 *	  deliveries is kept, and a count may be too high by at most its
 *	  "error", which the view gives. "evicted" says how often it happened;
 *	- block episodes: at most REPORT_BLOCKS, surging senders at most
 *	  REPORT_SURGES; the events of further ones are counted ("dropped"),
 *	  not kept;
 *	- providers: one entry per provider name seen (the catalogue's, so
 *	  a few dozen).
 *
 * OWNERSHIP
 *	The report owns every string it keeps (copies of the events' and
 *	records' text). The view returned by report_finish and everything
 *	it points to belong to the report and live until report_free.
 *
 * DIAGNOSTICS
 *	Never fails on input. Allocation failure is fatal (xalloc).
 */
#ifndef POSTROUTE_REPORT_H
#define POSTROUTE_REPORT_H

#include <stddef.h>
#include <time.h>

#include "classify.h"
#include "delivery.h"
#include "detector.h"
#include "volume.h"

#define REPORT_UNKNOWN 1000
#define REPORT_REPLY_MAX 600
#define REPORT_UNKNOWN_PROVIDERS 4
#define REPORT_BLOCKS 10000
#define REPORT_SURGES 1000

struct report_provider {
	char *name;
	long long sent, deferred, bounced;
	long long deferred_by[CLASS_COUNT];   /* by class */
	long long bounced_by[CLASS_COUNT];
};

struct report_block {
	char *node, *provider;
	enum classify_class cls;
	time_t start;
	time_t end;       /* 0: still open at the end of the log */
	int count;
};

struct report_surge {
	char *node, *sender;
	int sasl;                 /* the sender is a SASL login */
	unsigned reasons;         /* bit (1 << enum volume_kind) */
	time_t start, last;
	long long events;
	double rate;              /* the highest an event reported */
};

struct report_unknown {
	char *reply;              /* masked (replymask.h) */
	char *example;            /* one reply as logged, local parts masked */
	long long count;
	long long error;          /* count may be this much too high */
	const char *providers[REPORT_UNKNOWN_PROVIDERS];
	int nproviders;
	int more_providers;       /* seen at more providers than listed */
};

struct report_view {
	time_t first, last;       /* 0 when no line had a timestamp */
	long long lines, malformed;
	long long deliveries, sent, deferred, bounced;
	const struct report_provider *const *providers;
	size_t nproviders;
	const struct report_block *const *blocks;
	size_t nblocks;
	long long blocks_dropped;
	const struct report_surge *const *surges;
	size_t nsurges;
	long long surges_dropped;
	const struct report_unknown *const *unknown;
	size_t nunknown;
	long long unknown_deliveries, unknown_evicted;
};

struct report;

struct report *report_new(void);
struct report *report_free(struct report *r);

/* One record of delivery_read (any kind; d complete only for MAILLOG_DELIVERY). */
void report_record(struct report *r, enum maillog_kind kind, const struct delivery *d);

void report_detector(struct report *r, const struct detector_event *ev);

/* A volume_event_fn; arg is the report. */
void report_volume(const struct volume_event *ev, void *arg);

/* Sorts; lines read and lines skipped as malformed, as scan counted them. */
const struct report_view *report_finish(struct report *r, long long lines, long long malformed);

const char *report_reason_name(enum volume_kind k);

/* "2026-11-27T08:41:20Z" (UTC) in buf, which holds REPORT_TIME_MAX bytes. */
#define REPORT_TIME_MAX 32
const char *report_time(time_t t, char *buf);

#endif
