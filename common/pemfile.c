/*
 * pemfile.c: a PEM file read whole, capped, its read buffer wiped.
 */
#include "pemfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

char *
pemfile_read(const char *key, const char *path, size_t *len, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n;
	FILE *fp = fopen(path, "re");

	if (fp == NULL) {
		strbuf_appendf(err, "%s %s: %s", key, path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0 && sb.len <= PEMFILE_MAX)
		strbuf_appendn(&sb, buf, n);
	fclose(fp);
	explicit_bzero(buf, sizeof(buf));
	if (sb.len > PEMFILE_MAX) {
		strbuf_appendf(err, "%s %s: larger than %d bytes", key, path, PEMFILE_MAX);
		explicit_bzero(sb.buf, sb.len);
		strbuf_clear(&sb);
		return NULL;
	}
	*len = sb.len;
	return strbuf_detach(&sb);
}
