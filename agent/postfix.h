/*
 * postfix.h: make Postfix use a new map now: reload and requeue.
 *
 * NAME
 *	postfix - postfix reload, postqueue -j / -i / -f / -p, postconf -h
 *
 * DESCRIPTION
 *	postfix_reload runs `postfix -c DIR reload` (asynchronous: the
 *	master re-reads its configuration and restarts its daemons, so
 *	hash and cdb maps are reopened at once instead of at
 *	trivial-rewrite's next 10-second check).
 *
 *	The postfix_queue_* functions make mail already deferred for moved
 *	domains take the new route now rather than at its next retry (5
 *	minutes to over an hour with default timers): list the queue ids of
 *	the deferred queue (postqueue -j) that have a recipient in a moved
 *	domain (a domain, or a subdomain of a ".domain" entry) and push them
 *	with postqueue -i, one id per run (postqueue takes one), several
 *	runs at once; with more than max ids flush the whole queue once
 *	instead (postqueue -f).
 *
 *	postfix_queue_select is the JSON part, for tests.
 *
 *	postfix_postconf asks postconf for one main.cf parameter as Postfix
 *	sees it (postconf -c DIR -xh NAME: the default when main.cf does
 *	not set it, $names expanded), so that nobody parses main.cf by
 *	hand. postfix_queue_print runs postqueue -p, to see that the queue
 *	can be listed at all.
 *
 * OWNERSHIP
 *	Domain arrays are the caller's. Selected ids are returned in a new
 *	array of new strings: postfix_ids_free.
 *
 * DIAGNOSTICS
 *	-1 with command, exit status and stderr in err. A postqueue -j line
 *	that is not JSON is skipped and counted in *bad.
 *
 * SECURITY
 *	Runs as root (postfix reload needs it). Queue ids from postqueue -j
 *	are checked to be [0-9A-Za-z] before they go into an argv.
 */
#ifndef POSTROUTE_POSTFIX_H
#define POSTROUTE_POSTFIX_H

#include <stddef.h>

#include "strbuf.h"

struct postfix {
	const char *command_dir;   /* directory of postfix and postqueue */
	const char *config_dir;
	long timeout_ms;
};

struct postfix_requeue_stats {
	size_t selected;    /* deferred ids with a moved recipient */
	size_t pushed;      /* postqueue -i runs that succeeded */
	size_t failed;      /* postqueue -i runs that failed (message gone) */
	int flushed;        /* 1 when postqueue -f ran */
	size_t bad_lines;
};

int postfix_reload(const struct postfix *pf, struct strbuf *err);

/* *value: a new string, the value without its line end. */
int postfix_postconf(const struct postfix *pf, const char *name, char **value,
    struct strbuf *err);
int postfix_queue_print(const struct postfix *pf, struct strbuf *err);

/*
 * requeue = moved is two calls, so that the listing (postqueue -j) can run
 * before the reload: postfix_queue_list selects the deferred ids with a
 * recipient in domains (sorted with strcmp; ".sub" forms allowed) into a
 * new array (postfix_ids_free(ids, st->selected)); postfix_queue_push then
 * pushes them (postqueue -i, a few at once), or flushes the queue once
 * when there are more than max. requeue = all: postfix_queue_flush.
 */
int postfix_queue_list(const struct postfix *pf, char **domains, size_t ndomains,
    struct postfix_requeue_stats *st, char ***ids, struct strbuf *err);
int postfix_queue_push(const struct postfix *pf, char **ids, size_t max,
    struct postfix_requeue_stats *st, struct strbuf *err);
int postfix_queue_flush(const struct postfix *pf, struct postfix_requeue_stats *st,
    struct strbuf *err);

size_t postfix_queue_select(const char *jsonl, char **domains, size_t ndomains,
    char ***ids, size_t *bad);
void postfix_ids_free(char **ids, size_t n);

/* 1 when id looks like a Postfix queue id: 1-32 letters and digits. */
int postfix_queue_id_ok(const char *id);

/* 1 when the address's domain is in domains (exactly or under a ".d"). */
int postfix_domain_moved(const char *address, char **domains, size_t ndomains);

#endif
