/*
 * chain.h: postroute history --verify, the history's hash chain checked.
 */
#ifndef POSTROUTE_CLI_CHAIN_H
#define POSTROUTE_CLI_CHAIN_H

#include "verb.h"

/*
 * Reads GET /v1/history/chain page by page from the first row and checks
 * that every row's stored hash is the one recomputed from the row and the
 * row before, and that the last row is the chain head. Prints the result
 * (or a JSON document with --json). Returns CLIENT_OK when the chain is
 * intact, CLIENT_FAILED naming the first broken row otherwise.
 */
int chain_verify(struct cli *cli);

#endif
