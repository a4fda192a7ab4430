/*
 * notify.h: on-call notifications, sent once by the leader.
 *
 * Messages are rows of notify_outbox (outbox.h), written in the
 * transaction of the change they are about. Every controller runs a
 * sender thread with a connection of its own that LISTENs on
 * postroute_outbox (a trigger NOTIFYs at each insert's commit); only the
 * sender of the leader (leader.h) sends. For each due row it
 *
 *   BEGIN; SELECT ... FOR UPDATE SKIP LOCKED (one row, oldest first);
 *   posts it to Slack ([notify] webhook_url) and to PagerDuty Events v2
 *   ([notify] pagerduty_routing_key_file, pagerduty_url), skipping a
 *   channel that already took it; marks it sent; COMMIT.
 *
 * so a row is never posted by two controllers at once (the second skips
 * the locked row, and finds it sent after the commit), and a leader that
 * dies before its commit leaves the row pending for the next leader: a
 * message is sent once, or, when a leader dies between the receiver's
 * answer and its commit, twice (never lost; PagerDuty folds the second
 * into the same alert by its dedup_key). A failed post is retried after
 * 1, 2, 4 ... 60 s (next_try_at), by whichever controller leads then,
 * up to 8 tries (then the row is marked failed, with the last error).
 *
 * [notify] max_per_minute (a shared setting, sharedset.h) caps the
 * triggers sent in any 60 s; the others are marked held and the next
 * message sent says how many were held back. Resolves are never held:
 * they close what was opened. The runbook link ([notify] runbook_url) is
 * appended to every Slack message and linked from PagerDuty triggers.
 * With neither channel configured, messages are only logged (by the
 * controller that queued them) and marked sent.
 */
#ifndef POSTROUTE_NOTIFY_H
#define POSTROUTE_NOTIFY_H

#include "db.h"
#include "outbox.h"
#include "settings.h"

struct notify;
struct leader;

/* Reads the PagerDuty routing key file (secretfile.h rules) when set and
 * starts the sender; NULL with err when the file is refused. name (this
 * controller) goes into notify_outbox.sent_by. */
struct notify *notify_start(const struct settings *s, const struct leader *leader,
    struct db_pool *pool, const char *name, struct strbuf *err);
/* Stops the sender (a post under way completes); what is queued stays
 * in the database for the next leader. */
void notify_stop(struct notify *n);

/* Queues text outside any transaction, on a pool connection (outbox_put
 * with key and no incident); a database error is logged. */
void notify_send(struct notify *n, const char *key, const char *text);

#endif
