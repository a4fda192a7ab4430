/*
 * agentconf.c: the agent's key table and the checks beyond it.
 */
#include "agentconf.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secretfile.h"
#include "httpc.h"
#include "log.h"
#include "metricsserve.h"
#include "journalsrc.h"
#include "strarr.h"
#include "validate.h"
#include "xalloc.h"

#define AC(f) offsetof(struct agent_config, f)
#define SEC 1000LL
#define TH(f) (AC(th) + offsetof(struct agent_thresholds, f))

const struct config_key agentconf_keys[] = {
	{ "agent", "node", CONFIG_STRING, AC(node), NULL, 0, 0, 1, NULL,
	  "this host's node name, as registered in the controller" },
	{ "agent", "controller", CONFIG_STRING, AC(controller), NULL, 0, 0, 1, NULL,
	  "controller base URLs, separated by spaces; tried in order with failover" },
	{ "agent", "token_file", CONFIG_STRING, AC(token_file), NULL, 0, 0, 1, NULL,
	  "file holding this node's agent token (first line)" },
	{ "agent", "state_dir", CONFIG_STRING, AC(state_dir), "/var/lib/postroute-agent", 0, 0, 0, NULL,
	  "directory for the applied version, checksum and a copy of the map" },
	{ "agent", "ca_file", CONFIG_STRING, AC(ca_file), NULL, 0, 0, 0, NULL,
	  "CA bundle (PEM) that verifies the controller's certificate; the only CA trusted when set (default: the system's store)" },
	{ "agent", "client_cert", CONFIG_STRING, AC(client_cert), "", 0, 0, 0, NULL,
	  "client certificate (PEM) for a controller that requires mutual TLS (tls_client_ca); read at start, as root" },
	{ "agent", "client_key", CONFIG_STRING, AC(client_key), "", 0, 0, 0, NULL,
	  "private key (PEM, no passphrase) of client_cert; read at start, as root" },
	{ "agent", "insecure_http", CONFIG_BOOL, AC(insecure_http), "no", 0, 0, 0, NULL,
	  "allow http:// controller URLs to hosts that are not loopback (token and routes in cleartext)" },
	{ "agent", "user", CONFIG_STRING, AC(user), "", 0, 0, 0, NULL,
	  "run HTTP, JSON and rendering as this user, with a root helper for postmap, reload and requeue (empty: one process)" },
	{ "agent", "connect_timeout", CONFIG_DURATION, AC(connect_timeout_ms), "5s", 100, 120 * SEC, 0, NULL,
	  "TCP/TLS connect timeout per controller URL" },
	{ "agent", "request_timeout", CONFIG_DURATION, AC(request_timeout_ms), "15s", 1 * SEC, 300 * SEC, 0, NULL,
	  "timeout of a report, and margin added to poll_wait for the feed" },
	{ "agent", "poll_wait", CONFIG_DURATION, AC(poll_wait_ms), "60s", 1 * SEC, 300 * SEC, 0, NULL,
	  "how long the controller may hold a feed request" },
	{ "agent", "retry_min", CONFIG_DURATION, AC(retry_min_ms), "1s", 10, 300 * SEC, 0, NULL,
	  "first delay after a failure (doubles, with jitter)" },
	{ "agent", "retry_max", CONFIG_DURATION, AC(retry_max_ms), "30s", 10, 3600 * SEC, 0, NULL,
	  "longest delay between retries" },
	{ "agent", "metrics_listen", CONFIG_STRING, AC(metrics_listen), "", 0, 0, 0, NULL,
	  "serve GET /metrics on PORT (127.0.0.1) or HOST:PORT (numeric); empty: off" },
	{ "postfix", "config_directory", CONFIG_STRING, AC(config_directory), "/etc/postfix", 0, 0, 0, NULL,
	  "Postfix configuration directory (postfix -c, postmap -c)" },
	{ "postfix", "command_directory", CONFIG_STRING, AC(command_directory), "/usr/sbin", 0, 0, 0, NULL,
	  "directory of postfix, postmap, postconf and postqueue" },
	{ "postfix", "transport_file", CONFIG_STRING, AC(transport_file), "/etc/postfix/postroute_transport", 0, 0, 0, NULL,
	  "the transport(5) source file the agent owns (main.cf: transport_maps = TYPE:FILE)" },
	{ "postfix", "map_type", CONFIG_ENUM, AC(map_type), "hash", 0, 0, 0, "hash|cdb|lmdb",
	  "lookup table type of transport_file" },
	{ "postfix", "reload", CONFIG_ENUM, AC(reload), "always", 0, 0, 0, "always|never",
	  "run postfix reload after installing a changed map" },
	{ "postfix", "requeue", CONFIG_ENUM, AC(requeue), "moved", 0, 0, 0, "moved|all|none",
	  "push deferred mail: of moved domains (postqueue -i), all (postqueue -f), none" },
	{ "postfix", "requeue_max", CONFIG_INT, AC(requeue_max), "500", 1, 1000000, 0, NULL,
	  "most postqueue -i runs per change; above it, one postqueue -f" },
	{ "postfix", "command_timeout", CONFIG_DURATION, AC(command_timeout_ms), "30s", 100, 600 * SEC, 0, NULL,
	  "timeout of postconf, postfix reload and postqueue" },
	{ "postfix", "postmap_timeout", CONFIG_DURATION, AC(postmap_timeout_ms), "120s", 100, 3600 * SEC, 0, NULL,
	  "timeout of each postmap run" },
	{ "postfix", "hold_map", CONFIG_STRING, AC(hold_map), "", 0, 0, 0, NULL,
	  "access(5) source file of held senders, same map_type (main.cf: check_sasl_access TYPE:FILE); empty: off" },
	{ "logwatch", "source", CONFIG_ENUM, AC(logwatch_source), "file", 0, 0, 0, "file|journal",
	  "where Postfix's log is read: file (the file key) or journal (systemd's journal, journal_units)" },
	{ "logwatch", "file", CONFIG_STRING, AC(logwatch_file), "", 0, 0, 0, NULL,
	  "Postfix log file to follow, or - for standard input; empty turns logwatch off (source = file)" },
	{ "logwatch", "journal_units", CONFIG_STRING, AC(logwatch_journal_units), JOURNALSRC_DEFAULT_UNITS, 0, 0, 0, NULL,
	  "source = journal: the systemd units whose entries are Postfix's log (_SYSTEMD_UNIT, any of them), separated by spaces" },
	{ "logwatch", "journal_directory", CONFIG_STRING, AC(logwatch_journal_directory), "", 0, 0, 0, NULL,
	  "source = journal: read the journal files in this directory (forwarded journals) instead of the system journal (empty)" },
	{ "logwatch", "rules", CONFIG_STRING, AC(logwatch_rules), "", 0, 0, 0, NULL,
	  "local rules file, over the default rules.conf (adds, or overrides by rule name)" },
	{ "logwatch", "providers", CONFIG_STRING, AC(logwatch_providers), "", 0, 0, 0, NULL,
	  "providers file instead of the default providers.conf (the controller's catalogue still applies on top)" },
	{ "logwatch", "window", CONFIG_DURATION, TH(window_ms), "300s", 10 * SEC, 86400 * SEC, 0, NULL,
	  "sliding window of the block decision" },
	{ "logwatch", "fail_count", CONFIG_INT, TH(fail_count), "5", 1, 1000000, 0, NULL,
	  "reroutable + ambiguous failures in the window that make a block" },
	{ "logwatch", "fail_percent", CONFIG_INT, TH(fail_percent), "30", 1, 100, 0, NULL,
	  "... and their share of the window's attempts, in percent" },
	{ "logwatch", "min_definite", CONFIG_INT, TH(min_definite), "2", 1, 1000000, 0, NULL,
	  "of which at least this many reroutable (ambiguous ones never decide alone)" },
	{ "logwatch", "conn_count", CONFIG_INT, TH(conn_count), "20", 1, 1000000, 0, NULL,
	  "connection failures in the window that make a block" },
	{ "logwatch", "conn_percent", CONFIG_INT, TH(conn_percent), "80", 1, 100, 0, NULL,
	  "... and their share of the window's attempts, in percent" },
	{ "logwatch", "clear_successes", CONFIG_INT, TH(clear_successes), "10", 1, 1000000, 0, NULL,
	  "successes in a row that clear a block" },
	{ "logwatch", "clear_quiet", CONFIG_DURATION, TH(clear_quiet_ms), "120s", 0, 86400 * SEC, 0, NULL,
	  "... with no counted failure for this long" },
	{ "logwatch", "volume_interval", CONFIG_DURATION, TH(vol_interval_ms), "60s", 10 * SEC, 3600 * SEC, 0, NULL,
	  "interval of sender rates (recipients per interval)" },
	{ "logwatch", "volume_multiple", CONFIG_INT, TH(vol_multiple), "10", 2, 100000, 0, NULL,
	  "a surge is a rate above this multiple of the sender's baseline ..." },
	{ "logwatch", "volume_rate_floor", CONFIG_INT, TH(vol_rate_floor), "100", 1, 100000000, 0, NULL,
	  "... and above this many recipients per interval" },
	{ "logwatch", "volume_baseline_floor", CONFIG_INT, TH(vol_baseline_floor), "2", 1, 100000000, 0, NULL,
	  "lowest baseline (a new or quiet sender's)" },
	{ "logwatch", "volume_warmup", CONFIG_INT, TH(vol_warmup), "30", 0, 100000, 0, NULL,
	  "intervals after start-up that only learn baselines ..." },
	{ "logwatch", "volume_warmup_ceiling", CONFIG_INT, TH(vol_warmup_ceiling), "1000", 1, 100000000, 0, NULL,
	  "... except for rates above this" },
	{ "logwatch", "volume_max_client_ips", CONFIG_INT, TH(vol_max_client_ips), "5", 1, 15, 0, NULL,
	  "a SASL user seen from more client IPs than this in an hour is a surge" },
	{ "logwatch", "volume_max_senders", CONFIG_INT, TH(vol_max_senders), "100000", 100, 100000000, 0, NULL,
	  "senders tracked at most (least recently seen evicted; about 300 bytes each)" },
	{ "logwatch", "queue_max", CONFIG_INT, AC(lw_queue_max), "1000", 1, 1000000, 0, NULL,
	  "events kept while the controller cannot be reached (oldest dropped beyond)" },
	{ NULL, NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL },
};

static void
ac_split_urls(struct agent_config *cfg, const char *path, struct strbuf *err)
{
	const char *p = cfg->controller;

	while (*p) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, " \t,");
		if (n == 0)
			break;
		char *u = xstrndup(p, n);
		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
			strbuf_appendf(err, "%s: [agent] controller: \"%.200s\" is not an http:// or https:// URL\n",
			    path, u);
		else if (!cfg->insecure_http && httpc_url_cleartext_remote(u))
			strbuf_appendf(err, "%s: [agent] controller: \"%.200s\" is cleartext http:// to a host "
			    "that is not loopback (the token and the routes would cross the network "
			    "unprotected): use https://, or set insecure_http = yes\n", path, u);
		cfg->urls = xrealloc(cfg->urls, (cfg->nurls + 1) * sizeof(char *));
		cfg->urls[cfg->nurls++] = u;
		p += n;
	}
	if (cfg->nurls == 0)
		strbuf_appendf(err, "%s: [agent] controller: no URL\n", path);
}

/* The token, from a file only root or the agent's user may own and
 * nobody else may read (common/secretfile.h). */
static void
ac_read_token(struct agent_config *cfg, const char *path, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;
	char *tok = secretfile_read_line(cfg->token_file, "token file", &e);

	if (tok == NULL)
		strbuf_appendf(err, "%s: [agent] token_file: %s\n", path, strbuf_str(&e));
	else if (strpbrk(tok, " \t") != NULL)
		strbuf_appendf(err, "%s: [agent] token_file: %s: no token on the first line\n", path,
		    cfg->token_file);
	else
		cfg->token = xstrdup(tok);
	if (tok != NULL)
		explicit_bzero(tok, strlen(tok));
	free(tok);
	strbuf_clear(&e);
}

static void
ac_read_tls(struct agent_config *cfg, const char *path, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;

	if (httpc_tls_load(&cfg->tls, cfg->ca_file, cfg->client_cert, cfg->client_key, &e) != 0)
		strbuf_appendf(err, "%s: [agent] %s\n", path, strbuf_str(&e));
	strbuf_clear(&e);
}

static void
ac_absolute(const char *path, const char *sec, const char *key, const char *v, struct strbuf *err)
{
	if (v != NULL && v[0] != '\0' && v[0] != '/')
		strbuf_appendf(err, "%s: [%s] %s: \"%.200s\" is not an absolute path\n", path, sec, key, v);
}

static void
ac_metrics_listen(const struct agent_config *cfg, const char *path, struct strbuf *err)
{
	struct sockaddr_storage ss;
	struct strbuf e = STRBUF_INIT;

	if (cfg->metrics_listen[0] != '\0' && metricsserve_listen(cfg->metrics_listen, &ss, &e) != 0)
		strbuf_appendf(err, "%s: %s\n", path, strbuf_str(&e));
	strbuf_clear(&e);
}

/* source = journal: no file, valid units, an absolute directory. */
static void
ac_check_source(const struct agent_config *cfg, const char *path, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;
	char **units;

	if (strcmp(cfg->logwatch_source, "journal") != 0)
		return;
	if (cfg->logwatch_file[0] != '\0')
		strbuf_appendf(err, "%s: [logwatch] file: not read with source = journal (remove it, "
		    "or set source = file)\n", path);
	if ((units = journalsrc_units(cfg->logwatch_journal_units, &e)) == NULL)
		strbuf_appendf(err, "%s: [logwatch] journal_units: %s\n", path, strbuf_str(&e));
	journalsrc_units_free(units);
	ac_absolute(path, "logwatch", "journal_directory", cfg->logwatch_journal_directory, err);
	strbuf_clear(&e);
}

int
agentconf_logwatch_on(const struct agent_config *cfg)
{
	return strcmp(cfg->logwatch_source, "journal") == 0 || cfg->logwatch_file[0] != '\0';
}

struct postfix
agentconf_postfix(const struct agent_config *cfg)
{
	return (struct postfix){ cfg->command_directory, cfg->config_directory,
	    (long)cfg->command_timeout_ms };
}

int
agentconf_load(const char *path, struct agent_config *cfg, struct strbuf *err)
{
	return agentconf_load_flags(path, cfg, 0, err);
}

int
agentconf_load_flags(const char *path, struct agent_config *cfg, int flags, struct strbuf *err)
{
	size_t before = err->len;
	const char *why;

	memset(cfg, 0, sizeof(*cfg));
	if (config_load(agentconf_keys, cfg, path, err) != 0)
		return -1;
	if ((why = validate_name(cfg->node)) != NULL)
		strbuf_appendf(err, "%s: [agent] node: %s\n", path, why);
	ac_split_urls(cfg, path, err);
	ac_absolute(path, "agent", "state_dir", cfg->state_dir, err);
	ac_absolute(path, "postfix", "config_directory", cfg->config_directory, err);
	ac_absolute(path, "postfix", "command_directory", cfg->command_directory, err);
	ac_absolute(path, "postfix", "transport_file", cfg->transport_file, err);
	ac_absolute(path, "postfix", "hold_map", cfg->hold_map, err);
	if (strcmp(cfg->logwatch_file, "-") != 0)
		ac_absolute(path, "logwatch", "file", cfg->logwatch_file, err);
	ac_check_source(cfg, path, err);
	ac_absolute(path, "logwatch", "rules", cfg->logwatch_rules, err);
	ac_absolute(path, "logwatch", "providers", cfg->logwatch_providers, err);
	if (cfg->hold_map[0] != '\0' && strcmp(cfg->hold_map, cfg->transport_file) == 0)
		strbuf_appendf(err, "%s: [postfix] hold_map: is the transport_file\n", path);
	if (cfg->retry_max_ms < cfg->retry_min_ms)
		strbuf_appendf(err, "%s: [agent] retry_max: is less than retry_min\n", path);
	ac_absolute(path, "agent", "ca_file", cfg->ca_file, err);
	ac_absolute(path, "agent", "client_cert", cfg->client_cert, err);
	ac_absolute(path, "agent", "client_key", cfg->client_key, err);
	ac_metrics_listen(cfg, path, err);
	if (!(flags & AGENTCONF_NO_TOKEN))
		ac_read_token(cfg, path, err);
	ac_read_tls(cfg, path, err);
	return err->len > before ? -1 : 0;
}

void
agentconf_free(struct agent_config *cfg)
{
	config_free(agentconf_keys, cfg);
	cfg->urls = strarr_free(cfg->urls, cfg->nurls);
	free(cfg->token);
	httpc_tls_free(&cfg->tls);
	cfg->nurls = 0;
	cfg->token = NULL;
}

/* ---- the thresholds, for the file and for scan --set ---- */

int
agentconf_is_threshold(const struct config_key *k)
{
	return k->offset >= AC(th) && k->offset < AC(th) + sizeof(struct agent_thresholds);
}

/* k as a key of a bare struct agent_thresholds. */
static struct config_key
ac_threshold_key(const struct config_key *k)
{
	struct config_key t = *k;

	t.offset -= AC(th);
	return t;
}

void
agentconf_thresholds_default(struct agent_thresholds *th)
{
	memset(th, 0, sizeof(*th));
	for (const struct config_key *k = agentconf_keys; k->key != NULL; k++) {
		struct config_key t = ac_threshold_key(k);
		if (agentconf_is_threshold(k) && config_set_value(&t, th, k->def) != NULL)
			log_fatalx("agentconf: bad default for [%s] %s", k->section, k->key);
	}
}

/* "10 to 100", or for a duration "10s to 86400s". */
static void
ac_range(const struct config_key *k, struct strbuf *out)
{
	if (k->type == CONFIG_DURATION && k->min % SEC == 0 && k->max % SEC == 0)
		strbuf_appendf(out, "%llds to %llds", k->min / SEC, k->max / SEC);
	else if (k->type == CONFIG_DURATION)
		strbuf_appendf(out, "%lldms to %lldms", k->min, k->max);
	else
		strbuf_appendf(out, "%lld to %lld", k->min, k->max);
}

int
agentconf_threshold_set(struct agent_thresholds *th, const char *arg, struct strbuf *err)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *why;

	for (const struct config_key *k = agentconf_keys; eq != NULL && k->key != NULL; k++) {
		if (!agentconf_is_threshold(k) || strlen(k->key) != n || strncmp(k->key, arg, n) != 0)
			continue;
		struct config_key t = ac_threshold_key(k);
		if ((why = config_set_value(&t, th, eq + 1)) == NULL)
			return 0;
		strbuf_appendf(err, "%s: \"%.200s\" %s; allowed: ", k->key, eq + 1, why);
		ac_range(k, err);
		return -1;
	}
	strbuf_appendf(err, "%.*s: %s; NAME=VALUE, NAME one of", (int)(n > 200 ? 200 : n), arg,
	    eq ? "no such threshold" : "no value");
	for (const struct config_key *k = agentconf_keys; k->key != NULL; k++)
		if (agentconf_is_threshold(k))
			strbuf_appendf(err, " %s", k->key);
	strbuf_append(err, " ([logwatch] keys of agent.ini, in its units)");
	return -1;
}

void
agentconf_thresholds_apply(const struct agent_thresholds *th, struct detector_config *d,
    struct volume_config *v)
{
	detector_config_default(d);
	d->window_s = (int)(th->window_ms / SEC);
	d->fail_count = (int)th->fail_count;
	d->fail_share = (double)th->fail_percent / 100.0;
	d->min_definite = (int)th->min_definite;
	d->conn_count = (int)th->conn_count;
	d->conn_share = (double)th->conn_percent / 100.0;
	d->clear_successes = (int)th->clear_successes;
	d->clear_quiet_s = (int)(th->clear_quiet_ms / SEC);
	volume_config_defaults(v);
	v->interval_s = (int)(th->vol_interval_ms / SEC);
	v->multiple = (double)th->vol_multiple;
	v->rate_floor = (double)th->vol_rate_floor;
	v->baseline_floor = (double)th->vol_baseline_floor;
	v->warmup = (int)th->vol_warmup;
	v->warmup_ceiling = (double)th->vol_warmup_ceiling;
	v->max_client_ips = (int)th->vol_max_client_ips;
	v->max_senders = (size_t)th->vol_max_senders;
}
