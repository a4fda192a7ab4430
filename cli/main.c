/*
 * main.c: postroute, the SRE's command-line tool for the postroute API.
 *
 * Finds the verb (one word, or two for "relay add" and the like) among the
 * arguments, parses the rest against the verb's options and the common
 * ones, resolves the connection settings, and runs the verb. Exit status:
 * 0 ok, 1 the operation failed, 2 usage error, 3 cannot reach the
 * controller or not authorised.
 *
 * Nothing is fatal except exhausted memory (xalloc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "cmd_history.h"
#include "cmd_objects.h"
#include "cmd_route.h"
#include "cmd_rule.h"
#include "cmd_sender.h"
#include "cmd_status.h"
#include "httpc.h"
#include "cliconf.h"
#include "verb.h"

static const struct cli_verb *const main_tables[] = {
	cmd_route_verbs, cmd_status_verbs, cmd_history_verbs, cmd_objects_verbs, cmd_sender_verbs,
	cmd_rule_verbs, NULL,
};

static const char *
main_getenv(const char *name)
{
	return getenv(name);
}

static const struct cli_verb *
main_find(const char *w1, const char *w2, int *words)
{
	char two[64];

	/* "rm" is short for "remove" after every noun (relay, provider, node, rule). */
	if (w2 != NULL && strcmp(w2, "rm") == 0)
		w2 = "remove";
	snprintf(two, sizeof(two), "%s %s", w1, w2 ? w2 : "");
	for (size_t t = 0; main_tables[t] != NULL; t++) {
		for (const struct cli_verb *v = main_tables[t]; v->name != NULL; v++) {
			if (strcmp(v->name, w1) == 0) {
				*words = 1;
				return v;
			}
			if (w2 != NULL && strcmp(v->name, two) == 0) {
				*words = 2;
				return v;
			}
		}
	}
	return NULL;
}

static void
main_usage(FILE *fp)
{
	fprintf(fp, "usage: postroute VERB [options]\n\nverbs:\n");
	for (size_t t = 0; main_tables[t] != NULL; t++)
		for (const struct cli_verb *v = main_tables[t]; v->name != NULL; v++)
			fprintf(fp, "  %-18s %s\n", v->name, v->summary);
	fprintf(fp, "\n\"postroute VERB --help\" shows a verb's options and an example.\n"
	    "Connection: $POSTROUTE_URL and $POSTROUTE_TOKEN, or --url, --token-file or\n"
	    "--token-stdin, or ~/.config/postroute/cli.ini ([cli] url, token_file, ca_file,\n"
	    "client_cert, client_key, insecure_http).\n\n"
	    "exit status: 0 ok, 1 the operation failed, 2 usage error, 3 cannot reach\n"
	    "the controller or not authorised\n");
}

/* "postroute relay" alone: the verbs of that noun; returns how many. */
static int
main_noun_usage(FILE *fp, const char *noun)
{
	size_t n = strlen(noun);
	int found = 0;

	for (size_t t = 0; main_tables[t] != NULL; t++) {
		for (const struct cli_verb *v = main_tables[t]; v->name != NULL; v++) {
			if (strncmp(v->name, noun, n) != 0 || v->name[n] != ' ')
				continue;
			if (found++ == 0)
				fprintf(fp, "usage: postroute %s VERB [options]\n\nverbs:\n", noun);
			fprintf(fp, "  %-18s %s\n", v->name, v->summary);
		}
	}
	if (found)
		fprintf(fp, "\n\"postroute %s VERB --help\" shows a verb's options and an example.\n",
		    noun);
	return found;
}

/* Positions of the verb's words: the first words that are not options or
 * values of the common options. Returns the index of the first word or -1. */
static int
main_verb_index(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (w[0] != '-')
			return i;
		if (strcmp(w, "--") == 0)
			return i + 1 < argc ? i + 1 : -1;
		for (const struct args_opt *o = verb_global_opts; o->name != NULL; o++) {
			if (o->kind != ARGS_FLAG && strncmp(w, "--", 2) == 0 && strcmp(w + 2, o->name) == 0)
				i++;
		}
	}
	return -1;
}

/* argv without the program name and the verb's words. */
static char **
main_rest(int argc, char **argv, int at, int words, int *n)
{
	char **rest = calloc((size_t)argc + 1, sizeof(char *));

	if (rest == NULL) {
		perror("postroute");
		exit(1);
	}
	*n = 0;
	for (int i = 1; i < argc; i++) {
		if (i < at || i >= at + words)
			rest[(*n)++] = argv[i];
	}
	return rest;
}

static int
main_check_pos(struct cli *cli, const struct cli_verb *v, const struct args *a)
{
	if ((int)a->npos < v->min_pos) {
		verb_error(cli, "missing argument (usage: postroute %s %s)", v->name, v->synopsis);
		return -1;
	}
	if ((int)a->npos > v->max_pos) {
		verb_error(cli, "unexpected argument \"%.100s\" (usage: postroute %s %s)",
		    a->pos[v->max_pos], v->name, v->synopsis);
		return -1;
	}
	return 0;
}

/* Reads the TLS files that s names; a bad one is a usage error. */
static int
main_tls(const struct cli *cli, const struct cliconf *s, struct httpc_tls *tls)
{
	struct strbuf err = STRBUF_INIT;
	int rc = httpc_tls_load(tls, s->ca_file, s->client_cert, s->client_key, &err);

	if (rc != 0)
		verb_error(cli, "%s", strbuf_str(&err));
	strbuf_clear(&err);
	return rc;
}

/* Parses, connects and runs v; returns the exit status. */
static int
main_run(const struct cli_verb *v, int argc, char **argv)
{
	const struct args_opt *const tables[] = { verb_global_opts, v->opts, NULL };
	struct cli cli = { .verb = v->name, .out = stdout, .err = stderr,
	    .tty_err = isatty(2), .now = (long long)time(NULL) };
	struct strbuf err = STRBUF_INIT;
	struct cliconf s;
	struct httpc_tls tls;
	struct args a;
	int rc = CLIENT_USAGE;

	if (args_parse(&a, tables, argc, argv, &err) != 0 ||
	    verb_format(&a, isatty(1), &cli.format, &err) != 0) {
		verb_error(&cli, "%s (see postroute %s --help)", strbuf_str(&err), v->name);
		goto done;
	}
	if (args_has(&a, "help")) {
		verb_help(v, &err);
		fputs(strbuf_str(&err), stdout);
		rc = CLIENT_OK;
		goto done;
	}
	if (main_check_pos(&cli, v, &a) != 0)
		goto done;
	if (cliconf_resolve(&s, &a, main_getenv, &err) != 0) {
		verb_error(&cli, "%s", strbuf_str(&err));
		goto done;
	}
	httpc_global_init();
	if (main_tls(&cli, &s, &tls) != 0) {
		cliconf_free(&s);
		goto done;
	}
	cli.api = client_new(s.url, s.token, &tls);
	cliconf_free(&s);
	rc = v->run(&cli, &a);
	cli.api = client_free(cli.api);
done:
	args_free(&a);
	strbuf_clear(&err);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct cli_verb *v;
	int at = main_verb_index(argc, argv), words = 0, n, rc;
	char **rest;

	if (at < 0) {
		int help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
		if (argc > 1 && strcmp(argv[1], "--version") == 0) {
			printf("postroute %s\n", POSTROUTE_VERSION);
			return 0;
		}
		main_usage(help ? stdout : stderr);
		return help ? 0 : CLIENT_USAGE;
	}
	if (strcmp(argv[at], "help") == 0 && at + 1 < argc) {
		v = main_find(argv[at + 1], at + 2 < argc ? argv[at + 2] : NULL, &words);
		if (v != NULL) {
			struct strbuf sb = STRBUF_INIT;
			verb_help(v, &sb);
			fputs(strbuf_str(&sb), stdout);
			strbuf_clear(&sb);
			return 0;
		}
	}
	v = main_find(argv[at], at + 1 < argc ? argv[at + 1] : NULL, &words);
	if (v == NULL && (at + 1 >= argc || argv[at + 1][0] == '-')) {
		int help = at + 1 < argc && (strcmp(argv[at + 1], "--help") == 0 ||
		    strcmp(argv[at + 1], "-h") == 0);
		if (main_noun_usage(help ? stdout : stderr, argv[at]) > 0)
			return help ? 0 : CLIENT_USAGE;
	}
	if (v == NULL) {
		fprintf(stderr, "postroute: unknown verb \"%.100s%s%.100s\"\n\n", argv[at],
		    at + 1 < argc && argv[at + 1][0] != '-' ? " " : "",
		    at + 1 < argc && argv[at + 1][0] != '-' ? argv[at + 1] : "");
		main_usage(stderr);
		return CLIENT_USAGE;
	}
	rest = main_rest(argc, argv, at, words, &n);
	rc = main_run(v, n, rest);
	free(rest);
	return rc;
}
