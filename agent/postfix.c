/*
 * postfix.c: postfix reload and queue pushes (see postfix.h).
 */
#include "postfix.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proc.h"
#include "strarr.h"
#include "xalloc.h"

/* postqueue -i runs at once (each is one short request to the flush service) */
#define POSTFIX_PUSH_WIDTH 8

static int
pf_run(const struct postfix *pf, const char *prog, const char *a1, const char *a2,
    struct strbuf *out, struct strbuf *err)
{
	char *bin = xasprintf("%s/%s", pf->command_dir, prog);
	char *argv[] = { bin, "-c", (char *)pf->config_dir, (char *)a1, (char *)a2, NULL };
	struct proc_result res;
	int rc = -1;

	if (proc_run(argv, NULL, pf->timeout_ms, &res, err) != 0)
		goto done;
	if (res.status != 0) {
		strbuf_appendf(err, "%s %s%s%s: exit %d: %.1000s", prog, a1, a2 ? " " : "",
		    a2 ? a2 : "", res.status, res.err.len ? strbuf_str(&res.err) : "(no output)");
		goto done;
	}
	if (out != NULL)
		strbuf_appendn(out, res.out.buf ? res.out.buf : "", res.out.len);
	rc = 0;
done:
	proc_result_clear(&res);
	free(bin);
	return rc;
}

int
postfix_reload(const struct postfix *pf, struct strbuf *err)
{
	return pf_run(pf, "postfix", "reload", NULL, NULL, err);
}

int
postfix_postconf(const struct postfix *pf, const char *name, char **value, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;

	*value = NULL;
	if (pf_run(pf, "postconf", "-xh", name, &out, err) != 0) {
		strbuf_clear(&out);
		return -1;
	}
	while (out.len > 0 && (out.buf[out.len - 1] == '\n' || out.buf[out.len - 1] == '\r'))
		out.buf[--out.len] = '\0';
	*value = strbuf_detach(&out);
	return 0;
}

int
postfix_queue_print(const struct postfix *pf, struct strbuf *err)
{
	return pf_run(pf, "postqueue", "-p", NULL, NULL, err);
}

static int
pf_bsearch_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static int
pf_in(const char *d, char **domains, size_t n)
{
	return bsearch(d, domains, n, sizeof(char *), pf_bsearch_cmp) != NULL;
}

int
postfix_domain_moved(const char *address, char **domains, size_t ndomains)
{
	const char *at = strrchr(address, '@');
	char *d;
	int hit = 0;

	if (at == NULL || at[1] == '\0')
		return 0;
	d = xstrdup(at + 1);
	for (char *p = d; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	if (pf_in(d, domains, ndomains))
		hit = 1;
	for (const char *p = strchr(d, '.'); !hit && p != NULL; p = strchr(p + 1, '.'))
		hit = pf_in(p, domains, ndomains);
	free(d);
	return hit;
}

int
postfix_queue_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return 0;
	}
	return 1;
}

/*
 * The queue id of one postqueue -j record that waits for a retry and has
 * a recipient in a moved domain, else NULL. Waiting: in the deferred
 * queue, or in incoming with a delay_reason: a delivery that was under
 * way through the old route when Postfix reloaded ends there (the new
 * queue manager skipped it as "still being delivered") and would wait
 * for the next queue scan.
 */
static const char *
pf_record_match(json_t *rec, char **domains, size_t ndomains)
{
	const char *q = json_string_value(json_object_get(rec, "queue_name"));
	const char *id = json_string_value(json_object_get(rec, "queue_id"));
	json_t *rcpts = json_object_get(rec, "recipients"), *r;
	size_t i;

	if (q == NULL || id == NULL || !postfix_queue_id_ok(id))
		return NULL;
	int deferred = strcmp(q, "deferred") == 0, incoming = strcmp(q, "incoming") == 0;
	if (!deferred && !incoming)
		return NULL;
	json_array_foreach(rcpts, i, r) {
		const char *addr = json_string_value(json_object_get(r, "address"));
		if (addr != NULL && postfix_domain_moved(addr, domains, ndomains) &&
		    (deferred || json_is_string(json_object_get(r, "delay_reason"))))
			return id;
	}
	return NULL;
}

size_t
postfix_queue_select(const char *jsonl, char **domains, size_t ndomains, char ***ids,
    size_t *bad)
{
	size_t n = 0, cap = 16;
	char **v = xmalloc(cap * sizeof(*v));

	*bad = 0;
	for (const char *p = jsonl; *p;) {
		size_t len = strcspn(p, "\n");
		if (len > 0) {
			json_t *rec = json_loadb(p, len, 0, NULL);
			const char *id = json_is_object(rec) ? pf_record_match(rec, domains, ndomains) : NULL;
			if (!json_is_object(rec))
				(*bad)++;
			if (id != NULL) {
				if (n == cap)
					v = xrealloc(v, (cap *= 2) * sizeof(*v));
				v[n++] = xstrdup(id);
			}
			json_decref(rec);
		}
		p += len + (p[len] == '\n');
	}
	*ids = v;
	return n;
}

void
postfix_ids_free(char **ids, size_t n)
{
	strarr_free(ids, n);
}

/* postqueue -i for each id, a few at once; a message may leave the queue
 * between -j and -i, so a failed push is counted, not an error. */
static void
pf_push(const struct postfix *pf, char **ids, struct postfix_requeue_stats *st)
{
	char *bin = xasprintf("%s/postqueue", pf->command_dir);
	char ***argvs = xcalloc(st->selected + 1, sizeof(*argvs));
	int *status = xcalloc(st->selected + 1, sizeof(*status));

	for (size_t i = 0; i < st->selected; i++) {
		argvs[i] = xcalloc(6, sizeof(char *));
		argvs[i][0] = bin, argvs[i][1] = "-c", argvs[i][2] = (char *)pf->config_dir;
		argvs[i][3] = "-i", argvs[i][4] = ids[i];
	}
	st->pushed = proc_run_parallel(argvs, st->selected,
	    POSTFIX_PUSH_WIDTH, pf->timeout_ms, status);
	st->failed = st->selected - st->pushed;
	for (size_t i = 0; i < st->selected; i++)
		free(argvs[i]);
	free(argvs), free(status), free(bin);
}

int
postfix_queue_list(const struct postfix *pf, char **domains, size_t ndomains,
    struct postfix_requeue_stats *st, char ***ids, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;

	memset(st, 0, sizeof(*st));
	*ids = NULL;
	if (ndomains == 0)
		return 0;
	if (pf_run(pf, "postqueue", "-j", NULL, &out, err) != 0) {
		strbuf_clear(&out);
		return -1;
	}
	st->selected = postfix_queue_select(strbuf_str(&out), domains, ndomains, ids,
	    &st->bad_lines);
	strbuf_clear(&out);
	return 0;
}

int
postfix_queue_push(const struct postfix *pf, char **ids, size_t max,
    struct postfix_requeue_stats *st, struct strbuf *err)
{
	if (st->selected == 0)
		return 0;
	if (st->selected > max) {
		st->flushed = 1;
		return pf_run(pf, "postqueue", "-f", NULL, NULL, err);
	}
	pf_push(pf, ids, st);
	return 0;
}

int
postfix_queue_flush(const struct postfix *pf, struct postfix_requeue_stats *st,
    struct strbuf *err)
{
	memset(st, 0, sizeof(*st));
	st->flushed = 1;
	return pf_run(pf, "postqueue", "-f", NULL, NULL, err);
}
