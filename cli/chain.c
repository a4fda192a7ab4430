/*
 * chain.c: postroute history --verify [--anchor ID:HASH].
 *
 * Walks the history's hash chain through GET /v1/history/chain, in id
 * order, 10000 rows a request, and stops at the first row whose stored
 * hash differs from the one recomputed from the row as it is now and the
 * stored hash of the row before: that row was changed, or a row just
 * before it was removed or slipped in. An anchor (a row's id and hash
 * printed by an earlier run and kept elsewhere) must still be there with
 * that hash: this catches rows removed from the end, and a chain rewritten
 * from some row on. Owns only the documents it fetched.
 */
#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"
#include "xalloc.h"

#define CHAIN_PAGE 10000

struct chain_state {
	json_int_t rows, last_id;
	char *last_hash;       /* of the last row seen, or NULL */
	long long anchor_id;   /* 0: no anchor */
	char anchor_hash[65];
	int anchor_seen;
	char *problem;         /* the first break found, or NULL */
	json_int_t broken_id;  /* its row */
};

static const char *
chain_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void
chain_break(struct chain_state *st, json_int_t id, char *problem)
{
	if (st->problem != NULL) {
		free(problem);
		return;
	}
	st->broken_id = id;
	st->problem = problem;
}

/* Checks one page's rows; returns how many there were. */
static size_t
chain_page(struct chain_state *st, const json_t *rows)
{
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r) {
		const char *hash = chain_str(r, "hash"), *computed = chain_str(r, "computed");
		json_int_t id = json_integer_value(json_object_get(r, "id"));
		if (st->anchor_id > st->last_id && st->anchor_id < id)
			chain_break(st, id, xasprintf("anchor row %lld is gone: history was rewritten",
			    st->anchor_id));
		st->rows++;
		st->last_id = id;
		free(st->last_hash);
		st->last_hash = xstrdup(hash);
		if (strcmp(hash, computed) != 0)
			chain_break(st, id, xasprintf("history row %lld (%s, %s) does not match its hash: "
			    "it was changed, or a row just before it was removed or inserted (stored "
			    "%.16s..., recomputed %.16s...)", (long long)id, chain_str(r, "at"),
			    chain_str(r, "action"), hash, computed));
		if (id == st->anchor_id) {
			st->anchor_seen = 1;
			if (strcmp(hash, st->anchor_hash) != 0)
				chain_break(st, id, xasprintf("anchor row %lld has hash %.16s..., not %.16s...: "
				    "history was rewritten from that row or before", (long long)id, hash,
				    st->anchor_hash));
		}
		if (st->problem != NULL)
			break;
	}
	return json_array_size(rows);
}

static void
chain_report(struct cli *cli, const struct chain_state *st)
{
	const char *last = st->last_hash ? st->last_hash : "";

	if (cli->format == OUTPUT_JSON) {
		json_t *out = json_pack("{s:b,s:I,s:I,s:s}", "intact", st->problem == NULL, "rows",
		    st->rows, "last_id", st->last_id, "last_hash", last);
		if (st->problem != NULL) {
			json_object_set_new(out, "broken_id", json_integer(st->broken_id));
			json_object_set_new(out, "error", json_string(st->problem));
		}
		output_json(cli->out, out);
		json_decref(out);
	} else if (st->problem == NULL) {
		fprintf(cli->out, "history chain intact: %lld rows; last row %lld, anchor %lld:%s\n",
		    (long long)st->rows, (long long)st->last_id, (long long)st->last_id, last);
	}
	if (st->problem != NULL)
		verb_error(cli, "%s", st->problem);
}

/* "ID:HASH", HASH 64 lower-case hex digits. */
static int
chain_anchor(struct cli *cli, const char *v, struct chain_state *st)
{
	char *end = NULL;
	const char *h;

	st->anchor_id = strtoll(v, &end, 10);
	h = end + 1;
	if (*v < '1' || *v > '9' || *end != ':' || strlen(h) != 64 ||
	    strspn(h, "0123456789abcdef") != 64) {
		verb_error(cli, "--anchor \"%.100s\": want ID:HASH as an earlier --verify printed it", v);
		return -1;
	}
	memcpy(st->anchor_hash, h, 65);
	return 0;
}

int
chain_verify(struct cli *cli, const char *anchor)
{
	struct chain_state st = { 0 };
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	json_t *doc = NULL;
	int rc;

	if (anchor != NULL && chain_anchor(cli, anchor, &st) != 0)
		return CLIENT_USAGE;
	for (;;) {
		strbuf_reset(&path);
		strbuf_appendf(&path, "/v1/history/chain?after=%lld&limit=%d", (long long)st.last_id,
		    CHAIN_PAGE);
		json_decref(doc);
		doc = NULL;
		rc = client_call(cli->api, "GET", strbuf_str(&path), NULL, &doc, NULL, &err);
		if (rc != CLIENT_OK || chain_page(&st, rows_array(doc, "chain")) < CHAIN_PAGE ||
		    st.problem != NULL)
			break;
	}
	if (rc == CLIENT_OK) {
		if (st.anchor_id > 0 && !st.anchor_seen)
			chain_break(&st, st.anchor_id, xasprintf("anchor row %lld is gone: rows were "
			    "removed from the end, or history was rewritten", st.anchor_id));
		chain_report(cli, &st);
		rc = st.problem == NULL ? CLIENT_OK : CLIENT_FAILED;
	} else {
		verb_fail(cli, rc, &err);
	}
	json_decref(doc);
	free(st.last_hash), free(st.problem);
	strbuf_clear(&err), strbuf_clear(&path);
	return rc;
}
