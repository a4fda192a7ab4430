/*
 * cliconf.h: where the controller is and which token to send.
 *
 * Each setting is taken from the first place that has it: the command
 * line (--url, --token-file or --token-stdin, --ca-file, --client-cert,
 * --client-key, --insecure-http), the environment (POSTROUTE_URL,
 * POSTROUTE_TOKEN, POSTROUTE_TOKEN_FILE, POSTROUTE_CA_FILE,
 * POSTROUTE_CLIENT_CERT, POSTROUTE_CLIENT_KEY, POSTROUTE_INSECURE_HTTP),
 * then the INI file: --config FILE, else $POSTROUTE_CONFIG, else
 * $XDG_CONFIG_HOME/postroute/cli.ini or ~/.config/postroute/cli.ini when it
 * exists, with keys [cli] url, token_file, ca_file, client_cert,
 * client_key, insecure_http (common/config.h).
 *
 * An http:// URL to a host that is not loopback is refused unless
 * insecure_http is on: the token would cross the network in cleartext.
 * The TLS files are only named here; the caller reads them
 * (httpc_tls_load).
 *
 * Errors (no URL, no token, an unreadable token file, a bad INI file) are
 * returned as messages; the caller exits with a usage error.
 *
 * SECURITY: --token VALUE is refused: the command line is visible to
 * other local users (ps, /proc/PID/cmdline) and lands in shell history.
 * The token comes from a file (its first line; the file must not be
 * readable by group or others, nor be another user's symbolic link:
 * common/secretfile.h), from standard input (--token-stdin, one line) or
 * from POSTROUTE_TOKEN. A token is refused unless it is
 * visible ASCII: it goes into an HTTP header, where a line break would add
 * headers of its own.
 */
#ifndef POSTROUTE_CLI_CLICONF_H
#define POSTROUTE_CLI_CLICONF_H

#include "args.h"
#include "config.h"
#include "strbuf.h"

/* The keys of cli.ini ([cli] url, token_file, ca_file, client_cert,
 * client_key, insecure_http), for docs and tests. */
extern const struct config_key cliconf_keys[];

struct cliconf {
	char *url;
	char *token;
	char *ca_file;      /* NULL: the system's CA store */
	char *client_cert;  /* NULL: no client certificate */
	char *client_key;
	int insecure_http;  /* http:// to a host that is not loopback allowed */
};

/* env is getenv or a stand-in for tests. Returns 0 or -1 with err set. */
int cliconf_resolve(struct cliconf *s, const struct args *a,
    const char *(*env)(const char *), struct strbuf *err);
void cliconf_free(struct cliconf *s);

/* The first line of path, trimmed; NULL with err set when unusable. */
char *cliconf_read_token(const char *path, struct strbuf *err);

#endif
