/*
 * secretfile.h: reading a secret (an API token) from a file, with the
 * checks ssh makes of a private key.
 *
 * NAME
 *	secretfile - the first line of a token file, refused when others
 *	could read or replace it
 *
 * DESCRIPTION
 *	secretfile_read_line reads the first line of path (without its line
 *	end) after these checks, in this order:
 *
 *	  - path itself, when it is a symbolic link, must be owned by the
 *	    reader (geteuid) or root: another user's link could point the
 *	    reader at a token of that user's choosing;
 *	  - the file (opened without blocking, checked with fstat on the
 *	    descriptor) must be a regular file owned by the reader or root;
 *	  - its mode must grant nothing to group or others (mode & 077 == 0,
 *	    as ssh requires of a private key).
 *
 *	what names the file in messages ("token file").
 *
 *	secretfile_read_stream reads the first line of an already open
 *	stream (standard input for --token-stdin).
 *
 * OWNERSHIP
 *	The returned string is the caller's; erase it (explicit_bzero)
 *	before free. Buffers used on the way are erased.
 *
 * DIAGNOSTICS
 *	NULL with the reason in err, in ssh's words, e.g.
 *	"Permissions 0644 for '/etc/postroute/token' are too open. It is
 *	required that your token file is not accessible by others. This
 *	token file is refused (chmod 600 '/etc/postroute/token')."; or the
 *	path and strerror for a file that cannot be opened. One line, never
 *	fatal.
 */
#ifndef POSTROUTE_SECRETFILE_H
#define POSTROUTE_SECRETFILE_H

#include <stdio.h>

#include "strbuf.h"

char *secretfile_read_line(const char *path, const char *what, struct strbuf *err);
char *secretfile_read_stream(FILE *fp, const char *what, struct strbuf *err);

#endif
