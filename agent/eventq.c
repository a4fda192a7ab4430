/*
 * eventq.c: the outbox of detector events and its sender thread (see
 * eventq.h).
 *
 * Owns a FIFO of JSON events under one mutex, a condition variable the
 * sender waits on, and the sender's controller client (ctlclient.h, its own HTTP handle).
 */
#include "eventq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlclient.h"
#include "log.h"
#include "monotime.h"
#include "xalloc.h"

struct eventq_item {
	struct eventq_item *next;
	json_t *ev;
	char *key;
	int sending;     /* the sender thread is posting it */
	int replaced;    /* replaced while being posted: send again */
};

struct eventq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	struct eventq_item *head, *tail;
	size_t max;
	int stopping;
	long long linger_until;    /* ms; 0 while running */
	struct eventq_stats st;
	struct ctlclient cc;
	long retry_min_ms, retry_max_ms;
	int outage;                /* failures since the last success */
};

/* "type/provider" or "type/sender". */
static char *
eventq_key(json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *who = json_string_value(json_object_get(ev, "provider"));

	if (who == NULL)
		who = json_string_value(json_object_get(ev, "sender"));
	return xasprintf("%s/%s", type ? type : "", who ? who : "");
}

static void
eventq_item_free(struct eventq_item *it)
{
	json_decref(it->ev);
	free(it->key);
	free(it);
}

/* Replaces a waiting event of the same key; 1 when it did. Locked. */
static int
eventq_replace(struct eventq *q, json_t *ev, const char *key)
{
	for (struct eventq_item *it = q->head; it != NULL; it = it->next) {
		if (strcmp(it->key, key) == 0) {
			json_decref(it->ev);
			it->ev = ev;
			it->replaced = it->sending;
			q->st.replaced++;
			return 1;
		}
	}
	return 0;
}

/* Unlinks the item after prev (prev NULL: the head). Locked. */
static struct eventq_item *
eventq_unlink(struct eventq *q, struct eventq_item *prev)
{
	struct eventq_item *it = prev ? prev->next : q->head;

	if (prev)
		prev->next = it->next;
	else
		q->head = it->next;
	if (q->tail == it)
		q->tail = prev;
	it->next = NULL;
	q->st.queued--;
	return it;
}

/* Drops the oldest event not being posted. Locked. */
static void
eventq_drop_oldest(struct eventq *q)
{
	struct eventq_item *prev = NULL;

	if (q->head->sending) {
		if (q->head->next == NULL)
			return;
		prev = q->head;
	}
	eventq_item_free(eventq_unlink(q, prev));
	q->st.dropped++;
}

void
eventq_push(struct eventq *q, json_t *ev)
{
	char *key = eventq_key(ev);

	pthread_mutex_lock(&q->mu);
	if (eventq_replace(q, ev, key)) {
		free(key);
	} else {
		struct eventq_item *it = xcalloc(1, sizeof(*it));
		it->ev = ev;
		it->key = key;
		if (q->tail != NULL)
			q->tail->next = it;
		else
			q->head = it;
		q->tail = it;
		q->st.queued++;
		if (q->st.queued > q->max)
			eventq_drop_oldest(q);
		pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
}

/* 1 sent, 0 refused for good, -1 retry later. */
static int
eventq_post(struct eventq *q, json_t *ev, struct strbuf *err)
{
	struct httpc_response resp = { 0, STRBUF_INIT };
	char *body = json_dumps(ev, JSON_COMPACT);
	int rc = -1;

	if (ctlclient_call(&q->cc, "POST", "/v1/events", body, q->cc.request_timeout_ms, &resp, err) == 0) {
		if (resp.status >= 200 && resp.status < 300) {
			rc = 1;
		} else if (resp.status == 429) {
			ctlclient_http_error(&resp, "event", err);
			rc = -1;     /* over [server] events_per_minute: later */
		} else {
			ctlclient_http_error(&resp, "event", err);
			rc = 0;
		}
	}
	free(body);
	strbuf_clear(&resp.body);
	return rc;
}

static void
eventq_result(struct eventq *q, struct eventq_item *it, int rc, const char *err)
{
	const char *what = json_string_value(json_object_get(it->ev, "type"));

	if (rc != 0 && q->outage > 0)
		log_info("events: controller reachable again after %d failed tries", q->outage);
	if (rc != 0)
		q->outage = 0;
	if (rc == 1) {
		q->st.sent++;
		log_info("events: %s sent", it->key);
	} else if (rc == 0) {
		q->st.refused++;
		log_warnx("events: %s event refused, dropped: %s", what ? what : "?", err);
	} else {
		q->st.failures++;
		if (q->outage++ == 0)
			log_warnx("events: cannot post (%zu waiting), retrying: %s",
			    q->st.queued, err);
	}
}

/* The wait after the n-th failure in a row: retry_min doubling to retry_max. */
static long
eventq_backoff(const struct eventq *q)
{
	long d = q->retry_min_ms;

	for (int i = 1; i < q->outage && d < q->retry_max_ms; i++)
		d *= 2;
	return d < q->retry_max_ms ? d : q->retry_max_ms;
}

static void
eventq_wait_until(struct eventq *q, long long until_ms)
{
	struct timespec ts;
	long long left = until_ms - monotime_ms();

	if (left <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&q->cv, &q->mu, &ts);
}

static int
eventq_abort(void *arg)
{
	struct eventq *q = arg;
	int stop;

	pthread_mutex_lock(&q->mu);
	stop = q->stopping && monotime_ms() >= q->linger_until;
	pthread_mutex_unlock(&q->mu);
	return stop;
}

static void *
eventq_main(void *arg)
{
	struct eventq *q = arg;
	long long next_try = 0;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->stopping && (q->head == NULL || monotime_ms() >= q->linger_until))
			break;
		if (q->head == NULL) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		if (!q->stopping && monotime_ms() < next_try) {
			eventq_wait_until(q, next_try);
			continue;
		}
		struct eventq_item *it = q->head;   /* stays first while posted */
		struct strbuf err = STRBUF_INIT;
		json_t *ev = json_incref(it->ev);
		it->sending = 1;
		pthread_mutex_unlock(&q->mu);
		int rc = eventq_post(q, ev, &err);
		json_decref(ev);
		pthread_mutex_lock(&q->mu);
		it->sending = 0;
		eventq_result(q, it, rc, strbuf_str(&err));
		strbuf_clear(&err);
		if (rc < 0) {
			next_try = monotime_ms() + eventq_backoff(q);
			if (q->stopping)
				break;     /* one last try only */
		} else if (it->replaced) {
			it->replaced = 0;  /* a newer word arrived meanwhile: send it too */
		} else {
			eventq_item_free(eventq_unlink(q, NULL));
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct eventq *
eventq_start(const struct agent_config *cfg)
{
	struct eventq *q = xcalloc(1, sizeof(*q));
	int rc;

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->max = (size_t)cfg->lw_queue_max;
	q->retry_min_ms = (long)cfg->retry_min_ms;
	q->retry_max_ms = (long)cfg->retry_max_ms;
	ctlclient_init(&q->cc, cfg, eventq_abort, q);
	if ((rc = pthread_create(&q->thread, NULL, eventq_main, q)) != 0) {
		errno = rc;
		log_warn("events: cannot start the sender thread");
		ctlclient_clear(&q->cc);
		free(q);
		return NULL;
	}
	return q;
}

void
eventq_stats(struct eventq *q, struct eventq_stats *st)
{
	pthread_mutex_lock(&q->mu);
	*st = q->st;
	pthread_mutex_unlock(&q->mu);
}

struct eventq *
eventq_stop(struct eventq *q, long linger_ms)
{
	if (q == NULL)
		return NULL;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	q->linger_until = monotime_ms() + linger_ms;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	if (q->st.queued > 0)
		log_warnx("events: %zu events not delivered at stop", q->st.queued);
	while (q->head != NULL)
		eventq_item_free(eventq_unlink(q, NULL));
	ctlclient_clear(&q->cc);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return NULL;
}
