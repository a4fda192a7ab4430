/*
 * chain.c: postroute history --verify.
 *
 * Walks the history's hash chain through GET /v1/history/chain, in id
 * order, 10000 rows a request, and stops at the first row whose stored
 * hash differs from the one recomputed from the row as it is now and the
 * stored hash of the row before: that row was changed, or a row just
 * before it was removed or slipped in. Rows removed from the end leave the
 * chain head (kept by the insert trigger) pointing past the last row.
 * Owns only the documents it fetched.
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
	char *problem;         /* the first break found, or NULL */
	json_int_t broken_id;  /* its row, 0 for the head */
};

static const char *
chain_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Checks one page's rows; returns how many there were. */
static size_t
chain_page(struct chain_state *st, const json_t *rows)
{
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r) {
		const char *hash = chain_str(r, "hash"), *computed = chain_str(r, "computed");
		st->rows++;
		st->last_id = json_integer_value(json_object_get(r, "id"));
		free(st->last_hash);
		st->last_hash = xstrdup(hash);
		if (st->problem == NULL && strcmp(hash, computed) != 0) {
			st->broken_id = st->last_id;
			st->problem = xasprintf("history row %lld (%s, %s) does not match its hash: it "
			    "was changed, or a row just before it was removed or inserted (stored %.16s..., "
			    "recomputed %.16s...)", (long long)st->last_id, chain_str(r, "at"),
			    chain_str(r, "action"), hash, computed);
		}
	}
	return json_array_size(rows);
}

/* The last row must be the head the insert trigger recorded. */
static void
chain_head(struct chain_state *st, const json_t *head)
{
	json_int_t id = json_integer_value(json_object_get(head, "id"));
	const char *hash = chain_str(head, "hash");

	if (st->problem != NULL)
		return;
	if (id != st->last_id || (st->last_hash != NULL && strcmp(hash, st->last_hash) != 0))
		st->problem = xasprintf("the chain head is row %lld but the last row is %lld: rows were "
		    "removed from the end, or the head was changed", (long long)id,
		    (long long)st->last_id);
}

static void
chain_report(struct cli *cli, const struct chain_state *st, const json_t *head)
{
	if (cli->format == OUTPUT_JSON) {
		json_t *out = json_pack("{s:b,s:I,s:I,s:s}", "intact", st->problem == NULL, "rows",
		    st->rows, "last_id", st->last_id, "head_hash", chain_str(head, "hash"));
		if (st->problem != NULL) {
			json_object_set_new(out, "broken_id", json_integer(st->broken_id));
			json_object_set_new(out, "error", json_string(st->problem));
		}
		output_json(cli->out, out);
		json_decref(out);
	} else if (st->problem == NULL) {
		fprintf(cli->out, "history chain intact: %lld rows, last row %lld, head hash %s\n",
		    (long long)st->rows, (long long)st->last_id, chain_str(head, "hash"));
	}
	if (st->problem != NULL)
		verb_error(cli, "%s", st->problem);
}

int
chain_verify(struct cli *cli)
{
	struct chain_state st = { 0 };
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	json_t *doc = NULL;
	int rc;

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
		chain_head(&st, json_object_get(doc, "head"));
		chain_report(cli, &st, json_object_get(doc, "head"));
		rc = st.problem == NULL ? CLIENT_OK : CLIENT_FAILED;
	} else {
		verb_fail(cli, rc, &err);
	}
	json_decref(doc);
	free(st.last_hash), free(st.problem);
	strbuf_release(&err), strbuf_release(&path);
	return rc;
}
