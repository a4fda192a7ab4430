/*
 * cmd_status.c: every node's applied version against the current one,
 * the active blocks, volume surges and held senders; the exit status says whether all is well, so
 * that monitoring can run "postroute status" as a check.
 */
#include "cmd_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd_sender.h"
#include "rows.h"
#include "xalloc.h"

static json_t *
status_problem(const char *node, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static json_t *
status_problem(const char *node, const char *fmt, ...)
{
	va_list ap;
	char text[1024];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "node", node, "problem", text);
}

static int
status_is(const json_t *node, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(node, key));

	return v != NULL && strcmp(v, value) == 0;
}

json_t *
cmd_status_problems(const json_t *status, long long max_behind_s)
{
	json_t *out = json_array(), *n;
	size_t i;

	json_array_foreach(json_object_get(status, "nodes"), i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));
		const char *err = json_string_value(json_object_get(n, "last_error"));
		json_int_t lag = json_integer_value(json_object_get(n, "lag"));
		json_int_t behind = json_integer_value(json_object_get(n, "behind_s"));
		if (name == NULL)
			continue;
		if (status_is(n, "last_status", "failed"))
			json_array_append_new(out, status_problem(name, "last apply failed: %s",
			    err ? err : "(no error text)"));
		else if (err != NULL)   /* applied, but something was skipped */
			json_array_append_new(out, status_problem(name, "applied with a warning: %s", err));
		if (status_is(n, "role", "relay"))
			continue;   /* relay nodes are not fed routes */
		if (!json_is_true(json_object_get(n, "connected")))
			json_array_append_new(out, status_problem(name,
			    "agent not connected (no feed request in the last 90 s)"));
		if (lag > 0 && behind > max_behind_s)
			json_array_append_new(out, status_problem(name,
			    "%lld version%s behind for %lld s", (long long)lag, lag == 1 ? "" : "s",
			    (long long)behind));
	}
	return out;
}

/* "applied/current", e.g. "12/12". */
static char *
status_applied(const json_t *node, json_int_t version)
{
	const json_t *av = json_object_get(node, "applied_version");

	if (!json_is_integer(av))
		return xasprintf("-/%lld", (long long)version);
	return xasprintf("%lld/%lld", (long long)json_integer_value(av), (long long)version);
}

static void
status_print_nodes(struct cli *cli, const json_t *doc)
{
	static const char *hdr[] = { "NODE", "ROLE", "APPLIED", "BEHIND", "CONNECTED",
		"LAST REPORT", "STATUS", "ERROR" };
	json_int_t version = json_integer_value(json_object_get(doc, "version"));
	struct table *t = output_table_new(8, hdr);
	size_t i;
	json_t *n;

	json_array_foreach(json_object_get(doc, "nodes"), i, n) {
		char *applied = status_applied(n, version);
		char *behind = xasprintf("%llds",
		    (long long)json_integer_value(json_object_get(n, "behind_s")));
		char *conn = output_cell(json_object_get(n, "connected"));
		char *rep = output_short_time(json_string_value(json_object_get(n, "last_report_at")));
		const char *cells[] = { json_string_value(json_object_get(n, "name")),
			json_string_value(json_object_get(n, "role")), applied, behind, conn, rep,
			json_string_value(json_object_get(n, "last_status")),
			json_string_value(json_object_get(n, "last_error")) };
		output_table_add(t, cells);
		free(applied), free(behind), free(conn), free(rep);
	}
	output_table_print(cli->out, cli->format, t);
	output_table_free(t);
}

static const struct rows_col status_block_cols[] = {
	{ "NODE", "node", ROWS_VALUE },
	{ "PROVIDER", "provider", ROWS_VALUE },
	{ "SINCE", "since", ROWS_TIME },
	{ "CLASS", "class", ROWS_VALUE },
	{ "REPORTER", "reporter", ROWS_VALUE },
	{ NULL, NULL, ROWS_VALUE },
};

static const struct rows_col status_surge_cols[] = {
	{ "AT", "at", ROWS_TIME },
	{ "NODE", "node", ROWS_VALUE },
	{ "SENDER", "sender", ROWS_VALUE },
	{ "RATE", "rate", ROWS_VALUE },
	{ "BASELINE", "baseline", ROWS_VALUE },
	{ "CLIENT IPS", "client_ips", ROWS_VALUE },
	{ NULL, NULL, ROWS_VALUE },
};

/* A titled section after the nodes: blocks, volume surges, held senders. */
static void
status_section(struct cli *cli, const char *title, const json_t *rows,
    const struct rows_col *cols)
{
	struct table *t;

	if (json_array_size(rows) == 0)
		return;
	t = rows_table(rows, cols, cli->format);
	if (cli->format == OUTPUT_TABLE)
		fprintf(cli->out, "\n%s\n", title);
	else
		fputc('\n', cli->out);
	output_table_print(cli->out, cli->format, t);
	output_table_free(t);
}

static void
status_print(struct cli *cli, const json_t *doc)
{
	if (cli->format == OUTPUT_TABLE)
		fprintf(cli->out, "routing version %lld\n\n",
		    (long long)json_integer_value(json_object_get(doc, "version")));
	status_print_nodes(cli, doc);
	status_section(cli, "active blocks", json_object_get(doc, "blocks"), status_block_cols);
	status_section(cli, "volume surges (24 h)", json_object_get(doc, "surges"), status_surge_cols);
	status_section(cli, "held senders (postroute sender release USER)",
	    json_object_get(doc, "holds"), cmd_sender_cols);
}

static int
status_run(struct cli *cli, const struct args *a)
{
	const char *mb = args_get(a, "max-behind");
	struct strbuf err = STRBUF_INIT;
	json_t *doc = NULL, *problems;
	long long max_behind = 60;
	size_t i;
	json_t *p;
	int rc;

	if (mb != NULL && check_duration(cli, "--max-behind", mb, 0, 86400 * 365, &max_behind) != 0)
		return CLIENT_USAGE;
	rc = client_call(cli->api, "GET", "/v1/status", NULL, &doc, NULL, &err);
	if (rc != CLIENT_OK) {
		verb_fail(cli, rc, &err);
		strbuf_clear(&err);
		return rc;
	}
	problems = cmd_status_problems(doc, max_behind);
	if (cli->format == OUTPUT_JSON) {
		json_t *out = json_deep_copy(doc);
		json_object_set(out, "problems", problems);
		json_object_set_new(out, "ok", json_boolean(json_array_size(problems) == 0));
		output_json(cli->out, out);
		json_decref(out);
	} else {
		status_print(cli, doc);
	}
	json_array_foreach(problems, i, p)
		verb_error(cli, "%s: %s", json_string_value(json_object_get(p, "node")),
		    json_string_value(json_object_get(p, "problem")));
	rc = json_array_size(problems) ? CLIENT_FAILED : CLIENT_OK;
	json_decref(problems);
	json_decref(doc);
	strbuf_clear(&err);
	return rc;
}

static const struct args_opt status_opts[] = {
	{ "max-behind", ARGS_VALUE, "DURATION", "a node lagging longer than this is a problem "
	  "(default 60s)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

const struct cli_verb cmd_status_verbs[] = {
	{ "status", "[--max-behind DURATION]",
	  "every node's applied version, lag, last report; blocks, surges, holds",
	  "Shows each node: its role, the routing version it applied against the\n"
	  "current one, how long it has been behind, whether its agent's feed is\n"
	  "connected (a request within 90 s), its last report and error; then the\n"
	  "active blocks, the sender volume surges of the last 24 hours and the\n"
	  "held senders.\n"
	  "Exits 1, naming the node on stderr, when a node's last\n"
	  "apply failed, or a server node's agent is not connected or has been\n"
	  "behind for longer than --max-behind (relay nodes are not fed routes);\n"
	  "monitoring can run it as a check.\n\n"
	  "example:\n"
	  "  postroute status --max-behind 2m || page-oncall",
	  status_opts, 0, 0, status_run },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
