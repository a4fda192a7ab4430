/*
 * settings.c: the key table of postrouted.ini.
 *
 * Keep deploy/postrouted.ini in step: tests/unit/test_settings.c fails when
 * a key of this table is missing from it.
 */
#include "settings.h"

#include <stddef.h>
#include <string.h>

#include "db.h"

#define S(f) offsetof(struct settings, f)
#define DAY_MS (86400LL * 1000)

const struct config_key settings_keys[] = {
	{ "server", "listen", CONFIG_STRING, S(listen), "127.0.0.1:8470", 0, 0, 0, NULL,
	  "address and port the HTTP API listens on" },
	{ "server", "tls_cert", CONFIG_STRING, S(tls_cert), "", 0, 0, 0, NULL,
	  "certificate chain (PEM) for HTTPS; with tls_key, the API is served over TLS only (empty: cleartext HTTP)" },
	{ "server", "tls_key", CONFIG_STRING, S(tls_key), "", 0, 0, 0, NULL,
	  "private key (PEM, no passphrase) of tls_cert; read at start" },
	{ "server", "tls_client_ca", CONFIG_STRING, S(tls_client_ca), "", 0, 0, 0, NULL,
	  "CA (PEM) whose signature every client certificate must carry: mutual TLS, requests without one get 403 (empty: off)" },
	{ "server", "threads", CONFIG_INT, S(threads), "4", 1, 64, 0, NULL,
	  "HTTP worker threads (long-polls do not hold a thread)" },
	{ "server", "max_connections", CONFIG_INT, S(max_connections), "10000", 16, 1000000, 0, NULL,
	  "concurrent HTTP connections, waiting feeds included" },
	{ "server", "max_wait", CONFIG_DURATION, S(max_wait_ms), "300s", 1000, 3600 * 1000LL, 0, NULL,
	  "longest a feed request may wait for a change" },
	{ "server", "max_connections_per_ip", CONFIG_INT, S(max_connections_per_ip), "256", 0, 1000000, 0,
	  NULL, "concurrent HTTP connections from one client address, an IPv6 /64 counting as one (0: no cap);"
	  " more are closed at once" },
	{ "server", "request_timeout", CONFIG_DURATION, S(request_timeout_ms), "10s", 1000, 600 * 1000LL, 0,
	  NULL, "time a client has to send a whole request (line, headers, body) after connecting or after its previous answer" },
	{ "server", "auth_failures_per_minute", CONFIG_INT, S(auth_failures_per_minute), "30", 0, 100000, 0,
	  NULL, "401 answers per minute to one client address; then 429 without a token lookup (0: no cap)" },
	{ "server", "max_waits_per_token", CONFIG_INT, S(max_waits_per_token), "2", 1, 1000000, 0, NULL,
	  "waiting feed requests (long-polls) one token may hold at once; one more is answered 429" },
	{ "server", "log_level", CONFIG_ENUM, S(log_level), "info", 0, 0, 0, "debug|info|warn|error",
	  "lowest level of log lines written to stderr" },
	{ "server", "token_cache", CONFIG_DURATION, S(token_cache_ms), "10s", 0, 300 * 1000LL, 0, NULL,
	  "how long a token found in the database is trusted without asking again (0: always ask)" },
	{ "server", "events_per_minute", CONFIG_INT, S(events_per_minute), "120", 1, 10000, 0, NULL,
	  "events (POST /v1/events) one token may send per minute to this controller; more get 429" },
	{ "database", "conninfo", CONFIG_STRING, S(conninfo), NULL, 0, 0, 1, NULL,
	  "libpq connection string of the PostgreSQL database, as the server's runtime role;"
	  " several hosts with target_session_attrs=read-write follow the primary" },
	{ "database", "migrate_conninfo", CONFIG_STRING, S(migrate_conninfo), "", 0, 0, 0, NULL,
	  "libpq connection string of the owner role that postrouted migrate uses (empty: conninfo)" },
	{ "database", "pool_size", CONFIG_INT, S(pool_size), "8", 1, 256, 0, NULL,
	  "database connections for requests (plus three: LISTEN, the leader lock and the notification sender)" },
	{ "database", "statement_timeout", CONFIG_DURATION, S(statement_timeout_ms), "10s", 100,
	  600 * 1000LL, 0, NULL, "longest a single SQL statement may run" },
	{ "notify", "webhook_url", CONFIG_STRING, S(webhook_url), "", 0, 0, 0, NULL,
	  "Slack-compatible incoming webhook for on-call notifications (empty: off)" },
	{ "notify", "pagerduty_routing_key_file", CONFIG_STRING, S(pagerduty_routing_key_file), "", 0, 0, 0,
	  NULL, "file holding the PagerDuty Events API v2 routing key (integration key), read at start with the"
	  " token file rules: owned by postrouted's user or root, mode 0600 (empty: PagerDuty off)" },
	{ "notify", "pagerduty_url", CONFIG_STRING, S(pagerduty_url), "https://events.pagerduty.com/v2/enqueue",
	  0, 0, 0, NULL, "PagerDuty Events API v2 endpoint that triggers and resolves are posted to" },
	{ "notify", "runbook_url", CONFIG_STRING, S(runbook_url), "", 0, 0, 0, NULL,
	  "runbook link included in every notification" },
	{ "notify", "timeout", CONFIG_DURATION, S(notify_timeout_ms), "10s", 100, 120 * 1000LL, 0, NULL,
	  "longest one webhook call may take" },
	{ "notify", "stale_after", CONFIG_DURATION, S(stale_after_ms), "5m", 10 * 1000LL, DAY_MS, 0, NULL,
	  "notify when a node has not applied the current version for this long (shared: the database's value is in force)" },
	{ "notify", "max_per_minute", CONFIG_INT, S(notify_per_minute), "20", 1, 10000, 0, NULL,
	  "triggers sent per minute at most; the rest are held back and summarised (shared: the database's value is in force)" },
	{ "policy", "auto_ttl", CONFIG_DURATION, S(auto_ttl_ms), "6h", 60 * 1000LL, 14 * DAY_MS, 0,
	  NULL, "lifetime of an automatic failover route" },
	{ "policy", "max_ttl", CONFIG_DURATION, S(max_ttl_ms), "48h", 60 * 1000LL, 14 * DAY_MS, 0,
	  NULL, "cap of an automatic route's lifetime after doubling" },
	{ "policy", "reblock_window", CONFIG_DURATION, S(reblock_window_ms), "24h", 0, 14 * DAY_MS, 0,
	  NULL, "a block that comes back within this long after the last automatic route doubles its lifetime" },
	{ "policy", "max_flips_per_hour", CONFIG_INT, S(max_flips_per_hour), "5", 1, 1000, 0, NULL,
	  "automatic flips of one provider per hour before automation stops for it" },
	{ "policy", "max_auto_routes_per_hour", CONFIG_INT, S(max_auto_routes_per_hour), "20", 1,
	  100000, 0, NULL, "automatic routes set (new or moved) per hour across all providers before"
	  " automation stops for every provider" },
	{ "policy", "max_relay_share_percent", CONFIG_INT, S(max_relay_share_percent), "50", 1, 100,
	  0, NULL, "most of the server nodes, in percent (rounded down, at least one node), that the"
	  " automatic routes of one provider may send through one relay (100: no cap)" },
	{ "policy", "relay_block_reporters", CONFIG_INT, S(relay_block_reporters), "1", 1, 1000, 0,
	  NULL, "distinct nodes of a relay that must report a provider's block before the relay counts"
	  " as blocked for it" },
	{ "policy", "hold_on_surge", CONFIG_BOOL, S(hold_on_surge), "no", 0, 0, 0, NULL,
	  "hold the new mail of a sender reported for a volume surge (released with postroute sender release)" },
	{ NULL, NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL },
};

/* A connection string libpq would refuse is an error now, not at the
 * first connection: its syntax, and host and port lists that do not
 * match (a multi-host string lists one port, or one per host). */
static int
settings_check_conninfo(const char *path, const char *key, const char *conninfo,
    struct strbuf *errors)
{
	struct strbuf why = STRBUF_INIT;
	int rc = 0;

	if (conninfo != NULL && *conninfo != '\0' && db_conninfo_check(conninfo, &why) != 0) {
		strbuf_appendf(errors, "%s: [database] %s: %s\n", path, key, strbuf_str(&why));
		rc = -1;
	}
	strbuf_clear(&why);
	return rc;
}

int
settings_load(struct settings *s, const char *path, struct strbuf *errors)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = config_load(settings_keys, s, path, errors);
	if (settings_check_conninfo(path, "conninfo", s->conninfo, errors) != 0)
		rc = -1;
	if (settings_check_conninfo(path, "migrate_conninfo", s->migrate_conninfo, errors) != 0)
		rc = -1;
	return rc;
}

void
settings_free(struct settings *s)
{
	config_free(settings_keys, s);
}
