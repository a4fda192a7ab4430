/*
 * holdq.h: release held mail of senders that are no longer held.
 *
 * NAME
 *	holdq - find a sender's mail in the hold queue and release it
 *
 * DESCRIPTION
 *	The hold map (holdmap.h) stops new mail of a held sender in the
 *	hold queue; taking the sender off the map does not release what is
 *	already there. holdq_release does:
 *
 *	  postqueue -j          the ids and envelope senders of the hold
 *	                        queue (queue_name "hold");
 *	  postcat -e -q ID...   the envelope records of those messages, a
 *	                        batch of ids per run, for the SASL login
 *	                        (named_attribute: sasl_username=LOGIN);
 *	  postsuper -H -        releases the chosen ids (to the deferred
 *	                        queue, where they would wait for the next
 *	                        queue run, queue_run_delay);
 *	  postqueue -i ID       pushes each at once, a few at a time, or one
 *	                        postqueue -f above push_max ids.
 *
 *	A message is released when its SASL login or its envelope sender
 *	is one of the removed senders, it arrived (postqueue -j's
 *	arrival_time) at or after that sender's hold began (since, from
 *	holdsince.h; 0 or a NULL array: any time), and neither is still
 *	held (compared without case, as Postfix looks access keys up).
 *	Mail of the same sender that was in the hold queue before the hold
 *	began was held by someone else (postsuper -h) and stays. Nothing
 *	runs past postqueue -j when the hold queue is empty.
 *
 *	holdq_select, holdq_postcat_parse and holdq_releasable are the text
 *	parts, for tests.
 *
 * OWNERSHIP
 *	Sender arrays are the caller's (sorted with strcmp, lower case).
 *	holdq_select returns a new array: holdq_msgs_free.
 *
 * DIAGNOSTICS
 *	-1 with command, exit status and stderr in err. A message that
 *	leaves the queue meanwhile (postcat cannot open it) is skipped; a
 *	postqueue -j line that is not JSON is counted in bad_lines.
 *
 * SECURITY
 *	Runs as root (postcat -q and postsuper need it). Queue ids from
 *	postqueue -j are checked to be [0-9A-Za-z] before they go into an
 *	argv; senders and logins read from the queue are only compared.
 */
#ifndef POSTROUTE_HOLDQ_H
#define POSTROUTE_HOLDQ_H

#include <stddef.h>

#include "postfix.h"
#include "strbuf.h"

struct holdq_msg {
	char *id;
	char *sender;        /* envelope sender, lower case ("" for <>) */
	char *login;         /* SASL login, lower case, or NULL */
	int seen;            /* postcat showed its envelope */
	long long arrival;   /* arrival_time (epoch seconds), or -1 */
};

struct holdq_stats {
	size_t on_hold;      /* messages in the hold queue */
	size_t released;     /* ids given to postsuper -H */
	size_t pushed;       /* postqueue -i runs that succeeded */
	int flushed;         /* 1 when postqueue -f ran instead */
	size_t bad_lines;
};

/* since[i]: when the hold of removed[i] began (0: unknown); may be NULL. */
int holdq_release(const struct postfix *pf, char **removed, const long long *since,
    size_t nremoved, char **held, size_t nheld, size_t push_max, struct holdq_stats *st,
    struct strbuf *err);

/* The messages of the hold queue in postqueue -j output. */
size_t holdq_select(const char *jsonl, struct holdq_msg **out, size_t *bad);
/* Sets login and seen of the messages that postcat -e output shows. */
void holdq_postcat_parse(const char *out, struct holdq_msg *m, size_t n);
int holdq_releasable(const struct holdq_msg *m, char **removed, const long long *since,
    size_t nremoved, char **held, size_t nheld);
void holdq_msgs_free(struct holdq_msg *m, size_t n);

#endif
