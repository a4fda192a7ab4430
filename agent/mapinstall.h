/*
 * mapinstall.h: publish a transport file and its Postfix index so that
 * Postfix never sees a missing, stale-indexed or half-built map.
 *
 * NAME
 *	mapinstall - write, postmap, verify, rename
 *
 * DESCRIPTION
 *	mapinstall_run installs text as the map at mi->path:
 *
 *	hash, cdb: the text goes to a temp file in the same directory
 *	(mode 0644, fsynced: atomicfile.h); postmap -c DIR TYPE:TEMP builds TEMP.db or
 *	TEMP.cdb; reading it back (postmap -s for hash and lmdb, postmap -q -
 *	with every key for cdb, which has no sequence operation) must give
 *	exactly the entries;
 *	the index is fsynced and renamed over PATH.db (PATH.cdb), then the
 *	source over PATH, then the directory is fsynced. Running daemons
 *	notice the replaced index and reopen it.
 *
 *	lmdb: postmap updates an lmdb file in one transaction and Postfix
 *	reads it without restarting, so the map is updated in place: the
 *	old source is kept as PATH.prev (a hard link), the temp source is
 *	renamed over PATH and postmap lmdb:PATH runs; a failed build or
 *	verification puts PATH.prev back and rebuilds from it.
 *
 *	postmap exits 0 on malformed input with only a warning, so any
 *	output on its stderr is a failure.
 *
 *	mapinstall_index_path gives the index file name of a map type.
 *
 * OWNERSHIP
 *	Temp files are removed on every failure path.
 *
 * DIAGNOSTICS
 *	-1 with *step set to "write", "postmap", "verify" or "install" and
 *	the reason (with postmap's exit status and stderr) in err.
 *
 * SECURITY
 *	Runs as the user that owns the map (root on a stock Debian). argv
 *	is fixed: the binary and directory from the config, the type from a
 *	fixed set, paths built here. The text must have been validated by
 *	render.
 */
#ifndef POSTROUTE_MAPINSTALL_H
#define POSTROUTE_MAPINSTALL_H

#include "strbuf.h"
#include "timings.h"

struct mapinstall {
	const char *postmap;       /* absolute path of postmap */
	const char *config_dir;    /* Postfix config directory (-c) */
	const char *map_type;      /* "hash", "cdb" or "lmdb" */
	const char *path;          /* the transport source file */
	long timeout_ms;           /* per postmap run */
};

/* Sets t's write, postmap, verify and install as each step ends. */
int mapinstall_run(const struct mapinstall *mi, const char *text, struct timings *t,
    const char **step, struct strbuf *err);

/* "PATH.db", "PATH.cdb" or "PATH.lmdb"; caller frees. */
char *mapinstall_index_path(const char *map_type, const char *path);

/* Compares a postmap -s dump with the entry lines of a rendered file:
 * 0 when they hold the same key/value pairs. */
int mapinstall_compare(const char *dump, const char *body, struct strbuf *err);

#endif
