/*
 * main.c: postrouted, the postroute controller.
 *
 *   postrouted -c FILE                 serve the API
 *   postrouted -n -c FILE              check the configuration and exit
 *   postrouted migrate -c FILE         apply pending schema migrations as the
 *                                      owner role, then grant the runtime role
 *   postrouted token create --name NAME --role ROLE [--node NODE[,NODE...]|'*'] -c FILE
 *   postrouted token create --batch FILE|- --role agent|detector --out-dir DIR
 *                           [--name-suffix SUFFIX] -c FILE
 *   postrouted token revoke --name NAME -c FILE
 *   postrouted token list -c FILE
 *   postrouted settings show -c FILE   the shared settings (sharedset.h)
 *   postrouted settings set NAME VALUE -c FILE
 * Without -c, FILE is /etc/postroute/postrouted.ini (confpath.h).
 *
 * Signals are blocked in every thread and taken by the main thread with
 * sigwait: SIGTERM and SIGINT stop the server cleanly (waiting feeds are
 * resumed first, as libmicrohttpd requires).
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "app.h"
#include "confpath.h"
#include "defcat.h"
#include "grants.h"
#include "housekeep.h"
#include "http.h"
#include "httpc.h"
#include "leader.h"
#include "listener.h"
#include "log.h"
#include "migrate.h"
#include "secretfile.h"
#include "settings.h"
#include "sharedset.h"
#include "tls.h"
#include "token.h"
#include "tokenbatch.h"
#include "xalloc.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: postrouted [-n] [-c FILE]\n"
	    "       postrouted migrate [-c FILE]\n"
	    "       postrouted token create --name NAME --role ROLE [--node NODE] [-c FILE]\n"
	    "       postrouted token create --batch FILE|- --role agent|detector --out-dir DIR\n"
	    "                               [--name-suffix SUFFIX] [-c FILE]\n"
	    "       postrouted token revoke --name NAME [-c FILE]\n"
	    "       postrouted token list [-c FILE]\n"
	    "       postrouted settings show [-c FILE]\n"
	    "       postrouted settings set SECTION.KEY VALUE [-c FILE]\n"
	    "FILE defaults to " CONFPATH_CONTROLLER "\n"
	    "roles: admin, operator, viewer, agent (--node NODE: its node),\n"
	    "       detector (--node NODE,NODE...: the nodes it may report for, or --node '*')\n"
	    "--batch: one token per node name of FILE (- standard input), each written\n"
	    "       to DIR/NODE.token (mode 0600), all or nothing\n");
}

struct opts {
	const char *config;
	const char *name, *role, *node;
	const char *batch, *out_dir, *suffix;
	int check;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "name", required_argument, NULL, 'N' },
		{ "role", required_argument, NULL, 'R' }, { "node", required_argument, NULL, 'D' },
		{ "batch", required_argument, NULL, 'B' }, { "out-dir", required_argument, NULL, 'O' },
		{ "name-suffix", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct strbuf err = STRBUF_INIT;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:nhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'n': o->check = 1; break;
		case 'N': o->name = optarg; break;
		case 'R': o->role = optarg; break;
		case 'D': o->node = optarg; break;
		case 'B': o->batch = optarg; break;
		case 'O': o->out_dir = optarg; break;
		case 'S': o->suffix = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("postrouted %s\n", POSTROUTE_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if ((o->config = confpath_pick(o->config, CONFPATH_CONTROLLER, &err)) == NULL) {
		fprintf(stderr, "postrouted: %s\n", strbuf_str(&err));
		strbuf_clear(&err);
		return -1;
	}
	return 0;
}

static int
load_settings(const char *path, struct settings *s)
{
	struct strbuf err = STRBUF_INIT;
	enum log_level lvl;

	if (settings_load(s, path, &err) != 0) {
		fprintf(stderr, "%s", strbuf_str(&err));
		strbuf_clear(&err);
		settings_free(s);
		return -1;
	}
	strbuf_clear(&err);
	if (log_level_parse(s->log_level, &lvl) == 0)
		log_set_level(lvl);
	return 0;
}

static PGconn *
connect_or_die(const struct settings *s, const char *conninfo)
{
	struct strbuf err = STRBUF_INIT;
	PGconn *c = db_connect(conninfo, s->statement_timeout_ms, &err);

	if (c == NULL)
		log_fatalx("database: %s", strbuf_str(&err));
	return c;
}

/* The migrations as the owner role, then the runtime role's grants. */
static int
migrate_and_grant(const struct settings *s, PGconn *c, int *n, struct strbuf *err)
{
	struct strbuf warn = STRBUF_INIT;
	int shared = 0, rc = -1;
	char *runtime = grants_runtime_role(c, s->conninfo, s->statement_timeout_ms, &shared, err);

	if (runtime == NULL)
		return -1;
	if ((shared || grants_check(c, runtime, err) == 0) && (*n = migrate_run(c, err)) >= 0 &&
	    (shared || grants_apply(c, runtime, err) == 0)) {
		rc = 0;
		if (grants_audit(c, runtime, &warn) != 0)
			for (char *l = strtok(warn.buf, "\n"); l != NULL; l = strtok(NULL, "\n"))
				log_warnx("migrate: %s", l);
		else
			log_info("migrate: runtime role \"%s\" may read and append to history only",
			    runtime);
	}
	strbuf_clear(&warn);
	free(runtime);
	return rc;
}

static int
cmd_migrate(const struct settings *s)
{
	struct strbuf err = STRBUF_INIT;
	PGconn *c = connect_or_die(s, s->migrate_conninfo[0] ? s->migrate_conninfo : s->conninfo);
	int n = 0, loaded = 0, seeded = 0, rc = -1;
	char where[300];

	/* a multi-host string without target_session_attrs may land on a standby */
	if (db_read_only(c) == 1)
		strbuf_appendf(&err, "%s is read-only (a standby): migrate on the primary (list every"
		    " server with target_session_attrs=read-write)", db_server(c, where, sizeof(where)));
	else
		rc = migrate_and_grant(s, c, &n, &err);

	if (rc == 0 && (loaded = defcat_load(c, &err)) < 0)
		rc = -1;
	if (rc == 0 && (seeded = sharedset_seed(c, s, &err)) < 0)
		rc = -1;
	PQfinish(c);
	if (rc != 0) {
		fprintf(stderr, "postrouted: migrate: %s\n", strbuf_str(&err));
		strbuf_clear(&err);
		return 1;
	}
	printf("%d migration(s) applied; schema at %s\n", n, migrate_latest());
	if (loaded > 0)
		printf("loaded %d providers of the default catalogue\n", loaded);
	if (seeded > 0)
		printf("stored %d shared setting(s) from %s in the database\n", seeded, "the INI file");
	return 0;
}

static const char *
local_actor(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());

	snprintf(buf, len, "local:%s", pw ? pw->pw_name : "unknown");
	return buf;
}

/* Why the --batch options do not fit verb and the others, or NULL. */
static const char *
batch_misuse(const char *verb, const struct opts *o)
{
	if (o->batch == NULL)
		return o->out_dir != NULL || o->suffix != NULL
		    ? "--out-dir and --name-suffix go with token create --batch" : NULL;
	if (strcmp(verb, "create") != 0)
		return "--batch goes with token create only";
	if (o->name != NULL || o->node != NULL)
		return "--batch takes no --name or --node: each node of the list gives its token's"
		    " name and is the node it is bound to";
	if (o->role == NULL)
		return "--batch needs --role agent or --role detector";
	if (o->out_dir == NULL)
		return "--batch needs --out-dir DIR, where each token is written to NODE.token";
	return NULL;
}

/* token create --batch: the list and the out-dir are checked before the
 * database is asked; the secrets go to the files only. */
static int
cmd_token_batch(const struct settings *s, const struct opts *o)
{
	struct token_batch b = { .role = o->role, .suffix = o->suffix, .out_dir = o->out_dir,
		.dirfd = -1 };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	int from_stdin = strcmp(o->batch, "-") == 0, rc = -1;
	FILE *fp = from_stdin ? stdin : fopen(o->batch, "re");
	char actor[80];

	if (fp == NULL) {
		strbuf_appendf(&err, "--batch %s: %s", o->batch, strerror(errno));
	} else if (token_batch_read(&b, fp, from_stdin ? "standard input" : o->batch, &err) == 0 &&
	    token_batch_check(&b, &err) == 0) {
		PGconn *c = connect_or_die(s, s->conninfo);
		rc = token_batch_create(c, &b, local_actor(actor, sizeof(actor)), &out, &err);
		PQfinish(c);
	}
	if (fp != NULL && !from_stdin)
		fclose(fp);
	fputs(strbuf_str(&out), stdout);
	if (rc != 0)
		fprintf(stderr, "postrouted: token create --batch: %s; nothing was created\n",
		    strbuf_str(&err));
	token_batch_free(&b);
	strbuf_clear(&out);
	strbuf_clear(&err);
	return rc == 0 ? 0 : 1;
}

static int
cmd_token(const struct settings *s, const char *verb, const struct opts *o)
{
	struct strbuf err = STRBUF_INIT;
	char secret[80], actor[80];
	const char *misuse = batch_misuse(verb, o);
	PGconn *c;
	int rc;

	if (misuse != NULL) {
		fprintf(stderr, "postrouted: token %s: %s\n", verb, misuse);
		usage(stderr);
		return 2;
	}
	if (o->batch != NULL)
		return cmd_token_batch(s, o);
	if (strcmp(verb, "list") == 0 ? o->name != NULL || o->role != NULL || o->node != NULL
	    : o->name == NULL || (strcmp(verb, "create") == 0 && o->role == NULL)) {
		usage(stderr);
		return 2;
	}
	c = connect_or_die(s, s->conninfo);
	local_actor(actor, sizeof(actor));
	if (strcmp(verb, "list") == 0) {
		struct strbuf out = STRBUF_INIT;
		rc = token_list(c, &out, &err);
		fputs(strbuf_str(&out), stdout);
		strbuf_clear(&out);
	} else if (strcmp(verb, "create") == 0) {
		rc = token_create(c, o->name, o->role, o->node, actor, secret, &err);
		if (rc == 0)
			printf("%s\n", secret);
	} else {
		rc = token_revoke(c, o->name, actor, &err);
		if (rc == 1)
			strbuf_appendf(&err, "no active token named \"%s\"", o->name);
	}
	PQfinish(c);
	if (rc != 0)
		fprintf(stderr, "postrouted: token %s: %s\n", verb, strbuf_str(&err));
	strbuf_clear(&err);
	return rc == 0 ? 0 : 1;
}

/* postrouted settings show | set NAME VALUE */
static int
cmd_settings(const struct settings *s, const char *verb, char **args, int nargs)
{
	struct strbuf err = STRBUF_INIT;
	char actor[80];
	PGconn *c;
	int rc = 0;

	if (strcmp(verb, "show") == 0 ? nargs != 0 : nargs != 2) {
		usage(stderr);
		return 2;
	}
	c = connect_or_die(s, s->conninfo);
	if (strcmp(verb, "set") == 0) {
		local_actor(actor, sizeof(actor));
		rc = sharedset_set(c, args[0], args[1], actor, NULL, &err);
	} else {
		PGresult *r = db_query(c, "SELECT section || '.' || key, value, updated_by,"
		    " rfc3339(updated_at) FROM shared_settings ORDER BY 1", 0, NULL);
		if (!db_ok(r)) {
			strbuf_appendf(&err, "%s", PQerrorMessage(c));
			rc = -1;
		}
		for (int i = 0; rc == 0 && i < PQntuples(r); i++)
			printf("%s = %s\t(set by %s at %s)\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
		PQclear(r);
	}
	PQfinish(c);
	if (rc != 0)
		fprintf(stderr, "postrouted: settings %s: %s\n", verb, strbuf_str(&err));
	strbuf_clear(&err);
	return rc == 0 ? 0 : rc > 0 ? 2 : 1;
}

/* Warns about the shared settings this controller's INI file disagrees
 * with (best effort, like warn_unbound_tokens). */
static void
warn_shared_settings(struct db_pool *pool, const struct settings *s)
{
	struct strbuf warn = STRBUF_INIT, err = STRBUF_INIT;
	PGconn *c = db_acquire(pool);

	if (sharedset_compare(c, s, &warn, &err) > 0)
		for (char *l = strtok(warn.buf, "\n"); l != NULL; l = strtok(NULL, "\n"))
			log_warnx("%s", l);
	db_release(pool, c);
	strbuf_clear(&warn);
	strbuf_clear(&err);
}

/* Warns about the detector tokens that migration 0005 bound to every node
 * (best effort: a database that is down now is not a reason to stop). */
static void
warn_unbound_tokens(struct db_pool *pool)
{
	struct strbuf names = STRBUF_INIT, err = STRBUF_INIT;
	PGconn *c = db_acquire(pool);
	int n = token_unbound(c, &names, &err);

	db_release(pool, c);
	if (n > 0)
		log_warnx("%d detector token(s) made before tokens were bound to nodes may report for"
		    " every node ('*'): %s; create replacements with --node NODE,... and revoke them"
		    " (postrouted token list)", n, strbuf_str(&names));
	strbuf_clear(&names);
	strbuf_clear(&err);
}

/* Reads the TLS files (fatal when bad) and warns about cleartext HTTP
 * off loopback; for -n as for serving. */
static int
load_tls(const struct settings *s, struct tls_server *tls)
{
	struct strbuf err = STRBUF_INIT;

	if (tls_server_load(tls, s, &err) != 0) {
		log_warnx("%s", strbuf_str(&err));
		strbuf_clear(&err);
		return -1;
	}
	if (tls_listen_exposed(s->listen, tls->on))
		log_warnx("listening on %s without TLS: tokens and routes cross the network in "
		    "cleartext; set [server] tls_cert and tls_key, or listen on loopback behind "
		    "a TLS proxy", s->listen);
	return 0;
}

/* The PagerDuty routing key file is readable and private (for -n; the
 * server reads it again in notify_start). */
static int
check_pagerduty(const struct settings *s)
{
	struct strbuf err = STRBUF_INIT;
	char *key;

	if (s->pagerduty_routing_key_file[0] == '\0')
		return 0;
	if ((key = secretfile_read_line(s->pagerduty_routing_key_file, "PagerDuty routing key file",
	    &err)) == NULL) {
		log_warnx("[notify] pagerduty_routing_key_file: %s", strbuf_str(&err));
		strbuf_clear(&err);
		return -1;
	}
	explicit_bzero(key, strlen(key));
	free(key);
	return 0;
}

static int
serve(const struct settings *s, const struct tls_server *tls)
{
	struct app app = { .settings = s, .tls = tls };
	struct strbuf err = STRBUF_INIT;
	struct leader *leader;
	char host[256] = "", *name;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	api_metrics_init();
	app.pool = db_pool_new(s->conninfo, (int)s->pool_size, s->statement_timeout_ms);
	app.longpoll = longpoll_new();
	app.presence = presence_new();
	gethostname(host, sizeof(host) - 1);
	name = xasprintf("%s %s", host, s->listen);
	leader = leader_start(&app, name);
	if ((app.notify = notify_start(s, leader, app.pool, name, &err)) == NULL)
		log_fatalx("%s", strbuf_str(&err));
	warn_unbound_tokens(app.pool);
	warn_shared_settings(app.pool, s);
	app.guard = connguard_new(s->request_timeout_ms, s->max_connections_per_ip);
	app.authfail = addrlimit_new(s->auth_failures_per_minute);
	/* keys are token names: 4096 tokens sending events at once at most
	 * before the least recently seen is forgotten */
	app.event_limit = ratelimit_new((unsigned)s->events_per_minute, 60.0, 4096);
	struct listener *l = listener_start(&app);
	struct housekeep *hk = housekeep_start(&app, l);
	struct http_server *d = http_start(&app, &api_router, &err);
	if (d == NULL)
		log_fatalx("%s", strbuf_str(&err));
	log_info("listening on %s (%s)", s->listen, !tls->on ? "http" :
	    tls->mutual ? "https, client certificates required" : "https");
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
		if (sig == SIGHUP)
			log_info("SIGHUP: configuration is read at start only; restart to change it");
	} while (sig == SIGHUP);
	log_info("stopping (signal %d)", sig);
	app.stopping = 1;
	longpoll_shutdown(app.longpoll);
	http_stop(d);
	connguard_free(app.guard);
	addrlimit_free(app.authfail);
	housekeep_stop(hk);
	listener_stop(l);
	notify_stop(app.notify);
	leader_stop(leader);
	free(name);
	presence_free(app.presence);
	ratelimit_free(app.event_limit);
	longpoll_free(app.longpoll);
	db_pool_free(app.pool);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct settings s;
	struct tls_server tls = { 0 };
	const char *cmd = NULL, *verb = NULL;
	int rc;

	log_init(argv[0]);
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argc--, argv++;
		if ((strcmp(cmd, "token") == 0 || strcmp(cmd, "settings") == 0) && argc > 1 &&
		    argv[1][0] != '-') {
			verb = argv[1];
			argc--, argv++;
		}
	}
	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (cmd != NULL && strcmp(cmd, "migrate") != 0 &&
	    !(strcmp(cmd, "token") == 0 && verb && (!strcmp(verb, "create") || !strcmp(verb, "revoke") ||
	    !strcmp(verb, "list"))) &&
	    !(strcmp(cmd, "settings") == 0 && verb && (!strcmp(verb, "show") || !strcmp(verb, "set")))) {
		usage(stderr);
		return 2;
	}
	if (load_settings(o.config, &s) != 0)
		return 1;
	if ((o.check || cmd == NULL) && (load_tls(&s, &tls) != 0 || check_pagerduty(&s) != 0)) {
		rc = 1;
	} else if (o.check) {
		printf("%s: configuration ok\n", o.config);
		rc = 0;
	} else if (cmd == NULL) {
		httpc_global_init();
		rc = serve(&s, &tls);
		httpc_global_cleanup();
	} else if (strcmp(cmd, "migrate") == 0) {
		rc = cmd_migrate(&s);
	} else if (strcmp(cmd, "settings") == 0) {
		rc = cmd_settings(&s, verb, argv + optind, argc - optind);
	} else {
		rc = cmd_token(&s, verb, &o);
	}
	tls_server_free(&tls);
	settings_free(&s);
	return rc;
}
