/*
 * state.h: what the agent applied, kept across restarts.
 *
 * NAME
 *	state - applied version and checksum in state_dir
 *
 * DESCRIPTION
 *	STATE_DIR/state holds two lines, "version V" and "sha256 HEX" (the
 *	checksum of the transport file as installed), and a third,
 *	"maincf failed", when the last report of version V said that
 *	Postfix does not use the agent's maps (maincf.h), so that a restart
 *	after main.cf was fixed reports it applied; STATE_DIR/transport
 *	holds a copy of that file, to restore a map changed by hand and to
 *	know the previous routes after a restart. Both are written to a temp
 *	file, fsynced and renamed (atomicfile.h), the copy first, so the
 *	state never names a file that is not there.
 *
 *	With [postfix] hold_map set, STATE_DIR/hold holds a copy of the hold
 *	map (holdmap.h) whose senders are applied completely: installed, and
 *	the held mail of senders taken off it released. It is written before
 *	the state file; a missing one is "no hold map applied" (NULL).
 *
 *	A missing state file is "nothing applied yet" (version -1). A
 *	state file is opened without following a link and without
 *	blocking: a symbolic link, anything but a regular file (a FIFO
 *	would hang the agent), a file with more than one link or one owned
 *	by another user is refused with what it is.
 *
 * OWNERSHIP
 *	struct state owns text and hold_text: state_clear.
 *
 * DIAGNOSTICS
 *	-1 with path and reason in err. A state file that does not parse is
 *	an error (not silently "nothing applied"): an operator must look.
 */
#ifndef POSTROUTE_STATE_H
#define POSTROUTE_STATE_H

#include "sha256.h"
#include "strbuf.h"

struct state {
	long long version;                 /* -1: nothing applied */
	char sha256[SHA256_HEX_LEN + 1];   /* of text */
	char *text;                        /* the installed transport file, or NULL */
	char *hold_text;                   /* the applied hold map, or NULL */
	int maincf_failed;                 /* version was reported failed: main.cf */
};

int state_load(const char *dir, struct state *st, struct strbuf *err);
int state_save(const char *dir, const struct state *st, struct strbuf *err);
void state_clear(struct state *st);

#endif
