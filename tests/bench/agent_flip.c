/*
 * agent_flip.c: how fast a flip reaches real Postfix, and what one install
 * costs by map size.
 *
 *   agent_flip [ROUNDS] [SIZES]     (run by tests/bench/agent.sh)
 *
 * Part 1, on the real controller with two agents (mx01 hash, mx02 hash,
 * reload = always, requeue = moved) and smtp-sink relays: each round sends
 * 5 messages per node that a relay answering 421 [TSS04] defers, then flips
 * the provider to the healthy relay and measures from the flip's API call
 * to (a) every agent's "applied" report (the controller's last_report_at),
 * (b) the first and (c) the last of the 10 deferred messages written by
 * the healthy relay (file mtimes); then unflips. p50 and max over ROUNDS.
 *
 * Part 2, with a stand-in controller serving N entries to `--once`
 * (hash, cdb, lmdb; reload = never, requeue = none): the agent's own step
 * durations from its report, median of 3 runs with alternating nexthops.
 *
 * AGENT_FLIP_TLS=1 runs part 1 over https (a CA and certificates made with
 * openssl at start, tests/lib/tlspki.h; the agents verify the controller
 * with ca_file); AGENT_FLIP_TLS=mutual also sets tls_client_ca and gives
 * the agents a client certificate. SIZES "none" skips part 2.
 *
 * Prints Markdown tables for BENCHMARKS.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "benchstat.h"
#include "fakectl.h"
#include "pfx.h"
#include "strbuf.h"
#include "testlib.h"
#include "tlspki.h"
#include "xalloc.h"

#define PER_NODE 5

static int rounds = 10;
static struct tl_pki *pki;   /* AGENT_FLIP_TLS */
static const char *sizes = "10,1000,100000";

/* RFC 3339 UTC with milliseconds to seconds since the epoch. */
static double
rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	double frac = 0;

	if (rest == NULL)
		fail_msg("bad time %s", s ? s : "(null)");
	if (*rest == '.')
		frac = strtod(rest, NULL);
	return (double)timegm(&tm) + frac;
}

static struct tl_controller *ctl;

static long long
api(const char *method, const char *path, const char *body)
{
	json_t *j = NULL;
	long st = tl_api(ctl, method, path, ctl->admin, body, &j);

	if (st != 200)
		fail_msg("%s %s: %ld", method, path, st);
	long long v = json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	return v;
}

/* Waits until both nodes applied version v; returns the later report time. */
static double
await_reports(long long v)
{
	for (int t = 0; t < 600; t++) {
		json_t *st = NULL, *n;
		size_t i;
		int ok = 0;
		double latest = 0;
		if (tl_api(ctl, "GET", "/v1/status", ctl->admin, NULL, &st) == 200) {
			json_array_foreach(json_object_get(st, "nodes"), i, n) {
				if (json_integer_value(json_object_get(n, "applied_version")) >= v) {
					double at = rfc3339(json_string_value(json_object_get(n, "last_report_at")));
					latest = at > latest ? at : latest;
					ok++;
				}
			}
		}
		json_decref(st);
		if (ok == 2)
			return latest;
		usleep(50000);   /* the report times come from the controller: no need to poll hard */
	}
	fail_msg("version %lld not applied", v);
	return 0;
}

/* The agent's own time for version v ("version V applied (...) in N ms"). */
static double
agent_ms(const struct agentrun *a, long long v)
{
	char *log = tl_read_file(a->log), *needle = xasprintf("version %lld applied (", v);
	const char *p = log ? strstr(log, needle) : NULL, *in = p ? strstr(p, ") in ") : NULL;
	double ms = in ? atof(in + 5) : -1;

	free(log), free(needle);
	return ms;
}

/* Earliest and latest mtime of files in dir newer than since. */
/* The controller of part 1: http, or https as AGENT_FLIP_TLS asks. */
static struct tl_controller *
flip_controller(void)
{
	const char *tls = getenv("AGENT_FLIP_TLS");

	if (tls == NULL || *tls == '\0')
		return tl_controller_start(NULL);
	int mutual = strcmp(tls, "mutual") == 0;
	pki = tl_pki_new();
	tl_tls_client(pki->ca, mutual ? pki->client_cert : NULL, mutual ? pki->client_key : NULL);
	char *server = xasprintf("tls_cert = %s\ntls_key = %s\n%s%s\n", pki->server_cert,
	    pki->server_key, mutual ? "tls_client_ca = " : "", mutual ? pki->ca : "");
	struct tl_controller *c = tl_controller_start_https(server, NULL);
	free(server);
	printf("\ncontroller over https%s\n", mutual ? " with client certificates (mutual TLS)" : "");
	return c;
}

static void
bench_flip(void **state)
{
	struct pfx_sink *block, *good;
	struct pfx *mx[2];
	struct agentrun *ag[2];
	const char *names[2] = { "mx01", "mx02" };
	double *ta = xcalloc((size_t)rounds, sizeof(double)), *tb = xcalloc((size_t)rounds, sizeof(double));
	double *tc = xcalloc((size_t)rounds, sizeof(double)), *td = xcalloc((size_t)rounds, sizeof(double));

	(void)state;
	ctl = flip_controller();
	block = pfx_sink_start("127.0.0.2", "421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred");
	good = pfx_sink_start("127.0.0.3", NULL);
	char *b = xasprintf("{\"nexthop\": \"%s\"}", good->nexthop);
	api("PUT", "/v1/relays/r-good", b);
	free(b);
	api("PUT", "/v1/providers/google", "{\"domains\": [\"gmail.test\", \"googlemail.test\"]}");
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("/v1/nodes/%s", names[i]);
		api("PUT", path, "{\"role\": \"server\"}");
		char *tok = tl_token(ctl, names[i], "agent", names[i]);
		mx[i] = pfx_start(names[i], "hash", block->nexthop);
		ag[i] = agentrun_new(names[i], ctl->url, tok, mx[i], "poll_wait = 60s", NULL);
		agentrun_start(ag[i]);
		free(path), free(tok);
	}
	await_reports(api("GET", "/v1/routes", NULL));
	for (int r = 0; r < rounds; r++) {
		int want = 0;
		for (int i = 0; i < 2; i++) {
			want += pfx_log_count(mx[i], "TSS04");
			for (int k = 0; k < PER_NODE; k++)
				pfx_send(mx[i], "user@gmail.test", "held");
		}
		want += 2 * PER_NODE;
		for (int t = 0; t < 1500 && pfx_log_count(mx[0], "TSS04") + pfx_log_count(mx[1], "TSS04") < want; t++)
			usleep(10000);
		usleep(200000);   /* let qmgr move them to the deferred queue */
		double t0 = bench_wall_s(), first, last;
		long long v = api("PUT", "/v1/routes/google", "{\"relay\": \"r-good\", \"reason\": \"bench\"}");
		double t_put = bench_wall_s() - t0;
		ta[r] = await_reports(v) - t0;
		for (int t = 0; t < 1500 && bench_arrivals(good->dir, t0 - 0.001, &first, &last) < 2 * PER_NODE; t++)
			usleep(10000);
		if (bench_arrivals(good->dir, t0 - 0.001, &first, &last) < 2 * PER_NODE)
			fail_msg("round %d: deferred mail not delivered", r);
		tb[r] = first - t0, tc[r] = last - t0;
		double m0 = agent_ms(ag[0], v), m1 = agent_ms(ag[1], v);
		td[r] = (m0 > m1 ? m0 : m1) / 1000;
		fprintf(stderr, "round %d: PUT answered %.3f s, applied %.3f s, first %.3f s, all %.3f s, "
		    "agent work %.3f s\n", r + 1, t_put, ta[r], tb[r], tc[r], td[r]);
		json_t *j = NULL;
		tl_api(ctl, "DELETE", "/v1/routes/google?scope=*&reason=bench", ctl->admin, NULL, &j);
		v = json_integer_value(json_object_get(j, "version"));
		json_decref(j);
		await_reports(v);
	}
	printf("\n| hash + reload + requeue, %d rounds, 2 agents, %d deferred messages | p50 | max |\n|---|---|---|\n",
	    rounds, 2 * PER_NODE);
	printf("| (a) flip API call -> every agent reported applied | %.0f ms | %.0f ms |\n",
	    1000 * bench_p50(ta, rounds), 1000 * bench_max(ta, rounds));
	printf("| (b) -> first message delivered through the new relay | %.0f ms | %.0f ms |\n",
	    1000 * bench_p50(tb, rounds), 1000 * bench_max(tb, rounds));
	printf("| (c) -> all deferred mail delivered there | %.0f ms | %.0f ms |\n",
	    1000 * bench_p50(tc, rounds), 1000 * bench_max(tc, rounds));
	printf("| agent's own work: feed answer in hand -> applied (slower of the two) | %.0f ms | %.0f ms |\n",
	    1000 * bench_p50(td, rounds), 1000 * bench_max(td, rounds));
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		agentrun_stop(ag[i]);
		agentrun_free(ag[i]);
		pfx_stop(mx[i]);
	}
	pfx_sink_stop(block), pfx_sink_stop(good);
	tl_controller_free(ctl);
	tl_tls_client(NULL, NULL, NULL);
	tl_pki_free(pki);
	pki = NULL;
	free(ta), free(tb), free(tc), free(td);
}

static char *
big_feed(long long version, int n, int port)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_appendf(&sb, "{\"node\": \"mx01\", \"version\": %lld, \"entries\": [", version);
	for (int i = 0; i < n; i++)
		strbuf_appendf(&sb, "%s{\"domain\": \"d%07d.example\", \"nexthop\": \"smtp:[127.0.0.3]:%d\", "
		    "\"provider\": \"p%d\"}", i ? "," : "", i, port, i % 50);
	strbuf_append(&sb, "]}");
	return strbuf_detach(&sb);
}

static long
dur(json_t *rep, const char *name)
{
	json_t *d = json_object_get(json_object_get(rep, "durations_ms"), name);

	return d ? (long)json_integer_value(d) : -1;
}

static void
bench_sizes_type(const char *type)
{
	static const char *steps[] = { "render", "mastercf", "write", "postmap", "verify", "install",
		"state", "total" };
	char *list = xstrdup(sizes), *save = NULL;

	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int n = atoi(tok);
		struct pfx *p = pfx_start("size", type, NULL);
		struct fakectl *fc = fakectl_start("tok", 0);
		struct agentrun *a = agentrun_new("mx01", fakectl_url(fc), "tok", p, NULL,
		    "reload = never\nrequeue = none");
		double v[8][3], wall[3];
		for (int r = 0; r < 3; r++) {
			char *body = big_feed(r + 1, n, 2500 + r);
			fakectl_set_feed(fc, r + 1, body);
			free(body);
			double t0 = bench_wall_s();
			if (agentrun_once(a, NULL) != 0)
				fail_msg("%s %d entries: --once failed: %s", type, n, tl_read_file(a->log));
			wall[r] = bench_wall_s() - t0;
			json_t *all = fakectl_reports(fc);
			json_t *rep = json_array_get(all, json_array_size(all) - 1);
			for (int s = 0; s < 8; s++)
				v[s][r] = (double)dur(rep, steps[s]);
			json_decref(all);
		}
		double med[8];
		for (int s = 0; s < 8; s++)
			med[s] = bench_p50(v[s], 3);
		double w = bench_p50(wall, 3);
		printf("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f%% | %.1f%% |\n",
		    type, n, med[0], med[1], med[2], med[3], med[4], med[5], med[6], med[7], 1000 * w,
		    med[7] > 0 ? 100 * med[3] / med[7] : 0, med[3] > 0 ? 100 * med[0] / med[3] : 0);
		fflush(stdout);
		agentrun_free(a);
		fakectl_stop(fc);
		pfx_stop(p);
	}
	free(list);
}

static void
bench_sizes(void **state)
{
	(void)state;
	if (strcmp(sizes, "none") == 0)
		return;
	printf("\n| map | entries | render ms | master.cf ms | write ms | postmap ms | verify ms | install ms "
	    "| state ms | total ms | --once wall ms | postmap share of total | render vs postmap |\n"
	    "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	bench_sizes_type("hash");
	bench_sizes_type("cdb");
	bench_sizes_type("lmdb");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench_flip),
		cmocka_unit_test(bench_sizes),
	};

	if (argc > 1)
		rounds = atoi(argv[1]) > 0 ? atoi(argv[1]) : rounds;
	if (argc > 2)
		sizes = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
