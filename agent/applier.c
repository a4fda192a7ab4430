/*
 * applier.c: the calls of an applier, and the one that runs them here
 * (see applier.h).
 */
#include "applier.h"

#include "apply.h"

static int
local_install(const struct applier *a, const char *text, struct timings *t, const char **step,
    struct strbuf *err)
{
	return apply_install(a->cfg, text, t, step, err);
}

static int
local_hold_install(const struct applier *a, const char *text, struct timings *t,
    const char **step, struct strbuf *err)
{
	return apply_hold_install(a->cfg, text, t, step, err);
}

static int
local_activate(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err)
{
	return apply_activate(a->cfg, moved, nmoved, t, step, err);
}

static int
local_sweep(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err)
{
	return apply_sweep(a->cfg, moved, nmoved, t, step, err);
}

static int
local_release(const struct applier *a, char **removed, const long long *since, size_t nremoved,
    char **held, size_t nheld, const char **step, struct strbuf *err)
{
	return apply_hold_release(a->cfg, removed, since, nremoved, held, nheld, step, err);
}

static const struct applier_ops applier_local_ops = {
	local_install, local_hold_install, local_activate, local_sweep, local_release,
};

void
applier_local(struct applier *a, const struct agent_config *cfg)
{
	a->ops = &applier_local_ops;
	a->cfg = cfg;
	a->fd = -1;
}

int
applier_install(const struct applier *a, const char *text, struct timings *t,
    const char **step, struct strbuf *err)
{
	return a->ops->install(a, text, t, step, err);
}

int
applier_hold_install(const struct applier *a, const char *text, struct timings *t,
    const char **step, struct strbuf *err)
{
	return a->ops->hold_install(a, text, t, step, err);
}

int
applier_activate(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err)
{
	return a->ops->activate(a, moved, nmoved, t, step, err);
}

int
applier_sweep(const struct applier *a, char **moved, size_t nmoved, struct timings *t,
    const char **step, struct strbuf *err)
{
	return a->ops->sweep(a, moved, nmoved, t, step, err);
}

int
applier_release(const struct applier *a, char **removed, const long long *since,
    size_t nremoved, char **held, size_t nheld, const char **step, struct strbuf *err)
{
	return a->ops->release(a, removed, since, nremoved, held, nheld, step, err);
}
