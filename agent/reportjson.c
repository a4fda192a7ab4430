/*
 * reportjson.c: a report view as one JSON document (see reportjson.h).
 */
#include "reportjson.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("?");   /* not UTF-8: the parser lets none through */
}

static json_t *
jtime(time_t t)
{
	char buf[REPORT_TIME_MAX];

	return t == 0 ? json_null() : jstr(report_time(t, buf));
}

static size_t
cut(size_t n, size_t top)
{
	return n < top ? n : top;
}

static json_t *
summary(const struct report_view *v)
{
	return json_pack("{s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "first", jtime(v->first), "last", jtime(v->last), "lines", (json_int_t)v->lines,
	    "malformed", (json_int_t)v->malformed, "deliveries", (json_int_t)v->deliveries,
	    "sent", (json_int_t)v->sent, "deferred", (json_int_t)v->deferred,
	    "bounced", (json_int_t)v->bounced);
}

static json_t *
provider(const struct report_provider *p)
{
	long long all = p->sent + p->deferred + p->bounced;
	json_t *classes = json_array();

	for (int c = 0; c < CLASS_COUNT; c++)
		if (p->deferred_by[c] + p->bounced_by[c] > 0)
			json_array_append_new(classes, json_pack("{s:s,s:I,s:I}",
			    "class", classify_class_name((enum classify_class)c),
			    "deferred", (json_int_t)p->deferred_by[c],
			    "bounced", (json_int_t)p->bounced_by[c]));
	return json_pack("{s:o,s:I,s:I,s:I,s:o,s:o}", "provider", jstr(p->name),
	    "sent", (json_int_t)p->sent, "deferred", (json_int_t)p->deferred,
	    "bounced", (json_int_t)p->bounced,
	    "failing_share", all > 0 ? json_real((double)(p->deferred + p->bounced) / (double)all) :
	    json_null(), "classes", classes);
}

static json_t *
block(const struct report_block *b)
{
	return json_pack("{s:o,s:o,s:s,s:o,s:o,s:b,s:i}", "node", jstr(b->node),
	    "provider", jstr(b->provider), "class", classify_class_name(b->cls),
	    "start", jtime(b->start), "end", jtime(b->end), "open", b->end == 0, "count", b->count);
}

static json_t *
surge(const struct report_surge *s)
{
	json_t *why = json_array();

	for (int k = VOLUME_RATE; k <= VOLUME_NODE; k++)
		if (s->reasons & (1u << k))
			json_array_append_new(why, json_string(report_reason_name((enum volume_kind)k)));
	return json_pack("{s:o,s:o,s:s,s:o,s:o,s:o,s:I,s:I}", "node", jstr(s->node),
	    "sender", jstr(s->sender),
	    "sender_kind", strcmp(s->sender, "*") == 0 && (s->reasons & (1u << VOLUME_NODE)) ?
	    "node" : s->sasl ? "sasl" : "envelope",
	    "reasons", why, "first", jtime(s->start), "last", jtime(s->last),
	    "events", (json_int_t)s->events, "rate", (json_int_t)s->rate);
}

static json_t *
unknown(const struct report_view *v, size_t top)
{
	json_t *list = json_array();

	for (size_t i = 0; i < cut(v->nunknown, top); i++) {
		const struct report_unknown *u = v->unknown[i];
		json_t *prov = json_array();
		for (int k = 0; k < u->nproviders; k++)
			json_array_append_new(prov, jstr(u->providers[k]));
		json_array_append_new(list, json_pack("{s:o,s:I,s:I,s:o,s:b,s:o}",
		    "reply", jstr(u->reply), "count", (json_int_t)u->count,
		    "error", (json_int_t)u->error, "providers", prov,
		    "more_providers", u->more_providers, "example", jstr(u->example)));
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:o}", "deliveries", (json_int_t)v->unknown_deliveries,
	    "distinct", (json_int_t)v->nunknown, "evicted", (json_int_t)v->unknown_evicted,
	    "more", (json_int_t)(v->nunknown - cut(v->nunknown, top)), "replies", list);
}

static json_t *
full(const struct report_view *v, size_t top)
{
	json_t *prov = json_array(), *blocks = json_array(), *surges = json_array();

	for (size_t i = 0; i < cut(v->nproviders, top); i++)
		json_array_append_new(prov, provider(v->providers[i]));
	for (size_t i = 0; i < cut(v->nblocks, top); i++)
		json_array_append_new(blocks, block(v->blocks[i]));
	for (size_t i = 0; i < cut(v->nsurges, top); i++)
		json_array_append_new(surges, surge(v->surges[i]));
	return json_pack("{s:I,s:o,s:o,s:I,s:o,s:I,s:I,s:o,s:I,s:I,s:o}",
	    "top", (json_int_t)top, "summary", summary(v),
	    "providers", prov, "providers_more", (json_int_t)(v->nproviders - cut(v->nproviders, top)),
	    "blocks", blocks, "blocks_more", (json_int_t)(v->nblocks - cut(v->nblocks, top)),
	    "blocks_dropped", (json_int_t)v->blocks_dropped,
	    "surges", surges, "surges_more", (json_int_t)(v->nsurges - cut(v->nsurges, top)),
	    "surges_dropped", (json_int_t)v->surges_dropped,
	    "unknown", unknown(v, top));
}

void
reportjson_render(const struct report_view *v, size_t top, int unknown_only, struct strbuf *out)
{
	json_t *doc = unknown_only ?
	    json_pack("{s:I,s:I,s:o}", "top", (json_int_t)top,
	        "deliveries", (json_int_t)v->deliveries, "unknown", unknown(v, top)) :
	    full(v, top);
	char *s = doc != NULL ?
	    json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4)) : NULL;

	if (s == NULL)
		log_fatalx("reportjson: the document could not be built");   /* a bug above */
	strbuf_append(out, s);
	strbuf_append(out, "\n");
	free(s);
	json_decref(doc);
}
