/*
 * replay.c: rebuilding the routing table from route.* history rows.
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct replay_row {
	struct tp_time at;
	long long id;
	const json_t *row;
};

static int
replay_row_cmp(const void *pa, const void *pb)
{
	const struct replay_row *a = pa, *b = pb;
	int c = timeparse_cmp(&a->at, &b->at);

	if (c != 0)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
replay_is_route_row(const json_t *row)
{
	const char *action = json_string_value(json_object_get(row, "action"));

	return action != NULL && strncmp(action, "route.", 6) == 0;
}

/* The route rows at or before T, sorted; returns how many, or -1. */
static long
replay_collect(const json_t *rows, const struct tp_time *t, struct replay_row **out,
    struct strbuf *err)
{
	struct replay_row *v = xcalloc(json_array_size(rows) + 1, sizeof(*v));
	size_t i, n = 0;
	json_t *row;

	json_array_foreach(rows, i, row) {
		const char *at = json_string_value(json_object_get(row, "at"));
		const char *why;
		if (!replay_is_route_row(row))
			continue;
		if (at == NULL || timeparse_absolute(at, &v[n].at, &why) != 0) {
			strbuf_appendf(err, "history row %lld: \"at\" %s",
			    (long long)json_integer_value(json_object_get(row, "id")),
			    at ? why : "is missing");
			free(v);
			return -1;
		}
		if (timeparse_cmp(&v[n].at, t) > 0)
			continue;
		v[n].id = json_integer_value(json_object_get(row, "id"));
		v[n].row = row;
		n++;
	}
	qsort(v, n, sizeof(*v), replay_row_cmp);
	*out = v;
	return (long)n;
}

/* "provider\x1fscope" of a route row, or NULL when it names no route. */
static char *
replay_key(const json_t *row)
{
	const json_t *r = json_object_get(row, "after");
	const char *provider, *scope;

	if (!json_is_object(r))
		r = json_object_get(row, "before");
	provider = json_string_value(json_object_get(r, "provider"));
	if (provider == NULL)
		provider = json_string_value(json_object_get(row, "provider"));
	scope = json_string_value(json_object_get(r, "scope"));
	if (provider == NULL || scope == NULL)
		return NULL;
	return xasprintf("%s\x1f%s", provider, scope);
}

static const char *
replay_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int
replay_route_cmp(const void *pa, const void *pb)
{
	const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
	int c = strcmp(replay_str(a, "provider"), replay_str(b, "provider"));
	const char *sa = replay_str(a, "scope"), *sb = replay_str(b, "scope");

	if (c != 0)
		return c;
	if (strcmp(sa, "*") == 0 || strcmp(sb, "*") == 0)
		return (strcmp(sb, "*") == 0) - (strcmp(sa, "*") == 0);
	return strcmp(sa, sb);
}

/* The live routes of state, sorted, as a new array. */
static json_t *
replay_result(json_t *state)
{
	size_t n = 0, cap = json_object_size(state) + 1;
	json_t **v = xcalloc(cap, sizeof(*v)), *route, *arr = json_array();
	const char *key;

	json_object_foreach(state, key, route) {
		if (json_is_object(route))
			v[n++] = route;
	}
	qsort(v, n, sizeof(*v), replay_route_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(arr, v[i]);
	free(v);
	return arr;
}

int
replay_routes(const json_t *rows, const struct tp_time *at, json_t **routes,
    long long *version, struct strbuf *err)
{
	struct replay_row *v;
	long n = replay_collect(rows, at, &v, err);
	json_t *state;

	if (n < 0)
		return -1;
	state = json_object();
	*version = 0;
	for (long i = 0; i < n; i++) {
		char *key = replay_key(v[i].row);
		json_t *after = json_object_get(v[i].row, "after");
		json_int_t ver = json_integer_value(json_object_get(v[i].row, "version"));
		if (key == NULL) {
			strbuf_appendf(err, "history row %lld: no provider and scope in the route",
			    v[i].id);
			free(key), free(v), json_decref(state);
			return -1;
		}
		json_object_set(state, key, json_is_object(after) ? after : json_null());
		if (ver > *version)
			*version = ver;
		free(key);
	}
	*routes = replay_result(state);
	json_decref(state);
	free(v);
	return 0;
}
