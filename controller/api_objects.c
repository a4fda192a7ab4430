/*
 * api_objects.c: relays, providers, nodes and classifier rules: list, get,
 * put, delete.
 *
 * PUT creates or updates: on update, absent fields keep their value; on
 * create they take their defaults, and required ones must be present.
 * Every write goes through change.h with a history row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "change.h"
#include "rulespec.h"
#include "validate.h"
#include "xalloc.h"

/* What a PUT does inside the transaction: validate against the current
 * state and write. Returns 0, or -1 having answered. */
typedef int put_fn(PGconn *c, json_t *body, const char *name, const char *before,
    const char *actor, struct http_reply *rep);

struct kind {
	const char *name;        /* "relay" */
	const char *view;        /* "relay_json" */
	const char *list_key;    /* "relays" */
	const char *table;       /* "relays" */
	const char *in_use_sql;  /* $1 = name; a row = still referenced */
	const char *in_use_why;
	const char *const *fields;   /* PUT body fields */
	put_fn *put;
};

static const struct kind relay_kind, provider_kind, node_kind, rule_kind;

static void
api_list(struct app *app, struct http_reply *rep, const struct kind *k)
{
	char *sql = xasprintf(
	    "SELECT jsonb_build_object('%s', coalesce(jsonb_agg(doc ORDER BY name), '[]')) FROM %s",
	    k->list_key, k->view);

	api_read_doc(app, rep, k->name, sql, 0, NULL);
	free(sql);
}

/* The object's document, NULL when absent; -1 in *rc on error. */
static char *
api_doc(PGconn *c, const struct kind *k, const char *name, PGresult **fail)
{
	char *sql = xasprintf("SELECT doc FROM %s WHERE name = $1", k->view);
	const char *p[] = { name };
	char *doc = NULL;

	db_one(c, sql, 1, p, &doc, fail);
	free(sql);
	return doc;
}

static void
api_get(struct app *app, struct http_request *req, struct http_reply *rep, const struct kind *k)
{
	const char *name = req->segs[2];
	PGresult *fail = NULL;
	PGconn *c;
	char *doc;

	if (api_name(name, k->name, rep) != 0)
		return;
	c = db_acquire(app->pool);
	doc = api_doc(c, k, name, &fail);
	if (fail != NULL)
		api_db_error(rep, c, fail, k->name);
	else if (doc == NULL)
		api_error(rep, 404, "%s: no such %s \"%s\"", k->name, k->name, name);
	else
		api_json(rep, 200, api_parse(doc));
	PQclear(fail);
	free(doc);
	db_release(app->pool, c);
}

/* The history row of a change to object NAME: doc is the object (a rule's
 * provider is filed under it), relay the relay it names, or NULL. */
static struct change_row
api_row(const struct kind *k, const char *action, const char *name, const json_t *doc,
    const char *relay, const char *before, const char *after)
{
	struct change_row row = { action, k->name, name, k == &provider_kind ? name :
		k == &rule_kind ? json_string_value(json_object_get(doc, "provider")) : NULL,
		k == &node_kind ? name : NULL, k == &relay_kind ? name : relay, before, after };

	return row;
}

/* Begins a put or a delete of object NAME and reads its document into
 * *before (NULL when absent; a failed read in *fail). Returns 0, or -1
 * with the error reply set. */
static int
api_change_open(struct change *ch, const struct kind *k, const char *name, char **before,
    PGresult **fail, struct http_reply *rep)
{
	if (change_begin(ch) != 0) {
		api_db_error(rep, ch->conn, ch->error, k->name);
		return -1;
	}
	*before = api_doc(ch->conn, k, name, fail);
	return 0;
}

/* Rolls back what a put or a delete did not commit, frees fail and gives
 * the connection back. */
static void
api_change_close(struct app *app, struct change *ch, PGresult *fail)
{
	if (PQtransactionStatus(ch->conn) != PQTRANS_IDLE)
		change_end(ch, 0);
	change_clear(ch);
	PQclear(fail);
	db_release(app->pool, ch->conn);
}

static void
api_put(struct app *app, struct http_request *req, struct http_reply *rep, const struct kind *k)
{
	const char *name = req->segs[2], *reason = NULL;
	json_t *body;

	if (api_name(name, k->name, rep) != 0 || (body = api_body(req, rep, k->fields)) == NULL)
		return;
	if (api_string(body, "reason", 0, &reason, rep) != 0 || api_reason(reason, 0, "reason", rep) != 0) {
		json_decref(body);
		return;
	}
	PGconn *c = db_acquire(app->pool);
	struct change ch = { c, req->token.name, reason, req->request_id, 0, NULL, 0 };
	PGresult *fail = NULL;
	char *before = NULL, *after = NULL, *action = xasprintf("%s.put", k->name);

	if (api_change_open(&ch, k, name, &before, &fail, rep) != 0)
		goto out;
	if (fail == NULL && k->put(c, body, name, before, req->token.name, rep) == 0)
		after = api_doc(c, k, name, &fail);
	if (fail != NULL) {
		api_db_error(rep, c, fail, k->name);
	} else if (rep->status == 0) {
		json_t *a = api_parse(after);
		const char *relay = json_string_value(json_object_get(a, "relay"));
		struct change_row row = api_row(k, action, name, a, relay, before, after);
		if (change_record(&ch, &row) != 0 || change_end(&ch, 1) != 0) {
			api_db_error(rep, c, ch.error, k->name);
		} else {
			json_object_set_new(a, "created", json_boolean(before == NULL));
			json_object_set_new(a, "version", json_integer(ch.version));
			api_json(rep, 200, json_incref(a));
		}
		json_decref(a);
	}
out:
	api_change_close(app, &ch, fail);
	free(before), free(after), free(action);
	json_decref(body);
}

static void
api_delete(struct app *app, struct http_request *req, struct http_reply *rep, const struct kind *k)
{
	const char *name = req->segs[2], *reason = http_query(req, "reason");
	PGresult *fail = NULL;

	if (api_name(name, k->name, rep) != 0 || api_reason(reason, 0, "reason", rep) != 0)
		return;
	PGconn *c = db_acquire(app->pool);
	struct change ch = { c, req->token.name, reason, req->request_id, 0, NULL, 0 };
	char *before = NULL, *action = xasprintf("%s.delete", k->name);
	char *sql = xasprintf("DELETE FROM %s WHERE name = $1", k->table);
	const char *p[] = { name };
	int used;

	if (api_change_open(&ch, k, name, &before, &fail, rep) != 0)
		goto out;
	if (fail == NULL && before == NULL) {
		api_error(rep, 404, "%s: no such %s \"%s\"", k->name, k->name, name);
	} else if (fail == NULL && (used = db_one(c, k->in_use_sql, 1, p, NULL, &fail)) == 1) {
		api_error(rep, 409, "%s: \"%s\" cannot be removed: %s", k->name, name, k->in_use_why);
	} else if (fail == NULL && db_one(c, sql, 1, p, NULL, &fail) == 0) {
		json_t *b = api_parse(before);
		struct change_row row = api_row(k, action, name, b, NULL, before, NULL);
		if (change_record(&ch, &row) != 0 || change_end(&ch, 1) != 0)
			api_db_error(rep, c, ch.error, k->name);
		else
			api_json(rep, 200, json_pack("{s:I, s:O}", "version", (json_int_t)ch.version,
			    "deleted", b));
		json_decref(b);
	}
	if (fail != NULL)
		api_db_error(rep, c, fail, k->name);
out:
	api_change_close(app, &ch, fail);
	free(before), free(action), free(sql);
}

/* ---- relays ---- */

static const char *const relay_fields[] = { "nexthop", "drained", "reason", NULL };

static int
relay_put(PGconn *c, json_t *body, const char *name, const char *before, const char *actor,
    struct http_reply *rep)
{
	(void)actor;
	const char *nexthop = NULL, *why;
	int drained = -1;
	PGresult *fail = NULL;

	if (api_string(body, "nexthop", before == NULL, &nexthop, rep) != 0 ||
	    api_bool(body, "drained", 0, &drained, rep) != 0)
		return -1;
	if (nexthop != NULL && (why = validate_nexthop(nexthop)) != NULL) {
		api_error(rep, 400, "nexthop: %s", why);
		return -1;
	}
	const char *p[] = { name, nexthop, drained < 0 ? NULL : drained ? "true" : "false" };
	if (db_one(c, before == NULL ?
	    "INSERT INTO relays (name, nexthop, drained) VALUES ($1, $2, coalesce($3::boolean, false))" :
	    "UPDATE relays SET nexthop = coalesce($2, nexthop), drained = coalesce($3::boolean, drained),"
	    " updated_at = now() WHERE name = $1",
	    3, p, NULL, &fail) < 0) {
		api_db_error(rep, c, fail, "relay");
		PQclear(fail);
		return -1;
	}
	return 0;
}

/* ---- providers ---- */

static const char *const provider_fields[] = { "domains", "mx_patterns", "include_subdomains",
	"reason", NULL };

/* Validates a JSON array of domains (or MX patterns) into a PostgreSQL
 * array literal; -1 after answering 400. */
static int
provider_array(json_t *body, const char *key, int patterns, struct strbuf *lit,
    struct http_reply *rep)
{
	json_t *a = json_object_get(body, key), *v;
	char norm[VALIDATE_DOMAIN_MAX + 2];
	size_t i;

	if (!json_is_array(a)) {
		api_error(rep, 400, "%s: must be an array of strings", key);
		return -1;
	}
	if (json_array_size(a) > 1000) {
		api_error(rep, 400, "%s: more than 1000 entries", key);
		return -1;
	}
	strbuf_appendc(lit, '{');
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v), *why;
		if (s == NULL || strlen(s) != json_string_length(v)) {
			api_error(rep, 400, "%s[%zu]: must be a string", key, i);
			return -1;
		}
		const char *d = patterns && strncmp(s, "*.", 2) == 0 ? s + 2 : s;
		if (d[0] == '.')
			why = "must not start with '.' (use include_subdomains)";
		else
			why = validate_domain(d, norm, sizeof(norm));
		if (why != NULL) {
			api_error(rep, 400, "%s[%zu]: \"%.100s\" %s", key, i, s, why);
			return -1;
		}
		strbuf_appendf(lit, "%s%s%s", i ? "," : "", d != s ? "*." : "", norm);
	}
	strbuf_appendc(lit, '}');
	return 0;
}

static int
provider_put(PGconn *c, json_t *body, const char *name, const char *before, const char *actor,
    struct http_reply *rep)
{
	(void)actor;
	struct strbuf domains = STRBUF_INIT, mx = STRBUF_INIT;
	int sub = -1, rc = -1;
	PGresult *fail = NULL;
	char *taken = NULL;

	if ((json_object_get(body, "domains") || before == NULL) &&
	    provider_array(body, "domains", 0, &domains, rep) != 0)
		goto out;
	if (json_object_get(body, "mx_patterns") &&
	    provider_array(body, "mx_patterns", 1, &mx, rep) != 0)
		goto out;
	if (api_bool(body, "include_subdomains", 0, &sub, rep) != 0)
		goto out;
	const char *p[] = { name, domains.len ? strbuf_str(&domains) : NULL,
		mx.len ? strbuf_str(&mx) : NULL, sub < 0 ? NULL : sub ? "true" : "false" };
	if (p[1] != NULL && db_one(c, "SELECT domain || ' belongs to provider ' || provider"
	    " FROM provider_domains WHERE domain = ANY($2::text[]) AND provider <> $1 LIMIT 1",
	    2, p, &taken, &fail) == 1) {
		api_error(rep, 409, "domains: %s", taken);
		goto out;
	}
	const char *q[] = { p[0], p[2], p[3] };
	if (fail == NULL && db_one(c,
	    "INSERT INTO providers (name, mx_patterns, include_subdomains)"
	    " VALUES ($1, coalesce($2::text[], '{}'), coalesce($3::boolean, false))"
	    " ON CONFLICT (name) DO UPDATE SET mx_patterns = coalesce($2::text[], providers.mx_patterns),"
	    " include_subdomains = coalesce($3::boolean, providers.include_subdomains), updated_at = now()",
	    3, q, NULL, &fail) >= 0 && p[1] != NULL) {
		if (db_one(c, "DELETE FROM provider_domains WHERE provider = $1", 1, p, NULL, &fail) >= 0)
			db_one(c, "INSERT INTO provider_domains (domain, provider)"
			    " SELECT DISTINCT unnest($2::text[]), $1", 2, p, NULL, &fail);
	}
	if (fail != NULL)
		api_db_error(rep, c, fail, "provider");
	else
		rc = 0;
out:
	PQclear(fail);
	free(taken);
	strbuf_clear(&domains);
	strbuf_clear(&mx);
	return rc;
}

/* ---- nodes ---- */

static const char *const node_fields[] = { "role", "relay", "reason", NULL };

static int
node_put(PGconn *c, json_t *body, const char *name, const char *before, const char *actor,
    struct http_reply *rep)
{
	(void)actor;
	const char *role = NULL, *relay = NULL;
	PGresult *fail = NULL;
	json_t *old = api_parse(before);

	if (api_string(body, "role", before == NULL, &role, rep) != 0 ||
	    api_string(body, "relay", 0, &relay, rep) != 0)
		goto bad;
	if (role == NULL)
		role = json_string_value(json_object_get(old, "role"));
	if (strcmp(role, "server") != 0 && strcmp(role, "relay") != 0) {
		api_error(rep, 400, "role: must be \"server\" or \"relay\"");
		goto bad;
	}
	if (relay == NULL && strcmp(role, "relay") == 0 && !json_object_get(body, "relay"))
		relay = json_string_value(json_object_get(old, "relay"));
	if (strcmp(role, "relay") == 0 && relay == NULL) {
		api_error(rep, 400, "relay: required for a relay node (the relay it is)");
		goto bad;
	}
	if (strcmp(role, "server") == 0 && relay != NULL) {
		api_error(rep, 400, "relay: only relay nodes are linked to a relay");
		goto bad;
	}
	if (relay != NULL && api_name(relay, "relay", rep) != 0)
		goto bad;
	const char *p[] = { name, role, relay };
	if (relay != NULL && db_one(c, "SELECT 1 FROM relays WHERE name = $1", 1, &relay, NULL, &fail) == 0) {
		api_error(rep, 400, "relay: no such relay \"%s\"", relay);
		goto bad;
	}
	if (fail == NULL)
		db_one(c, "INSERT INTO nodes (name, role, relay) VALUES ($1, $2, $3)"
		    " ON CONFLICT (name) DO UPDATE SET role = $2, relay = $3, updated_at = now()",
		    3, p, NULL, &fail);
	if (fail != NULL) {
		api_db_error(rep, c, fail, "node");
		PQclear(fail);
		goto bad;
	}
	json_decref(old);
	return 0;
bad:
	json_decref(old);
	return -1;
}

/* ---- classifier rules ---- */

static const char *const rule_fields[] = { "pattern", "class", "reroutable", "provider", "note",
	"reason", NULL };

/* The body's value of key, else the stored one (old may be null). */
static const char *
rule_field(json_t *body, json_t *old, const char *key, const char *given)
{
	if (given != NULL || json_object_get(body, key) != NULL)
		return given;
	return json_string_value(json_object_get(old, key));
}

/* The whole rule (body over the stored one) is checked as agents will
 * compile it; a bad pattern answers 400 with PCRE2's message. */
static int
rule_put(PGconn *c, json_t *body, const char *name, const char *before, const char *actor,
    struct http_reply *rep)
{
	const char *pattern = NULL, *cls = NULL, *rr = NULL, *provider = NULL, *note = NULL;
	struct strbuf msg = STRBUF_INIT;
	PGresult *fail = NULL;
	json_t *old = api_parse(before);
	int rc = -1;

	if (api_string(body, "pattern", before == NULL, &pattern, rep) != 0 ||
	    api_string(body, "class", before == NULL, &cls, rep) != 0 ||
	    api_string(body, "reroutable", before == NULL, &rr, rep) != 0 ||
	    api_string(body, "provider", 0, &provider, rep) != 0 ||
	    api_string(body, "note", 0, &note, rep) != 0)
		goto out;
	struct rulespec r = { name, rule_field(body, old, "pattern", pattern),
		rule_field(body, old, "class", cls), rule_field(body, old, "reroutable", rr),
		rule_field(body, old, "provider", provider), rule_field(body, old, "note", note) };
	if (rulespec_check(&r, &msg) != 0) {
		api_error(rep, 400, "%s", strbuf_str(&msg));
		goto out;
	}
	const char *p[] = { name, r.pattern, r.cls, r.reroutable, r.provider, r.note ? r.note : "",
		actor };
	if (db_one(c, "INSERT INTO rules (name, pattern, class, reroutable, provider, note, author)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO UPDATE SET pattern = $2,"
	    " class = $3, reroutable = $4, provider = $5, note = $6, author = $7, updated_at = now()",
	    7, p, NULL, &fail) < 0)
		api_db_error(rep, c, fail, "rule");
	else
		rc = 0;
out:
	PQclear(fail);
	json_decref(old);
	strbuf_clear(&msg);
	return rc;
}

static const struct kind relay_kind = { "relay", "relay_json", "relays", "relays",
	"SELECT 1 FROM routes WHERE relay = $1 UNION ALL SELECT 1 FROM nodes WHERE relay = $1 LIMIT 1",
	"routes or relay nodes still use it", relay_fields, relay_put };
static const struct kind provider_kind = { "provider", "provider_json", "providers", "providers",
	"SELECT 1 FROM routes WHERE provider = $1 LIMIT 1", "routes still use it; unflip them first",
	provider_fields, provider_put };
static const struct kind node_kind = { "node", "node_json", "nodes", "nodes",
	"SELECT 1 FROM routes WHERE scope = $1 LIMIT 1", "routes are scoped to it; unflip them first",
	node_fields, node_put };

static const struct kind rule_kind = { "rule", "rule_json", "rules", "rules",
	"SELECT 1 WHERE false AND $1::text IS NULL", "", rule_fields, rule_put };

const void *const api_kind_relay = &relay_kind;
const void *const api_kind_rule = &rule_kind;
const void *const api_kind_provider = &provider_kind;
const void *const api_kind_node = &node_kind;

enum api_result
api_object_list(struct app *app, struct http_request *req, struct http_reply *rep)
{
	api_list(app, rep, req->route_arg);
	return API_DONE;
}

enum api_result
api_object_get(struct app *app, struct http_request *req, struct http_reply *rep)
{
	api_get(app, req, rep, req->route_arg);
	return API_DONE;
}

enum api_result
api_object_put(struct app *app, struct http_request *req, struct http_reply *rep)
{
	api_put(app, req, rep, req->route_arg);
	return API_DONE;
}

enum api_result
api_object_delete(struct app *app, struct http_request *req, struct http_reply *rep)
{
	api_delete(app, req, rep, req->route_arg);
	return API_DONE;
}
