/*
 * args.c: table-driven option parsing for the postroute verbs.
 */
#include "args.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const struct args_opt *
args_lookup(const struct args_opt *const *tables, const char *name, size_t len)
{
	for (size_t t = 0; tables[t] != NULL; t++) {
		for (const struct args_opt *o = tables[t]; o->name != NULL; o++) {
			if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
				return o;
		}
	}
	return NULL;
}

static void
args_push_val(struct args *a, const struct args_opt *o, const char *value)
{
	a->vals = xrealloc(a->vals, (a->nvals + 1) * sizeof(*a->vals));
	a->vals[a->nvals].opt = o;
	a->vals[a->nvals].value = value;
	a->nvals++;
}

static void
args_push_pos(struct args *a, const char *word)
{
	a->pos = xrealloc(a->pos, (a->npos + 1) * sizeof(*a->pos));
	a->pos[a->npos++] = word;
}

static int
args_seen(const struct args *a, const struct args_opt *o)
{
	for (size_t i = 0; i < a->nvals; i++) {
		if (a->vals[i].opt == o)
			return 1;
	}
	return 0;
}

/* One "--name[=value]" word at argv[*i]; may consume the next word. */
static int
args_option(struct args *a, const struct args_opt *const *tables, int argc,
    char *const *argv, int *i, struct strbuf *err)
{
	const char *word = argv[*i];
	const char *name = strcmp(word, "-h") == 0 ? "help" : word + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct args_opt *o = args_lookup(tables, name, len);
	const char *value = "";

	if (o == NULL) {
		strbuf_appendf(err, "unknown option --%.*s", (int)len, name);
		return -1;
	}
	if (o->kind == ARGS_FLAG) {
		if (eq != NULL) {
			strbuf_appendf(err, "--%s takes no value", o->name);
			return -1;
		}
	} else if (eq != NULL) {
		value = eq + 1;
	} else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
		value = argv[++*i];
	} else {
		strbuf_appendf(err, "--%s needs a value (%s)", o->name, o->metavar);
		return -1;
	}
	if (o->kind != ARGS_LIST && args_seen(a, o)) {
		strbuf_appendf(err, "--%s given twice", o->name);
		return -1;
	}
	args_push_val(a, o, value);
	return 0;
}

int
args_parse(struct args *a, const struct args_opt *const *tables, int argc,
    char *const *argv, struct strbuf *err)
{
	int options_done = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		if (options_done || w[0] != '-' || w[1] == '\0') {
			args_push_pos(a, w);
		} else if (strcmp(w, "--") == 0) {
			options_done = 1;
		} else if (strncmp(w, "--", 2) == 0 || strcmp(w, "-h") == 0) {
			if (args_option(a, tables, argc, argv, &i, err) != 0)
				return -1;
		} else {
			strbuf_appendf(err, "unknown option %s", w);
			return -1;
		}
	}
	return 0;
}

const char *
args_get(const struct args *a, const char *name)
{
	const char *v = NULL;

	for (size_t i = 0; i < a->nvals; i++) {
		if (strcmp(a->vals[i].opt->name, name) == 0)
			v = a->vals[i].value;
	}
	return v;
}

int
args_has(const struct args *a, const char *name)
{
	return args_get(a, name) != NULL;
}

const char *
args_get_nth(const struct args *a, const char *name, size_t n)
{
	for (size_t i = 0; i < a->nvals; i++) {
		if (strcmp(a->vals[i].opt->name, name) == 0 && n-- == 0)
			return a->vals[i].value;
	}
	return NULL;
}

void
args_help(const struct args_opt *table, struct strbuf *out)
{
	for (const struct args_opt *o = table; o->name != NULL; o++) {
		struct strbuf left = STRBUF_INIT;
		strbuf_appendf(&left, "--%s", o->name);
		if (o->kind != ARGS_FLAG)
			strbuf_appendf(&left, " %s", o->metavar);
		strbuf_appendf(out, "  %-24s %s%s\n", strbuf_str(&left), o->help,
		    o->kind == ARGS_LIST ? " (repeatable)" : "");
		strbuf_clear(&left);
	}
}

void
args_free(struct args *a)
{
	free(a->vals);
	free(a->pos);
	memset(a, 0, sizeof(*a));
}
