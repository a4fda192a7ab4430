/*
 * testlib.h: what integration tests share.
 *
 * A fresh database per controller (on the PostgreSQL that tests/run.sh
 * started: PGHOST/PGPORT in the environment), a controller process on a
 * free loopback port, HTTP through libcurl, SQL through libpq and child
 * processes with a timeout. Failures abort the test with a message (cmocka
 * fail_msg), so callers do not check results they cannot continue without.
 * Everything returned is owned by the caller (free, or the _stop/_free
 * function named).
 */
#ifndef POSTROUTE_TESTLIB_H
#define POSTROUTE_TESTLIB_H

#include <jansson.h>
#include <sys/types.h>

const char *tl_bindir(void);            /* $POSTROUTE_BINDIR */
const char *tl_srcdir(void);            /* $POSTROUTE_SRCDIR, else "." */
char *tl_mkdtemp(const char *prefix);   /* new directory under the run's temp dir */
int tl_free_port(void);                 /* a loopback TCP port nobody listens on */
double tl_now_s(void);                  /* CLOCK_MONOTONIC seconds: for figures, not waits */
void tl_write_file(const char *path, const char *text);
char *tl_read_file(const char *path);   /* NULL when missing */

/* Runs argv with a timeout; returns the exit status (or 128+signal, or -1
 * on timeout); out and err may be NULL. */
int tl_run(char *const argv[], char **out, char **err, int timeout_s);

/* A new empty database owned by role postroute; returns its conninfo. */
char *tl_db_create(void);
/* First column of the first row, or NULL for no row / SQL NULL. Fails the
 * test on an SQL error. */
char *tl_sql(const char *conninfo, const char *sql);
/* Fails the test unless the query's one value (first row, first column)
 * is want; shows what it got. */
void tl_expect_sql(const char *conninfo, const char *sql, const char *want);
/* Runs sql; returns 0, or -1 with the server's message in *err. */
int tl_sql_try(const char *conninfo, const char *sql, char **err);
/* tl_sql read as a whole number; -1 for no row or SQL NULL. */
long long tl_sql_int(const char *conninfo, const char *sql);

/*
 * The TLS identity of the test's clients: tl_http (so tl_api and the start
 * of a controller), clirun (POSTROUTE_CA_FILE, POSTROUTE_CLIENT_CERT,
 * POSTROUTE_CLIENT_KEY) and agentrun_config ([agent] ca_file, client_cert,
 * client_key, unless the caller's lines set them) use it. ca: the CA file
 * that verifies the controller; cert and key: a client certificate. NULL:
 * not set (the default). The strings are copied.
 */
void tl_tls_client(const char *ca, const char *cert, const char *key);
const char *tl_tls_ca(void);
const char *tl_tls_cert(void);
const char *tl_tls_key(void);

struct tl_controller {
	char *dir;          /* config file, log file */
	char *conf;         /* path of its INI file */
	char *conninfo;     /* the controller's: the runtime role */
	char *owner_conninfo; /* migrate_conninfo (the owner role), or NULL: conninfo */
	char *dbname;       /* set by tl_controller_start_split */
	char *url;          /* http://127.0.0.1:PORT, or https:// */
	int port;
	pid_t pid;
	char *admin;        /* an admin token */
};

/* New database, migrate, admin token, start, wait until /healthz answers.
 * extra_ini is appended to the generated config (may be NULL). */
struct tl_controller *tl_controller_start(const char *extra_ini);
/* tl_controller_start with the roles split: owner and runtime (LOGIN, not
 * superuser, created when missing) and a new database owned by owner;
 * migrate runs as owner ([database] migrate_conninfo = c->owner_conninfo),
 * the controller and `postrouted token` as runtime (c->conninfo). */
struct tl_controller *tl_controller_start_split(const char *owner, const char *runtime,
    const char *extra_ini);
/* tl_controller_start on a database of the caller's (another PostgreSQL,
 * a multi-host string): migrate as owner_conninfo (NULL: conninfo), the
 * admin token, start as conninfo. The strings are copied. */
struct tl_controller *tl_controller_start_on(const char *conninfo, const char *owner_conninfo,
    const char *extra_ini);
/* Only starts a controller on conninfo, a database migrated already: no
 * migrate, no token (admin is NULL), not even a connection made first. */
struct tl_controller *tl_controller_start_plain(const char *conninfo, const char *extra_ini);
/* "host=... port=... dbname=DBNAME user=USER" on the tests' PostgreSQL. */
char *tl_conninfo(const char *dbname, const char *user);
/* The same over https://127.0.0.1:PORT: server_ini goes into [server]
 * (tls_cert, tls_key, tls_client_ca lines); the client identity of
 * tl_tls_client must be able to talk to it. */
struct tl_controller *tl_controller_start_https(const char *server_ini, const char *extra_ini);
/* The address the controllers started from now on listen on and are
 * reached at: an IPv4 or IPv6 literal; NULL: 127.0.0.1 (the default). */
void tl_controller_host(const char *host);
/* A second controller on first's database (same conninfo, its own port
 * and directory, first's admin token), over http; no migrate. */
struct tl_controller *tl_controller_start_peer(const struct tl_controller *first,
    const char *extra_ini);
/* SIGKILL and reap: the process dies without any clean-up. */
void tl_controller_kill(struct tl_controller *c);
/* Starts the same controller again (same database and port) after a stop. */
void tl_controller_restart(struct tl_controller *c);
/* SIGTERM and wait; 0 when it exited with status 0. Keeps c usable for
 * tl_controller_restart. */
int tl_controller_stop(struct tl_controller *c);
void tl_controller_free(struct tl_controller *c);
/* The end of a test group: tl_controller_stop, failing the test unless
 * it exited with status 0, then tl_controller_free. */
void tl_controller_finish(struct tl_controller *c);

/* `postrouted token create`: returns the printed secret. */
char *tl_token(struct tl_controller *c, const char *name, const char *role,
    const char *node);

/* One HTTP request. Returns the status (0 on a transport error). *json, if
 * wanted, is the parsed body or NULL; *body the raw body. */
long tl_http(const char *method, const char *url, const char *token,
    const char *body, json_t **json, char **raw);
/* tl_http on c->url + path. */
long tl_api(struct tl_controller *c, const char *method, const char *path,
    const char *token, const char *body, json_t **json);

/* tl_api that fails the test unless the answer is 200; returns the
 * parsed body (the caller's reference, may be NULL). */
json_t *tl_api_ok(struct tl_controller *c, const char *method, const char *path,
    const char *token, const char *body);
/* tl_api that fails the test unless the answer is want_status and, when
 * want_error is given, its "error" is exactly want_error; returns the
 * parsed body (the caller's reference, may be NULL). */
json_t *tl_api_expect(struct tl_controller *c, const char *method, const char *path,
    const char *token, const char *body, long want_status, const char *want_error);
/* POST /v1/events with token, failing the test unless the answer is
 * want; returns the parsed body (the caller's reference, may be NULL). */
json_t *tl_event(struct tl_controller *c, const char *token, const char *body, long want);
/* The string member key of o, or "(null)": for messages and compares. */
const char *tl_jstr(const json_t *o, const char *key);
/* routing_version.version of c's database. */
long long tl_routing_version(struct tl_controller *c);
/* The number of history rows of c's database: proof that a refusal
 * changed nothing. */
long long tl_history_count(struct tl_controller *c);
/* Fails the test unless obj is an object with every one of keys (a
 * NULL-terminated list). */
void tl_assert_keys(const json_t *obj, const char *const *keys);
/* An agent's round done by hand: reads node's feed with token and reports
 * its version applied, or failed with error (and step, may be NULL) when
 * error is not NULL. Fails the test unless both answer 200. */
void tl_agent_round(struct tl_controller *c, const char *node, const char *token,
    const char *step, const char *error);

/* Deletes every provider through the API: migrate loads the default
 * catalogue into a new database; a test that needs an exact set of
 * providers starts from none. */
void tl_providers_clear(struct tl_controller *c);

/* Polls cond every 20 ms up to timeout_ms; returns 1 when it held. The
 * one waiting loop of the suite: tests wait for an event (a row, a log
 * line, a count), never for time, through this or a helper built on it. */
int tl_wait_for(int (*cond)(void *), void *arg, int timeout_ms);

/* Waits (up to timeout_ms) until the query's one value is want; fails
 * the test with the last value it got. */
void tl_await_sql(const char *conninfo, const char *sql, const char *want, int timeout_ms);

/* An instant for ?at= and --at (YYYY-MM-DDTHH:MM:SS.mmmZ, UTC) later
 * than every commit made so far on conninfo's server, returned once the
 * server's clock has passed it: whatever is written afterwards is later.
 * Replaces "sleep a little either side of now". Caller frees. */
char *tl_db_instant(const char *conninfo);

/* postroute_feed_waiting of c's /metrics: long-polls held right now, or
 * -1 when /metrics does not answer. */
int tl_feed_waiting(struct tl_controller *c);
/* Waits until exactly n long-polls are held; fails the test otherwise. */
void tl_await_feed_waiting(struct tl_controller *c, int n, int timeout_ms);

#endif
