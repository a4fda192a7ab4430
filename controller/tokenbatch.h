/*
 * tokenbatch.h: `postrouted token create --batch`: one token for each node
 * of a list, each secret written to a file of its own, all or nothing.
 *
 * The list is read and checked whole before anything is created: one node
 * name per line (common/validate.c's validate_name), blank lines and '#'
 * comments allowed, no name twice, at most TOKEN_BATCH_MAX names. The
 * out-dir is checked next: no NODE.token may exist there yet. Then, in one
 * transaction, each token row and its token.create history row is
 * inserted and its secret written to DIR/NODE.token (created O_EXCL,
 * O_NOFOLLOW, mode 0600, fsynced); any failure removes the files made so
 * far and rolls back, so a bad list or a file in the way leaves no row
 * and no file. Secrets go to those files only: never to standard output,
 * an error message or a log.
 *
 * The one window left: a COMMIT whose answer is lost (the connection
 * drops after the server committed) leaves token rows whose secrets were
 * removed with their files; such tokens are useless and `token list`
 * shows them for revocation.
 */
#ifndef POSTROUTE_TOKENBATCH_H
#define POSTROUTE_TOKENBATCH_H

#include <stdio.h>

#include <libpq-fe.h>

#include "strbuf.h"

#define TOKEN_BATCH_MAX 1000

struct token_batch {
	char **node;        /* the node names, in the order of the list */
	int *line;          /* the line each came from */
	size_t n;
	const char *role;   /* "agent" or "detector": each token bound to its node */
	const char *suffix; /* token name = node name + suffix ("" or NULL: none) */
	const char *out_dir;
	int dirfd;          /* out_dir, opened by token_batch_check; -1 before */
};

/* Reads the node list from fp; what names it in messages (the file's
 * path, or "standard input"). Every name is checked; the first problem is
 * returned (-1, err naming the line), else 0 with b->node filled. */
int token_batch_read(struct token_batch *b, FILE *fp, const char *what, struct strbuf *err);

/* Checks the role, the token names (node + suffix) and out_dir: a
 * directory, with no NODE.token in it yet. Opens out_dir for
 * token_batch_create. 0, or -1 with err set; creates nothing. */
int token_batch_check(struct token_batch *b, struct strbuf *err);

/* Creates every token in one transaction and writes its file; appends to
 * out one line per node: "NODE token=NAME role=ROLE file=PATH". 0, or -1
 * with err set and nothing created (no row, no file). */
int token_batch_create(PGconn *c, struct token_batch *b, const char *actor, struct strbuf *out,
    struct strbuf *err);

void token_batch_free(struct token_batch *b);

#endif
