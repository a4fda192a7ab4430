/*
 * chain.h: postroute history --verify, the history's hash chain checked.
 */
#ifndef POSTROUTE_CLI_CHAIN_H
#define POSTROUTE_CLI_CHAIN_H

#include "verb.h"

/*
 * Reads GET /v1/history/chain page by page from the first row and checks
 * that every row's stored hash is the one recomputed from the row and the
 * row before, and, when anchor ("ID:HASH", may be NULL) is given, that row
 * ID is still there with that hash. Prints the result and the anchor of
 * the last row (or a JSON document with --json). Returns CLIENT_OK when
 * the chain is intact, CLIENT_FAILED naming the first broken row
 * otherwise, CLIENT_USAGE for a malformed anchor.
 */
int chain_verify(struct cli *cli, const char *anchor);

#endif
