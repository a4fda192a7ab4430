/*
 * pfx.h: private Postfix instances and smtp-sink relays for tests, the
 * demo's C parts and benchmarks.
 *
 * NAME
 *	pfx - a throwaway Postfix under a temp directory
 *
 * DESCRIPTION
 *	pfx_start creates DIR/etc (main.cf, master.cf, the transport map of
 *	the given type, built empty), DIR/queue, DIR/data and DIR/maillog,
 *	and runs `postfix -c DIR/etc start`. The instance listens only on
 *	127.0.0.1:PORT (a free port), runs nothing chrooted, uses fast
 *	retry timers (10 s) and by default sends unmapped mail to
 *	"retry:no route". Must run as root (postfix start, sendmail -C).
 *
 *	pfx_start_sasl adds SMTP AUTH: Cyrus SASL with a private sasldb
 *	(DIR/etc/sasl: Debian's smtpd reads smtpd.conf from the sasl
 *	directory of its config directory) and smtpd_sender_restrictions =
 *	check_sasl_access TYPE:DIR/maps/hold, built empty. pfx_sasl_user adds
 *	a login (saslpasswd2), pfx_submit sends one message with AUTH PLAIN
 *	(libcurl), pfx_queue_count counts a queue's messages (postqueue -j).
 *
 *	pfx_sink_start runs smtp-sink on IP:PORT (a free port), one file per
 *	message in its directory; with reply set it rejects every RCPT with
 *	that reply: soft for a 4xx reply (a provider blocking a relay), hard
 *	for a 5xx one (an unknown user).
 *
 * OWNERSHIP
 *	The caller owns what pfx_start / pfx_sink_start return and ends it
 *	with pfx_stop / pfx_sink_stop (which also free). Files stay under
 *	the run's temp dir for post-mortems.
 *
 * DIAGNOSTICS
 *	Set-up failures fail the test (cmocka fail_msg) with the log.
 */
#ifndef POSTROUTE_PFX_H
#define POSTROUTE_PFX_H

#include <sys/types.h>

struct pfx {
	char *dir;
	char *conf_dir;        /* DIR/etc, for -c */
	char *queue_dir;
	char *maillog;
	char *map_dir;         /* DIR/maps: the agent's transport file lives here */
	char *transport;       /* DIR/maps/transport */
	char *hold;            /* DIR/maps/hold with SASL, else NULL */
	char *map_type;
	int port;              /* smtpd on 127.0.0.1 */
};

struct pfx_sink {
	pid_t pid;
	char *dir;             /* one file per message */
	char *ip;
	int port;
	char *nexthop;         /* smtp:[IP]:PORT */
};

/* default_transport may be NULL ("retry:no route"). */
struct pfx *pfx_start(const char *name, const char *map_type, const char *default_transport);
struct pfx *pfx_start_sasl(const char *name, const char *map_type, const char *default_transport);
/* login: user@realm; 0 on success. */
int pfx_sasl_user(const struct pfx *p, const char *login, const char *password);
/* One message over SMTP with AUTH PLAIN as login; 0 when it was accepted. */
int pfx_submit(const struct pfx *p, const char *login, const char *password, const char *from,
    const char *rcpt, const char *subject);
/* Messages in queue_name ("hold", "deferred", ...) per postqueue -j;
 * NULL: in every queue. */
int pfx_queue_count(const struct pfx *p, const char *queue_name);
/* Waits (up to timeout_ms) until queue_name holds exactly n messages;
 * fails the test, naming the count and the maillog, if it never does. */
void pfx_await_queue(const struct pfx *p, const char *queue_name, int n, int timeout_ms);
/* Waits until no message is queued outside the hold queue: whatever was
 * sent has been delivered, bounced or held, so the sinks' counts are
 * final. Fails the test with the queue if it never settles. */
void pfx_await_settled(const struct pfx *p, int timeout_ms);
void pfx_stop(struct pfx *p);

struct pfx_sink *pfx_sink_start(const char *ip, const char *reject_reply);
/* The same, answering each MAIL FROM only after delay_s seconds. */
struct pfx_sink *pfx_sink_start_slow(const char *ip, const char *reject_reply, int delay_s);
void pfx_sink_stop(struct pfx_sink *s);
int pfx_sink_count(const struct pfx_sink *s);
/* Polls until the sink holds at least n messages; 1 when it did. */
int pfx_sink_wait(const struct pfx_sink *s, int n, int timeout_ms);

/* Queues one message (sendmail -C as root); 0 on success. */
int pfx_send(const struct pfx *p, const char *rcpt, const char *subject);
/* Lines of the mail log that contain needle. */
int pfx_log_count(const struct pfx *p, const char *needle);
/* Occurrences of needle in the file at path (0 when it cannot be read). */
int pfx_file_count(const char *path, const char *needle);
/* Waits until at least n lines contain needle; 1 when they did. */
int pfx_await_log(const struct pfx *p, const char *needle, int n, int timeout_ms);
int pfx_reloads(const struct pfx *p);
/* Logs text through the instance's postlogd (postlog -t tag) and waits
 * until the mail log holds it: every line logged before is in the file. */
void pfx_postlog(const struct pfx *p, const char *tag, const char *text);
/* `postfix reload` runs asked for so far (postfix-script logs each one
 * before signalling the master), counted after a pfx_postlog barrier:
 * exact even when a reload was asked for a moment ago. */
int pfx_reload_requests(const struct pfx *p);
/* Messages in the deferred queue (postqueue -j). */
int pfx_deferred(const struct pfx *p);
/* Looks key up in the installed map: the value, or NULL (caller frees). */
char *pfx_lookup(const struct pfx *p, const char *key);
/* Waits until key is in the installed map; its value (caller frees), or
 * fails the test. */
char *pfx_await_lookup(const struct pfx *p, const char *key, int timeout_ms);

#endif
