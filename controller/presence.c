/*
 * presence.c: a small set of node names under a mutex.
 *
 * Names were validated (object names: no quote, comma or brace), so the
 * array literal needs no escaping.
 */
#include "presence.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct presence {
	pthread_mutex_t lock;
	char **names;
	size_t n, cap;
};

struct presence *
presence_new(void)
{
	struct presence *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void
presence_free(struct presence *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void
presence_note(struct presence *p, const char *node)
{
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->names[i], node) == 0) {
			pthread_mutex_unlock(&p->lock);
			return;
		}
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->names = xrealloc(p->names, p->cap * sizeof(*p->names));
	}
	p->names[p->n++] = xstrdup(node);
	pthread_mutex_unlock(&p->lock);
}

int
presence_take(struct presence *p, struct strbuf *out)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = (int)p->n;
	if (n > 0) {
		strbuf_appendc(out, '{');
		for (size_t i = 0; i < p->n; i++) {
			strbuf_appendf(out, "%s%s", i ? "," : "", p->names[i]);
			free(p->names[i]);
		}
		strbuf_appendc(out, '}');
		p->n = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return n;
}
