/*
 * cliconf.c: resolving the connection settings of the CLI.
 */
#include "cliconf.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "confpath.h"
#include "secretfile.h"
#include "httpc.h"
#include "xalloc.h"

struct cliconf_ini {
	char *url;
	char *token_file;
	char *ca_file;
	char *client_cert;
	char *client_key;
	int insecure_http;
};

const struct config_key cliconf_keys[] = {
	{ "cli", "url", CONFIG_STRING, offsetof(struct cliconf_ini, url), NULL, 0, 0, 0, NULL,
	  "controller URL, e.g. https://postroute.example.net:8443" },
	{ "cli", "token_file", CONFIG_STRING, offsetof(struct cliconf_ini, token_file), NULL,
	  0, 0, 0, NULL, "file whose first line is the API token" },
	{ "cli", "ca_file", CONFIG_STRING, offsetof(struct cliconf_ini, ca_file), NULL, 0, 0,
	  0, NULL, "CA bundle that verifies the controller's TLS certificate (the only CA trusted when set)" },
	{ "cli", "client_cert", CONFIG_STRING, offsetof(struct cliconf_ini, client_cert), NULL,
	  0, 0, 0, NULL, "client certificate for a controller that requires mutual TLS" },
	{ "cli", "client_key", CONFIG_STRING, offsetof(struct cliconf_ini, client_key), NULL,
	  0, 0, 0, NULL, "private key of client_cert (PEM, no passphrase)" },
	{ "cli", "insecure_http", CONFIG_BOOL, offsetof(struct cliconf_ini, insecure_http), "no",
	  0, 0, 0, NULL, "allow an http:// URL to a host that is not loopback (token in cleartext)" },
	{ NULL, NULL, CONFIG_STRING, 0, NULL, 0, 0, 0, NULL, NULL },
};

char *
cliconf_read_token(const char *path, struct strbuf *err)
{
	return secretfile_read_line(path, "token file", err);
}

/* The INI file to read; *must_exist when it was asked for by name. Else
 * the user's own file, or the system-wide one when the user has none. */
static char *
cliconf_ini_path(const struct args *a, const char *(*env)(const char *), int *must_exist)
{
	const char *p;
	char *user = NULL;

	*must_exist = 1;
	if ((p = args_get(a, "config")) != NULL)
		return xstrdup(p);
	if ((p = env("POSTROUTE_CONFIG")) != NULL && *p != '\0')
		return xstrdup(p);
	*must_exist = 0;
	if ((p = env("XDG_CONFIG_HOME")) != NULL && *p != '\0')
		user = xasprintf("%s/postroute/cli.ini", p);
	else if ((p = env("HOME")) != NULL && *p != '\0')
		user = xasprintf("%s/.config/postroute/cli.ini", p);
	if (user != NULL && access(user, F_OK) == 0)
		return user;
	free(user);
	return xstrdup(CONFPATH_CLI);
}

static int
cliconf_load_ini(struct cliconf_ini *ini, const struct args *a,
    const char *(*env)(const char *), struct strbuf *err)
{
	int must_exist, rc = 0;
	char *path = cliconf_ini_path(a, env, &must_exist);

	if (path != NULL && (must_exist || access(path, F_OK) == 0)) {
		struct strbuf errs = STRBUF_INIT;
		if (config_load(cliconf_keys, ini, path, &errs) != 0) {
			strbuf_appendn(err, strbuf_str(&errs),
			    errs.len > 0 && errs.buf[errs.len - 1] == '\n' ? errs.len - 1 : errs.len);
			rc = -1;
		}
		strbuf_clear(&errs);
	}
	free(path);
	return rc;
}

/* The first non-empty of the flag, the variable and the INI value. */
static char *
cliconf_pick(const struct args *a, const char *flag, const char *(*env)(const char *),
    const char *var, const char *ini)
{
	const char *v = args_get(a, flag);

	if (v == NULL || *v == '\0')
		v = env(var);
	if (v == NULL || *v == '\0')
		v = ini;
	return v && *v ? xstrdup(v) : NULL;
}

/* A token goes into an HTTP header: visible ASCII only, nothing that could
 * end the header line. */
static int
cliconf_check_token(const char *tok, struct strbuf *err)
{
	for (const char *p = tok; *p; p++) {
		if (*p < '!' || *p > '~') {
			strbuf_append(err, "the API token contains a space, a control character or "
			    "non-ASCII: check the token or its file");
			return -1;
		}
	}
	return 0;
}

/* --token VALUE is refused: argv is visible to every local user (ps,
 * /proc/PID/cmdline) and lands in shell history. */
static int
cliconf_token_source(const struct args *a, const char **file, int *from_stdin,
    struct strbuf *err)
{
	if (args_get(a, "token") != NULL) {
		strbuf_append(err, "--token puts the API token where other local users can read it "
		    "(ps, /proc) and into your shell history: refused. Use --token-file FILE "
		    "(mode 0600), --token-stdin (the token on standard input) or the POSTROUTE_TOKEN "
		    "environment variable");
		return -1;
	}
	*file = args_get(a, "token-file");
	*from_stdin = args_has(a, "token-stdin");
	if (*file != NULL && *from_stdin) {
		strbuf_append(err, "--token-file and --token-stdin are exclusive");
		return -1;
	}
	return 0;
}

static int
cliconf_token(struct cliconf *s, const struct args *a, const char *(*env)(const char *),
    const struct cliconf_ini *ini, struct strbuf *err)
{
	const char *tok = NULL, *file;
	int from_stdin;

	if (cliconf_token_source(a, &file, &from_stdin, err) != 0)
		return -1;
	if (from_stdin) {
		s->token = secretfile_read_stream(stdin, "--token-stdin: standard input", err);
		return s->token ? cliconf_check_token(s->token, err) : -1;
	}
	if (file == NULL) {
		tok = env("POSTROUTE_TOKEN");
		if (tok == NULL || *tok == '\0') {
			tok = NULL;
			file = env("POSTROUTE_TOKEN_FILE");
			if (file == NULL || *file == '\0')
				file = ini->token_file;
		}
	}
	if (tok != NULL) {
		s->token = xstrdup(tok);
		return cliconf_check_token(s->token, err);
	}
	if (file == NULL || *file == '\0') {
		strbuf_append(err, "no API token: set POSTROUTE_TOKEN, or use --token-file FILE "
		    "or --token-stdin, or token_file in ~/.config/postroute/cli.ini");
		return -1;
	}
	s->token = cliconf_read_token(file, err);
	return s->token ? cliconf_check_token(s->token, err) : -1;
}

/* --insecure-http, else $POSTROUTE_INSECURE_HTTP (yes/no), else the INI. */
static int
cliconf_insecure(struct cliconf *s, const struct args *a, const char *(*env)(const char *),
    const struct cliconf_ini *ini, struct strbuf *err)
{
	const char *v = env("POSTROUTE_INSECURE_HTTP");

	s->insecure_http = ini->insecure_http;
	if (args_has(a, "insecure-http")) {
		s->insecure_http = 1;
	} else if (v != NULL && *v != '\0') {
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
			s->insecure_http = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
			s->insecure_http = 0;
		else {
			strbuf_appendf(err, "POSTROUTE_INSECURE_HTTP: \"%.50s\" is not yes or no", v);
			return -1;
		}
	}
	if (!s->insecure_http && httpc_url_cleartext_remote(s->url)) {
		strbuf_appendf(err, "controller URL \"%s\" is cleartext http:// to a host that is not "
		    "loopback (the token would cross the network unprotected): use https://, "
		    "or --insecure-http", s->url);
		return -1;
	}
	return 0;
}

int
cliconf_resolve(struct cliconf *s, const struct args *a,
    const char *(*env)(const char *), struct strbuf *err)
{
	struct cliconf_ini ini = { 0 };
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (cliconf_load_ini(&ini, a, env, err) != 0)
		goto done;
	s->url = cliconf_pick(a, "url", env, "POSTROUTE_URL", ini.url);
	s->ca_file = cliconf_pick(a, "ca-file", env, "POSTROUTE_CA_FILE", ini.ca_file);
	s->client_cert = cliconf_pick(a, "client-cert", env, "POSTROUTE_CLIENT_CERT",
	    ini.client_cert);
	s->client_key = cliconf_pick(a, "client-key", env, "POSTROUTE_CLIENT_KEY", ini.client_key);
	if (s->url == NULL) {
		strbuf_append(err, "no controller URL: set POSTROUTE_URL, or use --url, "
		    "or url in ~/.config/postroute/cli.ini");
		goto done;
	}
	if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0) {
		strbuf_appendf(err, "controller URL \"%s\" must start with http:// or https://",
		    s->url);
		goto done;
	}
	if (cliconf_token(s, a, env, &ini, err) != 0)
		goto done;
	rc = cliconf_insecure(s, a, env, &ini, err);
done:
	config_free(cliconf_keys, &ini);
	if (rc != 0)
		cliconf_free(s);
	return rc;
}

void
cliconf_free(struct cliconf *s)
{
	if (s->token)
		explicit_bzero(s->token, strlen(s->token));
	free(s->url);
	free(s->token);
	free(s->ca_file);
	free(s->client_cert);
	free(s->client_key);
	memset(s, 0, sizeof(*s));
}
