/*
 * settings.h: postrouted's configuration, one table of keys.
 *
 * settings_load fills a struct settings from an INI file through
 * common/config.h; every error names its line. The struct owns its strings
 * until settings_free. Read-only after start: passed as const to whoever
 * needs it. The keys of sharedset.h ([policy], [notify] stale_after and
 * max_per_minute) are in force as the database holds them: this struct
 * has the INI file's values, sharedset_load overlays the database's.
 */
#ifndef POSTROUTE_SETTINGS_H
#define POSTROUTE_SETTINGS_H

#include "config.h"
#include "strbuf.h"

struct settings {
	char *listen;              /* [server] listen: host:port */
	char *tls_cert;            /* [server] tls_cert: PEM chain, "" = no TLS */
	char *tls_key;             /* [server] tls_key */
	char *tls_client_ca;       /* [server] tls_client_ca: "" = no client certificates */
	long long threads;         /* [server] threads: HTTP worker threads */
	long long max_connections; /* [server] max_connections */
	long long max_wait_ms;     /* [server] max_wait: cap on a feed's wait */
	long long max_connections_per_ip;   /* [server] max_connections_per_ip, 0 off */
	long long request_timeout_ms;       /* [server] request_timeout */
	long long auth_failures_per_minute; /* [server] auth_failures_per_minute, 0 off */
	long long max_waits_per_token;      /* [server] max_waits_per_token */
	char *log_level;           /* [server] log_level */
	long long token_cache_ms;  /* [server] token_cache: lifetime of a cached token lookup, 0 off */
	long long events_per_minute; /* [server] events_per_minute: POST /v1/events per token */
	char *conninfo;            /* [database] conninfo: the runtime role */
	char *migrate_conninfo;    /* [database] migrate_conninfo: the owner role, "" = conninfo */
	long long pool_size;       /* [database] pool_size */
	long long statement_timeout_ms;
	char *webhook_url;         /* [notify] webhook_url */
	char *pagerduty_routing_key_file; /* [notify] pagerduty_routing_key_file, "" = off */
	char *pagerduty_url;       /* [notify] pagerduty_url: Events API v2 endpoint */
	char *runbook_url;         /* [notify] runbook_url */
	long long notify_timeout_ms;   /* [notify] timeout */
	long long stale_after_ms;      /* [notify] stale_after */
	long long notify_per_minute;   /* [notify] max_per_minute */
	long long auto_ttl_ms;         /* [policy] auto_ttl */
	long long max_ttl_ms;          /* [policy] max_ttl */
	long long reblock_window_ms;   /* [policy] reblock_window */
	long long max_flips_per_hour;  /* [policy] max_flips_per_hour */
	long long max_auto_routes_per_hour;  /* [policy] max_auto_routes_per_hour: fleet-wide */
	long long max_relay_share_percent;   /* [policy] max_relay_share_percent */
	long long relay_block_reporters;     /* [policy] relay_block_reporters */
	int hold_on_surge;             /* [policy] hold_on_surge */
};

extern const struct config_key settings_keys[];

int settings_load(struct settings *s, const char *path, struct strbuf *errors);
void settings_free(struct settings *s);

#endif
