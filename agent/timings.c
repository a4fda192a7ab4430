/*
 * timings.c: the apply steps' durations and names (see timings.h).
 */
#include "timings.h"

const char *const timings_names[TIMINGS_N + 1] = {
	[TIMINGS_RENDER] = "render",
	[TIMINGS_MASTERCF] = "mastercf",
	[TIMINGS_WRITE] = "write",
	[TIMINGS_POSTMAP] = "postmap",
	[TIMINGS_VERIFY] = "verify",
	[TIMINGS_INSTALL] = "install",
	[TIMINGS_RELOAD] = "reload",
	[TIMINGS_REQUEUE] = "requeue",
	[TIMINGS_HOLDS] = "holds",
	[TIMINGS_STATE] = "state",
	[TIMINGS_TOTAL] = "total",
	[TIMINGS_N] = 0,
};

void
timings_init(struct timings *t)
{
	for (int i = 0; i < TIMINGS_N; i++)
		t->ms[i] = -1;
}

void
timings_merge(struct timings *into, const struct timings *from)
{
	for (int i = 0; i < TIMINGS_N; i++)
		if (from->ms[i] >= 0)
			into->ms[i] = from->ms[i];
}
