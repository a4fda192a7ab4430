/*
 * output.h: tables for people, plain lines for pipes, CSV and JSON.
 *
 * A verb fills a struct table (headers, then rows of cells) and renders it
 * with output_table_print: OUTPUT_TABLE aligns columns under a header (the
 * default on a terminal); OUTPUT_PLAIN writes one tab-separated line per
 * row with no header (the default when stdout is not a terminal); OUTPUT_CSV
 * writes RFC 4180 with a header line. JSON output is the verb's own
 * document, written by output_json.
 *
 * SECURITY: cells come from the API and may hold anything an operator typed
 * (reasons) or a log line carried. Table and plain output replace control
 * characters (escape sequences, tabs, line breaks) with '?', so a value can
 * neither rewrite the terminal nor forge a row or a column.
 *
 * Ownership: the table owns copies of its cells until output_table_free.
 */
#ifndef POSTROUTE_CLI_OUTPUT_H
#define POSTROUTE_CLI_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

#include "strbuf.h"

enum output_format { OUTPUT_TABLE, OUTPUT_PLAIN, OUTPUT_CSV, OUTPUT_JSON };

struct table {
	size_t ncols;
	size_t nrows;
	char **cells;          /* (nrows + 1) * ncols, row 0 the headers */
};

/* "table", "plain", "csv", "json"; returns -1 for anything else. */
int output_format_parse(const char *name, enum output_format *out);

struct table *output_table_new(size_t ncols, const char *const *headers);
/* Adds a row of ncols cells; a NULL cell renders as "-". */
void output_table_add(struct table *t, const char *const *cells);
struct table *output_table_free(struct table *t);

void output_table_print(FILE *fp, enum output_format fmt, const struct table *t);
/* Pretty-printed, keys sorted, with a final newline. */
void output_json(FILE *fp, const json_t *v);

/*
 * A JSON value as one cell: strings as they are, null as NULL (rendered
 * "-"), numbers, true/false as "yes"/"no", arrays of strings joined with
 * ',', anything else compact JSON. Returns an allocated string or NULL.
 */
char *output_cell(const json_t *v);

/* Writes s with control characters replaced by '?' (NULL as "-"). */
void output_text(FILE *fp, const char *s);

/* "2026-11-27T18:04:05.123Z" -> "2026-11-27 18:04:05" for tables. */
char *output_short_time(const char *rfc3339);

#endif
