/*
 * metricsdb.h: the fleet's routing state as Prometheus series, read from
 * the database at scrape time.
 *
 * Several controllers share one database and Prometheus scrapes each of
 * them: these series (nodes, routes, open blocks) come from the database,
 * not from the process, so every controller reports the same values and
 * alert rules may take max() or any one instance. The cost of a scrape is
 * bounded: four indexed reads in one read-only snapshot, the lists at most
 * METRICSDB_MAX_ROWS rows each
 * (the per-item series beyond that are left out; the totals
 * postroute_nodes, postroute_routes and postroute_blocks_open are always
 * whole, and postroute_state_truncated says when something was left
 * out). No history is read. api_probe.c adds them to a scrape that
 * carries a reader's token only: they list the whole fleet.
 *
 * Series (docs/api.md, "Metrics"):
 *   postroute_node_applied_version{node}          absent until a first apply
 *   postroute_node_versions_behind{node}          routing version - applied
 *   postroute_node_last_report_timestamp_seconds{node}   absent until a report
 *   postroute_node_last_seen_timestamp_seconds{node}     last feed or report
 *   postroute_node_apply_failed{node}             last report was "failed"
 *   postroute_node_connected{node}                feed or report in 90 s
 *   postroute_node_info{node,role,relay}          1
 *   postroute_route_info{provider,scope,relay,origin}    1
 *   postroute_route_expiry_timestamp_seconds{provider,scope}
 *   postroute_block_open_since_timestamp_seconds{node,provider,class}
 *   postroute_block_rerouted{node,provider}       traffic moved off it
 *   postroute_nodes, postroute_routes{origin}, postroute_blocks_open
 *   postroute_state_truncated, postroute_state_up
 */
#ifndef POSTROUTE_METRICSDB_H
#define POSTROUTE_METRICSDB_H

#include <libpq-fe.h>

#include "strbuf.h"

#define METRICSDB_MAX_ROWS 2000

/* Appends the series to out. On a database error, appends only
 * postroute_state_up 0 and returns -1. */
int metricsdb_render(PGconn *c, struct strbuf *out);

#endif
