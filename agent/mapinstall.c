/*
 * mapinstall.c: temp file, postmap, verify, atomic rename (see mapinstall.h).
 */
#include "mapinstall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "monotime.h"
#include "proc.h"
#include "render.h"
#include "xalloc.h"

char *
mapinstall_index_path(const char *map_type, const char *path)
{
	const char *suffix = strcmp(map_type, "hash") == 0 ? "db" : map_type;

	return xasprintf("%s.%s", path, suffix);
}

/* Runs postmap with extra args on TYPE:file; stderr output is failure.
 * The dump (for -s) is returned in out when not NULL. */
static int
mi_postmap(const struct mapinstall *mi, const char *opt, const char *file,
    const char *input, struct strbuf *out, struct strbuf *err)
{
	char *map = xasprintf("%s:%s", mi->map_type, file);
	char *argv[7] = { (char *)mi->postmap, "-c", (char *)mi->config_dir, NULL, NULL, NULL, NULL };
	struct proc_result res;
	int rc = -1;

	if (opt == NULL) {
		argv[3] = map;
	} else if (strcmp(opt, "-q") == 0) {
		argv[3] = "-q", argv[4] = "-", argv[5] = map;
	} else {
		argv[3] = (char *)opt, argv[4] = map;
	}
	if (proc_run(argv, input, mi->timeout_ms, &res, err) != 0)
		goto done;
	if (res.status != 0 || res.err.len > 0) {
		strbuf_appendf(err, "postmap%s%s %s: exit %d: %.1000s", opt ? " " : "",
		    opt ? opt : "", map, res.status,
		    res.err.len ? strbuf_str(&res.err) : "(no output)");
		goto done;
	}
	if (out != NULL)
		strbuf_appendn(out, res.out.buf ? res.out.buf : "", res.out.len);
	rc = 0;
done:
	proc_result_clear(&res);
	free(map);
	return rc;
}

static int
mi_cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
mi_sort_lines(char **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i - 1], v[i]) > 0) {
			qsort(v, n, sizeof(*v), mi_cmp_lines);
			return;
		}
	}
}

/* Splits text (modified in place) into lines; returns the count. */
static size_t
mi_lines(char *text, char ***out)
{
	size_t n = 0, cap = 64;
	char **v = xmalloc(cap * sizeof(*v));

	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p != '#' && *p != '\0') {
			if (n == cap)
				v = xrealloc(v, (cap *= 2) * sizeof(*v));
			v[n++] = p;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	*out = v;
	return n;
}

int
mapinstall_compare(const char *dump, const char *body, struct strbuf *err)
{
	char *d = xstrdup(dump), *b = xstrdup(body), **dl, **bl;
	size_t nd = mi_lines(d, &dl), nb = mi_lines(b, &bl);
	int rc = 0;

	mi_sort_lines(dl, nd);
	mi_sort_lines(bl, nb);   /* a rendered body is sorted already */
	if (nd != nb) {
		strbuf_appendf(err, "map holds %zu entries, expected %zu", nd, nb);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < nd; i++) {
		if (strcmp(dl[i], bl[i]) != 0) {
			strbuf_appendf(err, "map entry \"%.200s\" differs from \"%.200s\"", dl[i], bl[i]);
			rc = -1;
		}
	}
	free(dl), free(bl), free(d), free(b);
	return rc;
}

/* The keys of the entry lines of body, one per line, for postmap -q -. */
static char *
mi_keys(const char *body)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = body; *p;) {
		size_t len = strcspn(p, "\n"), k = strcspn(p, " \t\n");
		if (*p != '#' && k > 0) {
			strbuf_appendn(&sb, p, k);
			strbuf_appendc(&sb, '\n');
		}
		p += len + (p[len] == '\n');
	}
	if (sb.buf == NULL)
		strbuf_append(&sb, "");
	return strbuf_detach(&sb);
}

/*
 * Reads the built map back: hash and lmdb are dumped whole (postmap -s);
 * cdb has no sequence operation, so each key is looked up (postmap -q -).
 */
static int
mi_verify(const struct mapinstall *mi, const char *file, const char *text, struct strbuf *err)
{
	struct strbuf dump = STRBUF_INIT;
	int rc;

	if (strcmp(mi->map_type, "cdb") == 0) {
		char *keys = mi_keys(render_body(text));
		rc = keys[0] == '\0' ? 0 : mi_postmap(mi, "-q", file, keys, &dump, err);
		free(keys);
	} else {
		rc = mi_postmap(mi, "-s", file, NULL, &dump, err);
	}

	if (rc == 0 && mapinstall_compare(strbuf_str(&dump), render_body(text), err) != 0) {
		strbuf_appendf(err, " (after postmap %s:%s)", mi->map_type, file);
		rc = -1;
	}
	strbuf_clear(&dump);
	return rc;
}

/* hash and cdb: build and check the index beside the map, then rename. */
static int
mi_install_indexed(const struct mapinstall *mi, const char *tmp, const char *text,
    struct timings *t, const char **step, struct strbuf *err)
{
	char *tidx = mapinstall_index_path(mi->map_type, tmp);
	char *idx = mapinstall_index_path(mi->map_type, mi->path);
	long t0 = monotime_ms();
	int rc = -1;

	*step = "postmap";
	if (mi_postmap(mi, NULL, tmp, NULL, NULL, err) != 0)
		goto done;
	t->ms[TIMINGS_POSTMAP] = monotime_ms() - t0, t0 = monotime_ms();
	*step = "verify";
	if (mi_verify(mi, tmp, text, err) != 0)
		goto done;
	t->ms[TIMINGS_VERIFY] = monotime_ms() - t0, t0 = monotime_ms();
	*step = "install";
	if (atomicfile_commit(tidx, idx, ATOMICFILE_SYNC_FILE, err) != 0 ||
	    atomicfile_commit(tmp, mi->path, ATOMICFILE_SYNC_DIR, err) != 0)
		goto done;
	t->ms[TIMINGS_INSTALL] = monotime_ms() - t0;
	rc = 0;
done:
	unlink(tidx);
	free(tidx), free(idx);
	return rc;
}

/* Puts the previous source back and rebuilds the lmdb file from it. */
static void
mi_lmdb_rollback(const struct mapinstall *mi, const char *prev, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;

	if (access(prev, F_OK) != 0)
		return;
	if (atomicfile_commit(prev, mi->path, 0, &e) != 0 || mi_postmap(mi, NULL, mi->path, NULL, NULL, &e) != 0)
		strbuf_appendf(err, "; rollback failed: %s", strbuf_str(&e));
	strbuf_clear(&e);
}

/* lmdb: transactional update in place, with the old source kept to roll back. */
static int
mi_install_lmdb(const struct mapinstall *mi, const char *tmp, const char *text,
    struct timings *t, const char **step, struct strbuf *err)
{
	char *prev = xasprintf("%s.prev", mi->path);
	long t0 = monotime_ms();
	int rc = -1;

	*step = "install";
	unlink(prev);
	if (link(mi->path, prev) != 0 && errno != ENOENT) {
		strbuf_appendf(err, "link %s to %s: %s", mi->path, prev, strerror(errno));
		goto done;
	}
	if (atomicfile_commit(tmp, mi->path, ATOMICFILE_SYNC_DIR, err) != 0)
		goto done;
	t->ms[TIMINGS_INSTALL] = monotime_ms() - t0, t0 = monotime_ms();
	*step = "postmap";
	if (mi_postmap(mi, NULL, mi->path, NULL, NULL, err) != 0)
		goto rollback;
	t->ms[TIMINGS_POSTMAP] = monotime_ms() - t0, t0 = monotime_ms();
	*step = "verify";
	if (mi_verify(mi, mi->path, text, err) != 0)
		goto rollback;
	t->ms[TIMINGS_VERIFY] = monotime_ms() - t0;
	unlink(prev);
	rc = 0;
	goto done;
rollback:
	mi_lmdb_rollback(mi, prev, err);
done:
	free(prev);
	return rc;
}

int
mapinstall_run(const struct mapinstall *mi, const char *text, struct timings *t,
    const char **step, struct strbuf *err)
{
	long t0 = monotime_ms();
	char *tmp;
	int rc;

	*step = "write";
	if ((tmp = atomicfile_temp(mi->path, text, strlen(text), 0644, ATOMICFILE_SYNC_FILE,
	    err)) == NULL)
		return -1;
	t->ms[TIMINGS_WRITE] = monotime_ms() - t0;
	if (strcmp(mi->map_type, "lmdb") == 0)
		rc = mi_install_lmdb(mi, tmp, text, t, step, err);
	else
		rc = mi_install_indexed(mi, tmp, text, t, step, err);
	unlink(tmp);   /* gone after a successful rename; ENOENT is fine */
	free(tmp);
	return rc;
}
