/*
 * trustdir.h: may root write in this directory without trusting anyone
 * else?
 *
 * NAME
 *	trustdir - the root helper's check of the directories it uses
 *
 * DESCRIPTION
 *	trustdir_check walks dir from "/" down the way the kernel resolves
 *	it, following each symbolic link by hand: every directory a name is
 *	looked up in, and every directory a link leads through, must be a
 *	directory owned by root and writable by nobody else (checking only
 *	where a link leads today would trust a link in a directory the user
 *	can write, which the user repoints after the check). A sticky
 *	directory (/tmp) is accepted above the last component, where
 *	another user can neither rename nor remove what root owns; a link
 *	in it must be root's too; the directory itself may not be one.
 *	With that, no other user can put a link, a FIFO or a file of their
 *	own under a name root is about to open, rename or hand to postmap.
 *
 *	trustdir_check_parent does the same for the directory that holds
 *	path.
 *
 * DIAGNOSTICS
 *	-1 with "WHAT DIR: COMPONENT is owned by uid N, not root" (or "is
 *	writable by its group or by others", "is not a directory", "is a
 *	symbolic link owned by uid N in a directory others can write", or
 *	the errno of lstat/readlink, ELOOP after 40 links) in err. Never
 *	fatal.
 */
#ifndef POSTROUTE_TRUSTDIR_H
#define POSTROUTE_TRUSTDIR_H

#include "strbuf.h"

int trustdir_check(const char *what, const char *dir, struct strbuf *err);
int trustdir_check_parent(const char *what, const char *path, struct strbuf *err);

#endif
