/*
 * trustdir.h: may root write in this directory without trusting anyone
 * else?
 *
 * NAME
 *	trustdir - the root helper's check of the directories it uses
 *
 * DESCRIPTION
 *	trustdir_check resolves dir (realpath) and walks the result from
 *	"/" down: every component must be a directory owned by root and
 *	writable by nobody else. A sticky directory (/tmp) is accepted
 *	above the last component, where another user can neither rename
 *	nor remove what root owns; the directory itself may not be one.
 *	With that, no other user can put a link, a FIFO or a file of their
 *	own under a name root is about to open, rename or hand to postmap.
 *
 *	trustdir_check_parent does the same for the directory that holds
 *	path.
 *
 * DIAGNOSTICS
 *	-1 with "WHAT DIR: COMPONENT is owned by uid N, not root" (or "is
 *	writable by its group or by others", "is not a directory", or the
 *	errno of realpath/lstat) in err. Never fatal.
 */
#ifndef POSTROUTE_TRUSTDIR_H
#define POSTROUTE_TRUSTDIR_H

#include "strbuf.h"

int trustdir_check(const char *what, const char *dir, struct strbuf *err);
int trustdir_check_parent(const char *what, const char *path, struct strbuf *err);

#endif
