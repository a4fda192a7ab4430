/*
 * main.c: postroute-agent's entry point.
 *
 *	postroute-agent [-c FILE] [-n] [--once] [-v]
 *	postroute-agent scan [--rules FILE]... [--providers FILE] [--set NAME=VALUE]...
 *	    [--report | --unknown] [--json] [--top N] LOGFILE...
 *	postroute-agent check [-c FILE] [--log-age DURATION]
 *
 * -c FILE (default /etc/postroute/agent.ini, confpath.h) runs the sync loop until SIGTERM or SIGINT; -n checks the
 * configuration and exits (0 good, 1 with every error printed); --once
 * syncs once without waiting and exits 0 when the node is applied or
 * already current and Postfix uses the map (agent/maincf.h), 1
 * otherwise. SIGHUP wakes the loop to re-check the installed map and
 * main.cf and ask the controller at once. "scan" runs the offline
 * detector (agent/scan.h); "check" the preflight of this host
 * (agent/check.h). Exit 2 on usage errors. With [agent] user set,
 * the process splits in two before anything faces the network: a root
 * helper for the Postfix commands and the sync loop as that user
 * (agent/privsep.h).
 *
 * Start-up failures (configuration, state file) are fatal; everything
 * after that is retried by the loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentconf.h"
#include "agentmetrics.h"
#include "check.h"
#include "confpath.h"
#include "httpc.h"
#include "eventq.h"
#include "log.h"
#include "logwatch.h"
#include "metricsserve.h"
#include "netaddr.h"
#include "privsep.h"
#include "scan.h"
#include "sync.h"

static volatile sig_atomic_t main_stop, main_wake;

static void
main_on_signal(int sig)
{
	if (sig == SIGHUP)
		main_wake = 1;
	else
		main_stop = 1;
}

static void
main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: postroute-agent [-c FILE] [-n] [--once] [-v]\n"
	    "       postroute-agent scan [--rules FILE]... [--providers FILE] [--set NAME=VALUE]...\n"
	    "           [--report | --unknown] [--json] [--top N] LOGFILE...\n"
	    "       postroute-agent check [-c FILE] [--log-age DURATION]\n"
	    "FILE defaults to " CONFPATH_AGENT "\n");
}

struct main_args {
	const char *conf;
	int check, once, verbose;
};

static int
main_parse(int argc, char **argv, struct main_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			a->conf = argv[++i];
		else if (strcmp(argv[i], "-n") == 0)
			a->check = 1;
		else if (strcmp(argv[i], "--once") == 0)
			a->once = 1;
		else if (strcmp(argv[i], "-v") == 0)
			a->verbose = 1;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
		else
			return -1;
	}
	return 0;
}

/* The sync thread hands each new feed to the logwatch. */
static void
main_on_feed(struct feed *f, void *arg)
{
	logwatch_feed(arg, f);
}

static int
main_sync(const struct agent_config *cfg, int once, const struct applier *ap)
{
	struct sync s;
	struct strbuf err = STRBUF_INIT;
	struct eventq *q = NULL;
	struct logwatch *lw = NULL;
	struct metricsserve *ms = NULL;
	int rc = 0;

	if (sync_init(&s, cfg, ap, &main_stop, &main_wake, &err) != 0)
		log_fatalx("state: %s", strbuf_str(&err));
	/* after privsep_start: the listener runs in the unprivileged process */
	if (!once && cfg->metrics_listen[0] != '\0') {
		if ((ms = metricsserve_start(cfg->metrics_listen, &err)) == NULL)
			log_fatalx("%s", strbuf_str(&err));
		log_info("metrics: serving GET /metrics on %s", cfg->metrics_listen);
		if (strchr(cfg->metrics_listen, ':') != NULL &&
		    !netaddr_listen_is_loopback(cfg->metrics_listen))
			log_warnx("metrics: %s is not loopback: anyone who reaches it reads this node's"
			    " providers, relays and counters (no token)", cfg->metrics_listen);
	}
	if (!once && agentconf_logwatch_on(cfg)) {
		if ((q = eventq_start(cfg)) == NULL)
			log_fatalx("logwatch: cannot start");
		agentmetrics_set_eventq(q);
		if ((lw = logwatch_start(cfg, q, &err)) == NULL)
			log_fatalx("%s", strbuf_str(&err));
		s.on_feed = main_on_feed;
		s.on_feed_arg = lw;
	}
	if (once) {
		enum sync_result r = sync_once(&s, 0);
		rc = (r == SYNC_APPLIED || r == SYNC_CURRENT) && s.maincf_why == NULL ? 0 : 1;
	} else {
		sync_run(&s);
		ms = metricsserve_stop(ms);
		agentmetrics_set_eventq(NULL);
		lw = logwatch_stop(lw);
		q = eventq_stop(q, 2000);
		log_info("stopped");
	}
	sync_clear(&s);
	strbuf_clear(&err);
	return rc;
}

int
main(int argc, char **argv)
{
	struct main_args a;
	struct agent_config cfg;
	struct strbuf err = STRBUF_INIT;
	int rc;

	log_init(argv[0]);
	if (argc > 1 && strcmp(argv[1], "scan") == 0)
		return scan_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if ((rc = main_parse(argc, argv, &a)) != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	if (a.verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	if ((a.conf = confpath_pick(a.conf, CONFPATH_AGENT, &err)) == NULL) {
		fprintf(stderr, "postroute-agent: %s\n", strbuf_str(&err));
		strbuf_clear(&err);
		return 2;
	}
	if (agentconf_load(a.conf, &cfg, &err) != 0) {
		fputs(strbuf_str(&err), stderr);
		agentconf_free(&cfg);
		strbuf_clear(&err);
		return 1;
	}
	if (a.check) {
		printf("%s: configuration ok\n", a.conf);
		agentconf_free(&cfg);
		return 0;
	}
	struct applier ap;
	applier_local(&ap, &cfg);
	if (cfg.user[0] != '\0' && privsep_start(&cfg, &ap, &err) != 0)
		log_fatalx("%s", strbuf_str(&err));
	main_signals();
	httpc_global_init();
	rc = main_sync(&cfg, a.once, &ap);
	agentconf_free(&cfg);
	strbuf_clear(&err);
	return rc;
}
