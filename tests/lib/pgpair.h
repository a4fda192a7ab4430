/*
 * pgpair.h: a PostgreSQL primary and its streaming standby, for failover
 * tests and benchmarks.
 *
 * pgpair_start makes a new temp directory with two clusters: the primary
 * (initdb, as tests/pg.sh does: trust authentication, no fsync) and a
 * standby cloned from it with pg_basebackup -R (streaming replication,
 * standby.signal), each listening on 127.0.0.1 at a free port and on a
 * unix socket in its directory. As root, the servers and their tools run
 * as the postgres user (runuser), like the suite's own cluster. The
 * PostgreSQL programs are taken from $PGBIN (tests/pg.sh exports it).
 *
 * pgpair_kill_primary stops the primary the hard way (pg_ctl stop -m
 * immediate: no shutdown checkpoint, clients cut off); pgpair_promote
 * promotes the standby and returns once it accepts writes.
 * pgpair_await_replay waits until the standby replayed everything the
 * primary wrote so far, so that a failover loses no commit.
 *
 * Every external command has a timeout; a failure fails the test (cmocka
 * fail_msg) with the server's log. The caller owns the pair: pgpair_free
 * stops whatever still runs (files stay under the run's temp dir).
 */
#ifndef POSTROUTE_PGPAIR_H
#define POSTROUTE_PGPAIR_H

enum { PGPAIR_PRIMARY, PGPAIR_STANDBY };

struct pgpair {
	char *dir;
	char *data[2];      /* data directories, [PGPAIR_PRIMARY] and [PGPAIR_STANDBY] */
	char *log[2];       /* their server logs */
	int port[2];        /* TCP ports on 127.0.0.1 */
	int running[2];
};

struct pgpair *pgpair_start(void);
void pgpair_kill_primary(struct pgpair *p);
void pgpair_promote(struct pgpair *p);
/* Only signals the promotion (pg_ctl promote -W): the caller watches for
 * its end itself (pg_is_in_recovery() turning false). */
void pgpair_promote_start(struct pgpair *p);
void pgpair_await_replay(struct pgpair *p);
void pgpair_free(struct pgpair *p);

/* "host=127.0.0.1 port=PORT dbname=postgres user=postgres" of one server. */
char *pgpair_admin(const struct pgpair *p, int which);

/* Creates roles owner and runtime (LOGIN, not superuser) and database
 * dbname owned by owner, on the primary. */
void pgpair_db_create(const struct pgpair *p, const char *dbname, const char *owner,
    const char *runtime);

#endif
