/*
 * testlib.c: processes, databases, controllers and HTTP for tests.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "strbuf.h"
#include "xalloc.h"

static char *tl_ca, *tl_cert, *tl_key;

static void
tl_set(char **slot, const char *v)
{
	free(*slot);
	*slot = v ? xstrdup(v) : NULL;
}

void
tl_tls_client(const char *ca, const char *cert, const char *key)
{
	tl_set(&tl_ca, ca);
	tl_set(&tl_cert, cert);
	tl_set(&tl_key, key);
}

const char *
tl_tls_ca(void)
{
	return tl_ca;
}

const char *
tl_tls_cert(void)
{
	return tl_cert;
}

const char *
tl_tls_key(void)
{
	return tl_key;
}

const char *
tl_bindir(void)
{
	const char *d = getenv("POSTROUTE_BINDIR");

	return d ? d : "bin";
}

const char *
tl_srcdir(void)
{
	const char *d = getenv("POSTROUTE_SRCDIR");

	return d ? d : ".";
}

char *
tl_mkdtemp(const char *prefix)
{
	const char *base = getenv("POSTROUTE_TMP");
	char *path = xasprintf("%s/%s.XXXXXX", base ? base : "/tmp", prefix);

	if (mkdtemp(path) == NULL)
		fail_msg("mkdtemp %s: %s", path, strerror(errno));
	chmod(path, 0755);
	return path;
}

int
tl_free_port(void)
{
	static int next;
	struct sockaddr_in sa = { .sin_family = AF_INET };

	/* below Linux's ephemeral range (32768-60999): a port checked free
	 * here is not taken by some outgoing connection before the server
	 * binds it */
	if (next == 0)
		next = 10000 + (getpid() * 7) % 20000;
	for (int tries = 0; tries < 1000; tries++) {
		int port = next++;
		if (next > 32000)
			next = 10000;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		int ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return port;
	}
	fail_msg("no free port");
	return -1;
}

void
tl_write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		fail_msg("write %s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

char *
tl_read_file(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_appendn(&sb, buf, n);
	fclose(fp);
	return strbuf_detach(&sb);
}

static void
drain(int fd, struct strbuf *sb, int *open)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0)
		strbuf_appendn(sb, buf, (size_t)n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		*open = 0;
}

int
tl_run(char *const argv[], char **out, char **err, int timeout_s)
{
	int po[2], pe[2], status = 0, oo = 1, eo = 1;
	struct strbuf so = STRBUF_INIT, se = STRBUF_INIT;
	time_t deadline = time(NULL) + timeout_s;
	pid_t pid;

	if (pipe(po) != 0 || pipe(pe) != 0)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]), close(pe[0]), close(po[1]), close(pe[1]);
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]), close(pe[1]);
	while (oo || eo) {
		struct pollfd p[2] = { { oo ? po[0] : -1, POLLIN, 0 }, { eo ? pe[0] : -1, POLLIN, 0 } };
		int left = (int)(deadline - time(NULL));
		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(po[0]), close(pe[0]);
			fail_msg("%s: timed out after %d s; stdout: %s stderr: %s", argv[0],
			    timeout_s, strbuf_str(&so), strbuf_str(&se));
		}
		if (poll(p, 2, left * 1000) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			drain(po[0], &so, &oo);
		if (p[1].revents)
			drain(pe[0], &se, &eo);
	}
	close(po[0]), close(pe[0]);
	waitpid(pid, &status, 0);
	if (out)
		*out = strbuf_detach(&so);
	else
		strbuf_clear(&so);
	if (err)
		*err = strbuf_detach(&se);
	else
		strbuf_clear(&se);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static char *
tl_base_conninfo(const char *dbname, const char *user)
{
	const char *host = getenv("PGHOST"), *port = getenv("PGPORT");

	if (host == NULL || port == NULL)
		fail_msg("PGHOST/PGPORT not set: run through tests/run.sh");
	return xasprintf("host=%s port=%s dbname=%s user=%s", host, port, dbname, user);
}

int
tl_sql_try(const char *conninfo, const char *sql, char **err)
{
	PGconn *c = PQconnectdb(conninfo);
	int rc = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		if (err)
			*err = xstrdup(PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (err)
			*err = xstrdup(PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

char *
tl_sql(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	char *v = NULL;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", conninfo, PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
		v = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

char *
tl_db_create(void)
{
	static int seq;
	char *admin = tl_base_conninfo("postgres", "postgres");
	char *name = xasprintf("t%d_%d_%ld", (int)getpid(), ++seq, (long)time(NULL) % 100000);
	char *err = NULL;

	tl_sql_try(admin, "CREATE ROLE postroute LOGIN", &err);   /* may exist */
	free(err);
	char *sql = xasprintf("CREATE DATABASE %s OWNER postroute", name);
	free(tl_sql(admin, sql));
	char *ci = tl_base_conninfo(name, "postroute");
	free(sql), free(name), free(admin);
	return ci;
}

static void
tl_controller_spawn(struct tl_controller *c)
{
	char *log = xasprintf("%s/postrouted.log", c->dir);
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1), dup2(fd, 2);
		execl(bin, bin, "-c", c->conf, (char *)NULL);
		_exit(127);
	}
	c->pid = pid;
	char *url = xasprintf("%s/healthz", c->url);
	for (int i = 0; i < 500; i++) {
		if (tl_http("GET", url, NULL, NULL, NULL, NULL) == 200) {
			free(url), free(log), free(bin);
			return;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("postrouted exited at start; log:\n%s", tl_read_file(log));
		usleep(20000);
	}
	fail_msg("postrouted did not answer /healthz; log:\n%s", tl_read_file(log));
}

static const char *tl_listen_host = "127.0.0.1";

void
tl_controller_host(const char *host)
{
	tl_listen_host = host ? host : "127.0.0.1";
}

/* Writes c's INI file (server_ini goes into [server]) in a new directory,
 * on a new port: scheme://HOST:PORT (tl_controller_host). */
static void
tl_controller_write_conf(struct tl_controller *c, const char *scheme, const char *server_ini,
    const char *extra_ini)
{
	int v6 = strchr(tl_listen_host, ':') != NULL;

	c->dir = tl_mkdtemp("ctl");
	c->port = tl_free_port();
	c->url = xasprintf("%s://%s%s%s:%d", scheme, v6 ? "[" : "", tl_listen_host, v6 ? "]" : "",
	    c->port);
	c->conf = xasprintf("%s/postrouted.ini", c->dir);
	char *ini = xasprintf("[server]\nlisten = %s%s%s:%d\n%s\n[database]\nconninfo = %s\n%s%s%s%s",
	    v6 ? "[" : "", tl_listen_host, v6 ? "]" : "", c->port, server_ini ? server_ini : "", c->conninfo,
	    c->owner_conninfo ? "migrate_conninfo = " : "",
	    c->owner_conninfo ? c->owner_conninfo : "", c->owner_conninfo ? "\n" : "",
	    extra_ini ? extra_ini : "");
	tl_write_file(c->conf, ini);
	free(ini);
}

/* Writes c's INI file, migrates as the owner, makes the admin token and
 * starts the controller as the runtime role (c->conninfo). */
static void
tl_controller_boot(struct tl_controller *c, const char *scheme, const char *server_ini,
    const char *extra_ini)
{
	char *out = NULL, *err = NULL;

	tl_controller_write_conf(c, scheme, server_ini, extra_ini);
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *argv[] = { bin, "migrate", "-c", c->conf, NULL };
	if (tl_run(argv, &out, &err, 60) != 0)
		fail_msg("postrouted migrate failed: %s%s", out, err);
	free(out), free(err), free(bin);
	c->admin = tl_token(c, "test-admin", "admin", NULL);
	tl_controller_spawn(c);
}

struct tl_controller *
tl_controller_start_on(const char *conninfo, const char *owner_conninfo, const char *extra_ini)
{
	struct tl_controller *c = xcalloc(1, sizeof(*c));

	c->conninfo = xstrdup(conninfo);
	c->owner_conninfo = owner_conninfo ? xstrdup(owner_conninfo) : NULL;
	tl_controller_boot(c, "http", NULL, extra_ini);
	return c;
}

struct tl_controller *
tl_controller_start_plain(const char *conninfo, const char *extra_ini)
{
	struct tl_controller *c = xcalloc(1, sizeof(*c));

	c->conninfo = xstrdup(conninfo);
	tl_controller_write_conf(c, "http", NULL, extra_ini);
	tl_controller_spawn(c);
	return c;
}

static struct tl_controller *
tl_controller_start_with(const char *scheme, const char *server_ini, const char *extra_ini)
{
	struct tl_controller *c = xcalloc(1, sizeof(*c));

	c->conninfo = tl_db_create();
	tl_controller_boot(c, scheme, server_ini, extra_ini);
	return c;
}

char *
tl_conninfo(const char *dbname, const char *user)
{
	return tl_base_conninfo(dbname, user);
}

struct tl_controller *
tl_controller_start_split(const char *owner, const char *runtime, const char *extra_ini)
{
	static int seq;
	struct tl_controller *c = xcalloc(1, sizeof(*c));
	char *admin = tl_base_conninfo("postgres", "postgres");
	char *name = xasprintf("s%d_%d_%ld", (int)getpid(), ++seq, (long)time(NULL) % 100000);
	const char *roles[] = { owner, runtime };

	for (int i = 0; i < 2; i++) {
		char *sql = xasprintf("CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", roles[i]);
		char *err = NULL;
		tl_sql_try(admin, sql, &err);   /* may exist */
		free(err), free(sql);
	}
	char *sql = xasprintf("CREATE DATABASE %s OWNER %s", name, owner);
	free(tl_sql(admin, sql));
	c->dbname = name;
	c->conninfo = tl_base_conninfo(name, runtime);
	c->owner_conninfo = tl_base_conninfo(name, owner);
	free(sql), free(admin);
	tl_controller_boot(c, "http", NULL, extra_ini);
	return c;
}

struct tl_controller *
tl_controller_start(const char *extra_ini)
{
	return tl_controller_start_with("http", NULL, extra_ini);
}

struct tl_controller *
tl_controller_start_https(const char *server_ini, const char *extra_ini)
{
	return tl_controller_start_with("https", server_ini, extra_ini);
}

struct tl_controller *
tl_controller_start_peer(const struct tl_controller *first, const char *extra_ini)
{
	struct tl_controller *c = xcalloc(1, sizeof(*c));

	c->conninfo = xstrdup(first->conninfo);
	c->owner_conninfo = first->owner_conninfo ? xstrdup(first->owner_conninfo) : NULL;
	c->dbname = first->dbname ? xstrdup(first->dbname) : NULL;
	c->admin = xstrdup(first->admin);
	tl_controller_write_conf(c, "http", NULL, extra_ini);
	tl_controller_spawn(c);
	return c;
}

void
tl_controller_kill(struct tl_controller *c)
{
	if (c == NULL || c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

void
tl_controller_restart(struct tl_controller *c)
{
	tl_controller_spawn(c);
}

/* A sanitizer report in the controller's log fails the test. */
static void
tl_controller_check_log(struct tl_controller *c)
{
	char *path = xasprintf("%s/postrouted.log", c->dir);
	char *log = tl_read_file(path);

	if (log != NULL && (strstr(log, "ERROR: AddressSanitizer") || strstr(log, "ERROR: LeakSanitizer") ||
	    strstr(log, "runtime error:")))
		fail_msg("postrouted reported a sanitizer error:\n%s", log);
	free(log), free(path);
}

int
tl_controller_stop(struct tl_controller *c)
{
	int status = 0;

	if (c == NULL || c->pid <= 0)
		return 0;
	kill(c->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = 0;
			tl_controller_check_log(c);
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
		}
		usleep(20000);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	c->pid = 0;
	return -1;
}

void
tl_controller_free(struct tl_controller *c)
{
	if (c == NULL)
		return;
	tl_controller_stop(c);
	free(c->dir), free(c->conf), free(c->conninfo), free(c->url), free(c->admin);
	free(c->owner_conninfo), free(c->dbname);
	free(c);
}

char *
tl_token(struct tl_controller *c, const char *name, const char *role, const char *node)
{
	char *bin = xasprintf("%s/postrouted", tl_bindir());
	char *out = NULL, *err = NULL;
	char *argv[] = { bin, "token", "create", "--name", (char *)name, "--role", (char *)role,
		"-c", c->conf, node ? "--node" : NULL, (char *)node, NULL };

	if (tl_run(argv, &out, &err, 30) != 0)
		fail_msg("token create %s: %s", name, err);
	out[strcspn(out, "\n")] = '\0';
	free(err), free(bin);
	return out;
}

static size_t
tl_curl_write(char *p, size_t s, size_t n, void *u)
{
	strbuf_appendn(u, p, s * n);
	return s * n;
}

long
tl_http(const char *method, const char *url, const char *token, const char *body,
    json_t **json, char **raw)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct strbuf sb = STRBUF_INIT;
	long status = 0;
	char *auth = NULL;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tl_curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
	if (tl_ca != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, tl_ca);
	if (tl_cert != NULL && tl_key != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, tl_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, tl_key);
	}
	if (token) {
		auth = xasprintf("Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(auth);
	if (json) {
		json_error_t e;
		*json = sb.len ? json_loads(strbuf_str(&sb), 0, &e) : NULL;
	}
	if (raw)
		*raw = strbuf_detach(&sb);
	else
		strbuf_clear(&sb);
	return status;
}

long
tl_api(struct tl_controller *c, const char *method, const char *path, const char *token,
    const char *body, json_t **json)
{
	char *url = xasprintf("%s%s", c->url, path);
	long st = tl_http(method, url, token, body, json, NULL);

	free(url);
	return st;
}

json_t *
tl_api_ok(struct tl_controller *c, const char *method, const char *path, const char *token,
    const char *body)
{
	json_t *j = NULL;
	long st = tl_api(c, method, path, token, body, &j);

	if (st != 200)
		fail_msg("%s %s: %ld %s", method, path, st, j ? json_dumps(j, 0) : "");
	return j;
}

const char *
tl_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "(null)";
}

json_t *
tl_api_expect(struct tl_controller *c, const char *method, const char *path, const char *token,
    const char *body, long want_status, const char *want_error)
{
	json_t *j = NULL;
	long st = tl_api(c, method, path, token, body, &j);

	if (st != want_status)
		fail_msg("%s %s %s: status %ld, want %ld; body %s", method, path, body ? body : "",
		    st, want_status, j ? json_dumps(j, 0) : "(none)");
	if (want_error != NULL && strcmp(tl_jstr(j, "error"), want_error) != 0)
		fail_msg("%s %s: error \"%s\", want \"%s\"", method, path, tl_jstr(j, "error"),
		    want_error);
	return j;
}

json_t *
tl_event(struct tl_controller *c, const char *token, const char *body, long want)
{
	json_t *j = NULL;
	long st = tl_api(c, "POST", "/v1/events", token, body, &j);

	if (st != want)
		fail_msg("POST /v1/events %.200s: %ld, want %ld: %s", body, st, want,
		    j ? json_dumps(j, 0) : "");
	return j;
}

long long
tl_routing_version(struct tl_controller *c)
{
	return tl_sql_int(c->conninfo, "SELECT version FROM routing_version");
}

long long
tl_history_count(struct tl_controller *c)
{
	return tl_sql_int(c->conninfo, "SELECT count(*) FROM history");
}

void
tl_assert_keys(const json_t *obj, const char *const *keys)
{
	if (!json_is_object(obj))
		fail_msg("not an object");
	for (size_t i = 0; keys[i] != NULL; i++)
		if (json_object_get(obj, keys[i]) == NULL)
			fail_msg("field \"%s\" missing", keys[i]);
}

void
tl_agent_round(struct tl_controller *c, const char *node, const char *token, const char *step,
    const char *error)
{
	char *path = xasprintf("/v1/nodes/%s/transport", node);
	json_t *feed = tl_api_ok(c, "GET", path, token, NULL);
	json_t *rep = json_pack("{s:O, s:s, s:s*, s:s*}", "version", json_object_get(feed, "version"),
	    "status", error ? "failed" : "applied", "error", error, "step", error ? step : NULL);
	char *body = json_dumps(rep, JSON_COMPACT);

	free(path);
	path = xasprintf("/v1/nodes/%s/report", node);
	json_decref(tl_api_ok(c, "POST", path, token, body));
	free(path), free(body);
	json_decref(rep), json_decref(feed);
}

void
tl_providers_clear(struct tl_controller *c)
{
	json_t *j = tl_api_ok(c, "GET", "/v1/providers", c->admin, NULL), *p;
	size_t i;

	json_array_foreach(json_object_get(j, "providers"), i, p) {
		char *path = xasprintf("/v1/providers/%s", json_string_value(json_object_get(p, "name")));
		json_decref(tl_api_ok(c, "DELETE", path, c->admin, NULL));
		free(path);
	}
	json_decref(j);
}

int
tl_wait_for(int (*cond)(void *), void *arg, int timeout_ms)
{
	for (int t = 0; t <= timeout_ms; t += 20) {
		if (cond(arg))
			return 1;
		usleep(20000);
	}
	return 0;
}

struct tl_sql_wait {
	const char *conninfo, *sql, *want;
};

static int
tl_sql_is(void *arg)
{
	struct tl_sql_wait *w = arg;
	char *got = tl_sql(w->conninfo, w->sql);
	int yes = got != NULL && strcmp(got, w->want) == 0;

	free(got);
	return yes;
}

void
tl_await_sql(const char *conninfo, const char *q, const char *want, int timeout_ms)
{
	struct tl_sql_wait w = { conninfo, q, want };

	if (!tl_wait_for(tl_sql_is, &w, timeout_ms))
		tl_expect_sql(conninfo, q, want);   /* fails, showing what it got */
}

char *
tl_db_instant(const char *conninfo)
{
	/* the next whole millisecond after now: later than every commit so far */
	char *at = tl_sql(conninfo, "SELECT to_char((date_trunc('milliseconds', clock_timestamp())"
	    " + interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
	char *passed = xasprintf("SELECT clock_timestamp() > '%s'::timestamptz", at);

	tl_await_sql(conninfo, passed, "t", 5000);
	free(passed);
	return at;
}

int
tl_feed_waiting(struct tl_controller *c)
{
	static const char needle[] = "\npostroute_feed_waiting ";
	char *url = xasprintf("%s/metrics", c->url), *raw = NULL, *p;
	int n = -1;

	if (tl_http("GET", url, NULL, NULL, NULL, &raw) == 200 && (p = strstr(raw, needle)) != NULL)
		n = atoi(p + strlen(needle));
	free(url), free(raw);
	return n;
}

struct tl_waiting {
	struct tl_controller *c;
	int n;
};

static int
tl_waiting_is(void *arg)
{
	struct tl_waiting *w = arg;

	return tl_feed_waiting(w->c) == w->n;
}

void
tl_await_feed_waiting(struct tl_controller *c, int n, int timeout_ms)
{
	struct tl_waiting w = { c, n };

	if (!tl_wait_for(tl_waiting_is, &w, timeout_ms))
		fail_msg("%d long-polls held at %s, wanted %d", tl_feed_waiting(c), c->url, n);
}

long long
tl_sql_int(const char *conninfo, const char *q)
{
	char *v = tl_sql(conninfo, q);
	long long n = v ? atoll(v) : -1;

	free(v);
	return n;
}

void
tl_expect_sql(const char *conninfo, const char *q, const char *want)
{
	char *got = tl_sql(conninfo, q);

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", q, got ? got : "(null)", want);
	free(got);
}

void
tl_controller_finish(struct tl_controller *c)
{
	int rc = tl_controller_stop(c);

	if (rc != 0)
		fail_msg("controller at %s exited with %d (log in %s)", c->url, rc, c->dir);
	tl_controller_free(c);
}

double
tl_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
