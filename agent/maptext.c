/*
 * maptext.c: the line walk of the map checks (see maptext.h).
 */
#include "maptext.h"

#include <string.h>

int
maptext_check(const char *text, maptext_line_fn *fn, struct strbuf *err)
{
	size_t no = 0, n = strlen(text);

	if (n > 0 && text[n - 1] != '\n') {
		strbuf_append(err, "text does not end with a line break");
		return -1;
	}
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		no++;
		if (nl == p) {
			strbuf_appendf(err, "line %zu: empty", no);
			return -1;
		}
		if (fn(p, (size_t)(nl - p), no, err) != 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}
