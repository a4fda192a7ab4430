/*
 * feed_fanout.c: how long one routing change takes to reach N waiting feeds.
 *
 *   feed_fanout --url URL --token ADMIN --conninfo CONNINFO --pid PID
 *               [--sizes 20,1000,5000] [--rounds 20] [--listen-sizes 20,1000]
 *               [--ca-file CA [--client-cert CERT --client-key KEY]]
 *
 * With an https URL, --ca-file verifies the controller and --client-cert
 * and --client-key answer its tls_client_ca (every waiter is then one TLS
 * connection with a client certificate).
 *
 * Against a running postrouted (URL, an admin token, the libpq conninfo of
 * its database and its process id), with everything on loopback:
 *
 *   setup     two relays, one provider, max(sizes) server nodes through the
 *             API; one agent token per node inserted into the tokens table
 *             (digest through common/sha256.h, as `postrouted token create`
 *             stores it).
 *   fan-out   for each N: N long-polls (GET /v1/nodes/NODE/transport?
 *             after=V&wait=60, each with its node's agent token, keep-alive,
 *             one libcurl multi handle driven by epoll in this one thread),
 *             wait until the controller's postroute_feed_waiting gauge is N,
 *             sample the controller's /proc/PID/status, then PUT the route
 *             to the other relay and time, per waiter, from just before the
 *             PUT to its complete 200 answer. Each answer must carry the
 *             PUT's version. Then re-arm with after = that version, --rounds
 *             times.
 *   LISTEN    for comparison, for each N of --listen-sizes: N libpq
 *             connections LISTEN on one channel, a further one sends NOTIFY,
 *             and each listener's time from just before the NOTIFY to the
 *             notification read from its socket is taken, --rounds times.
 *
 * Prints one Markdown table row per N on stdout (progress on stderr).
 * Every wait is bounded; any error exits non-zero.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

#define MAX_SIZES 8
#define PROVIDER "bench-mail"
#define WAIT_S 60

struct opts {
	const char *url, *token, *conninfo;
	const char *ca_file, *client_cert, *client_key;
	long pid;
	int sizes[MAX_SIZES], nsizes;
	int listen_sizes[MAX_SIZES], nlisten;
	int rounds;
};

/* One HTTP request in the multi handle. */
struct req {
	CURL *h;
	struct curl_slist *hdr;
	struct strbuf body;
	char *send;             /* request body, or NULL */
	long status;
	int done, active;
	double t_done;
};

struct loop {
	CURLM *m;
	int ep;
	long timeout_ms;        /* from libcurl's timer callback; -1: none */
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("feed_fanout: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
parse_list(const char *s, int *out)
{
	int n = 0;
	char *end;

	while (*s && n < MAX_SIZES) {
		long v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 100000)
			die("bad size list near \"%s\"", s);
		out[n++] = (int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			die("bad size list near \"%s\"", end);
	}
	return n;
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	o->sizes[0] = 20, o->sizes[1] = 1000, o->sizes[2] = 5000, o->nsizes = 3;
	o->listen_sizes[0] = 20, o->listen_sizes[1] = 1000, o->nlisten = 2;
	o->rounds = 20;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			die("%s: needs a value", a);
		i++;
		if (strcmp(a, "--url") == 0)
			o->url = v;
		else if (strcmp(a, "--token") == 0)
			o->token = v;
		else if (strcmp(a, "--conninfo") == 0)
			o->conninfo = v;
		else if (strcmp(a, "--pid") == 0)
			o->pid = atol(v);
		else if (strcmp(a, "--rounds") == 0)
			o->rounds = atoi(v);
		else if (strcmp(a, "--sizes") == 0)
			o->nsizes = parse_list(v, o->sizes);
		else if (strcmp(a, "--ca-file") == 0)
			o->ca_file = v;
		else if (strcmp(a, "--client-cert") == 0)
			o->client_cert = v;
		else if (strcmp(a, "--client-key") == 0)
			o->client_key = v;
		else if (strcmp(a, "--listen-sizes") == 0)
			o->nlisten = strcmp(v, "0") == 0 ? 0 : parse_list(v, o->listen_sizes);
		else
			die("unknown option %s", a);
	}
	if (o->url == NULL || o->token == NULL || o->conninfo == NULL || o->pid <= 0 ||
	    o->rounds < 1 || o->rounds > 1000)
		die("usage: feed_fanout --url URL --token ADMIN --conninfo CONNINFO --pid PID"
		    " [--sizes 20,1000,5000] [--rounds 20] [--listen-sizes 20,1000]"
		    " [--ca-file CA [--client-cert CERT --client-key KEY]]");
	tl_tls_client(o->ca_file, o->client_cert, o->client_key);
}

/* Raises this process's descriptor limit (the controller has its own). */
static void
raise_nofile(rlim_t want)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= want)
		return;
	struct rlimit up = { want, rl.rlim_max > want ? rl.rlim_max : want };
	if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
		up.rlim_cur = up.rlim_max = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &up);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		die("RLIMIT_NOFILE is %llu, %llu needed", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)want);
}

/* A field of /proc/PID/status ("VmRSS", "VmHWM" in kB, "Threads"). */
static long
proc_status(long pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		die("%s: %s (controller gone?)", path, strerror(errno));
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	fclose(fp);
	return v;
}

static long
proc_limit_nofile(long pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/limits", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, "Max open files", 14) == 0)
			v = atol(line + 14);
	fclose(fp);
	return v;
}

/* CPU time of every thread of pid, in seconds (schedstat: ns on a CPU). */
static double
proc_cpu(long pid)
{
	char path[96];
	double total = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	if (d == NULL)
		die("%s: %s (controller gone?)", path, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char file[384];
		unsigned long long ns = 0;
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "/proc/%ld/task/%s/schedstat", pid, e->d_name);
		FILE *fp = fopen(file, "r");
		if (fp == NULL)
			continue;   /* a thread that just ended */
		if (fscanf(fp, "%llu", &ns) == 1)
			total += (double)ns / 1e9;
		fclose(fp);
	}
	closedir(d);
	return total;
}

static double
self_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- libcurl multi on epoll ---- */

static int
loop_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct loop *l = userp;
	struct epoll_event ev = { 0 };

	(void)e, (void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	ev.data.fd = s;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, s, &ev) != 0 &&
	    (errno != ENOENT || epoll_ctl(l->ep, EPOLL_CTL_ADD, s, &ev) != 0))
		die("epoll_ctl %d: %s", s, strerror(errno));
	return 0;
}

static int
loop_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct loop *l = userp;

	(void)m;
	l->timeout_ms = timeout_ms;
	return 0;
}

static void
loop_init(struct loop *l, long maxconnects)
{
	l->m = curl_multi_init();
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->timeout_ms = -1;
	if (l->m == NULL || l->ep < 0)
		die("curl_multi_init / epoll_create1 failed");
	curl_multi_setopt(l->m, CURLMOPT_SOCKETFUNCTION, loop_socket);
	curl_multi_setopt(l->m, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->m, CURLMOPT_TIMERFUNCTION, loop_timer);
	curl_multi_setopt(l->m, CURLMOPT_TIMERDATA, l);
	curl_multi_setopt(l->m, CURLMOPT_MAXCONNECTS, maxconnects);
}

/* Marks finished transfers done with their time and status. They stay in
 * the multi handle until req_detach: libcurl 7.88's
 * curl_multi_remove_handle walks every cached connection, which at 5,000
 * connections would put this program's own O(N^2) inside the timed window. */
static void
loop_reap(struct loop *l, double t)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(l->m, &left)) != NULL) {
		struct req *r = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		r->t_done = t;
		r->status = 0;
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
		else
			fprintf(stderr, "feed_fanout: transfer failed: %s\n",
			    curl_easy_strerror(msg->data.result));
		r->done = 1;
	}
}

/* Takes a finished request out of the multi handle, so it can start again. */
static void
req_detach(struct loop *l, struct req *r)
{
	if (r->active)
		curl_multi_remove_handle(l->m, r->h);
	r->active = 0;
}

/* Waits up to max_ms for socket activity or libcurl's timer, then lets
 * libcurl act on it. */
static void
loop_step(struct loop *l, long max_ms)
{
	struct epoll_event ev[512];
	long wait = l->timeout_ms >= 0 && l->timeout_ms < max_ms ? l->timeout_ms : max_ms;
	int running, n;

	n = epoll_wait(l->ep, ev, 512, (int)wait);
	if (n < 0 && errno != EINTR)
		die("epoll_wait: %s", strerror(errno));
	if (n <= 0) {
		curl_multi_socket_action(l->m, CURL_SOCKET_TIMEOUT, 0, &running);
	} else {
		for (int i = 0; i < n; i++) {
			int flags = ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
			    ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
			    ((ev[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
			curl_multi_socket_action(l->m, ev[i].data.fd, flags, &running);
		}
	}
	loop_reap(l, now());
}

static size_t
req_write(char *p, size_t s, size_t n, void *u)
{
	strbuf_appendn(u, p, s * n);
	return s * n;
}

/* The TLS files of tl_tls_client (parse_opts set them). */
static void
req_tls(CURL *h)
{
	if (tl_tls_ca() != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, tl_tls_ca());
	if (tl_tls_cert() != NULL && tl_tls_key() != NULL) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, tl_tls_cert());
		curl_easy_setopt(h, CURLOPT_SSLKEY, tl_tls_key());
	}
}

static void
req_init(struct req *r, const char *token)
{
	char *auth = xasprintf("Authorization: Bearer %s", token);

	r->h = curl_easy_init();
	r->hdr = curl_slist_append(NULL, auth);
	r->hdr = curl_slist_append(r->hdr, "Content-Type: application/json");
	free(auth);
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->hdr);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, req_write);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT, (long)WAIT_S + 30);
	curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT, 30L);
	req_tls(r->h);
}

static void
req_free(struct req *r)
{
	if (r->h)
		curl_easy_cleanup(r->h);
	curl_slist_free_all(r->hdr);
	strbuf_clear(&r->body);
	free(r->send);
	memset(r, 0, sizeof(*r));
}

/* Starts method url on r (body may be NULL). */
static void
req_start(struct loop *l, struct req *r, const char *method, const char *url, const char *body)
{
	req_detach(l, r);
	strbuf_reset(&r->body);
	free(r->send);
	r->send = body ? xstrdup(body) : NULL;
	r->done = 0;
	r->status = 0;
	r->active = 1;
	curl_easy_setopt(r->h, CURLOPT_URL, url);
	curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, method);
	if (r->send) {
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->send);
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE, (long)strlen(r->send));
	} else {
		curl_easy_setopt(r->h, CURLOPT_HTTPGET, 1L);
	}
	if (curl_multi_add_handle(l->m, r->h) != CURLM_OK)
		die("curl_multi_add_handle failed");
}

/* ---- setup ---- */

static char *
api_url(const struct opts *o, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	char path[512];

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	strbuf_appendf(&sb, "%s%s", o->url, path);
	return strbuf_detach(&sb);
}

/* A blocking admin request that must answer 200 or 201. */
static json_t *
admin(const struct opts *o, const char *method, const char *path, const char *body)
{
	char *url = api_url(o, "%s", path);
	char *raw = NULL;
	json_t *j = NULL;
	long st = tl_http(method, url, o->token, body, &j, &raw);

	if (st != 200 && st != 201)
		die("%s %s: %ld %s", method, path, st, raw ? raw : "");
	free(url), free(raw);
	return j;
}

static void
node_name(int i, char *out, size_t n)
{
	snprintf(out, n, "mx%05d", i);
}

/* PUT every node, 16 at a time. */
static void
create_nodes(const struct opts *o, int n)
{
	enum { PAR = 16 };
	struct loop l;
	struct req r[PAR];
	int next = 0, finished = 0;
	double deadline = now() + 600;

	loop_init(&l, PAR * 2);
	memset(r, 0, sizeof(r));
	for (int k = 0; k < PAR; k++)
		req_init(&r[k], o->token);
	while (finished < n) {
		for (int k = 0; k < PAR; k++) {
			if (r[k].done) {
				if (r[k].status != 200 && r[k].status != 201)
					die("PUT node: %ld %s", r[k].status, strbuf_str(&r[k].body));
				r[k].done = 0;
				req_detach(&l, &r[k]);
				finished++;
			}
			if (!r[k].active && next < n) {
				char name[32];
				node_name(next++, name, sizeof(name));
				char *url = api_url(o, "/v1/nodes/%s", name);
				req_start(&l, &r[k], "PUT", url, "{\"role\":\"server\",\"reason\":\"benchmark\"}");
				free(url);
			}
		}
		if (finished < n)
			loop_step(&l, 100);
		if (now() > deadline)
			die("creating %d nodes took over 600 s", n);
	}
	for (int k = 0; k < PAR; k++) {
		req_detach(&l, &r[k]);
		req_free(&r[k]);
	}
	curl_multi_cleanup(l.m);
	close(l.ep);
}

/* One agent token per node, straight into the tokens table; returns the
 * secrets. */
static char **
create_tokens(const struct opts *o, int n)
{
	struct strbuf names = STRBUF_INIT, nodes = STRBUF_INIT, digests = STRBUF_INIT;
	char **secrets = xcalloc((size_t)n, sizeof(*secrets));
	unsigned char raw[16];
	PGconn *c = PQconnectdb(o->conninfo);

	if (PQstatus(c) != CONNECTION_OK)
		die("connect: %s", PQerrorMessage(c));
	for (int i = 0; i < n; i++) {
		char name[32], digest[SHA256_HEX_LEN + 1];
		struct strbuf s = STRBUF_INIT;
		if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
			die("getrandom failed");
		strbuf_append(&s, "prt_");
		for (size_t k = 0; k < sizeof(raw); k++)
			strbuf_appendf(&s, "%02x", raw[k]);
		secrets[i] = strbuf_detach(&s);
		sha256_hex(secrets[i], strlen(secrets[i]), digest);
		node_name(i, name, sizeof(name));
		strbuf_appendf(&names, "%sbench-agent-%s", i ? "," : "{", name);
		strbuf_appendf(&nodes, "%s%s", i ? "," : "{", name);
		strbuf_appendf(&digests, "%s%s", i ? "," : "{", digest);
	}
	strbuf_append(&names, "}"), strbuf_append(&nodes, "}"), strbuf_append(&digests, "}");
	const char *p[] = { strbuf_str(&names), strbuf_str(&nodes), strbuf_str(&digests) };
	PGresult *r = PQexecParams(c, "INSERT INTO tokens (name, role, node, secret_sha256)"
	    " SELECT unnest($1::text[]), 'agent', unnest($2::text[]), unnest($3::text[])",
	    3, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("insert tokens: %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	strbuf_clear(&names), strbuf_clear(&nodes), strbuf_clear(&digests);
	return secrets;
}

/* ---- statistics ---- */

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v. */
static double
pct(const double *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n);

	return v[k ? k - 1 : 0];
}

struct result {
	int n, rounds;
	size_t samples;
	double p50, p99, max, last_median;   /* ms */
	double ctl_cpu, cli_cpu;             /* ms of CPU per change, mean */
	long rss_kb, hwm_kb, threads;
};

static void
summarise(struct result *res, double *lat, size_t n, double *last, int rounds)
{
	qsort(lat, n, sizeof(*lat), dbl_cmp);
	qsort(last, (size_t)rounds, sizeof(*last), dbl_cmp);
	res->samples = n;
	res->rounds = rounds;
	res->p50 = pct(lat, n, 0.50) * 1e3;
	res->p99 = pct(lat, n, 0.99) * 1e3;
	res->max = lat[n - 1] * 1e3;
	res->last_median = pct(last, (size_t)rounds, 0.50) * 1e3;
}

/* ---- fan-out ---- */

static long
metrics_waiting(const struct opts *o)
{
	char *url = api_url(o, "/metrics");
	char *raw = NULL;
	long v = -1;

	if (tl_http("GET", url, NULL, NULL, NULL, &raw) == 200) {
		const char *p = strstr(raw, "\npostroute_feed_waiting ");
		if (p)
			v = atol(p + strlen("\npostroute_feed_waiting "));
	}
	free(url), free(raw);
	return v;
}

static long long
body_version(const struct req *r)
{
	json_error_t e;
	json_t *j = json_loads(strbuf_str(&r->body), 0, &e);
	long long v = -1;

	if (j && json_is_integer(json_object_get(j, "version")))
		v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	return v;
}

static int flips;

/* FEED_FANOUT_PERF_FIFO: a perf --control fifo, enabled for the timed
 * windows only (perf record -D -1 --control=fifo:FIFO -p PID). */
static void
perf_ctl(const char *cmd)
{
	static FILE *fp;
	const char *path = getenv("FEED_FANOUT_PERF_FIFO");

	if (path == NULL)
		return;
	if (fp == NULL && (fp = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(fp, "%s\n", cmd);
	fflush(fp);
}

static void
fanout(const struct opts *o, struct loop *l, struct req *w, char **urlbase, int n,
    long long *version, struct result *res)
{
	double *lat = xcalloc((size_t)n * (size_t)o->rounds, sizeof(*lat));
	double *last = xcalloc((size_t)o->rounds, sizeof(*last));
	struct req put = { 0 };
	size_t nlat = 0;

	req_init(&put, o->token);
	res->n = n;
	for (int round = 0; round < o->rounds; round++) {
		double deadline = now() + 120, next_check = 0, t0;
		long waiting = -1;

		for (int i = 0; i < n; i++) {
			char *url = xasprintf("%s?after=%lld&wait=%d", urlbase[i], *version, WAIT_S);
			req_start(l, &w[i], "GET", url, NULL);
			free(url);
		}
		/* until every request is parked in the controller */
		while (waiting != n) {
			loop_step(l, 10);
			for (int i = 0; i < n; i++)
				if (w[i].done)
					die("N=%d round %d: %s answered %ld before the change: %s", n, round,
					    urlbase[i], w[i].status, strbuf_str(&w[i].body));
			if (now() >= next_check) {
				waiting = metrics_waiting(o);
				next_check = now() + 0.05;
			}
			if (now() > deadline)
				die("N=%d round %d: only %ld of %d feeds waiting after 120 s", n, round,
				    waiting, n);
		}
		if (round == o->rounds - 1) {
			res->rss_kb = proc_status(o->pid, "VmRSS");
			res->threads = proc_status(o->pid, "Threads");
		}
		/* the change */
		char *url = api_url(o, "/v1/routes/%s", PROVIDER);
		char body[256];
		snprintf(body, sizeof(body), "{\"scope\":\"*\",\"relay\":\"%s\",\"reason\":\"fan-out N=%d round %d\"}",
		    ++flips % 2 ? "bench-b" : "bench-a", n, round);
		perf_ctl("enable");
		double c0 = proc_cpu(o->pid), s0 = self_cpu();
		t0 = now();
		req_start(l, &put, "PUT", url, body);
		free(url);
		deadline = t0 + WAIT_S;
		for (int left = n + 1; left > 0;) {
			loop_step(l, 100);
			left = !put.done;
			for (int i = 0; i < n; i++)
				left += !w[i].done;
			if (now() > deadline)
				die("N=%d round %d: %d feeds not answered after %d s", n, round, left, WAIT_S);
		}
		double cpu = proc_cpu(o->pid) - c0, scpu = self_cpu() - s0;
		perf_ctl("disable");
		res->ctl_cpu += cpu * 1e3 / o->rounds;
		res->cli_cpu += scpu * 1e3 / o->rounds;
		if (put.status != 200)
			die("PUT route: %ld %s", put.status, strbuf_str(&put.body));
		long long v = body_version(&put);
		double worst = 0;
		for (int i = 0; i < n; i++) {
			if (w[i].status != 200 || body_version(&w[i]) != v)
				die("N=%d round %d: %s: %ld, expected version %lld: %s", n, round, urlbase[i],
				    w[i].status, v, strbuf_str(&w[i].body));
			double d = w[i].t_done - t0;
			lat[nlat++] = d;
			if (d > 1.0 && getenv("FEED_FANOUT_DEBUG")) {
				double tc = 0, ts = 0, tt = 0;
				long nc = 0;
				curl_easy_getinfo(w[i].h, CURLINFO_CONNECT_TIME, &tc);
				curl_easy_getinfo(w[i].h, CURLINFO_STARTTRANSFER_TIME, &ts);
				curl_easy_getinfo(w[i].h, CURLINFO_TOTAL_TIME, &tt);
				curl_easy_getinfo(w[i].h, CURLINFO_NUM_CONNECTS, &nc);
				fprintf(stderr, "    slow: %s %.3f s: connects %ld connect %.3f first byte %.3f total %.3f\n",
				    urlbase[i], d, nc, tc, ts, tt);
			}
			if (d > worst)
				worst = d;
		}
		last[round] = worst;
		*version = v;
		fprintf(stderr, "  N=%d round %d: version %lld, last waiter %.1f ms (PUT %.1f ms);"
		    " CPU: postrouted %.1f ms, this program %.1f ms\n",
		    n, round + 1, v, worst * 1e3, (put.t_done - t0) * 1e3, cpu * 1e3, scpu * 1e3);
	}
	res->hwm_kb = proc_status(o->pid, "VmHWM");
	summarise(res, lat, nlat, last, o->rounds);
	req_detach(l, &put);
	req_free(&put);
	free(lat), free(last);
}

/* ---- LISTEN/NOTIFY on PostgreSQL ---- */

static void
listen_bench(const struct opts *o, int n, struct result *res)
{
	PGconn **c = xcalloc((size_t)n + 1, sizeof(*c));
	double *t = xcalloc((size_t)n, sizeof(*t));
	double *lat = xcalloc((size_t)n * (size_t)o->rounds, sizeof(*lat));
	double *last = xcalloc((size_t)o->rounds, sizeof(*last));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	size_t nlat = 0;

	res->n = n;
	for (int i = 0; i <= n; i++) {
		c[i] = PQconnectdb(o->conninfo);
		if (PQstatus(c[i]) != CONNECTION_OK)
			die("LISTEN N=%d: connection %d: %s", n, i, PQerrorMessage(c[i]));
		if (i == n)
			break;   /* the sender */
		PGresult *r = PQexec(c[i], "LISTEN postroute_bench");
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die("LISTEN: %s", PQresultErrorMessage(r));
		PQclear(r);
		PQsetnonblocking(c[i], 1);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, PQsocket(c[i]), &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	for (int round = 0; round < o->rounds; round++) {
		int got = 0;
		double t0, deadline;

		usleep(100000);
		for (int i = 0; i < n; i++)
			t[i] = -1;
		t0 = now();
		if (!PQsendQuery(c[n], "NOTIFY postroute_bench"))
			die("NOTIFY: %s", PQerrorMessage(c[n]));
		deadline = t0 + WAIT_S;
		while (got < n) {
			struct epoll_event ev[512];
			int k = epoll_wait(ep, ev, 512, 100);
			double tn = now();
			for (int j = 0; j < k; j++) {
				int i = (int)ev[j].data.u32;
				PGnotify *nf;
				if (PQconsumeInput(c[i]) == 0)
					die("listener %d: %s", i, PQerrorMessage(c[i]));
				while ((nf = PQnotifies(c[i])) != NULL) {
					if (t[i] < 0) {
						t[i] = tn;
						got++;
					}
					PQfreemem(nf);
				}
			}
			if (tn > deadline)
				die("LISTEN N=%d round %d: %d of %d notified after %d s", n, round, got, n, WAIT_S);
		}
		PGresult *r;
		while ((r = PQgetResult(c[n])) != NULL) {
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				die("NOTIFY: %s", PQresultErrorMessage(r));
			PQclear(r);
		}
		double worst = 0;
		for (int i = 0; i < n; i++) {
			lat[nlat++] = t[i] - t0;
			if (t[i] - t0 > worst)
				worst = t[i] - t0;
		}
		last[round] = worst;
		fprintf(stderr, "  LISTEN N=%d round %d: last listener %.1f ms\n", n, round + 1, worst * 1e3);
	}
	summarise(res, lat, nlat, last, o->rounds);
	for (int i = 0; i <= n; i++)
		PQfinish(c[i]);
	close(ep);
	free(c), free(t), free(lat), free(last);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct result res[MAX_SIZES] = { { 0 } }, lres[MAX_SIZES] = { { 0 } };
	int maxn = 0, maxl = 0;
	long long version;
	struct loop l;

	parse_opts(argc, argv, &o);
	for (int i = 0; i < o.nsizes; i++)
		maxn = o.sizes[i] > maxn ? o.sizes[i] : maxn;
	for (int i = 0; i < o.nlisten; i++)
		maxl = o.listen_sizes[i] > maxl ? o.listen_sizes[i] : maxl;
	raise_nofile((rlim_t)(maxn > maxl ? maxn : maxl) + 256);
	long ctl_nofile = proc_limit_nofile(o.pid);
	if (ctl_nofile >= 0 && ctl_nofile < maxn + 64)
		die("the controller may open only %ld files: raise its limit (ulimit -n) above %d",
		    ctl_nofile, maxn + 64);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	double t = now();
	json_decref(admin(&o, "PUT", "/v1/relays/bench-a",
	    "{\"nexthop\":\"smtp:[relay-a.bench.example]:25\",\"reason\":\"benchmark\"}"));
	json_decref(admin(&o, "PUT", "/v1/relays/bench-b",
	    "{\"nexthop\":\"smtp:[relay-b.bench.example]:25\",\"reason\":\"benchmark\"}"));
	json_decref(admin(&o, "PUT", "/v1/providers/" PROVIDER,
	    "{\"domains\":[\"bench-mail.example\",\"bench-mail2.example\"],"
	    "\"mx_patterns\":[\"*.bench-mail.example\"],\"include_subdomains\":true,"
	    "\"reason\":\"benchmark\"}"));
	create_nodes(&o, maxn);
	fprintf(stderr, "feed_fanout: %d nodes created in %.1f s\n", maxn, now() - t);
	t = now();
	char **secrets = create_tokens(&o, maxn);
	fprintf(stderr, "feed_fanout: %d agent tokens inserted in %.1f s\n", maxn, now() - t);
	json_t *j = admin(&o, "PUT", "/v1/routes/" PROVIDER,
	    "{\"scope\":\"*\",\"relay\":\"bench-a\",\"reason\":\"benchmark start\"}");
	version = json_integer_value(json_object_get(j, "version"));
	json_decref(j);

	struct req *w = xcalloc((size_t)maxn, sizeof(*w));
	char **urlbase = xcalloc((size_t)maxn, sizeof(*urlbase));
	for (int i = 0; i < maxn; i++) {
		char name[32];
		node_name(i, name, sizeof(name));
		req_init(&w[i], secrets[i]);
		urlbase[i] = api_url(&o, "/v1/nodes/%s/transport", name);
	}
	loop_init(&l, maxn + 64);
	for (int k = 0; k < o.nsizes; k++) {
		fprintf(stderr, "feed_fanout: %d waiters, %d rounds\n", o.sizes[k], o.rounds);
		fanout(&o, &l, w, urlbase, o.sizes[k], &version, &res[k]);
	}
	for (int k = 0; k < o.nlisten; k++) {
		fprintf(stderr, "feed_fanout: LISTEN with %d connections, %d rounds\n",
		    o.listen_sizes[k], o.rounds);
		listen_bench(&o, o.listen_sizes[k], &lres[k]);
	}

	printf("| waiting feeds | rounds | p50 ms | p99 ms | max ms | median of round's last ms |"
	    " postrouted CPU ms per change | RSS MB (N parked) | peak RSS MB | threads |\n"
	    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < o.nsizes; k++)
		printf("| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %ld |\n", res[k].n,
		    res[k].rounds, res[k].p50, res[k].p99, res[k].max, res[k].last_median,
		    res[k].ctl_cpu, (double)res[k].rss_kb / 1024, (double)res[k].hwm_kb / 1024,
		    res[k].threads);
	if (o.nlisten > 0)
		printf("\n| LISTEN connections | rounds | p50 ms | p99 ms | max ms | median of round's last ms |\n"
		    "|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < o.nlisten; k++)
		printf("| %d | %d | %.1f | %.1f | %.1f | %.1f |\n", lres[k].n, lres[k].rounds,
		    lres[k].p50, lres[k].p99, lres[k].max, lres[k].last_median);

	for (int i = 0; i < maxn; i++) {
		req_detach(&l, &w[i]);
		req_free(&w[i]);
		free(urlbase[i]);
		free(secrets[i]);
	}
	free(w), free(urlbase), free(secrets);
	curl_multi_cleanup(l.m);
	close(l.ep);
	curl_global_cleanup();
	return 0;
}
