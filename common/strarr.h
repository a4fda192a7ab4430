/*
 * strarr.h: arrays of strings kept as a pointer and a count.
 *
 * NAME
 *	strarr - add to and free a char ** with its length
 *
 * SYNOPSIS
 *	char **v = NULL;
 *	size_t n = 0;
 *
 *	strarr_add(&v, &n, "example.org");
 *	v = strarr_free(v, n);
 *
 * DESCRIPTION
 *	The tree keeps lists of names (domains, senders, queue ids, MX
 *	patterns) as a char ** and a size_t side by side, in structs and in
 *	results. strarr_add appends a copy of s, growing the array by one.
 *	strarr_free frees the n strings and the array, and returns NULL for
 *	the caller to store (v = strarr_free(v, n)); v may be NULL when n
 *	is 0.
 *
 * OWNERSHIP
 *	The array and every string in it belong to whoever holds the pair;
 *	strarr_add copies s.
 *
 * DIAGNOSTICS
 *	Never fails: allocation aborts on exhaustion (xalloc.h).
 */
#ifndef POSTROUTE_STRARR_H
#define POSTROUTE_STRARR_H

#include <stddef.h>

void strarr_add(char ***v, size_t *n, const char *s);
char **strarr_free(char **v, size_t n);

#endif
