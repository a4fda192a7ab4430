/*
 * statedir.h: the state directory under privilege separation.
 *
 * NAME
 *	statedir - root's side of state_dir with [agent] user
 *
 * DESCRIPTION
 *	With [agent] user, the sync loop writes its state as that user,
 *	and root must never open, chown or rename by name anything in a
 *	directory the user can write (a link planted there would lead root
 *	to /etc/postfix/main.cf). So state_dir stays root's (mode 0711)
 *	and the user gets one directory in it, STATE_DIR/user (mode 0700),
 *	which root creates once and never looks into again.
 *
 *	statedir_prepare, called as root before the fork: checks that the
 *	directory holding state_dir is root's alone (trustdir.h), creates
 *	state_dir or opens it with O_NOFOLLOW, takes it back from the user
 *	when it belongs to them (the layout before STATE_DIR/user: fchown
 *	and fchmod on the open descriptor), and creates STATE_DIR/user
 *	(mkdtemp, fchown on the descriptor, then renamed into place) unless
 *	it is there already as a directory of the user's.
 *
 *	The old layout's files (state, transport, hold, logwatch.offset,
 *	logwatch.cursor directly in state_dir) are moved into
 *	STATE_DIR/user by renameat, which moves a name and follows
 *	nothing, and only when fstatat
 *	without following says: a regular file, one link, owned by the
 *	user. Nothing is chowned. A root-owned one (written by a run
 *	without [agent] user) is left where it is: the user's state starts
 *	empty and the next feed is applied again.
 *
 *	It returns STATE_DIR/user, the state_dir of the unprivileged side.
 *
 * OWNERSHIP
 *	The returned path is the caller's (free).
 *
 * DIAGNOSTICS
 *	NULL with every refusal in err, each naming the path, what it is
 *	("a symbolic link", "a FIFO", "2 hard links", "owned by uid N") and
 *	why root will not touch it. Refused entries are left untouched.
 */
#ifndef POSTROUTE_STATEDIR_H
#define POSTROUTE_STATEDIR_H

#include <sys/types.h>

#include "strbuf.h"

#define STATEDIR_USER "user"

char *statedir_prepare(const char *state_dir, const char *user, uid_t uid, gid_t gid,
    struct strbuf *err);

/* "a symbolic link", "a FIFO", ... for messages. */
const char *statedir_kind(mode_t mode);

#endif
