/*
 * agentconf.h: the agent's configuration file.
 *
 * NAME
 *	agentconf - [agent], [postfix] and [logwatch] keys of postroute-agent
 *
 * DESCRIPTION
 *	One table (agentconf_keys) drives common/config.h: types, defaults,
 *	bounds and help. Its [logwatch] threshold rows (struct
 *	agent_thresholds) also parse scan --set NAME=VALUE
 *	(agentconf_threshold_set), so a threshold has one name, unit, range
 *	and default wherever it is set.
 *
 *	agentconf_load then checks what the table cannot:
 *	controller URLs (one or more, separated by spaces or commas, each
 *	http:// or https://; http:// only to a loopback host unless
 *	insecure_http), absolute paths, the node name, reads the token from
 *	token_file (first line) and the TLS files (ca_file, client_cert,
 *	client_key: httpc_tls.h), all before any privilege is dropped.
 *
 * OWNERSHIP
 *	struct agent_config owns every string, the URL array and the TLS
 *	material:
 *	agentconf_free.
 *
 * DIAGNOSTICS
 *	-1 with every problem as "FILE:LINE: ..." or "FILE: ..." lines in
 *	err. Never fatal.
 */
#ifndef POSTROUTE_AGENTCONF_H
#define POSTROUTE_AGENTCONF_H

#include <stddef.h>

#include "config.h"
#include "detector.h"
#include "httpc_tls.h"
#include "postfix.h"
#include "strbuf.h"
#include "volume.h"

/*
 * The [logwatch] thresholds of the block detector and the volume
 * tracker, in the file's units (durations in ms, shares in percent).
 * Their rows of agentconf_keys are the one table of detector settings:
 * the agent's file and scan --set NAME=VALUE take the same names, units,
 * ranges and defaults.
 */
struct agent_thresholds {
	long long window_ms, fail_count, fail_percent, min_definite;
	long long conn_count, conn_percent, clear_successes, clear_quiet_ms;
	long long vol_interval_ms, vol_multiple, vol_rate_floor, vol_baseline_floor;
	long long vol_warmup, vol_warmup_ceiling, vol_max_client_ips, vol_max_senders;
};

struct agent_config {
	/* [agent] */
	char *node;
	char *controller;
	char *token_file;
	char *state_dir;
	char *ca_file;
	char *client_cert;
	char *client_key;
	int insecure_http;
	char *user;
	long long connect_timeout_ms;
	long long request_timeout_ms;
	long long poll_wait_ms;
	long long retry_min_ms;
	long long retry_max_ms;
	char *metrics_listen;     /* "" off, "PORT" (loopback) or "HOST:PORT" */
	/* [postfix] */
	char *config_directory;
	char *command_directory;
	char *transport_file;
	char *map_type;
	char *reload;
	char *requeue;
	long long requeue_max;
	long long command_timeout_ms;
	long long postmap_timeout_ms;
	char *hold_map;
	/* [logwatch] */
	char *logwatch_source;
	char *logwatch_file;
	char *logwatch_journal_units;
	char *logwatch_journal_directory;
	char *logwatch_rules;
	char *logwatch_providers;
	struct agent_thresholds th;
	long long lw_queue_max;
	/* derived by agentconf_load */
	char **urls;
	size_t nurls;
	char *token;
	struct httpc_tls tls;
};

extern const struct config_key agentconf_keys[];

int agentconf_load(const char *path, struct agent_config *cfg, struct strbuf *err);
/* agentconf_load without reading the token (flags AGENTCONF_NO_TOKEN):
 * `postroute-agent check` reports the token file on a line of its own. */
#define AGENTCONF_NO_TOKEN 1
int agentconf_load_flags(const char *path, struct agent_config *cfg, int flags,
    struct strbuf *err);
void agentconf_free(struct agent_config *cfg);
/* 1 when the logwatch runs: source = journal, or a file. */
int agentconf_logwatch_on(const struct agent_config *cfg);
/* How to run Postfix's commands: [postfix] command_directory,
 * config_directory and command_timeout (the strings stay cfg's). */
struct postfix agentconf_postfix(const struct agent_config *cfg);

/* 1 when k is one of the threshold rows (struct agent_thresholds). */
int agentconf_is_threshold(const struct config_key *k);
/* Every threshold at its default. */
void agentconf_thresholds_default(struct agent_thresholds *th);
/* "NAME=VALUE": the threshold key NAME set to VALUE as the file would
 * set it. 0, or -1 with the reason in err ("fail_percent: \"101\" is out
 * of range; allowed: 1 to 100", or the names there are). */
int agentconf_threshold_set(struct agent_thresholds *th, const char *arg, struct strbuf *err);
/* th in the detector's and the tracker's units (seconds, shares in (0, 1]). */
void agentconf_thresholds_apply(const struct agent_thresholds *th, struct detector_config *d,
    struct volume_config *v);

#endif
