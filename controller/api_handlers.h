/*
 * api_handlers.h: the handlers api.c's endpoint table points to.
 *
 * api_probe.c: healthz, readyz, metrics. api_feed.c: feed and report.
 * api_routes.c: routes. api_objects.c: relays, providers, nodes, rules.
 * api_read.c: history and status. api_chain.c: the history's hash chain. api_events.c: events and blocks.
 * api_holds.c: held senders. api_settings.c: the shared settings.
 * api_ui.c: the on-call page (no token: its script calls the API with one).
 */
#ifndef POSTROUTE_API_HANDLERS_H
#define POSTROUTE_API_HANDLERS_H

#include "api.h"

typedef enum api_result api_handler(struct app *, struct http_request *, struct http_reply *);

api_handler api_healthz, api_readyz, api_metrics;
api_handler api_feed, api_report;
api_handler api_routes_list, api_route_put, api_route_delete;
/* Relays, providers, nodes and rules: the endpoint's argument is the kind. */
api_handler api_object_list, api_object_get, api_object_put, api_object_delete;
extern const void *const api_kind_relay, *const api_kind_provider, *const api_kind_node,
    *const api_kind_rule;
api_handler api_history, api_status, api_history_chain;
api_handler api_events, api_blocks;
api_handler api_holds_list, api_hold_put, api_hold_delete;
api_handler api_settings_list, api_setting_put;
api_handler api_ui_page, api_ui_root;

/* Answers with the document sql returns (api_reply_doc) on a connection of
 * the pool; API_DONE. */
enum api_result api_read_doc(struct app *app, struct http_reply *rep, const char *what,
    const char *sql, int nparams, const char *const *params);

#endif
