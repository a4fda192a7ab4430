/*
 * verb.h: what every postroute verb is given, and how it is described.
 *
 * A verb ("flip", "relay add") is a table entry: its words, synopsis,
 * options, help text with an example, how many positional words it takes,
 * and the function that runs it. The run function gets a struct cli with
 * the API client and the output settings, and returns the exit status
 * (enum client_exit). Messages for the user go through verb_error (stderr,
 * prefixed with the program and verb) and verb_note (stderr).
 *
 * Ownership: struct cli and its members belong to main.c.
 */
#ifndef POSTROUTE_CLI_VERB_H
#define POSTROUTE_CLI_VERB_H

#include <stdio.h>

#include "args.h"
#include "client.h"
#include "output.h"

struct cli {
	const char *verb;          /* "flip", "relay add" */
	struct client *api;
	enum output_format format;
	int tty_err;               /* stderr is a terminal: progress may redraw */
	FILE *out;
	FILE *err;
	long long now;             /* the clock, seconds (for relative times) */
};

struct cli_verb {
	const char *name;          /* NULL ends a table */
	const char *synopsis;      /* after "postroute NAME " */
	const char *summary;       /* one line for the verb list */
	const char *help;          /* paragraphs, ending with an example */
	const struct args_opt *opts;
	int min_pos, max_pos;      /* positional words after the verb */
	int (*run)(struct cli *cli, const struct args *a);
};

/* The options every verb accepts (connection, output, help). */
extern const struct args_opt verb_global_opts[];

void verb_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void verb_note(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes the verb's full help (synopsis, text, options, exit status). */
void verb_help(const struct cli_verb *v, struct strbuf *out);

/* A request failed: reports err and passes rc through. */
int verb_fail(const struct cli *cli, int rc, const struct strbuf *err);

/* The output format; --json wins; "csv" only where allowed. */
int verb_format(const struct args *a, int stdout_tty, enum output_format *fmt,
    struct strbuf *err);

#endif
