/*
 * fuzz_maillog.c: libFuzzer target for the log line parser and what runs
 * on its output (attribution, rules, detector).
 *
 * Invariants: no crash, no read outside the input (ASan), every span of
 * the record inside the input, a delivery always has a status, and the
 * classifier always gives a class. The agent's sources are not in the
 * Makefile's fuzz rule, so build it by hand from the repository root:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *       -Icommon -Iagent -o build/fuzz/fuzz_maillog tests/fuzz/fuzz_maillog.c \
  *       agent/maillog.c common/catalogue.c agent/classify.c agent/relit.c agent/detector.c \
 *       common/xalloc.c common/strbuf.c common/log.c common/validate.c -lpcre2-8
 *   build/fuzz/fuzz_maillog -max_total_time=60 build/fuzz/corpus-maillog
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "classify.h"
#include "detector.h"
#include "maillog.h"
#include "strbuf.h"

static struct catalogue *fz_cat;
static struct classify *fz_cls;
static struct detector *fz_det;

static void
fz_init(void)
{
	struct strbuf err = STRBUF_INIT;
	struct detector_config cfg;

	fz_cat = catalogue_new();
	fz_cls = classify_new();
	if (catalogue_load(fz_cat, "deploy/providers.conf", &err) != 0 ||
	    classify_load(fz_cls, "deploy/rules.conf", &err) != 0)
		abort();   /* run from the repository root */
	detector_config_default(&cfg);
	fz_det = detector_new(&cfg);
	strbuf_clear(&err);
}

static void
fz_inside(struct maillog_str s, const uint8_t *data, size_t size)
{
	if (s.p == NULL && s.len == 0)
		return;
	if ((const uint8_t *)s.p < data || (const uint8_t *)s.p + s.len > data + size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maillog_clock clk;
	struct maillog_rec rec;
	struct classify_result res;
	struct detector_event ev;

	if (fz_cat == NULL)
		fz_init();
	maillog_clock_init(&clk, 1795780800);
	enum maillog_kind k = maillog_parse_line((const char *)data, size, &clk, &rec);
	if (k == MAILLOG_REJECT && rec.error == NULL)
		abort();
	struct maillog_str all[] = { rec.host, rec.service, rec.queue_id, rec.rcpt, rec.domain,
		rec.relay_host, rec.relay_ip, rec.dsn, rec.text, rec.reply, rec.sender,
		rec.client_host, rec.client_ip, rec.sasl_username };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		fz_inside(all[i], data, size);
	if (k != MAILLOG_DELIVERY)
		return 0;
	if (rec.status == MAILLOG_STATUS_NONE)
		abort();
	const char *prov = catalogue_attribute(fz_cat, rec.relay_host.p, rec.relay_host.len,
	    rec.domain.p, rec.domain.len);
	classify_delivery(fz_cls, &rec, prov, &res);
	if (res.cls == CLASS_NONE || res.rule == NULL)
		abort();
	detector_feed(fz_det, rec.host.p, rec.host.len, prov, &res, rec.ts, (const char *)data,
	    size, &ev);
	return 0;
}
