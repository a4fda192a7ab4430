/*
 * config.h: INI files driven by one declarative table of keys.
 *
 * Each program describes its keys once (section, key, type, where to store,
 * default, bounds, required, help). config_load applies the defaults, parses
 * the file with inih and collects every error as "FILE:LINE: message" in one
 * buffer, so an operator sees all mistakes at once. Unknown sections and
 * keys, duplicate keys, bad values and missing required keys are errors.
 *
 * Storage: CONFIG_STRING and CONFIG_ENUM fill a char * the table owns
 * (freed by config_free); CONFIG_INT a long long; CONFIG_BOOL an int;
 * CONFIG_DURATION a long long of milliseconds.
 */
#ifndef POSTROUTE_CONFIG_H
#define POSTROUTE_CONFIG_H

#include <stddef.h>

#include "strbuf.h"

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,
	CONFIG_BOOL,
	CONFIG_DURATION,
	CONFIG_ENUM,
};

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	size_t offset;            /* offsetof the target field */
	const char *def;          /* default as written in a file, or NULL */
	long long min, max;       /* INT: value; DURATION: milliseconds */
	int required;
	const char *choices;      /* ENUM: "a|b|c" */
	const char *help;         /* one line, for docs and the sample file */
};

/* Applies defaults, then the file. Returns 0, or -1 with errors appended. */
int config_load(const struct config_key *keys, void *target, const char *path,
    struct strbuf *errors);

/* Parses value as a file would give it for key k and stores it in
 * target; returns NULL, or the reason it was refused ("is out of range"). */
const char *config_set_value(const struct config_key *k, void *target, const char *value);
/* Frees the strings the table stored in target. */
void config_free(const struct config_key *keys, void *target);

/* Writes a sample INI file with every key, its default and its help. */
void config_sample(const struct config_key *keys, struct strbuf *out);

#endif
