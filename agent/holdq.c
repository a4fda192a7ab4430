/*
 * holdq.c: postqueue -j, postcat, postsuper -H and pushes for held mail
 * (see holdq.h).
 */
#include "holdq.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proc.h"
#include "xalloc.h"

/* queue ids per postcat run */
#define HOLDQ_BATCH 200

/* Runs a Postfix command: argv[0] is the program's name in command_dir. */
static int
holdq_run(const struct postfix *pf, char **args, size_t nargs, const char *input,
    struct strbuf *out, struct strbuf *err)
{
	char **argv = xcalloc(nargs + 4, sizeof(*argv));
	struct proc_result res;
	int rc = -1;

	argv[0] = xasprintf("%s/%s", pf->command_dir, args[0]);
	argv[1] = "-c", argv[2] = (char *)pf->config_dir;
	for (size_t i = 1; i < nargs; i++)
		argv[i + 2] = args[i];
	if (proc_run(argv, input, pf->timeout_ms, &res, err) != 0)
		goto done;
	if (out != NULL)
		strbuf_appendn(out, res.out.buf ? res.out.buf : "", res.out.len);
	if (res.status != 0) {
		strbuf_appendf(err, "%s %s: exit %d: %.1000s", args[0], nargs > 1 ? args[1] : "",
		    res.status, res.err.len ? strbuf_str(&res.err) : "(no output)");
		goto done;
	}
	rc = 0;
done:
	proc_result_clear(&res);
	free(argv[0]);
	free(argv);
	return rc;
}

size_t
holdq_select(const char *jsonl, struct holdq_msg **out, size_t *bad)
{
	size_t n = 0, cap = 16;
	struct holdq_msg *v = xmalloc(cap * sizeof(*v));

	*bad = 0;
	for (const char *p = jsonl; *p;) {
		size_t len = strcspn(p, "\n");
		json_t *rec = len > 0 ? json_loadb(p, len, 0, NULL) : NULL;
		const char *q = json_string_value(json_object_get(rec, "queue_name"));
		const char *id = json_string_value(json_object_get(rec, "queue_id"));
		const char *from = json_string_value(json_object_get(rec, "sender"));
		json_t *arrival = json_object_get(rec, "arrival_time");

		if (len > 0 && !json_is_object(rec))
			(*bad)++;
		if (q != NULL && strcmp(q, "hold") == 0 && id != NULL && postfix_queue_id_ok(id)) {
			if (n == cap)
				v = xrealloc(v, (cap *= 2) * sizeof(*v));
			v[n].id = xstrdup(id);
			v[n].sender = xstrdup_lower(from ? from : "");
			v[n].login = NULL;
			v[n].seen = 0;
			v[n].arrival = json_is_integer(arrival) ? json_integer_value(arrival) : -1;
			n++;
		}
		json_decref(rec);
		p += len + (p[len] == '\n');
	}
	*out = v;
	return n;
}

static struct holdq_msg *
holdq_find(struct holdq_msg *m, size_t n, const char *id, size_t idlen)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(m[i].id) == idlen && memcmp(m[i].id, id, idlen) == 0)
			return &m[i];
	}
	return NULL;
}

void
holdq_postcat_parse(const char *out, struct holdq_msg *m, size_t n)
{
	static const char head[] = "*** ENVELOPE RECORDS ", attr[] = "named_attribute: sasl_username=";
	struct holdq_msg *cur = NULL;

	for (const char *p = out; *p;) {
		size_t len = strcspn(p, "\n");
		if (len > sizeof(head) - 1 && memcmp(p, head, sizeof(head) - 1) == 0) {
			/* "*** ENVELOPE RECORDS QUEUE/ID ***" */
			const char *end = p + len, *slash = memchr(p, '/', len);
			if (len > 4 && memcmp(end - 4, " ***", 4) == 0 && slash != NULL && slash < end - 4)
				cur = holdq_find(m, n, slash + 1, (size_t)(end - 4 - slash - 1));
			else
				cur = NULL;
			if (cur != NULL)
				cur->seen = 1;
		} else if (len >= 4 && memcmp(p, "*** ", 4) == 0) {
			cur = NULL;   /* past the envelope records */
		} else if (cur != NULL && cur->login == NULL && len > sizeof(attr) - 1 &&
		    memcmp(p, attr, sizeof(attr) - 1) == 0) {
			char *raw = xstrndup(p + sizeof(attr) - 1, len - (sizeof(attr) - 1));
			cur->login = xstrdup_lower(raw);
			free(raw);
		}
		p += len + (p[len] == '\n');
	}
}

static int
holdq_bsearch_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* The index of s in v[0..n), or -1. */
static long
holdq_index(const char *s, char **v, size_t n)
{
	char **hit = s != NULL && s[0] != '\0' ?
	    bsearch(s, v, n, sizeof(char *), holdq_bsearch_cmp) : NULL;

	return hit != NULL ? (long)(hit - v) : -1;
}

static int
holdq_in(const char *s, char **v, size_t n)
{
	return holdq_index(s, v, n) >= 0;
}

/* 1 when who is a removed sender whose hold began at or before m arrived. */
static int
holdq_ours(const struct holdq_msg *m, const char *who, char **removed, const long long *since,
    size_t nremoved)
{
	long i = holdq_index(who, removed, nremoved);

	return i >= 0 && (since == NULL || since[i] <= 0 || m->arrival >= since[i]);
}

int
holdq_releasable(const struct holdq_msg *m, char **removed, const long long *since,
    size_t nremoved, char **held, size_t nheld)
{
	if (!holdq_ours(m, m->login, removed, since, nremoved) &&
	    !holdq_ours(m, m->sender, removed, since, nremoved))
		return 0;
	return !holdq_in(m->login, held, nheld) && !holdq_in(m->sender, held, nheld);
}

void
holdq_msgs_free(struct holdq_msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].id);
		free(m[i].sender);
		free(m[i].login);
	}
	free(m);
}

/* postcat -e -q for m[0..n), a batch at a time. postcat stops at an id it
 * cannot open (the message left the queue): the next batch starts after it. */
static int
holdq_envelopes(const struct postfix *pf, struct holdq_msg *m, size_t n, struct strbuf *err)
{
	size_t i = 0;

	while (i < n) {
		size_t b = n - i < HOLDQ_BATCH ? n - i : HOLDQ_BATCH, k = 0;
		char *args[HOLDQ_BATCH + 3] = { "postcat", "-e", "-q" };
		struct strbuf out = STRBUF_INIT, e = STRBUF_INIT;
		for (size_t j = 0; j < b; j++)
			args[3 + j] = m[i + j].id;
		int rc = holdq_run(pf, args, b + 3, NULL, &out, &e);
		holdq_postcat_parse(strbuf_str(&out), m + i, b);
		while (k < b && m[i + k].seen)
			k++;
		if (rc != 0 && strstr(strbuf_str(&e), "open queue file") == NULL) {
			strbuf_append(err, strbuf_str(&e));
			strbuf_clear(&out), strbuf_clear(&e);
			return -1;
		}
		i += rc == 0 ? b : k + 1;
		strbuf_clear(&out), strbuf_clear(&e);
	}
	return 0;
}

/* postsuper -H for ids, then a push of each (or one flush above max). */
static int
holdq_unhold(const struct postfix *pf, char **ids, size_t n, size_t max,
    struct holdq_stats *st, struct strbuf *err)
{
	struct strbuf in = STRBUF_INIT;
	struct postfix_requeue_stats rs;
	char *args[] = { "postsuper", "-H", "-" };
	int rc;

	for (size_t i = 0; i < n; i++)
		strbuf_appendf(&in, "%s\n", ids[i]);
	rc = holdq_run(pf, args, 3, strbuf_str(&in), NULL, err);
	strbuf_clear(&in);
	if (rc != 0)
		return -1;
	st->released = n;
	memset(&rs, 0, sizeof(rs));
	rs.selected = n;
	rc = postfix_queue_push(pf, ids, max, &rs, err);
	st->pushed = rs.pushed, st->flushed = rs.flushed;
	return rc;
}

int
holdq_release(const struct postfix *pf, char **removed, const long long *since, size_t nremoved,
    char **held, size_t nheld, size_t push_max, struct holdq_stats *st, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	struct holdq_msg *m = NULL;
	char **ids = NULL;
	size_t n = 0, k = 0;
	char *args[] = { "postqueue", "-j" };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (nremoved == 0)
		return 0;
	if (holdq_run(pf, args, 2, NULL, &out, err) != 0)
		goto done;
	n = st->on_hold = holdq_select(strbuf_str(&out), &m, &st->bad_lines);
	if (n > 0 && holdq_envelopes(pf, m, n, err) != 0)
		goto done;
	ids = xmalloc((n ? n : 1) * sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		if (m[i].seen && holdq_releasable(&m[i], removed, since, nremoved, held, nheld))
			ids[k++] = m[i].id;
	}
	if (k > 0 && holdq_unhold(pf, ids, k, push_max, st, err) != 0)
		goto done;
	if (k > 0)
		log_info("hold: %zu held message(s) of %zu released sender(s): released, %zu pushed%s",
		    k, nremoved, st->pushed, st->flushed ? ", queue flushed" : "");
	rc = 0;
done:
	free(ids);
	holdq_msgs_free(m, n);
	strbuf_clear(&out);
	return rc;
}
