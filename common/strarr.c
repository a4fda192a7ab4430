/*
 * strarr.c: arrays of strings with their count (see strarr.h).
 */
#include "strarr.h"

#include <stdlib.h>

#include "xalloc.h"

void
strarr_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

char **
strarr_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}
