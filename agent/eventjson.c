/*
 * eventjson.c: block, clear and volume events as JSON (see eventjson.h).
 */
#include "eventjson.h"

#include <string.h>
#include <time.h>

#include "classify.h"

/* s as a JSON string, without an incomplete UTF-8 character at its end. */
static json_t *
eventjson_text(const char *s)
{
	size_t n = strlen(s);
	json_t *v;

	for (int cut = 0; cut <= 3 && n > 0; cut++, n--) {
		if ((v = json_stringn(s, n)) != NULL)
			return v;
		if (((unsigned char)s[n - 1] & 0x80) == 0)
			break;      /* invalid before its end: not a cut character */
	}
	return json_string("");
}

static json_t *
eventjson_time(time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static void
eventjson_set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v);
}

json_t *
eventjson_detector(const struct detector_event *ev, const char *node)
{
	int block = ev->type == DETECTOR_BLOCK;
	json_t *o = json_object();

	eventjson_set(o, "type", json_string(block ? "block" : "clear"));
	eventjson_set(o, "node", eventjson_text(node));
	eventjson_set(o, "provider", eventjson_text(ev->provider));
	eventjson_set(o, "class", json_string(classify_class_name(ev->cls)));
	eventjson_set(o, "count", json_integer(ev->count));
	eventjson_set(o, "attempts", json_integer(ev->attempts));
	eventjson_set(o, "window_s", json_integer(ev->window_s));
	eventjson_set(o, "at", eventjson_time(ev->at));
	if (block) {
		json_t *a = json_array();
		for (int i = 0; i < ev->nsamples; i++)
			json_array_append_new(a, eventjson_text(ev->samples[i]));
		eventjson_set(o, "samples", a);
	}
	return o;
}

static const char *
eventjson_volume_reason(enum volume_kind kind)
{
	switch (kind) {
	case VOLUME_RATE:
		return "rate";
	case VOLUME_CLIENT_IPS:
		return "client_ips";
	case VOLUME_NODE:
		return "node_total";
	}
	return "rate";
}

json_t *
eventjson_volume(const struct volume_event *ev, const char *node)
{
	json_t *o = json_object(), *ids = json_array();

	eventjson_set(o, "type", json_string("volume"));
	eventjson_set(o, "node", eventjson_text(node));
	eventjson_set(o, "sender", eventjson_text(ev->sender));
	if (ev->kind != VOLUME_NODE)
		eventjson_set(o, "sender_kind", json_string(ev->sasl ? "sasl" : "envelope"));
	eventjson_set(o, "reason", json_string(eventjson_volume_reason(ev->kind)));
	eventjson_set(o, "rate", json_integer((json_int_t)ev->rate));
	eventjson_set(o, "baseline", json_integer((json_int_t)(ev->baseline + 0.5)));
	eventjson_set(o, "client_ips", json_integer(ev->client_ips));
	eventjson_set(o, "window_s", json_integer(ev->interval_s));
	eventjson_set(o, "deferred", json_integer(ev->deferred));
	eventjson_set(o, "bounced", json_integer(ev->bounced));
	eventjson_set(o, "at", eventjson_time(ev->at));
	for (int i = 0; i < ev->nqueue_ids; i++)
		json_array_append_new(ids, eventjson_text(ev->queue_ids[i]));
	eventjson_set(o, "queue_ids", ids);
	return o;
}
