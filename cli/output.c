/*
 * output.c: rendering of tables, CSV and JSON for the CLI.
 */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int
output_format_parse(const char *name, enum output_format *out)
{
	static const char *names[] = { "table", "plain", "csv", "json" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum output_format)i;
			return 0;
		}
	}
	return -1;
}

struct table *
output_table_new(size_t ncols, const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->cells = xcalloc(ncols, sizeof(char *));
	for (size_t i = 0; i < ncols; i++)
		t->cells[i] = xstrdup(headers[i]);
	return t;
}

void
output_table_add(struct table *t, const char *const *cells)
{
	size_t base = (t->nrows + 1) * t->ncols;

	t->cells = xrealloc(t->cells, (base + t->ncols) * sizeof(char *));
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[base + i] = xstrdup(cells[i] ? cells[i] : "-");
	t->nrows++;
}

struct table *
output_table_free(struct table *t)
{
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
	return NULL;
}

/* The cell with control characters replaced; returns its display width. */
static size_t
output_clean(const char *s, struct strbuf *out)
{
	size_t width = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		strbuf_appendc(out, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
		if ((*p & 0xc0) != 0x80)   /* count UTF-8 lead bytes only */
			width++;
	}
	return width;
}

static size_t
output_width(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t w = output_clean(s, &sb);

	strbuf_clear(&sb);
	return w;
}

static void
output_aligned(FILE *fp, const struct table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(size_t));
	struct strbuf line = STRBUF_INIT;

	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = output_width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		strbuf_reset(&line);
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = output_clean(t->cells[r * t->ncols + c], &line);
			if (c + 1 < t->ncols)
				for (size_t k = cw; k < w[c] + 2; k++)
					strbuf_appendc(&line, ' ');
		}
		while (line.len > 0 && line.buf[line.len - 1] == ' ')
			line.buf[--line.len] = '\0';
		fprintf(fp, "%s\n", strbuf_str(&line));
	}
	strbuf_clear(&line);
	free(w);
}

static void
output_plain(FILE *fp, const struct table *t)
{
	struct strbuf line = STRBUF_INIT;

	for (size_t r = 1; r <= t->nrows; r++) {
		strbuf_reset(&line);
		for (size_t c = 0; c < t->ncols; c++) {
			if (c > 0)
				strbuf_appendc(&line, '\t');
			output_clean(t->cells[r * t->ncols + c], &line);
		}
		fprintf(fp, "%s\n", strbuf_str(&line));
	}
	strbuf_clear(&line);
}

/*
 * SECURITY: a spreadsheet runs a cell starting with = + - @ (or a tab or
 * CR before one) as a formula: a reason or a sender chosen by someone
 * else could then run a command on the reader's machine. As OWASP's CSV
 * injection advice says, such a cell gets a leading single quote, which
 * spreadsheets show as text.
 */
static void
output_csv_cell(struct strbuf *line, const char *s)
{
	if (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL) {
		char *defused = xasprintf("'%s", s);
		output_csv_cell(line, defused);
		free(defused);
		return;
	}
	if (strpbrk(s, ",\"\r\n") == NULL) {
		strbuf_append(line, s);
		return;
	}
	strbuf_appendc(line, '"');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_appendc(line, '"');
		strbuf_appendc(line, *s);
	}
	strbuf_appendc(line, '"');
}

static void
output_csv(FILE *fp, const struct table *t)
{
	struct strbuf line = STRBUF_INIT;

	for (size_t r = 0; r <= t->nrows; r++) {
		strbuf_reset(&line);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			if (c > 0)
				strbuf_appendc(&line, ',');
			output_csv_cell(&line, r > 0 && strcmp(cell, "-") == 0 ? "" : cell);
		}
		fprintf(fp, "%s\r\n", strbuf_str(&line));
	}
	strbuf_clear(&line);
}

void
output_table_print(FILE *fp, enum output_format fmt, const struct table *t)
{
	switch (fmt) {
	case OUTPUT_TABLE:
		output_aligned(fp, t);
		break;
	case OUTPUT_PLAIN:
		output_plain(fp, t);
		break;
	case OUTPUT_CSV:
		output_csv(fp, t);
		break;
	case OUTPUT_JSON:
		break;
	}
}

void
output_json(FILE *fp, const json_t *v)
{
	json_dumpf(v, fp, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', fp);
}

char *
output_cell(const json_t *v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *e;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_true(v))
		return xstrdup("yes");
	if (json_is_false(v))
		return xstrdup("no");
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			char *c = output_cell(e);
			if (i > 0)
				strbuf_appendc(&sb, ',');
			strbuf_append(&sb, c ? c : "-");
			free(c);
		}
		return strbuf_detach(&sb);
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	char *r = xstrdup(s ? s : "?");
	free(s);
	return r;
}

void
output_text(FILE *fp, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	output_clean(s ? s : "-", &sb);
	fputs(strbuf_str(&sb), fp);
	strbuf_clear(&sb);
}

char *
output_short_time(const char *t)
{
	size_t len;

	if (t == NULL)
		return NULL;
	len = strlen(t);
	if (len < 19 || t[10] != 'T')
		return xstrdup(t);
	char *s = xstrndup(t, 19);
	s[10] = ' ';
	return s;
}
