/*
 * verb.c: shared options, help layout and messages of the verbs.
 */
#include "verb.h"

#include <stdarg.h>
#include <string.h>

const struct args_opt verb_global_opts[] = {
	{ "url", ARGS_VALUE, "URL", "controller URL (else $POSTROUTE_URL)" },
	{ "token", ARGS_VALUE, "TOKEN", "refused: visible in ps; use --token-file, --token-stdin "
	  "or $POSTROUTE_TOKEN" },
	{ "token-file", ARGS_VALUE, "FILE", "read the API token from FILE's first line (mode 0600)" },
	{ "token-stdin", ARGS_FLAG, NULL, "read the API token from standard input's first line" },
	{ "ca-file", ARGS_VALUE, "FILE", "CA bundle to verify the controller's certificate" },
	{ "client-cert", ARGS_VALUE, "FILE", "client certificate, for a controller with mutual TLS" },
	{ "client-key", ARGS_VALUE, "FILE", "private key of --client-cert" },
	{ "insecure-http", ARGS_FLAG, NULL, "allow an http:// URL to a host that is not loopback" },
	{ "config", ARGS_VALUE, "FILE", "INI file (default ~/.config/postroute/cli.ini, else /etc/postroute/cli.ini)" },
	{ "json", ARGS_FLAG, NULL, "print JSON (stable field names) instead of a table" },
	{ "format", ARGS_VALUE, "FMT", "table, plain, csv or json (default: table on a "
	  "terminal, plain otherwise)" },
	{ "help", ARGS_FLAG, NULL, "show this help" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static void
verb_vmsg(const struct cli *cli, const char *kind, const char *fmt, va_list ap)
{
	fprintf(cli->err, "postroute: %s%s%s", cli->verb ? cli->verb : "", cli->verb ? ": " : "",
	    kind);
	vfprintf(cli->err, fmt, ap);
	fputc('\n', cli->err);
}

void
verb_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verb_vmsg(cli, "", fmt, ap);
	va_end(ap);
}

void
verb_note(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(cli->err, fmt, ap);
	fputc('\n', cli->err);
	va_end(ap);
}

int
verb_fail(const struct cli *cli, int rc, const struct strbuf *err)
{
	verb_error(cli, "%s", strbuf_str(err));
	return rc;
}

void
verb_help(const struct cli_verb *v, struct strbuf *out)
{
	strbuf_appendf(out, "usage: postroute %s %s\n\n%s\n", v->name, v->synopsis, v->help);
	if (v->opts != NULL && v->opts[0].name != NULL) {
		strbuf_append(out, "\noptions:\n");
		args_help(v->opts, out);
	}
	strbuf_append(out, "\ncommon options:\n");
	args_help(verb_global_opts, out);
	strbuf_append(out, "\nexit status: 0 ok, 1 the operation failed, 2 usage error, "
	    "3 cannot reach the controller or not authorised\n");
}

int
verb_format(const struct args *a, int stdout_tty, enum output_format *fmt,
    struct strbuf *err)
{
	const char *f = args_get(a, "format");

	*fmt = stdout_tty ? OUTPUT_TABLE : OUTPUT_PLAIN;
	if (args_has(a, "json")) {
		if (f != NULL && strcmp(f, "json") != 0) {
			strbuf_appendf(err, "--json and --format %s are exclusive", f);
			return -1;
		}
		*fmt = OUTPUT_JSON;
		return 0;
	}
	if (f != NULL && output_format_parse(f, fmt) != 0) {
		strbuf_appendf(err, "--format: \"%s\" is not one of table, plain, csv, json", f);
		return -1;
	}
	return 0;
}
