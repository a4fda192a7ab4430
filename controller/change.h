/*
 * change.h: the one shape of every write.
 *
 *   change_begin   BEGIN; lock the routing_version row (writers queue here,
 *                  so versions strictly increase and writers cannot deadlock)
 *   ...            the handler validates against and changes the model
 *   change_record  bump the version (first call) and append a history row
 *   change_end     COMMIT (NOTIFY goes out with it), or ROLLBACK on failure
 *                  or for a dry run
 *
 * The PGconn belongs to the caller (from the pool); struct change borrows it.
 */
#ifndef POSTROUTE_CHANGE_H
#define POSTROUTE_CHANGE_H

#include <libpq-fe.h>

struct change {
	PGconn *conn;
	const char *actor;
	const char *reason;       /* may be NULL */
	const char *request_id;   /* may be NULL */
	long long version;        /* after change_record: the new version */
	PGresult *error;          /* the failed statement's result, for api_db_error */
};

int change_begin(struct change *ch);

struct change_row {
	const char *action;       /* "route.set" */
	const char *object_type;  /* "route" */
	const char *object;       /* "google/STAR" for scope "*" */
	const char *provider, *node, *relay;   /* for filtering; NULL when n/a */
	const char *before, *after;            /* JSON text or NULL */
};

int change_record(struct change *ch, const struct change_row *row);
/* commit: 1 to commit, 0 to roll back. Returns 0 or -1 (ch->error set). */
int change_end(struct change *ch, int commit);
/* Frees ch->error. */
void change_clear(struct change *ch);

/* db_one inside the change: 1 row (its first column in *out, may be
 * NULL), 0 none, -1 with the failed result kept in ch->error. */
int change_one(struct change *ch, const char *sql, int n, const char *const *p, char **out);

#endif
