/*
 * snapshot.c: load a routing version and derive each node's entries.
 */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "xalloc.h"

static int
entry_cmp(const void *a, const void *b)
{
	const struct snapshot_entry *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c ? c : strcmp(x->scope, y->scope);
}

static int
node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct snapshot_node *)a)->name,
	    ((const struct snapshot_node *)b)->name);
}

static void
snapshot_add_entry(struct snapshot *s, size_t *cap, const char *domain, PGresult *r, int i)
{
	if (s->nentries == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		s->entries = xrealloc(s->entries, *cap * sizeof(*s->entries));
	}
	struct snapshot_entry *e = &s->entries[s->nentries++];
	e->domain = xstrdup(domain);
	e->nexthop = xstrdup(PQgetvalue(r, i, 2));
	e->provider = xstrdup(PQgetvalue(r, i, 3));
	e->scope = xstrdup(PQgetvalue(r, i, 0));
}

/* The JSON text that sql (one row, one column) returns, parsed into *out
 * (NULL when it is not JSON). 0, or -1 with the database's error in err. */
static int
snapshot_json(PGconn *c, const char *sql, json_t **out, struct strbuf *err)
{
	PGresult *r = db_query(c, sql, 0, NULL);

	if (!db_ok(r) || PQntuples(r) != 1) {
		strbuf_appendf(err, "snapshot: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	*out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	return 0;
}

static int
snapshot_read(PGconn *c, struct snapshot *s, struct strbuf *err)
{
	PGresult *r = db_query(c, "SELECT version FROM routing_version", 0, NULL);
	size_t cap = 0;

	if (!db_ok(r) || PQntuples(r) != 1)
		goto fail;
	s->version = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	r = db_query(c, "SELECT name, role = 'relay' FROM nodes", 0, NULL);
	if (!db_ok(r))
		goto fail;
	s->nnodes = (size_t)PQntuples(r);
	s->nodes = xcalloc(s->nnodes, sizeof(*s->nodes));
	for (size_t i = 0; i < s->nnodes; i++) {
		s->nodes[i].name = xstrdup(PQgetvalue(r, (int)i, 0));
		s->nodes[i].is_relay = PQgetvalue(r, (int)i, 1)[0] == 't';
	}
	if (s->nnodes > 1)
		qsort(s->nodes, s->nnodes, sizeof(*s->nodes), node_cmp);
	PQclear(r);
	r = db_query(c, "SELECT r.scope, d.domain, rl.nexthop, r.provider, p.include_subdomains"
	    " FROM routes r JOIN providers p ON p.name = r.provider"
	    " JOIN provider_domains d ON d.provider = r.provider"
	    " JOIN relays rl ON rl.name = r.relay", 0, NULL);
	if (!db_ok(r))
		goto fail;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *domain = PQgetvalue(r, i, 1);
		snapshot_add_entry(s, &cap, domain, r, i);
		if (PQgetvalue(r, i, 4)[0] == 't') {
			char *dotted = xasprintf(".%s", domain);
			snapshot_add_entry(s, &cap, dotted, r, i);
			free(dotted);
		}
	}
	if (s->nentries > 1)
		qsort(s->entries, s->nentries, sizeof(*s->entries), entry_cmp);
	PQclear(r);
	if (snapshot_json(c, "SELECT coalesce(jsonb_agg(doc - 'created_at' - 'updated_at'"
	    " ORDER BY name), '[]')::text FROM provider_json", &s->providers, err) != 0 ||
	    snapshot_json(c, "SELECT coalesce(jsonb_agg(sender ORDER BY sender COLLATE \"C\"),"
	    " '[]')::text FROM holds", &s->holds, err) != 0)
		return -1;
	if (s->holds == NULL) {
		strbuf_append(err, "snapshot: holds: not a JSON array");
		return -1;
	}
	/* what an agent compiles: not the note, author or times */
	r = db_query(c, "SELECT coalesce(jsonb_agg(jsonb_build_object('name', name, 'pattern', pattern,"
	    " 'class', class, 'reroutable', reroutable, 'provider', provider) ORDER BY name), '[]')::text"
	    " FROM rules", 0, NULL);
	if (!db_ok(r) || PQntuples(r) != 1)
		goto fail;
	s->rules = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	if (s->rules == NULL) {
		strbuf_append(err, "snapshot: rules: not a JSON array");
		return -1;
	}
	return 0;
fail:
	strbuf_appendf(err, "snapshot: %s", PQresultErrorMessage(r));
	PQclear(r);
	return -1;
}

static json_t *entry_json(const struct snapshot_entry *e);

/* Serialises what every feed of this snapshot shares: the catalogue, and
 * the entries of nodes without routes of their own (a server gets every
 * "*" entry, a relay none). Left NULL on failure: feeds then build their
 * JSON in full. */
static void
snapshot_texts(struct snapshot *s)
{
	json_t *star = json_array(), *none = json_array(), *prov = snapshot_providers_json(s);

	for (size_t i = 0; i < s->nentries; i++)
		if (strcmp(s->entries[i].scope, "*") == 0)
			json_array_append_new(star, entry_json(&s->entries[i]));
	s->providers_text = json_dumps(prov, JSON_COMPACT);
	s->holds_text = json_dumps(s->holds, JSON_COMPACT);
	s->rules_text = json_dumps(s->rules, JSON_COMPACT);
	s->shared_entries_text[0] = json_dumps(star, JSON_COMPACT);
	s->shared_entries_text[1] = json_dumps(none, JSON_COMPACT);
	json_decref(star), json_decref(none), json_decref(prov);
}

struct snapshot *
snapshot_load(PGconn *c, struct strbuf *err)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));
	int own_txn = PQtransactionStatus(c) == PQTRANS_IDLE;

	s->refs = 1;
	if (own_txn && db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) != 0) {
		strbuf_appendf(err, "snapshot: %s", PQerrorMessage(c));
		snapshot_free(s);
		return NULL;
	}
	int rc = snapshot_read(c, s, err);
	if (own_txn)
		db_exec(c, rc == 0 ? "COMMIT" : "ROLLBACK", 0, NULL);
	if (rc != 0) {
		snapshot_free(s);
		return NULL;
	}
	snapshot_texts(s);
	return s;
}

void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nentries; i++) {
		free(s->entries[i].domain);
		free(s->entries[i].nexthop);
		free(s->entries[i].provider);
		free(s->entries[i].scope);
	}
	for (size_t i = 0; i < s->nnodes; i++)
		free(s->nodes[i].name);
	free(s->entries);
	free(s->nodes);
	json_decref(s->providers);
	free(s->providers_text);
	json_decref(s->holds);
	free(s->holds_text);
	json_decref(s->rules);
	free(s->rules_text);
	free(s->shared_entries_text[0]);
	free(s->shared_entries_text[1]);
	free(s);
}

const struct snapshot_node *
snapshot_node(const struct snapshot *s, const char *name)
{
	struct snapshot_node key = { .name = (char *)name };

	if (s->nnodes == 0)
		return NULL;
	return bsearch(&key, s->nodes, s->nnodes, sizeof(*s->nodes), node_cmp);
}

/* Whether the node has its own route for provider. */
static int
snapshot_overridden(const struct snapshot *s, const char *node, const char *provider)
{
	for (size_t i = 0; i < s->nentries; i++) {
		const struct snapshot_entry *e = &s->entries[i];
		if (strcmp(e->scope, node) == 0 && strcmp(e->provider, provider) == 0)
			return 1;
	}
	return 0;
}

/* Calls fn for each entry effective on node, in domain order. */
static void
snapshot_each(const struct snapshot *s, const char *node,
    void (*fn)(const struct snapshot_entry *, void *), void *arg)
{
	const struct snapshot_node *n = snapshot_node(s, node);
	int is_relay = n ? n->is_relay : 0;
	int any_own = 0;

	for (size_t i = 0; i < s->nentries && !any_own; i++)
		any_own = strcmp(s->entries[i].scope, node) == 0;
	for (size_t i = 0; i < s->nentries; i++) {
		const struct snapshot_entry *e = &s->entries[i];
		if (strcmp(e->scope, node) == 0)
			fn(e, arg);
		else if (strcmp(e->scope, "*") == 0 && !is_relay &&
		    !(any_own && snapshot_overridden(s, node, e->provider)))
			fn(e, arg);
	}
}

static json_t *
entry_json(const struct snapshot_entry *e)
{
	return json_pack("{s:s, s:s, s:s}", "domain", e->domain, "nexthop", e->nexthop,
	    "provider", e->provider);
}

static void
append_entry(const struct snapshot_entry *e, void *arg)
{
	json_array_append_new(arg, entry_json(e));
}

json_t *
snapshot_entries_json(const struct snapshot *s, const char *node)
{
	json_t *a = json_array();

	snapshot_each(s, node, append_entry, a);
	return a;
}

json_t *
snapshot_providers_json(const struct snapshot *s)
{
	return s->providers ? json_deep_copy(s->providers) : json_array();
}

char *
snapshot_feed_text(const struct snapshot *s, const char *node)
{
	const struct snapshot_node *n = snapshot_node(s, node);
	const char *shared = s->shared_entries_text[n != NULL && n->is_relay];
	char *own = NULL, *prov = NULL, *holds = NULL, *rules = NULL, *text;

	for (size_t i = 0; i < s->nentries && shared != NULL; i++)
		if (strcmp(s->entries[i].scope, node) == 0)
			shared = NULL;   /* routes of its own: render this node's */
	if (shared == NULL || s->providers_text == NULL) {
		json_t *a = snapshot_entries_json(s, node), *p = snapshot_providers_json(s);
		own = json_dumps(a, JSON_COMPACT);
		prov = json_dumps(p, JSON_COMPACT);
		json_decref(a), json_decref(p);
		if (own == NULL || prov == NULL)
			log_fatalx("snapshot: cannot serialise a feed");
	}
	if (s->holds_text == NULL && (holds = json_dumps(s->holds, JSON_COMPACT)) == NULL)
		log_fatalx("snapshot: cannot serialise a feed");
	if (s->rules_text == NULL && (rules = json_dumps(s->rules ? s->rules : json_array(),
	    JSON_COMPACT)) == NULL)
		log_fatalx("snapshot: cannot serialise a feed");
	text = xasprintf("{\"node\":\"%s\",\"version\":%lld,\"entries\":%s,\"providers\":%s,"
	    "\"holds\":%s,\"rules\":%s}", node, s->version, own ? own : shared,
	    prov ? prov : s->providers_text, holds ? holds : s->holds_text,
	    rules ? rules : s->rules_text);
	free(own), free(prov), free(holds), free(rules);
	return text;
}

struct entry_list {
	const struct snapshot_entry **v;
	size_t n, cap;
};

static void
collect_entry(const struct snapshot_entry *e, void *arg)
{
	struct entry_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = e;
}

/* Appends to removed/added the entries of a not in b / of b not in a. */
static void
diff_lists(const struct entry_list *a, const struct entry_list *b, json_t *removed, json_t *added)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i]->domain, b->v[j]->domain);
		if (c == 0 && strcmp(a->v[i]->nexthop, b->v[j]->nexthop) == 0) {
			i++, j++;
			continue;
		}
		if (c <= 0)
			json_array_append_new(removed, entry_json(a->v[i++]));
		if (c >= 0)
			json_array_append_new(added, entry_json(b->v[j++]));
	}
}

json_t *
snapshot_diff_json(const struct snapshot *before, const struct snapshot *after)
{
	json_t *changes = json_array();

	for (size_t k = 0; k < after->nnodes; k++) {
		const char *node = after->nodes[k].name;
		struct entry_list a = { 0 }, b = { 0 };
		json_t *removed = json_array(), *added = json_array();

		snapshot_each(before, node, collect_entry, &a);
		snapshot_each(after, node, collect_entry, &b);
		diff_lists(&a, &b, removed, added);
		if (json_array_size(removed) || json_array_size(added))
			json_array_append_new(changes, json_pack("{s:s, s:o, s:o}", "node", node,
			    "removed", removed, "added", added));
		else
			json_decref(removed), json_decref(added);
		free(a.v), free(b.v);
	}
	return changes;
}
