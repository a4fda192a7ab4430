/*
 * notify.c: a bounded queue and a sender thread.
 *
 * Owns the queued messages and the recent-key table. Delivery failures are
 * logged; a message that still fails after its last retry is dropped with
 * a warning (the history in PostgreSQL remains the record).
 *
 * SECURITY: texts name things a reporter chose (a sender, a class, a
 * failed step's stderr). Slack reads <...> as a link or a mention
 * (<!channel>, <https://evil|click here>), so every text is sent with &, <
 * and > escaped as &amp; &lt; &gt;, as Slack's message formatting asks;
 * Slack shows them as the characters they stand for.
 */
#include "notify.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

#define NOTIFY_QUEUE_MAX 256
#define NOTIFY_RECENT 128
#define NOTIFY_DEDUP_S 600
#define NOTIFY_TRIES 5

struct notify_msg {
	char *text;
	struct notify_msg *next;
};

struct notify {
	const struct settings *settings;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct notify_msg *head, *tail;
	int queued;
	int stop;
	char *recent_key[NOTIFY_RECENT];
	time_t recent_at[NOTIFY_RECENT];
	int suppressed;
	time_t window_start;
	long long window_sent;
};

static size_t
notify_discard(char *p, size_t s, size_t n, void *u)
{
	(void)p, (void)u;
	return s * n;
}

char *
notify_slack_escape(const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '&')
			strbuf_append(&sb, "&amp;");
		else if (*p == '<')
			strbuf_append(&sb, "&lt;");
		else if (*p == '>')
			strbuf_append(&sb, "&gt;");
		else
			strbuf_appendc(&sb, *p);
	}
	return strbuf_detach(&sb);
}

static int
notify_post(const struct settings *s, const char *text)
{
	char *escaped = notify_slack_escape(text);
	json_t *o = json_pack("{s:s}", "text", escaped);
	char *body = json_dumps(o, JSON_COMPACT);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_URL, s->webhook_url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->notify_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, notify_discard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		log_warnx("notify: %s", curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(body);
	free(escaped);
	json_decref(o);
	if (rc == CURLE_OK && (status < 200 || status > 299))
		log_warnx("notify: webhook answered %ld", status);
	return rc == CURLE_OK && status >= 200 && status <= 299 ? 0 : -1;
}

/* Waits up to seconds unless stopping; lock held. */
static void
notify_sleep(struct notify *n, double seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_sec++, ts.tv_nsec -= 1000000000L;
	if (!n->stop)
		pthread_cond_timedwait(&n->cond, &n->lock, &ts);
}

static void
notify_deliver(struct notify *n, char *text)
{
	double backoff = 1;

	for (int i = 0; i < NOTIFY_TRIES; i++) {
		pthread_mutex_unlock(&n->lock);
		int rc = notify_post(n->settings, text);
		pthread_mutex_lock(&n->lock);
		if (rc == 0)
			return;
		if (n->stop)
			break;
		notify_sleep(n, backoff);
		backoff *= 2;
	}
	log_warnx("notify: giving up on a message after %d tries", NOTIFY_TRIES);
}

static void *
notify_main(void *arg)
{
	struct notify *n = arg;

	pthread_mutex_lock(&n->lock);
	while (!n->stop || n->head != NULL) {
		if (n->head == NULL) {
			pthread_cond_wait(&n->cond, &n->lock);
			continue;
		}
		struct notify_msg *m = n->head;
		n->head = m->next;
		if (n->head == NULL)
			n->tail = NULL;
		n->queued--;
		if (n->settings->webhook_url[0] != '\0')
			notify_deliver(n, m->text);
		free(m->text);
		free(m);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

struct notify *
notify_start(const struct settings *s)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	n->settings = s;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0)
		log_fatal("notify: pthread_create");
	return n;
}

void
notify_stop(struct notify *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = 1;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	for (int i = 0; i < NOTIFY_RECENT; i++)
		free(n->recent_key[i]);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	free(n);
}

/* 1 when key was sent within the dedup window; else remembers it. Lock held. */
static int
notify_seen(struct notify *n, const char *key, time_t now)
{
	int oldest = 0;

	for (int i = 0; i < NOTIFY_RECENT; i++) {
		if (n->recent_key[i] != NULL && strcmp(n->recent_key[i], key) == 0) {
			if (now - n->recent_at[i] < NOTIFY_DEDUP_S)
				return 1;
			n->recent_at[i] = now;
			return 0;
		}
		if (n->recent_at[i] < n->recent_at[oldest])
			oldest = i;
	}
	free(n->recent_key[oldest]);
	n->recent_key[oldest] = xstrdup(key);
	n->recent_at[oldest] = now;
	return 0;
}

void
notify_send(struct notify *n, const char *key, const char *text)
{
	time_t now = time(NULL);
	const struct settings *s = n->settings;

	log_info("notify: %s", text);
	pthread_mutex_lock(&n->lock);
	if (notify_seen(n, key, now)) {
		pthread_mutex_unlock(&n->lock);
		return;
	}
	if (now - n->window_start >= 60)
		n->window_start = now, n->window_sent = 0;
	if (n->window_sent >= s->notify_per_minute || n->queued >= NOTIFY_QUEUE_MAX) {
		n->suppressed++;
		pthread_mutex_unlock(&n->lock);
		return;
	}
	n->window_sent++;
	struct notify_msg *m = xcalloc(1, sizeof(*m));
	if (n->suppressed > 0)
		m->text = xasprintf("%s\n(%d more notification(s) were held back by the rate limit; see postroute history)%s%s",
		    text, n->suppressed, s->runbook_url[0] ? "\nRunbook: " : "", s->runbook_url);
	else
		m->text = xasprintf("%s%s%s", text, s->runbook_url[0] ? "\nRunbook: " : "", s->runbook_url);
	n->suppressed = 0;
	if (n->tail)
		n->tail->next = m;
	else
		n->head = m;
	n->tail = m;
	n->queued++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}
