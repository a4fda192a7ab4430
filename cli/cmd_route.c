/*
 * cmd_route.c: moving a provider's mail to a relay and back, and the
 * routing table now or at a past time.
 *
 * flip and unflip are one request each (PUT or DELETE /v1/routes/P); with
 * --dry-run the controller answers what each node's transport map would
 * lose and gain and commits nothing. Unless --no-wait, the verb then waits
 * (waitapply) until the affected agents applied the new version, and
 * fails naming every node that did not. routes --at replays history
 * (replay.c).
 *
 * Nothing here is fatal; every failure is an exit status and a message.
 */
#include "cmd_route.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd_history.h"
#include "replay.h"
#include "rows.h"
#include "waitapply.h"
#include "xalloc.h"

struct route_req {
	const char *provider;
	const char *scope;
	const char *reason;
	long long ttl;              /* 0: permanent */
	long long timeout_ms;
	int dry_run, wait;
	int flip;                   /* flip, else unflip */
};

/* v, or JSON null for a missing value (a new reference for json_pack "o"). */
static json_t *
route_or_null(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

/* The options and checks flip and unflip share. */
static int
route_common(struct cli *cli, const struct args *a, struct route_req *r)
{
	const char *node = args_get(a, "node"), *timeout = args_get(a, "timeout");
	long long secs = 60;

	r->provider = a->pos[0];
	r->scope = node ? node : "*";
	r->reason = args_get(a, "reason");
	r->dry_run = args_has(a, "dry-run");
	r->wait = !args_has(a, "no-wait") && !r->dry_run;
	if (check_name(cli, "PROVIDER", r->provider) != 0 ||
	    (node && check_name(cli, "--node", node) != 0) ||
	    check_reason(cli, "--reason", r->reason, 1) != 0 ||
	    (timeout && check_duration(cli, "--timeout", timeout, 1, 86400, &secs) != 0))
		return -1;
	r->timeout_ms = secs * 1000;
	return 0;
}

static void
route_print_entries(struct cli *cli, const char *mark, const json_t *entries)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e) {
		fprintf(cli->out, "  %s ", mark);
		output_text(cli->out, json_string_value(json_object_get(e, "domain")));
		fputc(' ', cli->out);
		output_text(cli->out, json_string_value(json_object_get(e, "nexthop")));
		fputc('\n', cli->out);
	}
}

/* Dry run: per node, the transport lines that would go and come. */
static int
route_show_dry_run(struct cli *cli, const json_t *doc)
{
	const json_t *changes = json_object_get(doc, "changes");
	const char *hdr[] = { "NODE", "CHANGE", "DOMAIN", "NEXTHOP" };
	struct table *t;
	size_t i, k;
	json_t *c, *e;

	if (cli->format == OUTPUT_JSON) {
		output_json(cli->out, doc);
		return CLIENT_OK;
	}
	if (cli->format == OUTPUT_TABLE) {
		if (json_array_size(changes) == 0)
			fprintf(cli->out, "no node's transport map would change\n");
		json_array_foreach(changes, i, c) {
			output_text(cli->out, json_string_value(json_object_get(c, "node")));
			fputs(":\n", cli->out);
			route_print_entries(cli, "-", json_object_get(c, "removed"));
			route_print_entries(cli, "+", json_object_get(c, "added"));
		}
		fprintf(cli->out, "(dry run: nothing was changed)\n");
		return CLIENT_OK;
	}
	t = output_table_new(4, hdr);
	json_array_foreach(changes, i, c) {
		static const char *const keys[] = { "removed", "added" };
		for (int side = 0; side < 2; side++) {
			json_array_foreach(json_object_get(c, keys[side]), k, e) {
				const char *cells[] = {
					json_string_value(json_object_get(c, "node")), keys[side],
					json_string_value(json_object_get(e, "domain")),
					json_string_value(json_object_get(e, "nexthop")),
				};
				output_table_add(t, cells);
			}
		}
	}
	output_table_print(cli->out, cli->format, t);
	output_table_free(t);
	return CLIENT_OK;
}

/* Names the nodes of a wait report that did not apply, and why. */
static void
route_report_failures(struct cli *cli, const json_t *report, long long timeout_ms)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *n;

	json_array_foreach(json_object_get(report, "nodes"), i, n) {
		const char *st = json_string_value(json_object_get(n, "state"));
		const char *er = json_string_value(json_object_get(n, "error"));
		if (strcmp(st, "applied") == 0)
			continue;
		strbuf_appendf(&sb, "%s%s (", sb.len ? ", " : "",
		    json_string_value(json_object_get(n, "node")));
		if (strcmp(st, "failed") == 0)
			strbuf_appendf(&sb, "failed: %s)", er ? er : "no error text");
		else
			strbuf_appendf(&sb, "no report within %.0f s)", (double)timeout_ms / 1000.0);
	}
	verb_error(cli, "version %lld not applied on: %s",
	    (long long)json_integer_value(json_object_get(report, "version")), strbuf_str(&sb));
	strbuf_clear(&sb);
}

/* Waits for the agents after a committed change; returns the exit status. */
static int
route_wait(struct cli *cli, const struct route_req *r, const json_t *before,
    long long version, json_t **report)
{
	json_t *targets = waitapply_targets(before, r->scope);
	struct waitapply_opts o = { .version = version, .before = before,
	    .timeout_ms = r->timeout_ms, .interval_ms = 200 };
	int rc;

	if (targets == NULL) {
		targets = json_array();
		json_array_append_new(targets, json_string(r->scope));
	}
	o.targets = targets;
	if (json_array_size(targets) == 0) {
		verb_note(cli, "no server node is affected: nothing to wait for");
		*report = json_pack("{s:I, s:b, s:[]}", "version", (json_int_t)version,
		    "complete", 1, "nodes");
		json_decref(targets);
		return CLIENT_OK;
	}
	rc = waitapply_run(cli, &o, report);
	if (rc == CLIENT_FAILED)
		route_report_failures(cli, *report, r->timeout_ms);
	json_decref(targets);
	return rc;
}

static void
route_print_done(struct cli *cli, const struct route_req *r,
    const json_t *route, long long version)
{
	const char *relay = json_string_value(json_object_get(route, "relay"));
	const char *exp = json_string_value(json_object_get(route, "expires_at"));
	const char *where = strcmp(r->scope, "*") == 0 ? "every server node" : r->scope;

	if (r->flip)
		fprintf(cli->out, "%s: routed through %s on %s (version %lld)%s%s\n", r->provider,
		    relay ? relay : "?", where, version, exp ? ", until " : "", exp ? exp : "");
	else
		fprintf(cli->out, "%s: route on %s removed, default delivery (version %lld)\n",
		    r->provider, where, version);
}

/* The shared tail of flip and unflip: send, then wait, then print. */
static int
route_change(struct cli *cli, const struct route_req *r, const char *method,
    const char *path, const json_t *body, const char *route_key)
{
	struct strbuf err = STRBUF_INIT;
	json_t *before = NULL, *doc = NULL, *report = NULL;
	long long version;
	int rc;

	if (r->wait && (rc = client_call(cli->api, "GET", WAITAPPLY_PATH, NULL, &before, NULL,
	    &err)) != CLIENT_OK)
		goto done;
	if ((rc = client_call(cli->api, method, path, body, &doc, NULL, &err)) != CLIENT_OK)
		goto done;
	if (r->dry_run) {
		rc = route_show_dry_run(cli, doc);
		goto done;
	}
	version = json_integer_value(json_object_get(doc, "version"));
	if (cli->format != OUTPUT_JSON)
		route_print_done(cli, r, json_object_get(doc, route_key), version);
	if (r->wait)
		rc = route_wait(cli, r, before, version, &report);
	if (cli->format == OUTPUT_JSON) {
		json_t *out = json_pack("{s:I, s:o, s:o}", "version", (json_int_t)version,
		    route_key, route_or_null(json_object_get(doc, route_key)),
		    "wait", route_or_null(report));
		output_json(cli->out, out);
		json_decref(out);
	}
done:
	if (err.len > 0)
		verb_error(cli, "%s", strbuf_str(&err));
	strbuf_clear(&err);
	json_decref(before), json_decref(doc), json_decref(report);
	return rc;
}

static int
route_flip(struct cli *cli, const struct args *a)
{
	struct route_req r = { .flip = 1 };
	const char *relay = args_get(a, "to"), *dur = args_get(a, "for");
	struct strbuf path = STRBUF_INIT;
	json_t *body;
	int rc;

	if (relay == NULL) {
		verb_error(cli, "--to RELAY is required");
		return CLIENT_USAGE;
	}
	if (route_common(cli, a, &r) != 0 || check_name(cli, "--to", relay) != 0 ||
	    (dur && check_duration(cli, "--for", dur, 60, 1209600, &r.ttl) != 0))
		return CLIENT_USAGE;
	strbuf_append(&path, "/v1/routes/");
	client_escape(&path, r.provider);
	if (r.dry_run)
		strbuf_append(&path, "?dry_run=1");
	body = json_pack("{s:s, s:s, s:s}", "scope", r.scope, "relay", relay, "reason", r.reason);
	if (r.ttl > 0)
		json_object_set_new(body, "ttl", json_integer(r.ttl));
	rc = route_change(cli, &r, "PUT", strbuf_str(&path), body, "route");
	json_decref(body);
	strbuf_clear(&path);
	return rc;
}

static int
route_unflip(struct cli *cli, const struct args *a)
{
	struct route_req r = { 0 };
	struct strbuf path = STRBUF_INIT;
	int rc;

	if (route_common(cli, a, &r) != 0)
		return CLIENT_USAGE;
	strbuf_append(&path, "/v1/routes/");
	client_escape(&path, r.provider);
	strbuf_append(&path, "?scope=");
	client_escape(&path, r.scope);
	strbuf_append(&path, "&reason=");
	client_escape(&path, r.reason);
	if (r.dry_run)
		strbuf_append(&path, "&dry_run=1");
	rc = route_change(cli, &r, "DELETE", strbuf_str(&path), NULL, "deleted");
	strbuf_clear(&path);
	return rc;
}

static const struct rows_col route_cols[] = {
	{ "PROVIDER", "provider", ROWS_VALUE },
	{ "SCOPE", "scope", ROWS_VALUE },
	{ "RELAY", "relay", ROWS_VALUE },
	{ "NEXTHOP", "nexthop", ROWS_VALUE },
	{ "ORIGIN", "origin", ROWS_VALUE },
	{ "SINCE", "created_at", ROWS_TIME },
	{ "EXPIRES", "expires_at", ROWS_TIME },
	{ "ACTOR", "actor", ROWS_VALUE },
	{ "REASON", "reason", ROWS_VALUE },
	{ NULL, NULL, ROWS_VALUE },
};

static void
route_print_table(struct cli *cli, json_t *doc)
{
	if (cli->format == OUTPUT_JSON) {
		output_json(cli->out, doc);
		return;
	}
	struct table *t = rows_table(json_object_get(doc, "routes"), route_cols, cli->format);
	output_table_print(cli->out, cli->format, t);
	output_table_free(t);
}

/* routes --at T: replay the history up to T. */
static int
route_list_at(struct cli *cli, const char *when)
{
	char iso[TIMEPARSE_BUFLEN];
	struct tp_time t;
	struct strbuf err = STRBUF_INIT;
	json_t *rows = NULL, *routes = NULL;
	long long version;
	int rc;

	if (check_time(cli, "--at", when, &t, iso) != 0)
		return CLIENT_USAGE;
	rc = cmd_history_fetch(cli, "", iso, &rows, &err);
	if (rc == CLIENT_OK && replay_routes(rows, &t, &routes, &version, &err) != 0)
		rc = CLIENT_FAILED;
	if (rc == CLIENT_OK) {
		json_t *doc = json_pack("{s:I, s:s, s:O}", "version", (json_int_t)version, "at",
		    iso, "routes", routes);
		route_print_table(cli, doc);
		json_decref(doc);
	} else {
		verb_error(cli, "%s", strbuf_str(&err));
	}
	json_decref(rows), json_decref(routes);
	strbuf_clear(&err);
	return rc;
}

static int
route_list(struct cli *cli, const struct args *a)
{
	struct strbuf err = STRBUF_INIT;
	json_t *doc = NULL;
	int rc;

	if (args_has(a, "at"))
		return route_list_at(cli, args_get(a, "at"));
	rc = client_call(cli->api, "GET", "/v1/routes", NULL, &doc, NULL, &err);
	if (rc != CLIENT_OK) {
		rc = verb_fail(cli, rc, &err);
	} else {
		json_t *routes = json_object_get(doc, "routes");
		json_t *out = json_pack("{s:o, s:n, s:o}", "version",
		    route_or_null(json_object_get(doc, "version")), "at",
		    "routes", routes ? json_incref(routes) : json_array());
		route_print_table(cli, out);
		json_decref(out);
	}
	json_decref(doc);
	strbuf_clear(&err);
	return rc;
}

/* How a flip or an unflip is applied: the options both take. */
#define ROUTE_APPLY_OPTS \
	{ "dry-run", ARGS_FLAG, NULL, "show the transport lines that would change; change nothing" }, \
	{ "no-wait", ARGS_FLAG, NULL, "return once committed, without waiting for the agents" }, \
	{ "timeout", ARGS_VALUE, "DURATION", "how long to wait for the agents (default 60s)" }

static const struct args_opt flip_opts[] = {
	{ "to", ARGS_VALUE, "RELAY", "relay to send the provider's mail through (required)" },
	{ "node", ARGS_VALUE, "NODE", "only on this node (default: every server node)" },
	{ "reason", ARGS_VALUE, "TEXT", "why (required; recorded in the history)" },
	{ "for", ARGS_VALUE, "DURATION", "revert by itself after DURATION (1m to 14d)" },
	ROUTE_APPLY_OPTS,
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt unflip_opts[] = {
	{ "node", ARGS_VALUE, "NODE", "remove the route of this node (default: the '*' route)" },
	{ "reason", ARGS_VALUE, "TEXT", "why (required; recorded in the history)" },
	ROUTE_APPLY_OPTS,
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt routes_opts[] = {
	{ "at", ARGS_VALUE, "TIME", "the table as it was at TIME, rebuilt from history "
	  "(2026-11-27T18:00:00Z, or 2h for two hours ago)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

const struct cli_verb cmd_route_verbs[] = {
	{ "flip", "PROVIDER --to RELAY [--node NODE] --reason TEXT [--for DURATION]\n"
	  "       [--dry-run] [--no-wait] [--timeout DURATION]",
	  "send a provider's mail through another relay",
	  "Routes PROVIDER's domains through RELAY on every server node, or on NODE\n"
	  "only (a node's route wins over the every-node route). The change is\n"
	  "committed at once; then postroute waits until each affected agent reports\n"
	  "that it applied the new routing version, printing progress on stderr, and\n"
	  "fails naming each node that failed or did not report within --timeout.\n"
	  "With --for the route reverts by itself.\n\n"
	  "example:\n"
	  "  postroute flip google --to relay03 --node mx07 --reason \"mx07 blocked by gmail\" --for 2h",
	  flip_opts, 1, 1, route_flip },
	{ "unflip", "PROVIDER [--node NODE] --reason TEXT [--dry-run] [--no-wait] [--timeout DURATION]",
	  "remove a route: back to the default delivery",
	  "Removes PROVIDER's route on every server node (the '*' route) or NODE's own\n"
	  "route, then waits for the agents like flip.\n\n"
	  "example:\n"
	  "  postroute unflip google --node mx07 --reason \"gmail unblocked mx07\"",
	  unflip_opts, 1, 1, route_unflip },
	{ "routes", "[--at TIME]",
	  "the routing table, now or at a past time",
	  "Lists every route: provider, scope ('*' = every server node), relay and its\n"
	  "nexthop, manual or automatic, since when, until when, who and why. With\n"
	  "--at, the table as it stood at TIME, rebuilt from the history.\n\n"
	  "examples:\n"
	  "  postroute routes\n"
	  "  postroute routes --at 2026-11-20T09:30:00Z --json",
	  routes_opts, 0, 0, route_list },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
