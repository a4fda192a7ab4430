/*
 * eventjson.h: the JSON of the agent's events, one encoder per type.
 *
 * NAME
 *	eventjson - block, clear and volume events as POST /v1/events bodies
 *
 * DESCRIPTION
 *	The live agent (logwatch.c, into the outbox) and scan (scan.c, to
 *	standard output) encode their events here and nowhere else, so both
 *	give the schema of docs/api.md, "Event bodies" (tests/unit/
 *	test_eventjson.c checks both against that table):
 *
 *	  {"type":"block"|"clear","node":..,"provider":..,"class":..,
 *	   "count":N,"attempts":N,"window_s":N,"at":"2026-11-27T08:41:20Z",
 *	   "samples":[..]}                                (samples: block only)
 *	  {"type":"volume","node":..,"sender":..,"sender_kind":"sasl"|"envelope",
 *	   "reason":"rate"|"client_ips"|"node_total","rate":N,"baseline":N,
 *	   "client_ips":N,"window_s":N,"deferred":N,"bounced":N,"at":..,
 *	   "queue_ids":[..]}                 (sender_kind: not for the node total)
 *
 *	Keys come in that order. node is the node the event is about: the
 *	live agent's [agent] node, scan's log line host. A volume event's
 *	rate is the recipients counted in its interval so far (truncated),
 *	its baseline rounded; window_s is the interval.
 *
 * OWNERSHIP
 *	Each encoder returns a new object (the caller's reference); the
 *	events are borrowed.
 *
 * DIAGNOSTICS
 *	Never fails. A string that is not valid UTF-8 at its end (a sample
 *	cut inside a character) loses its incomplete last character.
 */
#ifndef POSTROUTE_EVENTJSON_H
#define POSTROUTE_EVENTJSON_H

#include <jansson.h>

#include "detector.h"
#include "volume.h"

json_t *eventjson_detector(const struct detector_event *ev, const char *node);
json_t *eventjson_volume(const struct volume_event *ev, const char *node);

#endif
