/*
 * maillog.h: parse one Postfix log line into fields, without allocating.
 *
 * NAME
 *	maillog - Postfix log line parser of the logwatch and of scan
 *
 * DESCRIPTION
 *	maillog_parse_line reads one line (no trailing newline needed) in
 *	one of the layouts a Postfix host writes:
 *
 *	  Nov 27 17:31:39 mx12 postfix/smtp[123]: QID: to=<..>, ...
 *	      traditional syslog; also what Postfix 3.7's own postlogd
 *	      writes with maillog_file (measured here: the same
 *	      "Mmm dd hh:mm:ss host service[pid]: " prefix);
 *	  2026-11-27T17:31:39.123456+09:00 mx12 postfix/smtp[123]: ...
 *	      RFC 3339 (rsyslog), also journalctl -o short-iso and
 *	      short-iso-precise ("+0900" offsets).
 *
 *	Traditional timestamps have no year and no zone: the year is
 *	inferred from the clock's reference time (a month more than one
 *	ahead of the reference month belongs to the previous year) and the
 *	time is local time (TZ). RFC 3339 timestamps are exact.
 *
 *	Recognised bodies: smtp/lmtp (and error/retry) delivery results
 *	"QID: to=<..>, relay=.., dsn=.., status=.. (text)"; qmgr
 *	"QID: from=<..>, size=N, nrcpt=N" and "status=expired"; smtpd
 *	"QID: client=host[ip], sasl_username=..". The delivery text is
 *	split into the remote host, the SMTP reply, the stage it answered
 *	("in reply to RCPT TO command", "refused to talk to me" = greeting)
 *	and connection failures ("connect to ..: Connection timed out",
 *	"lost connection with .. while ..", "conversation with .. timed
 *	out"). "delivery temporarily suspended" sets rec->suspended: that is
 *	Postfix repeating an earlier failure, not fresh evidence.
 *
 *	status=sent lines take a short path: the text is not analysed.
 *
 * OWNERSHIP
 *	Every struct maillog_str in the record points into the caller's
 *	line: the record is valid only while the line is. Nothing is
 *	allocated; the clock holds a small cache and is owned by the caller.
 *
 * DIAGNOSTICS
 *	Never fatal. Lines longer than MAILLOG_LINE_MAX, with NUL or other
 *	control bytes, invalid UTF-8, a malformed prefix or a truncated
 *	delivery body give MAILLOG_REJECT with a static reason in
 *	rec->error. Well-formed lines of no interest give MAILLOG_IGNORE.
 *
 * SECURITY
 *	Log lines carry text chosen by remote SMTP servers and by local
 *	senders. The parser only reads inside [line, line + len) and
 *	never writes to it.
 */
#ifndef POSTROUTE_MAILLOG_H
#define POSTROUTE_MAILLOG_H

#include <stddef.h>
#include <time.h>

#define MAILLOG_LINE_MAX (16 * 1024)

struct maillog_str {
	const char *p;
	size_t len;
};

enum maillog_kind {
	MAILLOG_REJECT,   /* garbage: see rec->error */
	MAILLOG_IGNORE,   /* a log line of no interest */
	MAILLOG_DELIVERY, /* smtp/lmtp/error/retry: to=, status= */
	MAILLOG_QMGR,     /* qmgr: from=, size=, nrcpt= or status=expired */
	MAILLOG_CLIENT,   /* smtpd: client=, sasl_username= */
};

enum maillog_status {
	MAILLOG_STATUS_NONE,
	MAILLOG_STATUS_SENT,
	MAILLOG_STATUS_DEFERRED,
	MAILLOG_STATUS_BOUNCED,
	MAILLOG_STATUS_EXPIRED,
};

/* The SMTP step a reply or a failure belongs to. */
enum maillog_stage {
	MAILLOG_STAGE_NONE,
	MAILLOG_STAGE_CONNECT,  /* TCP connect failed */
	MAILLOG_STAGE_GREETING, /* 220 banner, "refused to talk to me" */
	MAILLOG_STAGE_HELO,     /* EHLO/HELO/STARTTLS/TLS/XFORWARD */
	MAILLOG_STAGE_MAIL,     /* MAIL FROM */
	MAILLOG_STAGE_RCPT,     /* RCPT TO */
	MAILLOG_STAGE_DATA,     /* DATA command */
	MAILLOG_STAGE_EOD,      /* end of DATA (the final dot) */
	MAILLOG_STAGE_OTHER,    /* RSET, QUIT, ... */
};

enum maillog_conn {
	MAILLOG_CONN_NONE,
	MAILLOG_CONN_TIMEOUT,     /* connect: Connection timed out */
	MAILLOG_CONN_REFUSED,     /* connect: Connection refused */
	MAILLOG_CONN_UNREACHABLE, /* connect: No route / Network unreachable */
	MAILLOG_CONN_LOST,        /* lost connection with .. while .. */
	MAILLOG_CONN_CONV_TIMEOUT,/* conversation with .. timed out */
	MAILLOG_CONN_DNS,         /* Host or domain name not found */
	MAILLOG_CONN_OTHER,       /* connect to ..: any other error */
};

struct maillog_rec {
	enum maillog_kind kind;
	const char *error;           /* MAILLOG_REJECT: static reason */
	time_t ts;                   /* epoch seconds */
	struct maillog_str host;     /* the node that logged the line */
	struct maillog_str service;  /* "postfix/smtp", "postfix-out/lmtp" */
	struct maillog_str queue_id;
	/* MAILLOG_DELIVERY */
	struct maillog_str rcpt;     /* without <> */
	struct maillog_str domain;   /* after the last '@' of rcpt */
	struct maillog_str relay_host; /* relay= host, or the host named in the text */
	struct maillog_str relay_ip;
	unsigned relay_port;
	struct maillog_str dsn;      /* "5.7.1" */
	enum maillog_status status;
	struct maillog_str text;     /* everything inside status=..( ) */
	struct maillog_str reply;    /* the remote SMTP reply, or the failure text */
	unsigned reply_code;         /* 421, 550, ... or 0 */
	enum maillog_stage stage;
	enum maillog_conn conn;
	int suspended;               /* "delivery temporarily suspended" */
	/* MAILLOG_QMGR */
	struct maillog_str sender;   /* from=<..> without <> */
	long long size;
	long nrcpt;
	/* MAILLOG_CLIENT */
	struct maillog_str client_host;
	struct maillog_str client_ip;
	struct maillog_str sasl_username;
};

/* Year inference and local-time cache for traditional timestamps. */
struct maillog_clock {
	int ref_year;   /* e.g. 2026 */
	int ref_mon;    /* 0-11 */
	long long cache_key;
	time_t cache_base;
};

/* Takes ref (the log file's mtime in scan mode, now when following). */
void maillog_clock_init(struct maillog_clock *clk, time_t ref);

/* Parses line[0..len) (a trailing "\n" or "\r\n" is ignored). */
enum maillog_kind maillog_parse_line(const char *line, size_t len,
    struct maillog_clock *clk, struct maillog_rec *rec);

/* Case-insensitive comparison of a span with a C string. */
int maillog_str_eq(struct maillog_str s, const char *lit);

const char *maillog_status_name(enum maillog_status st);
const char *maillog_stage_name(enum maillog_stage st);

#endif
