/*
 * change.h: the one shape of every write.
 *
 *   change_begin   BEGIN; lock the routing_version row (writers queue here,
 *                  so versions strictly increase and writers cannot deadlock)
 *   ...            the handler validates against and changes the model
 *   change_record  bump the version (first call) and append a history row
 *   change_note    append a history row for something no feed carries
 *                  (a block, a policy decision, a volume report): the
 *                  version is left alone, so no agent wakes for it
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
	long long version;        /* the version in force; after change_record, the new one */
	PGresult *error;          /* the failed statement's result, for api_db_error */
	int bumped;               /* this change bumped the version */
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
/* Appends a history row without bumping the version: for changes that
 * alter nothing a node's feed carries (routes, nodes, relays, providers,
 * holds). The row's version is the change's new one when it bumped
 * already, else the version in force. */
int change_note(struct change *ch, const struct change_row *row);
/* Bumps the version now (once per change): for a change that will alter
 * a feed but records a note first, so that all its rows share the new
 * version. */
int change_feed(struct change *ch);
/* commit: 1 to commit, 0 to roll back. Returns 0 or -1 (ch->error set). */
int change_end(struct change *ch, int commit);
/* Frees ch->error. */
void change_clear(struct change *ch);

/* db_one inside the change: 1 row (its first column in *out, may be
 * NULL), 0 none, -1 with the failed result kept in ch->error. */
int change_one(struct change *ch, const char *sql, int n, const char *const *p, char **out);

#endif
