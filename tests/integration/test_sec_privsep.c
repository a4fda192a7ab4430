/*
 * test_sec_privsep.c: security finding 1, root escape through privilege
 * separation. With [agent] user, a compromised unprivileged side could
 * plant links in the directories it writes and wait for the root helper
 * to follow them on the next start (chown state -> /etc/postfix/main.cf
 * handed main.cf to the user). Here the loop runs as nobody on a real
 * Postfix instance fed by tests/lib/fakectl; a root-owned file stands for
 * main.cf. Every planted entry (a symbolic link, a hard link, a FIFO) at
 * each path the agent reads or root used to touch is refused with a
 * message saying what and why, the agent does not hang, and the stand-in
 * for main.cf keeps its owner, mode and content. A map directory another
 * user could write is refused by the root helper, at start and per request,
 * and so is one reached through a link the user can replace.
 */
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentrun.h"
#include "fakectl.h"
#include "pfx.h"
#include "strbuf.h"
#include "testlib.h"
#include "xalloc.h"

#define TOKEN "agent-token-0123456789"
#define MAINCF_TEXT "# stands for /etc/postfix/main.cf\nmyhostname = mx01.example\n"
#define NEXTHOP "smtp:[127.0.0.9]:2525"

struct env {
	struct pfx *pfx;
	struct fakectl *ctl;
	struct agentrun *agent;
	char *maincf;          /* root's, 0644: what the escape went for */
	char *user_dir;        /* STATE_DIR/user */
	uid_t nobody;
	gid_t nogroup;
};

static void
env_start(struct env *e)
{
	struct passwd *pw = getpwnam("nobody");

	assert_non_null(pw);
	e->nobody = pw->pw_uid, e->nogroup = pw->pw_gid;
	e->pfx = pfx_start("pfx", "hash", NULL);
	e->ctl = fakectl_start(TOKEN, 0);
	e->agent = agentrun_new("mx01", fakectl_url(e->ctl), TOKEN, e->pfx, "user = nobody", NULL);
	e->maincf = xasprintf("%s/main.cf", e->agent->dir);
	tl_write_file(e->maincf, MAINCF_TEXT);
	assert_int_equal(chmod(e->maincf, 0644), 0);
	e->user_dir = xasprintf("%s/user", e->agent->state_dir);
	fakectl_set_feed(e->ctl, 1, "{\"node\": \"mx01\", \"version\": 1, \"entries\": "
	    "[{\"domain\": \"gmail.test\", \"nexthop\": \"" NEXTHOP "\", \"provider\": \"google\"}]}");
}

static void
env_stop(struct env *e)
{
	agentrun_free(e->agent);
	fakectl_stop(e->ctl);
	pfx_stop(e->pfx);
	free(e->maincf), free(e->user_dir);
}

/* The stand-in for main.cf is as it was: root's, 0644, same text. */
static void
assert_maincf_untouched(const struct env *e)
{
	struct stat sb;
	char *text = tl_read_file(e->maincf);

	assert_int_equal(stat(e->maincf, &sb), 0);
	if (sb.st_uid != 0 || sb.st_gid != 0 || (sb.st_mode & 07777) != 0644)
		fail_msg("main.cf stand-in changed: uid %lu gid %lu mode %04o",
		    (unsigned long)sb.st_uid, (unsigned long)sb.st_gid, (unsigned)(sb.st_mode & 07777));
	assert_string_equal(text, MAINCF_TEXT);
	free(text);
}

static void
assert_contains(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

static void
plant_symlink(const char *target, const char *path, uid_t uid, gid_t gid)
{
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(lchown(path, uid, gid), 0);
}

static void
plant_fifo(const char *path, uid_t uid, gid_t gid)
{
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(chown(path, uid, gid), 0);
}

static void
plant_hardlink(const char *target, const char *path)
{
	unlink(path);
	assert_int_equal(link(target, path), 0);
}

static void
assert_owner(const char *path, uid_t uid, mode_t type)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		fail_msg("%s: missing", path);
	if (sb.st_uid != uid || (sb.st_mode & S_IFMT) != type)
		fail_msg("%s: uid %lu type %o, wanted uid %lu type %o", path, (unsigned long)sb.st_uid,
		    (unsigned)(sb.st_mode & S_IFMT), (unsigned long)uid, (unsigned)type);
}

/*
 * The layout before the fix: state_dir belonged to the user, who planted
 * state -> main.cf, transport as a hard link to it and hold as a FIFO. The
 * restart takes state_dir back, refuses all three, moves nothing it
 * should not, and starts once they are gone.
 */
static void
test_old_layout_planted(void **state)
{
	struct env e;
	char *err = NULL;

	(void)state;
	env_start(&e);
	const char *sd = e.agent->state_dir;
	char *st = xasprintf("%s/state", sd), *tr = xasprintf("%s/transport", sd);
	char *hold = xasprintf("%s/hold", sd), *off = xasprintf("%s/logwatch.offset", sd);
	assert_int_equal(chown(sd, e.nobody, e.nogroup), 0);
	assert_int_equal(chmod(sd, 0750), 0);
	plant_symlink(e.maincf, st, e.nobody, e.nogroup);
	plant_hardlink(e.maincf, tr);
	plant_fifo(hold, e.nobody, e.nogroup);
	tl_write_file(off, "0 0 0\n");   /* an honest file of the user's: moved */
	assert_int_equal(chown(off, e.nobody, e.nogroup), 0);

	assert_int_equal(agentrun_once(e.agent, &err), 1);
	assert_contains(err, "/state: a symbolic link; ");
	assert_contains(err, "/transport: a file with 2 hard links; ");
	assert_contains(err, "/hold: a FIFO: refused (state_dir was writable by nobody: root moves "
	    "only regular files of nobody's with one link");
	free(err);
	assert_maincf_untouched(&e);
	assert_int_equal(fakectl_report_count(e.ctl), 0);
	/* state_dir is root's again, the user has a directory of its own */
	struct stat sb;
	assert_int_equal(stat(sd, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(sb.st_mode & 07777, 0711);
	assert_owner(e.user_dir, e.nobody, S_IFDIR);
	char *moved = xasprintf("%s/logwatch.offset", e.user_dir);
	assert_owner(moved, e.nobody, S_IFREG);
	assert_int_equal(access(off, F_OK), -1);
	/* the planted entries are left as they were for the operator to see */
	assert_owner(st, e.nobody, S_IFLNK);
	assert_owner(hold, e.nobody, S_IFIFO);

	/* gone: the agent starts, the state is written by the user in its dir */
	unlink(st), unlink(tr), unlink(hold);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	char *ust = xasprintf("%s/state", e.user_dir);
	assert_owner(ust, e.nobody, S_IFREG);
	assert_int_equal(access(st, F_OK), -1);
	assert_maincf_untouched(&e);
	free(ust), free(moved), free(st), free(tr), free(hold), free(off);
	env_stop(&e);
}

/* Runs --once, which must fail (not hang) naming want; main.cf unchanged. */
static void
once_refused(struct env *e, const char *want)
{
	char *err = NULL;

	assert_int_equal(agentrun_once(e->agent, &err), 1);
	assert_contains(err, want);
	free(err);
	assert_maincf_untouched(e);
}

/*
 * The new layout: the user writes only in STATE_DIR/user, which root
 * never opens. What a compromised loop plants there is refused by the
 * loop itself when it reads its state, as itself, without following or
 * blocking.
 */
static void
test_user_dir_planted(void **state)
{
	struct env e;

	(void)state;
	env_start(&e);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	char *st = xasprintf("%s/state", e.user_dir), *tr = xasprintf("%s/transport", e.user_dir);
	char *hold = xasprintf("%s/hold", e.user_dir), *save = xasprintf("%s/saved", e.agent->dir);
	char *text = tl_read_file(tr);
	assert_non_null(text);
	assert_owner(st, e.nobody, S_IFREG);

	plant_hardlink(e.maincf, hold);
	once_refused(&e, "/user/hold: a file with 2 hard links: refused");
	unlink(hold);

	plant_fifo(tr, e.nobody, e.nogroup);
	once_refused(&e, "/user/transport: not a regular file: refused");
	unlink(tr);
	tl_write_file(tr, text);
	assert_int_equal(chown(tr, e.nobody, e.nogroup), 0);

	assert_int_equal(rename(st, save), 0);
	plant_symlink(e.maincf, st, e.nobody, e.nogroup);
	once_refused(&e, "/user/state: a symbolic link: refused (state files are never followed)");
	/* root's file put there by someone else: not the user's state */
	unlink(st);
	tl_write_file(st, "version 1\n");
	once_refused(&e, "/user/state: owned by uid 0, not by uid");
	unlink(st);
	assert_int_equal(rename(save, st), 0);
	assert_int_equal(agentrun_once(e.agent, NULL), 0);
	assert_owner(e.user_dir, e.nobody, S_IFDIR);

	/* STATE_DIR/user itself replaced by a link: root refuses at start */
	char *aside = xasprintf("%s/user.aside", e.agent->dir);
	assert_int_equal(rename(e.user_dir, aside), 0);
	plant_symlink(e.agent->dir, e.user_dir, e.nobody, e.nogroup);
	once_refused(&e, "/user: a symbolic link, not a directory: refused");
	struct stat sb;
	assert_int_equal(stat(e.agent->dir, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	free(aside), free(text), free(st), free(tr), free(hold), free(save);
	env_stop(&e);
}

/*
 * The root helper writes the map, its temp file and postmap's index in
 * the map's directory by name: a directory the user can write is refused
 * at start, and again per request when it became one while running.
 */
static void
test_map_dir_untrusted(void **state)
{
	struct env e;
	char *err = NULL;

	(void)state;
	env_start(&e);
	char *before = tl_read_file(e.pfx->transport);
	assert_int_equal(chown(e.pfx->map_dir, e.nobody, e.nogroup), 0);
	assert_int_equal(agentrun_once(e.agent, &err), 1);
	assert_contains(err, "[postfix] transport_file");
	assert_contains(err, "is owned by uid");
	assert_contains(err, "not root: the privileged helper writes there as root");
	free(err);
	char *after = tl_read_file(e.pfx->transport);
	assert_string_equal(after, before);
	free(after);

	/* root's again: the agent runs; the user gets the directory later */
	assert_int_equal(chown(e.pfx->map_dir, 0, 0), 0);
	agentrun_start(e.agent);
	if (!fakectl_wait_reports(e.ctl, 1, 20000))
		fail_msg("version 1 not reported");
	assert_int_equal(chmod(e.pfx->map_dir, 0777), 0);
	fakectl_set_feed(e.ctl, 2, "{\"node\": \"mx01\", \"version\": 2, \"entries\": []}");
	if (!fakectl_wait_reports(e.ctl, 2, 20000))
		fail_msg("version 2 not reported");
	json_t *all = fakectl_reports(e.ctl);
	json_t *r = json_array_get(all, json_array_size(all) - 1);
	const char *status = json_string_value(json_object_get(r, "status"));
	const char *error = json_string_value(json_object_get(r, "error"));
	if (status == NULL || strcmp(status, "failed") != 0 || error == NULL ||
	    strstr(error, "is writable by its group or by others") == NULL ||
	    strstr(error, "refused by the privileged helper") == NULL)
		fail_msg("report: %s", json_dumps(r, 0));
	json_decref(all);
	after = tl_read_file(e.pfx->transport);
	assert_non_null(strstr(after, "gmail.test"));   /* version 1's map stays */
	free(after), free(before);
	assert_int_equal(chmod(e.pfx->map_dir, 0755), 0);
	env_stop(&e);
}

/*
 * The map's directory reached through a link that sits in a directory
 * the user owns: the user can point the link elsewhere between the
 * helper's check and its use, so the walk checks every directory a name
 * is looked up in, not only where the link leads today. A link of the
 * user's in a sticky directory is refused the same way.
 */
static void
test_map_dir_via_user_link(void **state)
{
	struct env e;
	struct pfx via;
	char *err = NULL;

	(void)state;
	env_start(&e);
	char *before = tl_read_file(e.pfx->transport);
	char *udir = xasprintf("%s/nobodys", e.agent->dir), *link = xasprintf("%s/maps", udir);
	assert_int_equal(mkdir(udir, 0755), 0);
	assert_int_equal(chown(udir, e.nobody, e.nogroup), 0);
	assert_int_equal(symlink(e.pfx->map_dir, link), 0);   /* root's link, the user's directory */
	via = *e.pfx;
	via.transport = xasprintf("%s/transport", link);
	agentrun_config(e.agent, fakectl_url(e.ctl), TOKEN, &via, "user = nobody", NULL);
	assert_int_equal(agentrun_once(e.agent, &err), 1);
	assert_contains(err, "[postfix] transport_file");
	char *want = xasprintf("%s is owned by uid %lu, not root", udir, (unsigned long)e.nobody);
	assert_contains(err, want);
	free(err), free(want), free(via.transport);

	/* a sticky directory anyone may write, root's: a link of the user's there */
	char *sticky = xasprintf("%s/sticky", e.agent->dir), *slink = xasprintf("%s/maps", sticky);
	assert_int_equal(mkdir(sticky, 0755), 0);
	assert_int_equal(chmod(sticky, 01777), 0);
	plant_symlink(e.pfx->map_dir, slink, e.nobody, e.nogroup);
	via.transport = xasprintf("%s/transport", slink);
	agentrun_config(e.agent, fakectl_url(e.ctl), TOKEN, &via, "user = nobody", NULL);
	err = NULL;
	assert_int_equal(agentrun_once(e.agent, &err), 1);
	want = xasprintf("%s is a symbolic link owned by uid %lu in a directory others can write",
	    slink, (unsigned long)e.nobody);
	assert_contains(err, want);
	free(err), free(want), free(via.transport);

	/* the same link made root's: accepted, the map installed through it */
	assert_int_equal(lchown(slink, 0, 0), 0);
	via.transport = xasprintf("%s/transport", slink);
	agentrun_config(e.agent, fakectl_url(e.ctl), TOKEN, &via, "user = nobody", NULL);
	err = NULL;
	if (agentrun_once(e.agent, &err) != 0)
		fail_msg("root's link refused:\n%s", err);
	free(err), free(via.transport);
	char *after = tl_read_file(e.pfx->transport);
	assert_non_null(strstr(after, "gmail.test"));
	assert_null(strstr(before, "gmail.test"));
	free(after), free(before), free(udir), free(link), free(sticky), free(slink);
	env_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_layout_planted),
		cmocka_unit_test(test_user_dir_planted),
		cmocka_unit_test(test_map_dir_untrusted),
		cmocka_unit_test(test_map_dir_via_user_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
