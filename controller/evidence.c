/*
 * evidence.c: caps on the evidence stored for an event (see evidence.h).
 */
#include "evidence.h"

#include <string.h>

#include "log.h"

static const char *const evidence_lists[] = { "samples", "queue_ids", NULL };

const char *
evidence_check_list(json_t *body, const char *field)
{
	json_t *a = json_object_get(body, field), *v;
	size_t i;

	if (a == NULL || json_is_null(a))
		return NULL;
	if (!json_is_array(a) || json_array_size(a) > EVIDENCE_MAX_ITEMS)
		return "must be an array of at most 20 strings";
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return "must be an array of at most 20 strings";
	}
	return NULL;
}

/* The length of s cut to at most max octets without splitting a UTF-8
 * character (jansson strings are valid UTF-8). */
static size_t
evidence_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Cuts the strings of list a in place; 1 when one was cut. */
static int
evidence_cap_list(json_t *a)
{
	json_t *v;
	size_t i;
	int cut = 0;

	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v), keep;
		if (s == NULL)
			continue;
		keep = evidence_cut(s, len, EVIDENCE_MAX_ITEM_OCTETS);
		if (keep < len) {
			json_array_set_new(a, i, json_stringn(s, keep));
			cut = 1;
		}
	}
	return cut;
}

char *
evidence_text(json_t *body)
{
	json_t *copy = json_deep_copy(body);
	char *text;
	int cut = 0;

	for (int i = 0; evidence_lists[i] != NULL; i++) {
		json_t *a = json_object_get(copy, evidence_lists[i]);
		if (json_is_array(a))
			cut |= evidence_cap_list(a);
	}
	if (cut)
		json_object_set_new(copy, "truncated", json_true());
	text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	if (text == NULL)
		log_fatalx("evidence: cannot serialise an event");
	return text;
}
