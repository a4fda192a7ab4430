/*
 * maillog.c: Postfix log line parser (see maillog.h).
 *
 * Hand-written scanning over [line, line + len): memchr/memcmp only, no
 * regular expressions and no allocation, so that a log of millions of
 * lines is read at memory speed. Every scanning function takes the end pointer and
 * never reads past it.
 */
#include "maillog.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

struct cur {
	const char *p;
	const char *end;
};

static const char *const maillog_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

int
maillog_str_eq(struct maillog_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

const char *
maillog_status_name(enum maillog_status st)
{
	switch (st) {
	case MAILLOG_STATUS_SENT: return "sent";
	case MAILLOG_STATUS_DEFERRED: return "deferred";
	case MAILLOG_STATUS_BOUNCED: return "bounced";
	case MAILLOG_STATUS_EXPIRED: return "expired";
	case MAILLOG_STATUS_NONE: break;
	}
	return "";
}

const char *
maillog_stage_name(enum maillog_stage st)
{
	switch (st) {
	case MAILLOG_STAGE_CONNECT: return "connect";
	case MAILLOG_STAGE_GREETING: return "greeting";
	case MAILLOG_STAGE_HELO: return "helo";
	case MAILLOG_STAGE_MAIL: return "mail";
	case MAILLOG_STAGE_RCPT: return "rcpt";
	case MAILLOG_STAGE_DATA: return "data";
	case MAILLOG_STAGE_EOD: return "eod";
	case MAILLOG_STAGE_OTHER: return "other";
	case MAILLOG_STAGE_NONE: break;
	}
	return "";
}

/* ---- bytes ---- */

/*
 * NULL when line holds only printable text: tabs allowed, other C0
 * controls and DEL refused, non-ASCII must be well-formed UTF-8 (no
 * overlongs, no surrogates, nothing above U+10FFFF).
 */
static const char *
maillog_check_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return c == 0 ? "contains a NUL byte" : "contains a control character";
			i++;
			continue;
		}
		size_t need;
		unsigned min;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return "is not valid UTF-8";
		if (n - i <= need)
			return "is not valid UTF-8";
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return "is not valid UTF-8";
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return "is not valid UTF-8";
		i += need + 1;
	}
	return NULL;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * NULL when line holds only printable text: tabs allowed, other C0
 * controls and DEL refused, non-ASCII must be well-formed UTF-8 (no
 * overlongs, no surrogates, nothing above U+10FFFF). Plain printable
 * ASCII, nearly every log line, is checked sixteen bytes at a time.
 */
typedef unsigned char maillog_v16 __attribute__((vector_size(16)));

static const char *
maillog_check_bytes(const unsigned char *s, size_t n)
{
	const maillog_v16 lo = { 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
	    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20 };
	const maillog_v16 hi = { 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e,
	    0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e };
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		maillog_v16 v;
		uint64_t m[2];
		memcpy(&v, s + i, 16);
		v = (maillog_v16)((v < lo) | (v > hi));
		memcpy(m, &v, 16);
		if ((m[0] | m[1]) != 0)
			return maillog_check_utf8(s + i, n - i);
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w, del;
		memcpy(&w, s + i, 8);
		del = w ^ (0x7f * ONES);
		if (((w | ((w - 0x20 * ONES) & ~w) | ((del - ONES) & ~del)) & HIGHS) != 0)
			return maillog_check_utf8(s + i, n - i);
	}
	return maillog_check_utf8(s + i, n - i);
}

/* ---- small scanners ---- */

static int
cur_lit(struct cur *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

#define CUR_LIT(c, s) cur_lit((c), (s), sizeof(s) - 1)

static int
cur_digits(struct cur *c, int n, int *out)
{
	int v = 0;

	if (c->end - c->p < n)
		return 0;
	for (int i = 0; i < n; i++) {
		if (c->p[i] < '0' || c->p[i] > '9')
			return 0;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*out = v;
	return 1;
}

static const char *
mem_find(const char *hay, const char *end, const char *needle, size_t n)
{
	if (hay >= end || (size_t)(end - hay) < n)
		return NULL;
	return memmem(hay, (size_t)(end - hay), needle, n);
}

/* Last occurrence of needle in [hay, end). */
static const char *
mem_find_last(const char *hay, const char *end, const char *needle, size_t n)
{
	if ((size_t)(end - hay) < n)
		return NULL;
	for (const char *p = end - n; p >= hay; p--)
		if (*p == needle[0] && memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

static struct maillog_str
span(const char *a, const char *b)
{
	struct maillog_str s = { a, (size_t)(b - a) };

	return s;
}

/* ---- timestamps ---- */

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (long long)doe - 719468;
}

void
maillog_clock_init(struct maillog_clock *clk, time_t ref)
{
	struct tm tm;

	localtime_r(&ref, &tm);
	clk->ref_year = tm.tm_year + 1900;
	clk->ref_mon = tm.tm_mon;
	clk->cache_key = -1;
	clk->cache_base = 0;
}

static time_t
maillog_clock_local(struct maillog_clock *clk, int mon, int mday, int hour,
    int min, int sec)
{
	int year = clk->ref_year - (mon > clk->ref_mon + 1);
	long long key = ((long long)year * 100 + mon) * 10000 + mday * 100 + hour;

	if (key != clk->cache_key) {
		struct tm tm = { 0 };
		tm.tm_year = year - 1900;
		tm.tm_mon = mon;
		tm.tm_mday = mday;
		tm.tm_hour = hour;
		tm.tm_isdst = -1;
		clk->cache_base = mktime(&tm);
		clk->cache_key = key;
	}
	return clk->cache_base + min * 60 + sec;
}

static int
parse_hms(struct cur *c, int *h, int *m, int *s)
{
	if (!cur_digits(c, 2, h) || !CUR_LIT(c, ":") || !cur_digits(c, 2, m) ||
	    !CUR_LIT(c, ":") || !cur_digits(c, 2, s))
		return 0;
	if (*h > 23 || *m > 59 || *s > 60)
		return 0;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		const char *d = c->p;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
		if (c->p == d)
			return 0;
	}
	return 1;
}

/* "Nov 27 17:31:39" or "Nov  7 17:31:39" */
static int
parse_ts_syslog(struct cur *c, struct maillog_clock *clk, time_t *ts)
{
	int mon = -1, mday, h, m, s;

	if (c->end - c->p < 15)
		return 0;
	for (int i = 0; i < 12 && mon < 0; i++)
		if (memcmp(c->p, maillog_months[i], 3) == 0)
			mon = i;
	if (mon < 0 || c->p[3] != ' ')
		return 0;
	c->p += 4;
	if (*c->p == ' ')
		c->p++;
	const char *d = c->p;
	if (!cur_digits(c, 2, &mday) && !(c->p == d && cur_digits(c, 1, &mday)))
		return 0;
	if (mday < 1 || mday > 31 || !CUR_LIT(c, " ") || !parse_hms(c, &h, &m, &s))
		return 0;
	*ts = maillog_clock_local(clk, mon, mday, h, m, s);
	return 1;
}

/* "2026-11-27T17:31:39.123456+09:00", "...Z", "...+0900" */
static int
parse_ts_rfc3339(struct cur *c, time_t *ts)
{
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;

	if (!cur_digits(c, 4, &y) || !CUR_LIT(c, "-") || !cur_digits(c, 2, &mo) ||
	    !CUR_LIT(c, "-") || !cur_digits(c, 2, &d))
		return 0;
	if (c->p >= c->end || (*c->p != 'T' && *c->p != ' '))
		return 0;
	c->p++;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || !parse_hms(c, &h, &mi, &s))
		return 0;
	if (CUR_LIT(c, "Z") || CUR_LIT(c, "z")) {
		sign = 0;
	} else if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		sign = *c->p == '-' ? -1 : 1;
		c->p++;
		if (!cur_digits(c, 2, &oh))
			return 0;
		CUR_LIT(c, ":");
		if (!cur_digits(c, 2, &om) || oh > 23 || om > 59)
			return 0;
	} else {
		return 0;
	}
	long long days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*ts = (time_t)(days * 86400 + h * 3600 + mi * 60 + s - sign * (oh * 3600 + om * 60));
	return 1;
}

/* ---- the "TS HOST SERVICE[PID]: " prefix ---- */

static const char *
parse_prefix(struct cur *c, struct maillog_clock *clk, struct maillog_rec *rec)
{
	if (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (!parse_ts_rfc3339(c, &rec->ts))
			return "has no timestamp";
	} else if (!parse_ts_syslog(c, clk, &rec->ts)) {
		return "has no timestamp";
	}
	if (!CUR_LIT(c, " "))
		return "has no host name";
	const char *h = c->p;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	if (c->p == h || c->p == c->end)
		return "has no host name";
	rec->host = span(h, c->p);
	c->p++;
	const char *sv = c->p;
	while (c->p < c->end && *c->p != '[' && *c->p != ':' && *c->p != ' ')
		c->p++;
	if (c->p == sv || c->p == c->end || *c->p == ' ')
		return "has no service name";
	rec->service = span(sv, c->p);
	if (*c->p == '[') {
		c->p++;
		const char *d = c->p;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
		if (c->p == d || !CUR_LIT(c, "]"))
			return "has a malformed process id";
	}
	if (!CUR_LIT(c, ": "))
		return "has no ': ' after the service";
	return NULL;
}

/* The last component of the service: "smtp" of "postfix/smtp". */
static int
str_is(struct maillog_str s, const char *lit, size_t n)
{
	return s.len == n && memcmp(s.p, lit, n) == 0;
}

#define STR_IS(s, lit) str_is((s), (lit), sizeof(lit) - 1)

static struct maillog_str
service_program(struct maillog_str svc)
{
	const char *slash = memrchr(svc.p, '/', svc.len);

	if (slash == NULL)
		return svc;
	return span(slash + 1, svc.p + svc.len);
}

static int
is_alnum(char ch)
{
	return (unsigned)(ch - '0') < 10 || (unsigned)((ch | 0x20) - 'a') < 26;
}

static int
parse_queue_id(struct cur *c, struct maillog_rec *rec)
{
	const char *q = c->p;

	while (c->p < c->end && is_alnum(*c->p))
		c->p++;
	if (c->p - q < 5 || c->p - q > 32 || !CUR_LIT(c, ": ")) {
		c->p = q;
		return 0;
	}
	rec->queue_id = span(q, c->p - 2);
	return 1;
}

/* ---- host[ip]:port ---- */

static void
parse_hostaddr(const char *p, const char *end, struct maillog_str *host,
    struct maillog_str *ip, unsigned *port)
{
	const char *lb = memchr(p, '[', (size_t)(end - p));

	if (lb == NULL) {
		*host = span(p, end);
		return;
	}
	*host = span(p, lb);
	const char *rb = memchr(lb, ']', (size_t)(end - lb));
	if (rb == NULL)
		return;
	*ip = span(lb + 1, rb);
	if (port != NULL && rb + 1 < end && rb[1] == ':') {
		unsigned v = 0;
		for (const char *d = rb + 2; d < end && *d >= '0' && *d <= '9' && v < 65536; d++)
			v = v * 10 + (unsigned)(*d - '0');
		*port = v;
	}
}

/* ---- the text inside status=...(TEXT) ---- */

/* The remote host named in the text (for relay=none lines). */
struct peer {
	struct maillog_str host;
	struct maillog_str ip;
};

/* A text's known prefixes and what each means (a stage, a connection
 * error). */
struct prefix_word {
	const char *word;
	size_t len;
	int value;
};

#define SW(s, v) { s, sizeof(s) - 1, v }
#define NWORDS(tab) (sizeof(tab) / sizeof((tab)[0]))

/* "(in reply to X command)" */
static const struct prefix_word maillog_reply_stages[] = {
	SW("RCPT TO", MAILLOG_STAGE_RCPT),
	SW("MAIL FROM", MAILLOG_STAGE_MAIL),
	SW("end of DATA", MAILLOG_STAGE_EOD),
	SW("DATA", MAILLOG_STAGE_DATA),
	SW("EHLO", MAILLOG_STAGE_HELO),
	SW("HELO", MAILLOG_STAGE_HELO),
	SW("LHLO", MAILLOG_STAGE_HELO),
	SW("STARTTLS", MAILLOG_STAGE_HELO),
	SW("XFORWARD", MAILLOG_STAGE_HELO),
	SW("XCLIENT", MAILLOG_STAGE_HELO),
	SW("AUTH", MAILLOG_STAGE_HELO),
	SW("BDAT", MAILLOG_STAGE_EOD),
};

/* "while X": lost connection / conversation timed out */
static const struct prefix_word maillog_while_stages[] = {
	SW("receiving the initial server greeting", MAILLOG_STAGE_GREETING),
	SW("performing the EHLO handshake", MAILLOG_STAGE_HELO),
	SW("performing the HELO handshake", MAILLOG_STAGE_HELO),
	SW("performing the LHLO handshake", MAILLOG_STAGE_HELO),
	SW("receiving the STARTTLS response", MAILLOG_STAGE_HELO),
	SW("sending MAIL FROM", MAILLOG_STAGE_MAIL),
	SW("sending RCPT TO", MAILLOG_STAGE_RCPT),
	SW("sending DATA command", MAILLOG_STAGE_DATA),
	SW("sending message body", MAILLOG_STAGE_EOD),
	SW("sending end of data", MAILLOG_STAGE_EOD),
};

/* The value of the first of tab[0..n) that p..end starts with, or dflt. */
static int
prefix_lookup(const struct prefix_word *tab, size_t n, const char *p, const char *end, int dflt)
{
	for (size_t i = 0; i < n; i++)
		if ((size_t)(end - p) >= tab[i].len && memcmp(p, tab[i].word, tab[i].len) == 0)
			return tab[i].value;
	return dflt;
}

static unsigned
reply_code_of(struct maillog_str r)
{
	if (r.len < 3 || r.p[0] < '2' || r.p[0] > '5' || r.p[1] < '0' || r.p[1] > '9' ||
	    r.p[2] < '0' || r.p[2] > '9')
		return 0;
	if (r.len > 3 && r.p[3] != ' ' && r.p[3] != '-')
		return 0;
	return (unsigned)((r.p[0] - '0') * 100 + (r.p[1] - '0') * 10 + (r.p[2] - '0'));
}

/* "host H[IP] said: REPLY (in reply to X command)" or "... refused to talk to me: REPLY" */
static int
text_host(struct maillog_rec *rec, struct peer *peer, const char *p, const char *end)
{
	const char *said = mem_find(p, end, "] said: ", 8);
	const char *refused = mem_find(p, end, "] refused to talk to me: ", 25);

	if (said != NULL && (refused == NULL || said < refused)) {
		parse_hostaddr(p, said + 1, &peer->host, &peer->ip, NULL);
		const char *r = said + 8;
		const char *irt = mem_find_last(r, end, " (in reply to ", 14);
		/* Postfix always ends a "said:" text with "(in reply to X command)" */
		if (irt == NULL || end - irt < 22 || memcmp(end - 8, "command)", 8) != 0) {
			rec->error = "has a truncated status text";
			return 1;
		}
		rec->reply = span(r, irt);
		rec->stage = prefix_lookup(maillog_reply_stages, NWORDS(maillog_reply_stages),
		    irt + 14, end, MAILLOG_STAGE_OTHER);
		return 1;
	}
	if (refused != NULL) {
		parse_hostaddr(p, refused + 1, &peer->host, &peer->ip, NULL);
		rec->reply = span(refused + 25, end);
		rec->stage = MAILLOG_STAGE_GREETING;
		return 1;
	}
	return 0;
}

static const struct prefix_word maillog_connect_errors[] = {
	SW("Connection timed out", MAILLOG_CONN_TIMEOUT),
	SW("Connection refused", MAILLOG_CONN_REFUSED),
	SW("No route to host", MAILLOG_CONN_UNREACHABLE),
	SW("Network is unreachable", MAILLOG_CONN_UNREACHABLE),
	SW("Host is unreachable", MAILLOG_CONN_UNREACHABLE),
};

/* "connect to H[IP]:PORT: ERROR" */
static int
text_connect(struct maillog_rec *rec, struct peer *peer, const char *p, const char *end)
{
	const char *colon = mem_find(p, end, "]:", 2);
	const char *err;

	if (colon == NULL)
		return 0;
	parse_hostaddr(p, colon + 1, &peer->host, &peer->ip, NULL);
	err = mem_find(colon + 2, end, ": ", 2);
	err = err ? err + 2 : end;
	rec->conn = prefix_lookup(maillog_connect_errors, NWORDS(maillog_connect_errors), err, end,
	    MAILLOG_CONN_OTHER);
	rec->stage = MAILLOG_STAGE_CONNECT;
	return 1;
}

/* "lost connection with H[IP] while X", "conversation with H[IP] timed out while X" */
static int
text_lost(struct maillog_rec *rec, struct peer *peer, const char *p, const char *end,
    enum maillog_conn conn)
{
	const char *rb = memchr(p, ']', (size_t)(end - p));
	const char *w;

	if (rb == NULL)
		return 0;
	parse_hostaddr(p, rb + 1, &peer->host, &peer->ip, NULL);
	rec->conn = conn;
	w = mem_find(rb, end, " while ", 7);
	rec->stage = w ? prefix_lookup(maillog_while_stages, NWORDS(maillog_while_stages), w + 7,
	    end, MAILLOG_STAGE_OTHER) : MAILLOG_STAGE_OTHER;
	return 1;
}

static void
text_analyse(struct maillog_rec *rec, struct peer *peer, const char *p, const char *end)
{
	struct cur c = { p, end };

	if (CUR_LIT(&c, "delivery temporarily suspended: ")) {
		rec->suspended = 1;
		p = c.p;
	}
	rec->reply = span(p, end);
	if (CUR_LIT(&c, "host ") && text_host(rec, peer, c.p, end))
		;
	else if (CUR_LIT(&c, "connect to "))
		text_connect(rec, peer, c.p, end);
	else if (CUR_LIT(&c, "lost connection with "))
		text_lost(rec, peer, c.p, end, MAILLOG_CONN_LOST);
	else if (CUR_LIT(&c, "conversation with "))
		text_lost(rec, peer, c.p, end, MAILLOG_CONN_CONV_TIMEOUT);
	else if (CUR_LIT(&c, "Host or domain name not found") ||
	    mem_find(p, end, "Name service error", 18) != NULL)
		rec->conn = MAILLOG_CONN_DNS;
	rec->reply_code = reply_code_of(rec->reply);
}

/* ---- delivery: to=<..>, relay=.., dsn=.., status=.. (text) ---- */

static enum maillog_status
status_of(const char *p, size_t n)
{
	if (n == 4 && memcmp(p, "sent", 4) == 0)
		return MAILLOG_STATUS_SENT;
	if (n == 8 && memcmp(p, "deferred", 8) == 0)
		return MAILLOG_STATUS_DEFERRED;
	if (n == 7 && memcmp(p, "bounced", 7) == 0)
		return MAILLOG_STATUS_BOUNCED;
	if (n == 7 && memcmp(p, "expired", 7) == 0)
		return MAILLOG_STATUS_EXPIRED;
	return MAILLOG_STATUS_NONE;
}

/* "status=WORD (TEXT)" at c->p (after "status="); TEXT runs to the last ')'. */
static const char *
parse_status(struct cur *c, struct maillog_rec *rec)
{
	const char *w = c->p;

	while (c->p < c->end && *c->p != ' ' && *c->p != ',')
		c->p++;
	rec->status = status_of(w, (size_t)(c->p - w));
	if (rec->status == MAILLOG_STATUS_NONE)
		return "has an unknown status";
	if (c->p == c->end || *c->p == ',')
		return rec->kind == MAILLOG_QMGR ? NULL : "has a truncated status text";
	if (!CUR_LIT(c, " (") || c->end[-1] != ')')
		return rec->kind == MAILLOG_QMGR ? NULL : "has a truncated status text";
	rec->text = span(c->p, c->end - 1);
	return NULL;
}

static const char *
parse_delivery_fields(struct cur *c, struct maillog_rec *rec)
{
	while (c->p < c->end) {
		if (CUR_LIT(c, "status="))
			return parse_status(c, rec);
		const char *eq = memchr(c->p, '=', (size_t)(c->end - c->p));
		if (eq == NULL)
			break;
		const char *v = eq + 1, *ve = v;
		while ((ve = memchr(ve, ',', (size_t)(c->end - ve))) != NULL &&
		    (ve + 1 == c->end || ve[1] != ' '))
			ve++;
		if (ve == NULL)
			break;
		struct maillog_str key = span(c->p, eq);
		if (STR_IS(key, "relay")) {
			if (!(ve - v == 4 && memcmp(v, "none", 4) == 0))
				parse_hostaddr(v, ve, &rec->relay_host, &rec->relay_ip, &rec->relay_port);
		} else if (STR_IS(key, "dsn")) {
			rec->dsn = span(v, ve);
		}
		c->p = ve + 2;
	}
	return "has no status (truncated?)";
}

static const char *
parse_delivery(struct cur *c, struct maillog_rec *rec)
{
	const char *r = c->p, *gt = c->p, *err;

	for (;;) {
		gt = memchr(gt, '>', (size_t)(c->end - gt));
		if (gt == NULL || gt + 2 >= c->end)
			return "has a truncated recipient";
		if (gt[1] == ',' && gt[2] == ' ')
			break;
		gt++;
	}
	rec->rcpt = span(r, gt);
	const char *at = memrchr(r, '@', (size_t)(gt - r));
	if (at != NULL)
		rec->domain = span(at + 1, gt);
	c->p = gt + 3;
	if ((err = parse_delivery_fields(c, rec)) != NULL)
		return err;
	if (rec->status != MAILLOG_STATUS_SENT && rec->text.p != NULL) {
		struct peer peer = { { NULL, 0 }, { NULL, 0 } };
		text_analyse(rec, &peer, rec->text.p, rec->text.p + rec->text.len);
		if (rec->error != NULL)
			return rec->error;
		if (rec->relay_host.len == 0 && peer.host.len > 0) {
			rec->relay_host = peer.host;
			rec->relay_ip = peer.ip;
		}
	} else {
		rec->reply = rec->text;
		rec->reply_code = reply_code_of(rec->reply);
	}
	return NULL;
}

/* ---- qmgr: from=<..>, size=N, nrcpt=N (queue active) | status=expired ---- */

static long long
num_of(const char *p, const char *end)
{
	long long v = 0;

	while (p < end && *p >= '0' && *p <= '9' && v < (1LL << 50))
		v = v * 10 + (*p++ - '0');
	return v;
}

static const char *
parse_qmgr(struct cur *c, struct maillog_rec *rec)
{
	const char *gt = memchr(c->p, '>', (size_t)(c->end - c->p));

	if (gt == NULL)
		return "has a truncated sender";
	rec->sender = span(c->p, gt);
	c->p = gt + 1;
	while (CUR_LIT(c, ", ")) {
		if (CUR_LIT(c, "status="))
			return parse_status(c, rec);
		const char *e = c->p;
		while (e < c->end && *e != ',' && *e != ' ')
			e++;
		if (CUR_LIT(c, "size="))
			rec->size = num_of(c->p, e);
		else if (CUR_LIT(c, "nrcpt="))
			rec->nrcpt = (long)num_of(c->p, e);
		c->p = e;
	}
	return NULL;
}

/* ---- smtpd: client=H[IP], sasl_method=.., sasl_username=.. ---- */

static void
parse_client(struct cur *c, struct maillog_rec *rec)
{
	const char *e = mem_find(c->p, c->end, ", ", 2);

	if (e == NULL)
		e = c->end;
	parse_hostaddr(c->p, e, &rec->client_host, &rec->client_ip, NULL);
	const char *u = mem_find(e, c->end, "sasl_username=", 14);
	if (u != NULL) {
		const char *ue = mem_find(u, c->end, ", ", 2);
		rec->sasl_username = span(u + 14, ue ? ue : c->end);
	}
}

/* ---- the line ---- */

static enum maillog_kind
reject(struct maillog_rec *rec, const char *why)
{
	rec->kind = MAILLOG_REJECT;
	rec->error = why;
	return MAILLOG_REJECT;
}

static enum maillog_kind
parse_body(struct cur *c, struct maillog_rec *rec)
{
	struct maillog_str prog = service_program(rec->service);
	const char *err;

	if (STR_IS(prog, "smtp") || STR_IS(prog, "lmtp") || STR_IS(prog, "error") ||
	    STR_IS(prog, "retry")) {
		if (!parse_queue_id(c, rec) || !CUR_LIT(c, "to=<"))
			return MAILLOG_IGNORE;
		rec->kind = MAILLOG_DELIVERY;
		err = parse_delivery(c, rec);
	} else if (STR_IS(prog, "qmgr")) {
		if (!parse_queue_id(c, rec) || !CUR_LIT(c, "from=<"))
			return MAILLOG_IGNORE;
		rec->kind = MAILLOG_QMGR;
		err = parse_qmgr(c, rec);
	} else if (STR_IS(prog, "smtpd")) {
		if (!parse_queue_id(c, rec) || !CUR_LIT(c, "client="))
			return MAILLOG_IGNORE;
		rec->kind = MAILLOG_CLIENT;
		parse_client(c, rec);
		err = NULL;
	} else {
		return MAILLOG_IGNORE;
	}
	return err ? reject(rec, err) : rec->kind;
}

enum maillog_kind
maillog_parse_line(const char *line, size_t len, struct maillog_clock *clk,
    struct maillog_rec *rec)
{
	struct cur c;
	const char *err;

	memset(rec, 0, sizeof(*rec));
	rec->kind = MAILLOG_IGNORE;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > MAILLOG_LINE_MAX)
		return reject(rec, "is longer than the line limit");
	if ((err = maillog_check_bytes((const unsigned char *)line, len)) != NULL)
		return reject(rec, err);
	c.p = line;
	c.end = line + len;
	if ((err = parse_prefix(&c, clk, rec)) != NULL)
		return reject(rec, err);
	return parse_body(&c, rec);
}
