/*
 * journald.h: a private systemd-journald for tests, and a writer that
 * journald sees as a process of a Postfix unit.
 *
 * journald_start runs the real /lib/systemd/systemd-journald (package
 * systemd) in a private mount namespace: DIR/run is bound over
 * /run/systemd (its sockets appear in DIR/run/journal), DIR/log over
 * /run/log (its files appear in DIR/log/journal/MACHINE-ID) and a
 * journald.conf of the test's over /etc/systemd/journald.conf (volatile
 * storage, no rate limit, no kernel log, nothing forwarded). Only
 * journald is in that namespace; the host's journal, if any, is not
 * touched. jd->directory is what [logwatch] journal_directory names.
 *
 * With a unit (e.g. "postfix@-.service"), a writer child moves itself
 * into the control group postroute-test.slice/UNIT of the cgroup v2
 * hierarchy (/sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on
 * a unified one), so journald sets _SYSTEMD_UNIT=UNIT on what it sends,
 * as it does for a Postfix started by systemd. The writer stays alive
 * until journald_stop: journald reads the sender's control group from
 * /proc, which a process that already exited no longer has.
 *
 * journald_send hands one entry (SYSLOG_IDENTIFIER, SYSLOG_PID,
 * MESSAGE: any bytes) to the writer, which sends it to journald's native
 * socket; journald_send_self sends it from the test process itself,
 * which is in no unit. Both return once the datagram is sent; journald
 * writes it a moment later: wait for the entry, not for time.
 *
 * journald and the writer end with the test process (PR_SET_PDEATHSIG,
 * and the writer's socket), even when it fails before journald_stop.
 *
 * Needs root, mount namespaces and a writable cgroup v2 hierarchy;
 * journald_start fails the test, saying which is missing, otherwise.
 */
#ifndef POSTROUTE_TEST_JOURNALD_H
#define POSTROUTE_TEST_JOURNALD_H

#include <stddef.h>
#include <sys/types.h>

struct journald {
	char *dir;
	char *directory;    /* DIR/log/journal: the journal files */
	char *socket;       /* DIR/run/journal/socket: native protocol */
	char *cgroup;       /* the writer's control group, or NULL */
	pid_t pid;          /* journald */
	pid_t writer;       /* 0: none */
	int wfd;            /* to the writer */
};

struct journald *journald_start(const char *unit);
void journald_send(struct journald *jd, const char *ident, const char *pid,
    const char *msg, size_t len);
void journald_send_self(struct journald *jd, const char *ident, const char *pid,
    const char *msg, size_t len);
/* Entries in the journal whose MESSAGE contains needle. */
int journald_count(const struct journald *jd, const char *needle);
/* Waits until journald_count reaches n; fails the test otherwise. */
void journald_await(const struct journald *jd, const char *needle, int n, int timeout_ms);
void journald_stop(struct journald *jd);

#endif
