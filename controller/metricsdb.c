/*
 * metricsdb.c: nodes, routes and open blocks as series (see metricsdb.h).
 *
 * Owns nothing beyond one call: the queries' results are rendered into the
 * caller's buffer and freed. Label values are escaped as the text format
 * wants (backslash, double quote, line feed), whatever the database holds.
 */
#include "metricsdb.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "promtext.h"

#define LIMIT_SQL " LIMIT 2001"   /* METRICSDB_MAX_ROWS + 1: tells truncation */
_Static_assert(METRICSDB_MAX_ROWS == 2000, "LIMIT_SQL and the help text say 2000");

/* A node counts as connected when its agent fetched its feed or reported
 * in the last 90 s, as GET /v1/status says "connected". */
static const char metricsdb_nodes_sql[] =
    "SELECT n.name, n.role, coalesce(n.relay, ''), n.applied_version,"
    " v.version - coalesce(n.applied_version, 0),"
    " extract(epoch FROM n.last_report_at)::float8,"
    " extract(epoch FROM greatest(n.last_report_at, n.last_feed_at))::float8,"
    " (n.last_status IS NOT DISTINCT FROM 'failed')::int,"
    " (coalesce(greatest(n.last_report_at, n.last_feed_at) > now() - interval '90 seconds',"
    "  false))::int"
    " FROM nodes n CROSS JOIN routing_version v ORDER BY n.name" LIMIT_SQL;

static const char metricsdb_routes_sql[] =
    "SELECT provider, scope, relay, origin, extract(epoch FROM expires_at)::float8"
    " FROM routes ORDER BY provider, scope" LIMIT_SQL;

/* Rerouted: a relay node's block once no route of the provider goes
 * through its relay any more; a server node's once the route in force for
 * it (its own scope first, else "*") is an automatic one. */
static const char metricsdb_blocks_sql[] =
    "SELECT b.node, b.provider, b.class, extract(epoch FROM b.since)::float8,"
    " (CASE WHEN n.relay IS NOT NULL THEN NOT EXISTS (SELECT 1 FROM routes r"
    "   WHERE r.provider = b.provider AND r.relay = n.relay)"
    "  ELSE coalesce((SELECT r.origin = 'auto' FROM routes r WHERE r.provider = b.provider"
    "   AND r.scope IN (b.node, '*') ORDER BY r.scope = b.node DESC LIMIT 1), false) END)::int"
    " FROM blocks b LEFT JOIN nodes n ON n.name = b.node"
    " WHERE b.cleared_at IS NULL ORDER BY b.node, b.provider" LIMIT_SQL;

static const char metricsdb_totals_sql[] =
    "SELECT (SELECT count(*) FROM nodes),"
    " (SELECT count(*) FROM routes WHERE origin = 'manual'),"
    " (SELECT count(*) FROM routes WHERE origin = 'auto'),"
    " (SELECT count(*) FROM blocks WHERE cleared_at IS NULL)";

/* One sample: name{k1="v1",...} value, with n label pairs. */
static void
metricsdb_sample(struct strbuf *out, const char *name, const char *const *labels, int n,
    const char *value)
{
	strbuf_append(out, name);
	for (int i = 0; i < n; i++) {
		strbuf_appendf(out, "%s%s=\"", i == 0 ? "{" : ",", labels[2 * i]);
		promtext_label(out, labels[2 * i + 1]);
		strbuf_append(out, "\"");
	}
	strbuf_appendf(out, "%s %s\n", n > 0 ? "}" : "", value);
}

static PGresult *
metricsdb_query(PGconn *c, const char *sql)
{
	PGresult *r = db_query(c, sql, 0, NULL);

	if (!db_ok(r)) {
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
metricsdb_rows(const PGresult *r)
{
	return PQntuples(r) > METRICSDB_MAX_ROWS ? METRICSDB_MAX_ROWS : PQntuples(r);
}

/* Column col of every row as one family, skipping SQL NULLs. */
static void
metricsdb_node_family(struct strbuf *out, const PGresult *r, int col, const char *name,
    const char *type, const char *help)
{
	promtext_head(out, name, type, help);
	for (int i = 0; i < metricsdb_rows(r); i++) {
		const char *l[] = { "node", PQgetvalue(r, i, 0) };
		if (!PQgetisnull(r, i, col))
			metricsdb_sample(out, name, l, 1, PQgetvalue(r, i, col));
	}
}

static void
metricsdb_nodes(struct strbuf *out, const PGresult *r)
{
	promtext_head(out, "postroute_node_info", "gauge",
	    "A registered node, its role and linked relay (empty for a server node).");
	for (int i = 0; i < metricsdb_rows(r); i++) {
		const char *l[] = { "node", PQgetvalue(r, i, 0), "role", PQgetvalue(r, i, 1),
			"relay", PQgetvalue(r, i, 2) };
		metricsdb_sample(out, "postroute_node_info", l, 3, "1");
	}
	metricsdb_node_family(out, r, 3, "postroute_node_applied_version", "gauge",
	    "Routing version the node's agent last reported applied.");
	metricsdb_node_family(out, r, 4, "postroute_node_versions_behind", "gauge",
	    "Routing versions the node has not applied yet.");
	metricsdb_node_family(out, r, 5, "postroute_node_last_report_timestamp_seconds", "gauge",
	    "Unix time of the node's last report (applied or failed).");
	metricsdb_node_family(out, r, 6, "postroute_node_last_seen_timestamp_seconds", "gauge",
	    "Unix time the node last fetched its feed or reported.");
	metricsdb_node_family(out, r, 7, "postroute_node_apply_failed", "gauge",
	    "1 when the node's last report was a failed apply.");
	metricsdb_node_family(out, r, 8, "postroute_node_connected", "gauge",
	    "1 when the node fetched its feed or reported in the last 90 seconds.");
}

static void
metricsdb_routes(struct strbuf *out, const PGresult *r)
{
	promtext_head(out, "postroute_route_info", "gauge",
	    "A route: provider and scope (a node, or * for every server node) to relay;"
	    " origin manual or auto.");
	for (int i = 0; i < metricsdb_rows(r); i++) {
		const char *l[] = { "provider", PQgetvalue(r, i, 0), "scope", PQgetvalue(r, i, 1),
			"relay", PQgetvalue(r, i, 2), "origin", PQgetvalue(r, i, 3) };
		metricsdb_sample(out, "postroute_route_info", l, 4, "1");
	}
	promtext_head(out, "postroute_route_expiry_timestamp_seconds", "gauge",
	    "Unix time a temporary route reverts.");
	for (int i = 0; i < metricsdb_rows(r); i++) {
		const char *l[] = { "provider", PQgetvalue(r, i, 0), "scope", PQgetvalue(r, i, 1) };
		if (!PQgetisnull(r, i, 4))
			metricsdb_sample(out, "postroute_route_expiry_timestamp_seconds", l, 2,
			    PQgetvalue(r, i, 4));
	}
}

static void
metricsdb_blocks(struct strbuf *out, const PGresult *r)
{
	promtext_head(out, "postroute_block_open_since_timestamp_seconds", "gauge",
	    "Unix time an open block of a provider on a node began.");
	for (int i = 0; i < metricsdb_rows(r); i++) {
		const char *l[] = { "node", PQgetvalue(r, i, 0), "provider", PQgetvalue(r, i, 1),
			"class", PQgetvalue(r, i, 2) };
		metricsdb_sample(out, "postroute_block_open_since_timestamp_seconds", l, 3,
		    PQgetvalue(r, i, 3));
	}
	promtext_head(out, "postroute_block_rerouted", "gauge",
	    "1 when an open block's traffic was moved: an automatic route in force for a server"
	    " node, no route left through a blocked relay.");
	for (int i = 0; i < metricsdb_rows(r); i++) {
		const char *l[] = { "node", PQgetvalue(r, i, 0), "provider", PQgetvalue(r, i, 1) };
		metricsdb_sample(out, "postroute_block_rerouted", l, 2, PQgetvalue(r, i, 4));
	}
}

static void
metricsdb_totals(struct strbuf *out, const PGresult *t, int truncated)
{
	const char *manual[] = { "origin", "manual" }, *autom[] = { "origin", "auto" };

	promtext_head(out, "postroute_nodes", "gauge", "Registered nodes.");
	metricsdb_sample(out, "postroute_nodes", NULL, 0, PQgetvalue(t, 0, 0));
	promtext_head(out, "postroute_routes", "gauge", "Routes by origin.");
	metricsdb_sample(out, "postroute_routes", manual, 1, PQgetvalue(t, 0, 1));
	metricsdb_sample(out, "postroute_routes", autom, 1, PQgetvalue(t, 0, 2));
	promtext_head(out, "postroute_blocks_open", "gauge", "Open blocks, every node and provider.");
	metricsdb_sample(out, "postroute_blocks_open", NULL, 0, PQgetvalue(t, 0, 3));
	promtext_head(out, "postroute_state_truncated", "gauge",
	    "1 when per-node, per-route or per-block series were left out of this scrape (more than"
	    " 2000 rows).");
	metricsdb_sample(out, "postroute_state_truncated", NULL, 0, truncated ? "1" : "0");
}

int
metricsdb_render(PGconn *c, struct strbuf *out)
{
	PGresult *n = NULL, *r = NULL, *b = NULL, *t = NULL;
	int rc = -1;

	/* one snapshot for the four reads: the totals agree with the rows */
	PGresult *begin = db_query(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	int began = db_ok(begin);

	PQclear(begin);
	if (began && (n = metricsdb_query(c, metricsdb_nodes_sql)) != NULL &&
	    (r = metricsdb_query(c, metricsdb_routes_sql)) != NULL &&
	    (b = metricsdb_query(c, metricsdb_blocks_sql)) != NULL &&
	    (t = metricsdb_query(c, metricsdb_totals_sql)) != NULL && PQntuples(t) == 1) {
		metricsdb_nodes(out, n);
		metricsdb_routes(out, r);
		metricsdb_blocks(out, b);
		metricsdb_totals(out, t, PQntuples(n) > METRICSDB_MAX_ROWS ||
		    PQntuples(r) > METRICSDB_MAX_ROWS || PQntuples(b) > METRICSDB_MAX_ROWS);
		rc = 0;
	}
	if (began)
		PQclear(db_query(c, "ROLLBACK", 0, NULL));
	PQclear(n), PQclear(r), PQclear(b), PQclear(t);
	strbuf_appendf(out, "# HELP postroute_state_up 1 when this scrape read the routing state"
	    " (postroute_node_*, postroute_route_*, postroute_block_*) from the database.\n"
	    "# TYPE postroute_state_up gauge\npostroute_state_up %d\n", rc == 0);
	return rc;
}
