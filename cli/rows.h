/*
 * rows.h: API objects as table rows.
 *
 * A verb names its columns once (header, JSON field, how to show it) and
 * rows_table turns an array of API objects into a struct table for
 * output_table. Missing fields and nulls show as "-". rows_list does a
 * whole list verb: GET, then the table or the JSON document.
 *
 * Ownership: the caller frees the table (output_table_free).
 */
#ifndef POSTROUTE_CLI_ROWS_H
#define POSTROUTE_CLI_ROWS_H

#include <jansson.h>

#include "output.h"
#include "verb.h"

enum rows_kind {
	ROWS_VALUE,     /* output_cell */
	ROWS_TIME,      /* RFC 3339 shortened for people (kept whole in CSV) */
};

struct rows_col {
	const char *header;     /* NULL ends the list */
	const char *field;
	enum rows_kind kind;
};

struct table *rows_table(const json_t *objects, const struct rows_col *cols,
    enum output_format fmt);

/* The array under key in doc, or doc itself when it is an array. */
const json_t *rows_array(const json_t *doc, const char *key);

/*
 * GETs path and prints the array under key in the answer: as a table of
 * cols, or (--json) as {key: [...]} with the answer's "version" when it has
 * one. Returns the exit status (the request's error on stderr).
 */
int rows_list(struct cli *cli, const char *path, const char *key, const struct rows_col *cols);

#endif
