/*
 * atomicfile.h: replace a file so that readers and a crash see either the
 * old content or the new, never a part.
 *
 * NAME
 *	atomicfile - write a temp file, fsync, rename, fsync the directory
 *
 * SYNOPSIS
 *	atomicfile_write(path, text, strlen(text), 0644, ATOMICFILE_SYNC, err);
 *
 *	tmp = atomicfile_temp(path, text, len, 0644, ATOMICFILE_SYNC, err);
 *	... build or check something from tmp ...
 *	atomicfile_commit(tmp, path, ATOMICFILE_SYNC_DIR, err);
 *
 * DESCRIPTION
 *	atomicfile_temp writes len bytes of data to a new file
 *	PATH.tmp.XXXXXX in path's directory (mkostemp, close-on-exec), sets
 *	its mode, and returns its name. atomicfile_commit renames tmp over
 *	path. atomicfile_write does both, and removes the temp file when
 *	the rename fails.
 *
 *	flags say what reaches the disk before the call returns:
 *
 *	  ATOMICFILE_SYNC_FILE  the file's data: atomicfile_temp fsyncs the
 *	                        file it wrote; atomicfile_commit fsyncs tmp
 *	                        by name before the rename (a file another
 *	                        program wrote, such as postmap's index)
 *	  ATOMICFILE_SYNC_DIR   the rename: atomicfile_commit fsyncs path's
 *	                        directory after it
 *	  ATOMICFILE_SYNC       both
 *
 *	Without them the rename is still atomic for readers, but a crash
 *	may leave the old file or an empty new one (a log offset saved
 *	after every batch: fsynced only when the follower closes).
 *
 * OWNERSHIP
 *	atomicfile_temp's result is the caller's to free (and, until the
 *	commit, to unlink on its own failure paths).
 *
 * DIAGNOSTICS
 *	NULL or -1 with the file and strerror in err: "create TMP: ...",
 *	"write PATH: ..." (short write: ENOSPC), "rename TMP to PATH: ...",
 *	"fsync FILE: ...". atomicfile_temp leaves no file behind when it
 *	fails. Never fatal.
 *
 * SECURITY
 *	The temp file is created with O_EXCL by mkostemp, mode 0600 until
 *	set to mode: nobody else can open it in between. The rename follows
 *	no link at path (it replaces the link itself). The directory must
 *	not be writable by anyone the writer does not trust (trustdir.h in
 *	the agent).
 */
#ifndef POSTROUTE_ATOMICFILE_H
#define POSTROUTE_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

#define ATOMICFILE_SYNC_FILE 1
#define ATOMICFILE_SYNC_DIR 2
#define ATOMICFILE_SYNC (ATOMICFILE_SYNC_FILE | ATOMICFILE_SYNC_DIR)

char *atomicfile_temp(const char *path, const char *data, size_t len, mode_t mode, int flags,
    struct strbuf *err);
int atomicfile_commit(const char *tmp, const char *path, int flags, struct strbuf *err);
int atomicfile_write(const char *path, const char *data, size_t len, mode_t mode, int flags,
    struct strbuf *err);

#endif
