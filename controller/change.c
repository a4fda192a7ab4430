/*
 * change.c: transactions with history and version bump.
 */
#include "change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "metrics.h"

static int
change_fail(struct change *ch, PGresult *r)
{
	PQclear(ch->error);
	ch->error = r;
	return -1;
}

int
change_begin(struct change *ch)
{
	PGresult *r;

	ch->version = 0;
	ch->bumped = 0;
	ch->error = NULL;
	r = db_query(ch->conn, "BEGIN", 0, NULL);
	if (!db_ok(r))
		return change_fail(ch, r);
	PQclear(r);
	r = db_query(ch->conn, "SELECT version FROM routing_version FOR UPDATE", 0, NULL);
	if (!db_ok(r) || PQntuples(r) != 1) {
		PQclear(PQexec(ch->conn, "ROLLBACK"));
		return change_fail(ch, r);
	}
	ch->version = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int
change_feed(struct change *ch)
{
	PGresult *r;

	if (ch->bumped)
		return 0;
	r = db_query(ch->conn,
	    "UPDATE routing_version SET version = version + 1 RETURNING version", 0, NULL);

	if (!db_ok(r) || PQntuples(r) != 1)
		return change_fail(ch, r);
	ch->version = atoll(PQgetvalue(r, 0, 0));
	ch->bumped = 1;
	PQclear(r);
	return 0;
}

int
change_record(struct change *ch, const struct change_row *row)
{
	if (change_feed(ch) != 0)
		return -1;
	return change_note(ch, row);
}

int
change_note(struct change *ch, const struct change_row *row)
{
	char version[32];
	PGresult *r;

	snprintf(version, sizeof(version), "%lld", ch->version);
	const char *p[] = { ch->actor, row->action, row->object_type, row->object, row->provider,
		row->node, row->relay, row->before, row->after, ch->reason, ch->request_id, version };
	r = db_query(ch->conn,
	    "INSERT INTO history (actor, action, object_type, object, provider, node, relay,"
	    " before, after, reason, request_id, version)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, nullif($10, ''), $11, $12)",
	    12, p);
	if (!db_ok(r)) {
		metrics_count_history_failure();
		return change_fail(ch, r);
	}
	PQclear(r);
	return 0;
}

int
change_end(struct change *ch, int commit)
{
	PGresult *r = db_query(ch->conn, commit ? "COMMIT" : "ROLLBACK", 0, NULL);

	if (!db_ok(r) || (commit && strcmp(PQcmdStatus(r), "COMMIT") != 0)) {
		if (commit)
			metrics_count_history_failure();   /* every change writes history */
		return change_fail(ch, r);
	}
	PQclear(r);
	return 0;
}

void
change_clear(struct change *ch)
{
	PQclear(ch->error);
	ch->error = NULL;
}

int
change_one(struct change *ch, const char *sql, int n, const char *const *p, char **out)
{
	PGresult *fail = NULL;
	int rc = db_one(ch->conn, sql, n, p, out, &fail);

	if (rc < 0) {
		PQclear(ch->error);
		ch->error = fail;
	}
	return rc;
}
