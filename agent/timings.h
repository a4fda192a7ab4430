/*
 * timings.h: how long each step of an apply took.
 *
 * NAME
 *	timings - one duration per apply step, and the steps' names
 *
 * SYNOPSIS
 *	struct timings t;
 *
 *	timings_init(&t);
 *	t.ms[TIMINGS_POSTMAP] = ...;
 *	timings_merge(&into, &t);
 *
 * DESCRIPTION
 *	The steps of an apply, in the order the sync loop runs them (sync.h),
 *	with their names in timings_names (NULL-terminated, parallel to the
 *	enum): render (which includes the validation), mastercf, write,
 *	postmap, verify, install, reload, requeue, holds, state, total. These
 *	names are the keys of durations_ms in the agent's report
 *	(docs/api.md) and the step label of its metrics (agentmetrics.h).
 *	mapinstall fills write to install, apply reload and requeue, the sync
 *	loop the rest; the privileged helper sends the whole array back
 *	(privsep.c).
 *
 *	A duration is in milliseconds; a negative one means the step did not
 *	run (and is left out of the report). timings_init sets every step to
 *	-1; timings_merge copies the steps that ran from one set to another.
 *
 * OWNERSHIP
 *	Plain values; timings_names is static.
 */
#ifndef POSTROUTE_TIMINGS_H
#define POSTROUTE_TIMINGS_H

enum timings_step {
	TIMINGS_RENDER,
	TIMINGS_MASTERCF,
	TIMINGS_WRITE,
	TIMINGS_POSTMAP,
	TIMINGS_VERIFY,
	TIMINGS_INSTALL,
	TIMINGS_RELOAD,
	TIMINGS_REQUEUE,
	TIMINGS_HOLDS,
	TIMINGS_STATE,
	TIMINGS_TOTAL,
	TIMINGS_N
};

struct timings {
	long ms[TIMINGS_N];
};

extern const char *const timings_names[TIMINGS_N + 1];

void timings_init(struct timings *t);
void timings_merge(struct timings *into, const struct timings *from);

#endif
