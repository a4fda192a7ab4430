/*
 * migrate.h: apply schema/NNNN_*.sql that has not run yet.
 *
 * The SQL files are compiled into the binary (build/gen/schema_sql.c), so
 * a deployed postrouted always carries the migrations it was built with.
 * Each migration runs in its own transaction together with its row in
 * schema_migrations; an advisory lock keeps two migrate runs apart.
 */
#ifndef POSTROUTE_MIGRATE_H
#define POSTROUTE_MIGRATE_H

#include <libpq-fe.h>

#include "strbuf.h"

/* Returns the number applied (0: already current), or -1 with err set. */
int migrate_run(PGconn *c, struct strbuf *err);

/* The highest migration compiled in, e.g. "0002_audit.sql". */
const char *migrate_latest(void);

#endif
