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

int
rows_list(struct cli *cli, const char *path, const char *key, const struct rows_col *cols)
{
	struct strbuf err = STRBUF_INIT;
	json_t *doc = NULL;
	int rc;

	rc = client_call(cli->api, "GET", path, NULL, &doc, NULL, &err);
	if (rc != CLIENT_OK) {
		verb_fail(cli, rc, &err);
	} else if (cli->format == OUTPUT_JSON) {
		json_t *out = json_pack("{s:O}", key, rows_array(doc, key));
		json_t *version = json_object_get(doc, "version");
		if (out != NULL && version != NULL)
			json_object_set(out, "version", version);
		output_json(cli->out, out);
		json_decref(out);
	} else {
		struct table *t = rows_table(rows_array(doc, key), cols, cli->format);
		output_table_print(cli->out, cli->format, t);
		output_table_free(t);
	}
	json_decref(doc);
	strbuf_clear(&err);
	return rc;
}
