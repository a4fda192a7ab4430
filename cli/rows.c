/*
 * rows.c: building tables from arrays of API objects, and the verbs every
 * named object under /v1/PLURAL/NAME shares (list, show, remove, and the
 * GET that add and set start with).
 */
#include "rows.h"

#include <stdlib.h>

#include "check.h"
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

void
rows_path(struct strbuf *path, const char *plural, const char *name)
{
	strbuf_appendf(path, "/v1/%s", plural);
	if (name != NULL) {
		strbuf_appendc(path, '/');
		client_escape(path, name);
	}
}

int
rows_get(struct cli *cli, const char *plural, const char *name, json_t **doc,
    long *status, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc;

	rows_path(&path, plural, name);
	rc = client_call(cli->api, "GET", strbuf_str(&path), NULL, doc, status, err);
	strbuf_clear(&path);
	return rc;
}

static void
rows_print_fields(struct cli *cli, const json_t *obj)
{
	static const char *hdr[] = { "FIELD", "VALUE" };
	struct table *t;
	const char *key;
	json_t *v;

	if (cli->format == OUTPUT_JSON) {
		output_json(cli->out, obj);
		return;
	}
	t = output_table_new(2, hdr);
	json_object_foreach((json_t *)obj, key, v) {
		char *c = output_cell(v);
		const char *cells[] = { key, c };
		output_table_add(t, cells);
		free(c);
	}
	output_table_print(cli->out, cli->format, t);
	output_table_free(t);
}

int
rows_show(struct cli *cli, const char *noun, const char *plural, const char *name)
{
	struct strbuf err = STRBUF_INIT;
	json_t *obj = NULL;
	int rc;

	if (check_name(cli, noun, name) != 0)
		return CLIENT_USAGE;
	rc = rows_get(cli, plural, name, &obj, NULL, &err);
	if (rc == CLIENT_OK)
		rows_print_fields(cli, obj);
	else
		verb_fail(cli, rc, &err);
	json_decref(obj);
	strbuf_clear(&err);
	return rc;
}

static int
rows_get_current(struct cli *cli, const char *noun, const char *plural, const char *name,
    int adding, json_t **cur, struct strbuf *err)
{
	long status = 0;
	int rc = rows_get(cli, plural, name, cur, &status, err);

	if (rc == CLIENT_FAILED && status == 404 && adding) {
		rc = CLIENT_OK;
		strbuf_reset(err);
	} else if (rc == CLIENT_OK && adding) {
		strbuf_appendf(err, "%s %s already exists (change it with \"postroute %s set\")",
		    noun, name, noun);
		rc = CLIENT_FAILED;
	}
	return rc;
}

int
rows_put(struct cli *cli, const char *noun, const char *plural, const struct args *a,
    int adding, rows_fill_fn *fill, json_t **res)
{
	const char *name = a->pos[0], *reason = args_get(a, "reason");
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	json_t *cur = NULL, *body = json_object();
	int rc;

	*res = NULL;
	if (check_name(cli, noun, name) != 0 || check_reason(cli, "--reason", reason, 0) != 0) {
		rc = CLIENT_USAGE;
		goto done;
	}
	rc = rows_get_current(cli, noun, plural, name, adding, &cur, &err);
	if (rc != CLIENT_OK)
		goto done;
	if (fill(cli, a, cur, body) != 0) {
		rc = CLIENT_USAGE;
		goto done;
	}
	if (reason != NULL)
		json_object_set_new(body, "reason", json_string(reason));
	rows_path(&path, plural, name);
	rc = client_call(cli->api, "PUT", strbuf_str(&path), body, res, NULL, &err);
	if (rc == CLIENT_OK && cli->format == OUTPUT_JSON)
		output_json(cli->out, *res);
done:
	if (err.len > 0)
		verb_error(cli, "%s", strbuf_str(&err));
	json_decref(cur), json_decref(body);
	strbuf_clear(&err), strbuf_clear(&path);
	return rc;
}

int
rows_remove(struct cli *cli, const char *noun, const char *plural, const struct args *a)
{
	const char *name = a->pos[0], *reason = args_get(a, "reason");
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	json_t *res = NULL;
	int rc;

	if (check_name(cli, noun, name) != 0 || check_reason(cli, "--reason", reason, 0) != 0)
		return CLIENT_USAGE;
	rows_path(&path, plural, name);
	if (reason != NULL) {
		strbuf_append(&path, "?reason=");
		client_escape(&path, reason);
	}
	rc = client_call(cli->api, "DELETE", strbuf_str(&path), NULL, &res, NULL, &err);
	if (rc != CLIENT_OK)
		verb_fail(cli, rc, &err);
	else if (cli->format == OUTPUT_JSON && res != NULL)
		output_json(cli->out, res);
	else if (cli->format == OUTPUT_JSON)
		fputs("{}\n", cli->out);   /* what output_json prints for an empty object */
	else
		fprintf(cli->out, "%s %s removed\n", noun, name);
	json_decref(res);
	strbuf_clear(&err), strbuf_clear(&path);
	return rc;
}
