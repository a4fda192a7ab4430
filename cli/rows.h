/*
 * rows.h: API objects as table rows.
 *
 * A verb names its columns once (header, JSON field, how to show it) and
 * rows_table turns an array of API objects into a struct table for
 * output_table. Missing fields and nulls show as "-". rows_list does a
 * whole list verb: GET, then the table or the JSON document.
 *
 * The named objects under /v1/PLURAL/NAME (relays, providers, nodes,
 * rules) share their show, add, set and remove verbs: rows_get,
 * rows_show, rows_put, rows_remove.
 *
 * Ownership: the caller frees the table (output_table_free) and the
 * documents these functions return (json_decref).
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

/* Appends "/v1/PLURAL", then "/NAME" (escaped) when name is not NULL. */
void rows_path(struct strbuf *path, const char *plural, const char *name);

/* GET /v1/PLURAL[/NAME] into *doc; *status (may be NULL) 404 tells "no such
 * object". Returns a client_call status, the error in err. */
int rows_get(struct cli *cli, const char *plural, const char *name, json_t **doc,
    long *status, struct strbuf *err);

/* NOUN show NAME: GET, then the object as FIELD VALUE lines in the API's
 * field order, or its JSON. Returns the exit status. */
int rows_show(struct cli *cli, const char *noun, const char *plural, const char *name);

/* Sets the object's fields in body from the options over cur, the object
 * now (NULL on add). Returns 0, or -1 after a usage message. */
typedef int rows_fill_fn(struct cli *cli, const struct args *a, const json_t *cur, json_t *body);

/*
 * NOUN add|set NAME [--reason TEXT] (NAME is a->pos[0]): checks the name
 * and reason, GETs the object (on add it must not exist, on set it must),
 * fills a body, PUTs it, and under --json prints the answer, which is
 * left in *res for the caller's own line (the caller frees *res, even on
 * failure).
 * Returns the exit status (a failure's message on stderr).
 */
int rows_put(struct cli *cli, const char *noun, const char *plural, const struct args *a,
    int adding, rows_fill_fn *fill, json_t **res);

/*
 * NOUN remove NAME [--reason TEXT] (NAME is a->pos[0]): checks, DELETE,
 * prints "NOUN NAME removed" or the answer's JSON. Returns the exit status.
 */
int rows_remove(struct cli *cli, const char *noun, const char *plural, const struct args *a);

#endif
