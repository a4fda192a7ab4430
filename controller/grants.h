/*
 * grants.h: the runtime role's privileges, set by `postrouted migrate`.
 *
 * Two roles share one database: the owner ([database] migrate_conninfo)
 * owns every table and runs the migrations; the runtime role ([database]
 * conninfo) is what the server connects as. The runtime role may read and
 * write the mutable tables but only read and append to history: it cannot
 * UPDATE, DELETE, TRUNCATE, ALTER (DISABLE TRIGGER) or DROP it, because it
 * owns nothing and holds no such privilege. The grants are set in code
 * after the last migration, so tables added by later migrations get them
 * too; every run first revokes what the runtime role and PUBLIC hold.
 */
#ifndef POSTROUTE_GRANTS_H
#define POSTROUTE_GRANTS_H

#include <libpq-fe.h>

#include "strbuf.h"

/* The role a connection made with conninfo acts as (its current_user);
 * *shared is set when it is owner's role too. Fails when that connection
 * fails or lands on a database other than owner's. Returns a string the
 * caller frees, or NULL with err set. */
char *grants_runtime_role(PGconn *owner, const char *conninfo, long long statement_timeout_ms,
    int *shared, struct strbuf *err);

/* Before the migrations: refuses (-1, err) when the runtime role owns an
 * object of this database (the database itself included), since its
 * grants would then mean nothing. Changes nothing. */
int grants_check(PGconn *owner, const char *runtime, struct strbuf *err);

/* After the migrations, in one transaction: revoke, then grant exactly
 * what the server needs. 0, or -1 with err set (nothing changed). */
int grants_apply(PGconn *owner, const char *runtime, struct strbuf *err);

/* Each reason why history is still protected only by its trigger (one
 * role for both, a superuser or a member of the owner role at run time,
 * a write privilege left on history) as one line appended to warn.
 * Returns the number of reasons, or -1 when the check itself failed. */
int grants_audit(PGconn *owner, const char *runtime, struct strbuf *warn);

/* For the server at start: 1 when c's role may rewrite history (it owns
 * the table, is a member of its owner or a superuser, or holds UPDATE,
 * DELETE or TRUNCATE on it), 0 when not, -1 when the check failed. */
int grants_history_writable(PGconn *c);

#endif
