/*
 * config.c: the table-driven INI loader.
 *
 * inih does the lexing; a line-counting reader gives each handler call its
 * line number (Debian's inih is built without INI_HANDLER_LINENO). Owns the
 * strings it stores into the target until config_free.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xalloc.h"

struct config_ctx {
	const struct config_key *keys;
	void *target;
	const char *path;
	struct strbuf *errors;
	FILE *fp;
	int line;          /* line of the text inih is parsing now */
	int newlines;      /* line breaks read so far */
	bool at_bol;       /* the next read starts a new line */
	unsigned char *seen;
	int nerrors;
};

static void __attribute__((format(printf, 3, 4)))
config_error(struct config_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;
	char text[1024];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	strbuf_appendf(ctx->errors, "%s:%d: %s\n", ctx->path, line, text);
	ctx->nerrors++;
}

static char *
config_reader(char *str, int num, void *stream)
{
	struct config_ctx *ctx = stream;
	char *r;

	if (ctx->at_bol)
		ctx->line = ctx->newlines + 1;
	r = fgets(str, num, ctx->fp);
	if (r == NULL)
		return NULL;
	size_t n = strlen(r);
	ctx->at_bol = n > 0 && r[n - 1] == '\n';
	if (ctx->at_bol)
		ctx->newlines++;
	return r;
}

/* Parses value into the slot for k; returns NULL or a reason. */
static const char *
config_set(const struct config_key *k, void *target, const char *value)
{
	char *slot = (char *)target + k->offset;
	long long v;
	char *end;

	switch (k->type) {
	case CONFIG_STRING:
		free(*(char **)slot);
		*(char **)slot = xstrdup(value);
		return NULL;
	case CONFIG_ENUM: {
		size_t n = strlen(value);
		const char *p = k->choices;
		while (p && *p) {
			size_t len = strcspn(p, "|");
			if (len == n && n > 0 && strncmp(p, value, n) == 0) {
				free(*(char **)slot);
				*(char **)slot = xstrdup(value);
				return NULL;
			}
			p += len + (p[len] == '|');
		}
		return "is not one of the allowed values";
	}
	case CONFIG_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") || !strcmp(value, "1"))
			*(int *)slot = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") || !strcmp(value, "0"))
			*(int *)slot = 0;
		else
			return "is not a boolean (yes/no)";
		return NULL;
	case CONFIG_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno != 0)
			return "is not an integer";
		if (v < k->min || v > k->max)
			return "is out of range";
		*(long long *)slot = v;
		return NULL;
	case CONFIG_DURATION:
		if (duration_parse_ms(value, &v) != 0)
			return "is not a duration (e.g. 500ms, 30s, 5m, 2h)";
		if (v < k->min || v > k->max)
			return "is out of range";
		*(long long *)slot = v;
		return NULL;
	}
	return "has an unknown type";
}

const char *
config_set_value(const struct config_key *k, void *target, const char *value)
{
	return config_set(k, target, value);
}

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_ctx *ctx = user;
	const char *err;

	for (size_t i = 0; ctx->keys[i].key != NULL; i++) {
		const struct config_key *k = &ctx->keys[i];
		if (strcmp(k->section, section) != 0 || strcmp(k->key, name) != 0)
			continue;
		if (ctx->seen[i]) {
			config_error(ctx, ctx->line, "[%s] %s: set twice", section, name);
			return 1;
		}
		ctx->seen[i] = 1;
		if ((err = config_set(k, ctx->target, value)) != NULL) {
			if (k->type == CONFIG_ENUM)
				config_error(ctx, ctx->line, "[%s] %s: \"%.200s\" is not one of %s",
				    section, name, value, k->choices);
			else
				config_error(ctx, ctx->line, "[%s] %s: \"%.200s\" %s",
				    section, name, value, err);
		}
		return 1;
	}
	config_error(ctx, ctx->line, "[%s] %s: unknown key", section, name);
	return 1;
}

int
config_load(const struct config_key *keys, void *target, const char *path,
    struct strbuf *errors)
{
	struct config_ctx ctx = { .keys = keys, .target = target, .path = path,
	    .errors = errors, .at_bol = true };
	size_t nkeys = 0;
	int rc;

	while (keys[nkeys].key != NULL)
		nkeys++;
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].def != NULL && config_set(&keys[i], target, keys[i].def) != NULL)
			strbuf_appendf(errors, "internal: bad default for [%s] %s\n",
			    keys[i].section, keys[i].key);
	}
	if ((ctx.fp = fopen(path, "r")) == NULL) {
		strbuf_appendf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	ctx.seen = xcalloc(nkeys, 1);
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 8192;
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	rc = ini_parse_stream(config_reader, &ctx, config_handler, &ctx);
	fclose(ctx.fp);
	if (rc > 0) {
		strbuf_appendf(errors, "%s:%d: syntax error (expected [section] or key = value)\n",
		    path, rc);
		ctx.nerrors++;
	} else if (rc < 0) {
		strbuf_appendf(errors, "%s: cannot parse (out of memory)\n", path);
		ctx.nerrors++;
	}
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].required && !ctx.seen[i]) {
			strbuf_appendf(errors, "%s: [%s] %s: required key is missing\n",
			    path, keys[i].section, keys[i].key);
			ctx.nerrors++;
		}
	}
	free(ctx.seen);
	return ctx.nerrors ? -1 : 0;
}

void
config_free(const struct config_key *keys, void *target)
{
	for (size_t i = 0; keys[i].key != NULL; i++) {
		if (keys[i].type == CONFIG_STRING || keys[i].type == CONFIG_ENUM) {
			char **slot = (char **)((char *)target + keys[i].offset);
			free(*slot);
			*slot = NULL;
		}
	}
}

void
config_sample(const struct config_key *keys, struct strbuf *out)
{
	const char *section = NULL;

	for (size_t i = 0; keys[i].key != NULL; i++) {
		const struct config_key *k = &keys[i];
		if (section == NULL || strcmp(section, k->section) != 0) {
			strbuf_appendf(out, "%s[%s]\n", section ? "\n" : "", k->section);
			section = k->section;
		}
		strbuf_appendf(out, "# %s%s\n", k->help, k->required ? " (required)" : "");
		if (k->type == CONFIG_ENUM)
			strbuf_appendf(out, "# one of: %s\n", k->choices);
		strbuf_appendf(out, "%s%s = %s\n", k->required || k->def == NULL ? "" : "#",
		    k->key, k->def ? k->def : "");
	}
}
