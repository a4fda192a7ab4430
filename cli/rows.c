/*
 * rows.c: building tables from arrays of API objects.
 */
#include "rows.h"

#include <stdlib.h>

#include "xalloc.h"

struct table *
rows_table(const json_t *objects, const struct rows_col *cols, enum output_format fmt)
{
	size_t n = 0, i;
	json_t *o;

	while (cols[n].header != NULL)
		n++;
	const char **hdr = xcalloc(n + 1, sizeof(*hdr));
	char **cells = xcalloc(n + 1, sizeof(*cells));
	for (size_t c = 0; c < n; c++)
		hdr[c] = cols[c].header;
	struct table *t = output_table_new(n, hdr);
	json_array_foreach(objects, i, o) {
		for (size_t c = 0; c < n; c++) {
			char *v = output_cell(json_object_get(o, cols[c].field));
			if (cols[c].kind == ROWS_TIME && fmt != OUTPUT_CSV && v != NULL) {
				char *s = output_short_time(v);
				free(v);
				v = s;
			}
			cells[c] = v;
		}
		output_table_add(t, (const char *const *)cells);
		for (size_t c = 0; c < n; c++)
			free(cells[c]);
	}
	free(cells);
	free(hdr);
	return t;
}

const json_t *
rows_array(const json_t *doc, const char *key)
{
	if (json_is_array(doc))
		return doc;
	return json_object_get(doc, key);
}
