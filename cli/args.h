/*
 * args.h: command-line options described by tables.
 *
 * A verb lists its options once (name, whether it takes a value, whether it
 * may repeat, help); args_parse reads argv against one or more such tables
 * and collects positional words. "--name value" and "--name=value" are both
 * accepted; "--" ends the options; "-h" means "--help". Nothing here is
 * fatal: every problem (unknown option, missing value, an option given twice
 * that may not repeat) is returned as a message naming the option, which
 * the caller reports as a usage error.
 *
 * Ownership: values point into argv; struct args owns only its arrays,
 * released by args_free.
 */
#ifndef POSTROUTE_CLI_ARGS_H
#define POSTROUTE_CLI_ARGS_H

#include <stddef.h>

#include "strbuf.h"

enum args_kind {
	ARGS_FLAG,      /* --dry-run */
	ARGS_VALUE,     /* --to RELAY, at most once */
	ARGS_LIST,      /* --domain D, may repeat */
};

struct args_opt {
	const char *name;       /* without the leading "--"; NULL ends a table */
	enum args_kind kind;
	const char *metavar;    /* "RELAY", for help */
	const char *help;
};

struct args_val {
	const struct args_opt *opt;
	const char *value;      /* "" for a flag */
};

struct args {
	struct args_val *vals;
	size_t nvals;
	const char **pos;
	size_t npos;
};

/*
 * Parses argv[0..argc-1] (no program name) against the NULL-terminated
 * list of tables. Returns 0, or -1 with a message appended to err.
 */
int args_parse(struct args *a, const struct args_opt *const *tables, int argc,
    char *const *argv, struct strbuf *err);

/* The value of a VALUE option, the last of a LIST, "" for a set flag, or NULL. */
const char *args_get(const struct args *a, const char *name);
int args_has(const struct args *a, const char *name);
/* The i-th value of a LIST option (0-based), or NULL past the end. */
const char *args_get_nth(const struct args *a, const char *name, size_t i);

/* Appends "  --name METAVAR   help" lines for one table. */
void args_help(const struct args_opt *table, struct strbuf *out);

void args_free(struct args *a);

#endif
