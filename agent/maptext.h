/*
 * maptext.h: the line walk shared by the checks of map texts (the
 * transport map in the privileged helper, the hold map).
 *
 * maptext_check accepts text only when it is empty or ends with a line
 * break, has no empty line, and fn accepts every line (len without the
 * line break, no counted from 1). The first refusal stops the walk: -1
 * with "line N: ..." (or the reason for the whole text) in err.
 */
#ifndef POSTROUTE_MAPTEXT_H
#define POSTROUTE_MAPTEXT_H

#include <stddef.h>

#include "strbuf.h"

typedef int maptext_line_fn(const char *line, size_t len, size_t no, struct strbuf *err);

int maptext_check(const char *text, maptext_line_fn *fn, struct strbuf *err);

#endif
