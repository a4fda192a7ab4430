/*
 * pgpair.c: a primary and a streaming standby (see pgpair.h).
 */
#include "pgpair.h"

#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testlib.h"
#include "xalloc.h"

#define PGPAIR_TIMEOUT_S 120

static const char *
pgpair_bin(void)
{
	const char *b = getenv("PGBIN");

	if (b == NULL || *b == '\0')
		fail_msg("PGBIN not set: run through tests/run.sh (tests/pg.sh sets it)");
	return b;
}

/* Runs PGBIN/prog with args (NULL-terminated), as postgres when root;
 * fails the test with its output and what_log (a file) when it fails. */
static void
pgpair_run(const char *what_log, const char *prog, ...)
{
	char *argv[32], *out = NULL, *err = NULL;
	char *bin = xasprintf("%s/%s", pgpair_bin(), prog);
	int n = 0;
	va_list ap;

	if (getuid() == 0) {
		argv[n++] = "/usr/sbin/runuser", argv[n++] = "-u", argv[n++] = "postgres";
		argv[n++] = "--";
	}
	argv[n++] = bin;
	va_start(ap, prog);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (tl_run(argv, &out, &err, PGPAIR_TIMEOUT_S) != 0)
		fail_msg("%s failed: %s%s\n%s", prog, out, err,
		    what_log ? tl_read_file(what_log) : "");
	free(out), free(err), free(bin);
}

static void
pgpair_append(const char *path, const char *text)
{
	FILE *fp = fopen(path, "a");

	if (fp == NULL)
		fail_msg("append to %s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

static void
pgpair_pg_ctl_start(struct pgpair *p, int which)
{
	char *opts = xasprintf("-p %d", p->port[which]);

	pgpair_run(p->log[which], "pg_ctl", "-D", p->data[which], "-l", p->log[which], "-w", "-t",
	    "60", "-o", opts, "start", NULL);
	p->running[which] = 1;
	free(opts);
}

struct pgpair *
pgpair_start(void)
{
	struct pgpair *p = xcalloc(1, sizeof(*p));
	struct passwd *pw = getpwnam("postgres");

	p->dir = tl_mkdtemp("pgpair");
	if (getuid() == 0 && (pw == NULL || chown(p->dir, pw->pw_uid, pw->pw_gid) != 0))
		fail_msg("chown %s to postgres: %s", p->dir, pw ? strerror(errno) : "no such user");
	for (int i = 0; i < 2; i++) {
		p->data[i] = xasprintf("%s/%s", p->dir, i == PGPAIR_PRIMARY ? "primary" : "standby");
		p->log[i] = xasprintf("%s/%s.log", p->dir, i == PGPAIR_PRIMARY ? "primary" : "standby");
		p->port[i] = tl_free_port();
	}
	pgpair_run(NULL, "initdb", "-D", p->data[PGPAIR_PRIMARY], "-U", "postgres", "--auth=trust",
	    "--no-sync", "-E", "UTF8", "--locale=C", NULL);
	/* the standby's copy inherits these; only the port differs (pg_ctl -o) */
	char *conf = xasprintf("%s/postgresql.conf", p->data[PGPAIR_PRIMARY]);
	char *lines = xasprintf("\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"
	    "fsync = off\nmax_connections = 100\nwal_level = replica\nmax_wal_senders = 4\n"
	    "hot_standby = on\nlog_line_prefix = '%%m [%%p] '\n", p->dir);
	pgpair_append(conf, lines);
	free(conf), free(lines);
	pgpair_pg_ctl_start(p, PGPAIR_PRIMARY);
	char *port = xasprintf("%d", p->port[PGPAIR_PRIMARY]);
	pgpair_run(p->log[PGPAIR_PRIMARY], "pg_basebackup", "-h", "127.0.0.1", "-p", port, "-U",
	    "postgres", "-D", p->data[PGPAIR_STANDBY], "-R", "-X", "stream", "-c", "fast", "--no-sync",
	    NULL);
	free(port);
	pgpair_pg_ctl_start(p, PGPAIR_STANDBY);
	return p;
}

char *
pgpair_admin(const struct pgpair *p, int which)
{
	return xasprintf("host=127.0.0.1 port=%d dbname=postgres user=postgres", p->port[which]);
}

void
pgpair_db_create(const struct pgpair *p, const char *dbname, const char *owner,
    const char *runtime)
{
	char *admin = pgpair_admin(p, PGPAIR_PRIMARY);
	const char *roles[] = { owner, runtime };

	for (int i = 0; i < 2; i++) {
		char *sql = xasprintf("CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", roles[i]);
		free(tl_sql(admin, sql));
		free(sql);
	}
	char *sql = xasprintf("CREATE DATABASE %s OWNER %s", dbname, owner);
	free(tl_sql(admin, sql));
	free(sql), free(admin);
}

void
pgpair_kill_primary(struct pgpair *p)
{
	pgpair_run(p->log[PGPAIR_PRIMARY], "pg_ctl", "-D", p->data[PGPAIR_PRIMARY], "-m", "immediate",
	    "-w", "-t", "60", "stop", NULL);
	p->running[PGPAIR_PRIMARY] = 0;
}

void
pgpair_promote(struct pgpair *p)
{
	pgpair_run(p->log[PGPAIR_STANDBY], "pg_ctl", "-D", p->data[PGPAIR_STANDBY], "-w", "-t", "60",
	    "promote", NULL);
}

void
pgpair_promote_start(struct pgpair *p)
{
	pgpair_run(p->log[PGPAIR_STANDBY], "pg_ctl", "-D", p->data[PGPAIR_STANDBY], "-W", "promote",
	    NULL);
}

struct pgpair_replay {
	char *standby;
	char *sql;
};

static int
pgpair_replayed(void *arg)
{
	struct pgpair_replay *r = arg;
	char *v = tl_sql(r->standby, r->sql);
	int done = v != NULL && strcmp(v, "t") == 0;

	free(v);
	return done;
}

void
pgpair_await_replay(struct pgpair *p)
{
	char *primary = pgpair_admin(p, PGPAIR_PRIMARY);
	char *lsn = tl_sql(primary, "SELECT pg_current_wal_lsn()");
	struct pgpair_replay r = { pgpair_admin(p, PGPAIR_STANDBY),
		xasprintf("SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn", lsn) };

	if (!tl_wait_for(pgpair_replayed, &r, 30000))
		fail_msg("the standby did not replay up to %s within 30 s; its log:\n%s", lsn,
		    tl_read_file(p->log[PGPAIR_STANDBY]));
	free(r.standby), free(r.sql), free(lsn), free(primary);
}

void
pgpair_free(struct pgpair *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		if (p->running[i])
			pgpair_run(NULL, "pg_ctl", "-D", p->data[i], "-m", "fast", "-w", "-t", "60", "stop",
			    NULL);
		free(p->data[i]), free(p->log[i]);
	}
	free(p->dir);
	free(p);
}
