/*
 * main.c: postrouted, the postroute controller.
 *
 *   postrouted -c FILE                 serve the API
 *   postrouted -n -c FILE              check the configuration and exit
 *   postrouted migrate -c FILE         apply pending schema migrations
 *   postrouted token create --name NAME --role ROLE [--node NODE] -c FILE
 *   postrouted token revoke --name NAME -c FILE
 *
 * Signals are blocked in every thread and taken by the main thread with
 * sigwait: SIGTERM and SIGINT stop the server cleanly (waiting feeds are
 * resumed first, as libmicrohttpd requires).
 */
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api.h"
#include "app.h"
#include "http.h"
#include "listener.h"
#include "log.h"
#include "migrate.h"
#include "settings.h"
#include "tls.h"
#include "token.h"
#include "xalloc.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: postrouted [-n] -c FILE\n"
	    "       postrouted migrate -c FILE\n"
	    "       postrouted token create --name NAME --role ROLE [--node NODE] -c FILE\n"
	    "       postrouted token revoke --name NAME -c FILE\n"
	    "roles: admin, operator, detector, agent (needs --node), viewer\n");
}

struct opts {
	const char *config;
	const char *name, *role, *node;
	int check;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "name", required_argument, NULL, 'N' },
		{ "role", required_argument, NULL, 'R' }, { "node", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:nhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'n': o->check = 1; break;
		case 'N': o->name = optarg; break;
		case 'R': o->role = optarg; break;
		case 'D': o->node = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("postrouted %s\n", POSTROUTE_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (o->config == NULL) {
		fprintf(stderr, "postrouted: -c FILE is required\n");
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
		strbuf_release(&err);
		settings_free(s);
		return -1;
	}
	strbuf_release(&err);
	if (log_level_parse(s->log_level, &lvl) == 0)
		log_set_level(lvl);
	return 0;
}

static PGconn *
connect_or_die(const struct settings *s)
{
	struct strbuf err = STRBUF_INIT;
	PGconn *c = db_connect(s->conninfo, s->statement_timeout_ms, &err);

	if (c == NULL)
		log_fatalx("database: %s", strbuf_str(&err));
	return c;
}

static int
cmd_migrate(const struct settings *s)
{
	struct strbuf err = STRBUF_INIT;
	PGconn *c = connect_or_die(s);
	int n = migrate_run(c, &err);

	PQfinish(c);
	if (n < 0) {
		fprintf(stderr, "postrouted: migrate: %s\n", strbuf_str(&err));
		strbuf_release(&err);
		return 1;
	}
	printf("%d migration(s) applied; schema at %s\n", n, migrate_latest());
	return 0;
}

static const char *
local_actor(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());

	snprintf(buf, len, "local:%s", pw ? pw->pw_name : "unknown");
	return buf;
}

static int
cmd_token(const struct settings *s, const char *verb, const struct opts *o)
{
	struct strbuf err = STRBUF_INIT;
	char secret[80], actor[80];
	PGconn *c;
	int rc;

	if (o->name == NULL || (strcmp(verb, "create") == 0 && o->role == NULL)) {
		usage(stderr);
		return 2;
	}
	c = connect_or_die(s);
	local_actor(actor, sizeof(actor));
	if (strcmp(verb, "create") == 0) {
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
	strbuf_release(&err);
	return rc == 0 ? 0 : 1;
}

/* Reads the TLS files (fatal when bad) and warns about cleartext HTTP
 * off loopback; for -n as for serving. */
static int
load_tls(const struct settings *s, struct tls_server *tls)
{
	struct strbuf err = STRBUF_INIT;

	if (tls_server_load(tls, s, &err) != 0) {
		log_warnx("%s", strbuf_str(&err));
		strbuf_release(&err);
		return -1;
	}
	if (tls_listen_exposed(s->listen, tls->on))
		log_warnx("listening on %s without TLS: tokens and routes cross the network in "
		    "cleartext; set [server] tls_cert and tls_key, or listen on loopback behind "
		    "a TLS proxy", s->listen);
	return 0;
}

static int
serve(const struct settings *s, const struct tls_server *tls)
{
	struct app app = { .settings = s, .tls = tls };
	struct strbuf err = STRBUF_INIT;
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
	app.notify = notify_start(s);
	struct listener *l = listener_start(&app);
	struct MHD_Daemon *d = http_start(&app, &err);
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
	listener_stop(l);
	notify_stop(app.notify);
	presence_free(app.presence);
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
		if (strcmp(cmd, "token") == 0 && argc > 1 && argv[1][0] != '-') {
			verb = argv[1];
			argc--, argv++;
		}
	}
	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (cmd != NULL && strcmp(cmd, "migrate") != 0 &&
	    !(strcmp(cmd, "token") == 0 && verb && (!strcmp(verb, "create") || !strcmp(verb, "revoke")))) {
		usage(stderr);
		return 2;
	}
	if (load_settings(o.config, &s) != 0)
		return 1;
	if ((o.check || cmd == NULL) && load_tls(&s, &tls) != 0) {
		rc = 1;
	} else if (o.check) {
		printf("%s: configuration ok\n", o.config);
		rc = 0;
	} else if (cmd == NULL) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = serve(&s, &tls);
		curl_global_cleanup();
	} else if (strcmp(cmd, "migrate") == 0) {
		rc = cmd_migrate(&s);
	} else {
		rc = cmd_token(&s, verb, &o);
	}
	tls_server_free(&tls);
	settings_free(&s);
	return rc;
}
