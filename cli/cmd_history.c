/*
 * cmd_history.c: the audit trail, filtered, as a table, CSV or JSON.
 *
 * The API returns at most 1000 rows per request (fewer when they are
 * large), newest first, and says "truncated" with "next_before_id" when
 * it left out rows that were asked for; more pages are fetched with
 * before_id=, which moves strictly back through the ids.
 */
#include "cmd_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "check.h"
#include "rows.h"
#include "xalloc.h"

#define HISTORY_PAGE 1000

/* One page of at most want rows matching query ("key=value&..." or ""),
 * older than before (0: the newest); appends them to rows. *next is the
 * before= of the following page, or 0 when the server has no more. */
static int
history_page(struct cli *cli, const char *query, long long want, json_int_t before,
    json_t *rows, json_int_t *next, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	json_t *doc = NULL, *r;
	size_t i, got = 0;
	int rc;

	strbuf_appendf(&path, "/v1/history?%slimit=%lld", query, want);
	if (before > 0)
		strbuf_appendf(&path, "&before_id=%lld", (long long)before);
	rc = client_call(cli->api, "GET", strbuf_str(&path), NULL, &doc, NULL, err);
	*next = 0;
	if (rc == CLIENT_OK) {
		const json_t *page = rows_array(doc, "history");
		got = json_array_size(page);
		json_array_foreach(page, i, r)
			json_array_append(rows, r);
		if (got > 0 && (json_is_true(json_object_get(doc, "truncated")) ||
		    (long long)got == want))
			*next = json_integer_value(json_object_get(json_array_get(page, got - 1), "id"));
	}
	json_decref(doc);
	strbuf_clear(&path);
	return rc;
}

/* Up to limit rows (0: every one) matching query, page by page. */
static int
history_rows(struct cli *cli, const char *query, long long limit, json_t *rows,
    struct strbuf *err)
{
	json_int_t before = 0;
	int rc;

	do {
		long long want = HISTORY_PAGE;
		if (limit > 0 && limit - (long long)json_array_size(rows) < want)
			want = limit - (long long)json_array_size(rows);
		rc = history_page(cli, query, want, before, rows, &before, err);
	} while (rc == CLIENT_OK && before > 0 &&
	    (limit == 0 || (long long)json_array_size(rows) < limit));
	return rc;
}

/* The API's "until" is exclusive and its times have milliseconds: the
 * bound just after t, so that rows at t are included. */
static char *
history_after(const char *t)
{
	char buf[TIMEPARSE_BUFLEN];
	struct tp_time tp;
	const char *why;

	if (t == NULL || timeparse_absolute(t, &tp, &why) != 0)
		return xstrdup(t ? t : "");
	timeparse_add_us(&tp, 1000);
	timeparse_format(&tp, buf);
	return xstrdup(buf);
}

/* Appends "key=value&", the value escaped. */
static void
history_param(struct strbuf *q, const char *key, const char *v)
{
	strbuf_appendf(q, "%s=", key);
	client_escape(q, v);
	strbuf_appendc(q, '&');
}

int
cmd_history_fetch(struct cli *cli, const char *query, const char *until, json_t **rows,
    struct strbuf *err)
{
	json_t *all = json_array();
	char *mark = history_after(until);
	struct strbuf q = STRBUF_INIT;
	int rc;

	strbuf_append(&q, query);
	history_param(&q, "until", mark);
	rc = history_rows(cli, strbuf_str(&q), 0, all, err);
	free(mark);
	strbuf_clear(&q);
	if (rc != CLIENT_OK) {
		json_decref(all);
		return rc;
	}
	*rows = all;
	return CLIENT_OK;
}

static void
history_value(struct strbuf *sb, const json_t *v)
{
	char *c = output_cell(v);

	strbuf_append(sb, c ? c : "-");
	free(c);
}

/* "key: old -> new" for each top-level key that changed. */
static void
history_diff(struct strbuf *sb, const json_t *before, const json_t *after)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)after, key, v) {
		json_t *old = json_object_get(before, key);
		if (strcmp(key, "updated_at") == 0 || strcmp(key, "created_at") == 0 ||
		    (old != NULL && json_equal(old, v)))
			continue;
		strbuf_appendf(sb, "%s%s: ", sb->len ? "; " : "", key);
		history_value(sb, old);
		strbuf_append(sb, " -> ");
		history_value(sb, v);
	}
}

char *
cmd_history_change(const json_t *row)
{
	const char *action = json_string_value(json_object_get(row, "action"));
	const json_t *b = json_object_get(row, "before"), *a = json_object_get(row, "after");
	struct strbuf sb = STRBUF_INIT;

	if (action != NULL && strncmp(action, "route.", 6) == 0) {
		const char *from = json_string_value(json_object_get(b, "relay"));
		const char *to = json_string_value(json_object_get(a, "relay"));
		strbuf_appendf(&sb, "%s -> %s", from ? from : "(default)", to ? to : "(default)");
	} else if (!json_is_object(b) && json_is_object(a)) {
		strbuf_append(&sb, "created");
	} else if (json_is_object(b) && !json_is_object(a)) {
		strbuf_append(&sb, "deleted");
	} else if (json_is_object(b) && json_is_object(a)) {
		history_diff(&sb, b, a);
	}
	return sb.len ? strbuf_detach(&sb) : NULL;
}

/* Appends "key=value&" when the option is set; checks it first. */
static int
history_filter(struct cli *cli, const struct args *a, const char *opt, int is_name,
    struct strbuf *q)
{
	const char *v = args_get(a, opt);
	char what[32];

	if (v == NULL)
		return 0;
	snprintf(what, sizeof(what), "--%s", opt);
	if (is_name ? check_name(cli, what, v) != 0 : check_text(cli, what, v, 200) != 0)
		return -1;
	if (strcmp(opt, "action") == 0 && strspn(v, "abcdefghijklmnopqrstuvwxyz._") != strlen(v)) {
		verb_error(cli, "--action \"%.100s\" is not an action name (e.g. route.set)", v);
		return -1;
	}
	history_param(q, opt, v);
	return 0;
}

static int
history_time(struct cli *cli, const struct args *a, const char *opt, struct strbuf *q)
{
	const char *v = args_get(a, opt);
	char iso[TIMEPARSE_BUFLEN];
	struct tp_time t;

	if (v == NULL)
		return 0;
	if (check_time(cli, opt[0] == 's' ? "--since" : "--until", v, &t, iso) != 0)
		return -1;
	history_param(q, opt, iso);
	return 0;
}

/* The filters as "key=value&..." in q, and the row count in *n. */
static int
history_query(struct cli *cli, const struct args *a, struct strbuf *q, long long *n)
{
	const char *limit = args_get(a, "limit");

	if (history_filter(cli, a, "provider", 1, q) != 0 ||
	    history_filter(cli, a, "node", 1, q) != 0 ||
	    history_filter(cli, a, "relay", 1, q) != 0 ||
	    history_filter(cli, a, "actor", 0, q) != 0 ||
	    history_filter(cli, a, "action", 0, q) != 0 ||
	    history_time(cli, a, "since", q) != 0 || history_time(cli, a, "until", q) != 0)
		return -1;
	*n = 100;
	if (limit != NULL && check_int(cli, "--limit", limit, 1, 10000, n) != 0)
		return -1;
	return 0;
}

static const struct rows_col history_csv_cols[] = {
	{ "id", "id", ROWS_VALUE }, { "at", "at", ROWS_TIME },
	{ "actor", "actor", ROWS_VALUE }, { "action", "action", ROWS_VALUE },
	{ "object_type", "object_type", ROWS_VALUE }, { "object", "object", ROWS_VALUE },
	{ "provider", "provider", ROWS_VALUE }, { "node", "node", ROWS_VALUE },
	{ "relay", "relay", ROWS_VALUE }, { "reason", "reason", ROWS_VALUE },
	{ "request_id", "request_id", ROWS_VALUE }, { "version", "version", ROWS_VALUE },
	{ "before", "before", ROWS_VALUE }, { "after", "after", ROWS_VALUE },
	{ NULL, NULL, ROWS_VALUE },
};

static void
history_print(struct cli *cli, const json_t *rows)
{
	static const char *hdr[] = { "AT (UTC)", "ACTOR", "ACTION", "OBJECT", "CHANGE", "REASON" };
	struct table *t;
	size_t i;
	json_t *r;

	if (cli->format == OUTPUT_CSV) {
		t = rows_table(rows, history_csv_cols, cli->format);
	} else {
		t = output_table_new(6, hdr);
		json_array_foreach(rows, i, r) {
			char *at = output_short_time(json_string_value(json_object_get(r, "at")));
			char *ch = cmd_history_change(r);
			const char *cells[] = { at, json_string_value(json_object_get(r, "actor")),
				json_string_value(json_object_get(r, "action")),
				json_string_value(json_object_get(r, "object")), ch,
				json_string_value(json_object_get(r, "reason")) };
			output_table_add(t, cells);
			free(at), free(ch);
		}
	}
	output_table_print(cli->out, cli->format, t);
	output_table_free(t);
}

static int
history_run(struct cli *cli, const struct args *a)
{
	struct strbuf q = STRBUF_INIT, err = STRBUF_INIT;
	json_t *rows = json_array();
	long long n;
	int rc;

	if (history_query(cli, a, &q, &n) != 0) {
		strbuf_clear(&q);
		json_decref(rows);
		return CLIENT_USAGE;
	}
	if (args_has(a, "verify")) {
		rc = q.len ? CLIENT_USAGE : chain_verify(cli, args_get(a, "anchor"));
		if (q.len)
			verb_error(cli, "--verify checks the whole history: it takes no filter or --limit");
		strbuf_clear(&q);
		json_decref(rows);
		return rc;
	}
	if (args_has(a, "anchor")) {
		verb_error(cli, "--anchor goes with --verify");
		strbuf_clear(&q);
		json_decref(rows);
		return CLIENT_USAGE;
	}
	rc = history_rows(cli, strbuf_str(&q), n, rows, &err);
	if (rc != CLIENT_OK) {
		verb_fail(cli, rc, &err);
	} else if (cli->format == OUTPUT_JSON) {
		json_t *out = json_pack("{s:O}", "history", rows);
		output_json(cli->out, out);
		json_decref(out);
	} else {
		history_print(cli, rows);
	}
	json_decref(rows);
	strbuf_clear(&q), strbuf_clear(&err);
	return rc;
}

static const struct args_opt history_opts[] = {
	{ "provider", ARGS_VALUE, "P", "rows about provider P" },
	{ "node", ARGS_VALUE, "N", "rows about node N" },
	{ "relay", ARGS_VALUE, "R", "rows about relay R" },
	{ "actor", ARGS_VALUE, "A", "rows written by A (a token name, or the policy engine)" },
	{ "action", ARGS_VALUE, "X", "one action: route.set, route.delete, route.expired, "
	  "relay.put, ..." },
	{ "since", ARGS_VALUE, "T", "at or after T (2026-11-01, 2026-11-27T18:00Z, or 30m, 2h, 7d ago)" },
	{ "until", ARGS_VALUE, "T", "before T" },
	{ "limit", ARGS_VALUE, "N", "at most N rows, 1-10000 (default 100)" },
	{ "verify", ARGS_FLAG, NULL, "check the hash chain of the whole history instead: exit 0 "
	  "when intact, 1 naming the first broken row" },
	{ "anchor", ARGS_VALUE, "ID:HASH", "with --verify: row ID must still have HASH (as an "
	  "earlier --verify printed it)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

const struct cli_verb cmd_history_verbs[] = {
	{ "history", "[--provider P] [--node N] [--relay R] [--actor A] [--action X]\n"
	  "       [--since T] [--until T] [--limit N] [--format csv]\n"
	  "       postroute history --verify [--anchor ID:HASH]",
	  "who changed what, when and why",
	  "Lists the history, newest first: every change of routes, relays, providers\n"
	  "and nodes, with who made it (the token's name), the reason, and the object\n"
	  "before and after (in --json and --format csv). Filters combine. T is\n"
	  "ISO 8601 (UTC unless it carries an offset) or an age: 30m, 2h, 7d, 2w.\n\n"
	  "--verify checks instead that no row was changed, removed or slipped in\n"
	  "behind the controller's back: each row carries the SHA-256 of the row\n"
	  "before it and of its own content. It prints the row count and the last\n"
	  "row's anchor, ID:HASH, or names the first broken row and exits 1. Keep\n"
	  "the anchor elsewhere: --anchor ID:HASH later also catches rows removed\n"
	  "from the end and a chain rewritten from some row on.\n\n"
	  "examples:\n"
	  "  postroute history --provider google --node mx07 --since 7d\n"
	  "  postroute history --action route.set --since 2026-11-01 --format csv > nov.csv\n"
	  "  postroute history --verify --anchor 1234:HASH",
	  history_opts, 0, 0, history_run },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
