/*
 * test_sec_dos.c: hostile clients without a token against postrouted
 * (security finding 5, unauthenticated denial of service).
 *
 * One controller with [server] request_timeout = 2s, max_connections_per_ip
 * = 64 and auth_failures_per_minute = 5 (max_waits_per_token at its default,
 * 2), a private Postfix instance and the real agent for node mx01 on
 * 127.0.0.1. Raw sockets bound to other loopback addresses play the
 * attackers, so each check sees exactly what a client sees:
 *
 *   - a third concurrent long-poll of one token is answered 429 with
 *     Retry-After while its two waits go on, and a wait longer than
 *     request_timeout is not cut by it;
 *   - after 5 refused tokens from 127.0.0.3 that address gets 429 with
 *     Retry-After, without a token lookup (the lookup counter stands still),
 *     even with a good token, while the good token works from 127.0.0.1;
 *   - a 10 MB body with a bad token is answered 401 from the headers alone,
 *     before a byte of it is sent, and the server then refuses the rest;
 *   - 2,000 slow clients from 127.0.0.2 (half silent, half trickling a
 *     header byte every 250 ms, which no idle timeout would catch) are all
 *     closed: the per-address cap closes all but 64 on accept, the deadline
 *     the others; then, while they keep reconnecting, the CLI flips and the
 *     agent applies three times. The controller's RSS and the flips' times
 *     are printed;
 *   - in a network namespace of its own (the test runs as root), a second
 *     controller on IPv6 with max_connections_per_ip = 2: a third
 *     connection from another address of the same /64 is closed on
 *     accept, one from another /64 is served, and once the two close the
 *     /64 is served again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "clirun.h"
#include "pfx.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

#define ATTACKERS 2000
#define PER_IP_CAP 64
#define ATTACK_OPENS_MAX 40000      /* reconnects in the sustained phase, at most */
#define ATTACK_SECONDS_MAX 60.0     /* an attack thread gives up after this */
#define TRICKLE_EVERY 0.25
#define REOPEN_AFTER 1.0            /* a closed attacker reconnects after this */

static struct tl_controller *ctl;
static struct tl_controller *ctl6;   /* test_ipv6_prefix_is_one_client's */
static struct pfx *mx;
static struct agentrun *agent;
static char *agent_mx01, *agent_mx02;

static void
api_ok(const char *method, const char *path, const char *body)
{
	json_decref(tl_api_ok(ctl, method, path, ctl->admin, body));
}

/* A counter of GET /metrics; -1 when the controller has no such counter. */
static long
metric_or_none(const char *name)
{
	char *url = xasprintf("%s/metrics", ctl->url), *raw = NULL;
	char *needle = xasprintf("\n%s ", name);
	long v = -1;

	if (tl_http("GET", url, NULL, NULL, NULL, &raw) != 200)
		fail_msg("GET /metrics failed");
	if (strstr(raw, needle) != NULL)
		v = strtol(strstr(raw, needle) + strlen(needle), NULL, 10);
	free(url), free(raw), free(needle);
	return v;
}

static unsigned long
metric(const char *name)
{
	long v = metric_or_none(name);

	if (v < 0)
		fail_msg("GET /metrics: no %s", name);
	return (unsigned long)v;
}

static long
rss_kib(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)ctl->pid);
	char *st = tl_read_file(path), *p;
	long kib = -1;

	if (st != NULL && (p = strstr(st, "VmRSS:")) != NULL)
		kib = strtol(p + 6, NULL, 10);
	free(st);
	return kib;
}

/* A socket from src (a loopback address) to the controller; nonblock
 * leaves the connect under way. */
static int
dial(const char *src, int nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	struct sockaddr_in a = { .sin_family = AF_INET }, d = { .sin_family = AF_INET };
	struct timeval tv = { 15, 0 };

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &a.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
	d.sin_port = htons((uint16_t)ctl->port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    (connect(fd, (struct sockaddr *)&d, sizeof(d)) != 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	if (!nonblock) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static void
send_all(int fd, const char *text)
{
	size_t n = strlen(text), off = 0;

	while (off < n) {
		ssize_t w = send(fd, text + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			fail_msg("send: %s", strerror(errno));
		off += (size_t)w;
	}
}

static void
send_request(int fd, const char *method, const char *path, const char *token, const char *extra)
{
	char *req = xasprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "%s%s%s%s\r\n", method, path, token ? "Authorization: Bearer " : "", token ? token : "",
	    token ? "\r\n" : "", extra ? extra : "");
	send_all(fd, req);
	free(req);
}

/* One answer: its status (0 when the connection ended or timed out
 * first); *text (if wanted) the headers and body. */
static int
read_reply(int fd, char **text)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096], *end = NULL;
	size_t want = (size_t)-1;
	int status = 0;

	while (sb.len < want) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			break;
		strbuf_appendn(&sb, buf, (size_t)r);
		if (end == NULL && (end = strstr(strbuf_str(&sb), "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(strbuf_str(&sb), "\r\nContent-Length:");
			size_t head = (size_t)(end - sb.buf) + 4;
			want = head + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
	}
	if (end != NULL && strncmp(strbuf_str(&sb), "HTTP/1.1 ", 9) == 0)
		status = atoi(strbuf_str(&sb) + 9);
	if (text != NULL)
		*text = xstrdup(strbuf_str(&sb));
	strbuf_clear(&sb);
	return status;
}

static int
request(const char *src, const char *method, const char *path, const char *token, char **text)
{
	int fd = dial(src, 0), st;

	if (fd < 0)
		fail_msg("connect from %s: %s", src, strerror(errno));
	send_request(fd, method, path, token, NULL);
	st = read_reply(fd, text);
	close(fd);
	return st;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= 16384)
		return;
	rl.rlim_cur = 16384;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;   /* tests run as root */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		fail_msg("cannot raise RLIMIT_NOFILE to 16384: %s", strerror(errno));
}

static int
setup(void **state)
{
	(void)state;
	raise_nofile();      /* the controller inherits it too */
	ctl = tl_controller_start("[server]\nrequest_timeout = 2s\nmax_connections_per_ip = 64\n"
	    "auth_failures_per_minute = 5\n");
	api_ok("PUT", "/v1/relays/relay-a", "{\"nexthop\": \"smtp:[relay-a.example.net]:25\"}");
	api_ok("PUT", "/v1/relays/relay-b", "{\"nexthop\": \"smtp:[relay-b.example.net]:25\"}");
	api_ok("PUT", "/v1/providers/google", "{\"domains\": [\"gmail.test\"]}");
	api_ok("PUT", "/v1/nodes/mx01", "{\"role\": \"server\"}");
	api_ok("PUT", "/v1/nodes/mx02", "{\"role\": \"server\"}");   /* no agent: its token waits by hand */
	agent_mx01 = tl_token(ctl, "agent-mx01", "agent", "mx01");
	agent_mx02 = tl_token(ctl, "agent-mx02", "agent", "mx02");
	mx = pfx_start("mx01", "hash", NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (agent != NULL)
		agentrun_free(agent);
	pfx_stop(mx);
	if (ctl6 != NULL) {   /* its test failed half-way */
		tl_controller_stop(ctl6);
		tl_controller_free(ctl6);
	}
	tl_controller_finish(ctl);
	free(agent_mx01), free(agent_mx02);
	return 0;
}

static long long
feed_version(void)
{
	json_t *j = tl_api_ok(ctl, "GET", "/v1/nodes/mx02/transport", ctl->admin, NULL);
	long long v = json_integer_value(json_object_get(j, "version"));

	json_decref(j);
	return v;
}

static int
waiting_is(void *want)
{
	return metric("postroute_feed_waiting") == (unsigned long)(uintptr_t)want;
}

/* Runs before the agent starts, so that every waiting feed is this test's. */
static void
test_waits_per_token(void **state)
{
	long long v = feed_version();
	char *path = xasprintf("/v1/nodes/mx02/transport?after=%lld&wait=30", v), *text = NULL;
	int fd[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		fd[i] = dial("127.0.0.5", 0);
		send_request(fd[i], "GET", path, agent_mx02, NULL);
		if (!tl_wait_for(waiting_is, (void *)(uintptr_t)(i + 1), 10000))
			fail_msg("feed request %d of agent-mx02 is not waiting", i + 1);
	}
	/* one more wait of the same token: refused, and the two go on */
	assert_int_equal(request("127.0.0.5", "GET", path, agent_mx02, &text), 429);
	assert_non_null(strstr(text, "\r\nRetry-After: 10\r\n"));
	assert_non_null(strstr(text, "wait: token \\\"agent-mx02\\\" already has 2 waiting feed request(s)"
	    " ([server] max_waits_per_token)"));
	free(text);
	assert_int_equal(metric("postroute_feed_waiting"), 2);
	/* another token is not held back by it */
	assert_int_equal(request("127.0.0.5", "GET", "/v1/nodes/mx02/transport?after=0&wait=30",
	    ctl->admin, NULL), 200);
	/* a change answers both waits */
	api_ok("PUT", "/v1/routes/google", "{\"relay\": \"relay-a\", \"reason\": \"wake the waits\"}");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(read_reply(fd[i], &text), 200);
		assert_non_null(strstr(text, "\"node\":\"mx02\""));
		free(text);
		close(fd[i]);
	}
	/* a wait longer than request_timeout (2 s) ends with its 304, not cut */
	free(path);
	path = xasprintf("/v1/nodes/mx02/transport?after=%lld&wait=4", v + 1);
	assert_int_equal(request("127.0.0.5", "GET", path, agent_mx02, NULL), 304);
	free(path);
}

static void
test_auth_failures_throttled(void **state)
{
	char *text = NULL;
	unsigned long lookups;

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(request("127.0.0.3", "GET", "/v1/routes", "prt_wrong", NULL), 401);
	lookups = metric("postroute_token_db_lookups_total");
	/* the budget of 127.0.0.3 is spent: 429, with no lookup, whatever the token */
	assert_int_equal(request("127.0.0.3", "GET", "/v1/routes", "prt_wrong", &text), 429);
	assert_non_null(strstr(text, "\r\nRetry-After: "));
	assert_true(atoi(strstr(text, "\r\nRetry-After: ") + 15) >= 1);
	assert_non_null(strstr(text, "Authorization: too many refused tokens from this address"));
	free(text);
	for (int i = 0; i < 20; i++)
		assert_int_equal(request("127.0.0.3", "GET", "/v1/routes", "prt_wrong", NULL), 429);
	assert_int_equal(request("127.0.0.3", "GET", "/v1/routes", NULL, NULL), 429);
	assert_int_equal(request("127.0.0.3", "GET", "/v1/routes", ctl->admin, NULL), 429);
	assert_int_equal(metric("postroute_token_db_lookups_total"), lookups);
	/* public probes need no token and are not throttled */
	assert_int_equal(request("127.0.0.3", "GET", "/healthz", NULL, NULL), 200);
	/* the good token from another address works */
	assert_int_equal(request("127.0.0.1", "GET", "/v1/routes", ctl->admin, NULL), 200);
	/* and a bad one from a third address is a plain 401 */
	assert_int_equal(request("127.0.0.6", "GET", "/v1/routes", "prt_wrong", NULL), 401);
}

/* Sends the headers of a 10 MB POST with token, reads the answer given
 * before any body, then tries to send the body: returns the status and
 * the body octets the server let through before refusing the rest. */
static int
big_body(const char *token, size_t *sent, int *send_errno)
{
	int fd = dial("127.0.0.4", 0), st;
	char *chunk = xmalloc(65536);
	size_t total = 10u * 1024 * 1024;

	memset(chunk, ' ', 65536);
	send_request(fd, "POST", "/v1/events", token,
	    "Content-Type: application/json\r\nContent-Length: 10485760\r\n");
	st = read_reply(fd, NULL);
	*sent = 0;
	*send_errno = 0;
	while (*sent < total) {
		ssize_t w = send(fd, chunk, 65536, MSG_NOSIGNAL);
		if (w <= 0) {
			*send_errno = errno;
			break;
		}
		*sent += (size_t)w;
	}
	close(fd);
	free(chunk);
	return st;
}

static void
test_big_body_refused_before_reading(void **state)
{
	size_t sent;
	int err;

	(void)state;
	/* answered from the headers: not one body octet was sent yet */
	assert_int_equal(big_body("prt_wrong", &sent, &err), 401);
	/* the server has closed: the 10 MB do not go through */
	assert_true(sent < 10u * 1024 * 1024);
	assert_true(err == EPIPE || err == ECONNRESET);
	print_message("10 MB body, bad token: 401 before the body; %zu body octets accepted by the"
	    " socket before %s\n", sent, strerror(err));
	/* with a good token a declared 10 MB is 413, before the body too */
	assert_int_equal(big_body(ctl->admin, &sent, &err), 413);
	assert_true(sent < 10u * 1024 * 1024);
}

/* The attackers from 127.0.0.2. */
struct slot {
	int fd;
	int trickle;        /* sends a header byte every TRICKLE_EVERY */
	int connected;
	int sent;           /* trickled bytes */
	double next;
	double reopen_at;   /* when a closed one reconnects (sustained phase) */
};

struct attack {
	int reconnect;      /* reopen what the server closes */
	atomic_int stop;
	atomic_long opened, closed;
	int left_open;      /* still open when the thread ended */
	int max_trickled;   /* most bytes one trickler sent before it was closed */
	struct slot s[ATTACKERS];
};

static void
attack_open(struct attack *a, struct slot *s)
{
	s->fd = dial("127.0.0.2", 1);
	s->connected = 0;
	s->sent = 0;
	if (s->fd >= 0)
		atomic_fetch_add(&a->opened, 1);
}

static void
attack_closed(struct attack *a, struct slot *s)
{
	close(s->fd);
	s->fd = -1;
	atomic_fetch_add(&a->closed, 1);
	if (s->trickle && s->sent > a->max_trickled)
		a->max_trickled = s->sent;
	s->reopen_at = tl_now_s() + REOPEN_AFTER;
}

static void
attack_reopen(struct attack *a, double now)
{
	for (int i = 0; i < ATTACKERS && a->reconnect; i++) {
		struct slot *s = &a->s[i];
		if (s->fd < 0 && now >= s->reopen_at && atomic_load(&a->opened) < ATTACK_OPENS_MAX)
			attack_open(a, s);
	}
}

static void
attack_event(struct attack *a, struct slot *s, short revents, double now)
{
	char buf[512];

	if (!s->connected && (revents & POLLOUT) && !(revents & (POLLERR | POLLHUP))) {
		s->connected = 1;
		s->next = now + TRICKLE_EVERY;
		if (s->trickle &&
		    send(s->fd, "GET /v1/routes HTTP/1.1\r\nHost: x\r\nX-Slow: ", 42, MSG_NOSIGNAL) < 0) {
			attack_closed(a, s);
			return;
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			attack_closed(a, s);
	}
}

static void
attack_trickle(struct attack *a, double now)
{
	for (int i = 0; i < ATTACKERS; i++) {
		struct slot *s = &a->s[i];
		if (s->fd < 0 || !s->trickle || !s->connected || now < s->next)
			continue;
		s->next = now + TRICKLE_EVERY;
		if (send(s->fd, "a", 1, MSG_NOSIGNAL) == 1)
			s->sent++;
		else if (errno != EAGAIN)
			attack_closed(a, s);
	}
}

static void *
attack_main(void *arg)
{
	struct attack *a = arg;
	struct pollfd *p = xcalloc(ATTACKERS, sizeof(*p));
	int *idx = xcalloc(ATTACKERS, sizeof(*idx));
	double t_end = tl_now_s() + ATTACK_SECONDS_MAX;

	for (int i = 0; i < ATTACKERS; i++) {
		a->s[i].trickle = i % 2;
		attack_open(a, &a->s[i]);
	}
	while (!atomic_load(&a->stop) && tl_now_s() < t_end) {
		int n = 0;
		for (int i = 0; i < ATTACKERS; i++) {
			if (a->s[i].fd < 0)
				continue;
			p[n] = (struct pollfd){ a->s[i].fd, (short)(POLLIN | (a->s[i].connected ? 0 : POLLOUT)), 0 };
			idx[n++] = i;
		}
		if (n == 0 && !a->reconnect)
			break;                   /* every one closed by the server */
		poll(p, (nfds_t)n, 50);
		double now = tl_now_s();
		for (int k = 0; k < n; k++)
			if (p[k].revents)
				attack_event(a, &a->s[idx[k]], p[k].revents, now);
		attack_trickle(a, now);
		attack_reopen(a, now);
	}
	for (int i = 0; i < ATTACKERS; i++) {
		if (a->s[i].fd >= 0) {
			a->left_open++;
			close(a->s[i].fd);
		}
	}
	free(p), free(idx);
	return NULL;
}

static int
agent_applied(void *arg)
{
	long long want = *(long long *)arg;
	json_t *st = NULL, *n;
	size_t i;
	int ok = 0;

	if (tl_api(ctl, "GET", "/v1/status", ctl->admin, NULL, &st) != 200)
		return 0;
	json_array_foreach(json_object_get(st, "nodes"), i, n)
		if (strcmp(json_string_value(json_object_get(n, "name")), "mx01") == 0)
			ok = json_integer_value(json_object_get(n, "applied_version")) >= want;
	json_decref(st);
	return ok;
}

/* The CLI flips google for mx01 and waits until the agent applied it;
 * returns the seconds it took, with the map checked. */
static double
flip(const char *relay, const char *nexthop, long *rss_max)
{
	struct clirun r;
	double t0 = tl_now_s(), took;

	clirun(&r, ctl->url, ctl->admin, "flip", "google", "--to", relay, "--node", "mx01",
	    "--reason", "under attack", "--timeout", "60s", NULL);
	took = tl_now_s() - t0;
	clirun_expect(&r, 0, "flip during the attack");
	clirun_free(&r);
	char *v = pfx_lookup(mx, "gmail.test");
	assert_non_null(v);
	assert_string_equal(v, nexthop);
	free(v);
	long kib = rss_kib();
	if (kib > *rss_max)
		*rss_max = kib;
	return took;
}

static int
attack_churning(void *arg)
{
	struct attack *a = arg;

	return atomic_load(&a->closed) >= 2 * ATTACKERS;
}

static void
test_slow_clients_do_not_stop_sync(void **state)
{
	struct attack *a = xcalloc(1, sizeof(*a));
	pthread_t th;
	long drops0;
	long rss0, rss_max;
	double base, t[3];

	(void)state;
	agent = agentrun_new("mx01", ctl->url, agent_mx01, mx, NULL, NULL);
	agentrun_start(agent);
	long long v = feed_version();
	if (!tl_wait_for(agent_applied, &v, 15000))
		fail_msg("the agent did not sync before the attack");
	rss_max = rss0 = rss_kib();
	base = flip("relay-b", "smtp:[relay-b.example.net]:25", &rss_max);

	/* one wave of 2,000: the cap closes all but 64 at once, the deadline
	 * the rest, tricklers included */
	drops0 = metric_or_none("postroute_http_deadline_drops_total");
	pthread_create(&th, NULL, attack_main, a);
	pthread_join(th, NULL);
	long dropped = metric_or_none("postroute_http_deadline_drops_total") - drops0;
	print_message("wave: %ld opened, %ld closed by the server (%ld at the deadline, the rest"
	    " at accept), a trickler sent %d bytes before its close\n", atomic_load(&a->opened),
	    atomic_load(&a->closed), dropped, a->max_trickled);
	assert_int_equal(atomic_load(&a->opened), ATTACKERS);
	assert_int_equal(a->left_open, 0);
	assert_true(drops0 >= 0);
	assert_true(dropped >= 1 && dropped <= PER_IP_CAP);
	assert_true(a->max_trickled >= 3);   /* it kept sending, and was closed all the same */

	/* sustained: the 2,000 reconnect as soon as they are closed while
	 * the CLI flips and the agent applies, three times */
	free(a);
	a = xcalloc(1, sizeof(*a));
	a->reconnect = 1;
	pthread_create(&th, NULL, attack_main, a);
	if (!tl_wait_for(attack_churning, a, 60000))
		fail_msg("the attack did not get going");
	for (int i = 0; i < 3; i++)
		t[i] = flip(i % 2 ? "relay-b" : "relay-a", i % 2 ? "smtp:[relay-b.example.net]:25" :
		    "smtp:[relay-a.example.net]:25", &rss_max);
	long rss_attack = rss_kib();
	/* the attack was still on when the last flip was applied */
	assert_true(atomic_load(&a->opened) < ATTACK_OPENS_MAX);
	atomic_store(&a->stop, 1);
	pthread_join(th, NULL);
	print_message("sustained: %ld connections opened from 127.0.0.2, %ld closed by the server,"
	    " %d open at the end\n", atomic_load(&a->opened), atomic_load(&a->closed), a->left_open);
	print_message("flip to applied (CLI, real agent): %.3f s before the attack; %.3f %.3f %.3f s"
	    " during it\n", base, t[0], t[1], t[2]);
	print_message("controller RSS: %ld KiB before, %ld KiB at most during, %ld KiB at the end\n",
	    rss0, rss_max, rss_attack);
	free(a);
}

/* ---- one IPv6 /64 is one client ---- */

/* A blocking connection from src to ctl6 (both IPv6 literals). */
static int
dial6(const char *src)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 }, d = { .sin6_family = AF_INET6 };
	struct timeval tv = { 15, 0 };

	inet_pton(AF_INET6, src, &a.sin6_addr);
	inet_pton(AF_INET6, "fd00:5ed::1", &d.sin6_addr);
	d.sin6_port = htons((uint16_t)ctl6->port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    connect(fd, (struct sockaddr *)&d, sizeof(d)) != 0)
		fail_msg("connect from %s: %s", src, strerror(errno));
	return fd;
}

/* GET /healthz on fd, kept alive; the status (0: closed unanswered). */
static int
healthz6(int fd)
{
	const char *q = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

	if (send(fd, q, strlen(q), MSG_NOSIGNAL) != (ssize_t)strlen(q))
		return 0;
	return read_reply(fd, NULL);
}

static int
served6(void *src)
{
	int fd = dial6(src), st = healthz6(fd);

	close(fd);
	return st == 200;
}

static int
ctl6_logged_cap(void *arg)
{
	char *path = xasprintf("%s/postrouted.log", ctl6->dir), *log = tl_read_file(path);
	int found = log != NULL && strstr(log, "closed 1 connection(s) on accept: their IPv6 /64"
	    " had [server] max_connections_per_ip (2) open") != NULL;

	(void)arg;
	free(path), free(log);
	return found;
}

static void
ip(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
    const char *a6, const char *a7)
{
	char *argv[] = { "/sbin/ip", (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5,
		(char *)a6, (char *)a7, NULL };
	char *out = NULL, *err = NULL;

	if (tl_run(argv, &out, &err, 10) != 0)
		fail_msg("ip %s %s %s: %s", a1, a2, a3, err);
	free(out), free(err);
}

static void
test_ipv6_prefix_is_one_client(void **state)
{
	int home, held[2];

	(void)state;
	if (geteuid() != 0)
		skip();    /* a network namespace of its own needs root */
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0 || unshare(CLONE_NEWNET) != 0)
		fail_msg("cannot make a network namespace: %s", strerror(errno));
	ip("link", "set", "lo", "up", NULL, NULL, NULL);
	/* the controller on fd00:5ed::1, where its own readiness checks come
	 * from too; the client's /64 is fd00:5ec::/64 */
	const char *addrs[] = { "fd00:5ed::1/64", "fd00:5ec::a/64", "fd00:5ec::b/64" };
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		ip("-6", "addr", "add", addrs[i], "dev", "lo", "nodad");
	tl_controller_host("fd00:5ed::1");
	ctl6 = tl_controller_start("[server]\nmax_connections_per_ip = 2\nrequest_timeout = 60s\n");
	tl_controller_host(NULL);

	/* two kept-alive connections from one address, each answered */
	for (int i = 0; i < 2; i++) {
		held[i] = dial6("fd00:5ec::a");
		assert_int_equal(healthz6(held[i]), 200);
	}
	/* a third from another address of the same /64: closed unanswered */
	int fd = dial6("fd00:5ec::b");
	assert_int_equal(healthz6(fd), 0);
	close(fd);
	if (!tl_wait_for(ctl6_logged_cap, NULL, 10000))
		fail_msg("the controller did not log the closed connection");
	/* another /64 is another client */
	assert_true(served6("fd00:5ed::1"));
	/* the two close: the /64 is served again (its count went back down) */
	close(held[0]);
	close(held[1]);
	if (!tl_wait_for(served6, "fd00:5ec::b", 10000))
		fail_msg("fd00:5ec::b not served after the /64's connections closed");

	tl_controller_finish(ctl6);
	ctl6 = NULL;
	if (setns(home, CLONE_NEWNET) != 0)
		fail_msg("cannot go back to the network namespace: %s", strerror(errno));
	close(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_per_token),
		cmocka_unit_test(test_auth_failures_throttled),
		cmocka_unit_test(test_big_body_refused_before_reading),
		cmocka_unit_test(test_slow_clients_do_not_stop_sync),
		cmocka_unit_test(test_ipv6_prefix_is_one_client),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
