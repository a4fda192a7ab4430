/*
 * apply.c: map install, reload and requeue for one configuration (see apply.h).
 */
#include "apply.h"

#include <stdlib.h>
#include <string.h>

#include "holdq.h"
#include "log.h"
#include "mapinstall.h"
#include "monotime.h"
#include "postfix.h"
#include "xalloc.h"

static int
apply_map(const struct agent_config *cfg, const char *path, const char *text,
    struct timings *t, const char **step, struct strbuf *err)
{
	char *postmap = xasprintf("%s/postmap", cfg->command_directory);
	struct mapinstall mi = { postmap, cfg->config_directory, cfg->map_type,
	    path, (long)cfg->postmap_timeout_ms };
	int rc = mapinstall_run(&mi, text, t, step, err);

	free(postmap);
	return rc;
}

int
apply_install(const struct agent_config *cfg, const char *text, struct timings *t,
    const char **step, struct strbuf *err)
{
	return apply_map(cfg, cfg->transport_file, text, t, step, err);
}

int
apply_hold_install(const struct agent_config *cfg, const char *text, struct timings *t,
    const char **step, struct strbuf *err)
{
	if (cfg->hold_map[0] == '\0') {
		*step = "install";
		strbuf_append(err, "[postfix] hold_map is not set");
		return -1;
	}
	return apply_map(cfg, cfg->hold_map, text, t, step, err);
}

int
apply_hold_release(const struct agent_config *cfg, char **removed, const long long *since,
    size_t nremoved, char **held, size_t nheld, const char **step, struct strbuf *err)
{
	struct postfix pf = agentconf_postfix(cfg);
	struct holdq_stats st;

	*step = "release";
	return holdq_release(&pf, removed, since, nremoved, held, nheld, (size_t)cfg->requeue_max,
	    &st, err);
}

/* Drops from ids[0..*n) those in done[0..ndone); frees them. */
static void
apply_ids_without(char **ids, size_t *n, char **done, size_t ndone)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		size_t j = 0;
		while (j < ndone && strcmp(ids[i], done[j]) != 0)
			j++;
		if (j < ndone)
			free(ids[i]);
		else
			ids[k++] = ids[i];
	}
	*n = k;
}

/* Lists the waiting mail of the moved domains and pushes it, but for the
 * ids in done (pushed a moment ago: the queue may not show it yet). */
static int
apply_requeue_pass(const struct postfix *pf, char **moved, size_t nmoved, size_t max,
    char **done, size_t ndone, struct postfix_requeue_stats *rs, struct strbuf *err)
{
	char **ids = NULL;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (postfix_queue_list(pf, moved, nmoved, rs, &ids, err) != 0)
		return -1;
	apply_ids_without(ids, &rs->selected, done, ndone);
	rc = postfix_queue_push(pf, ids, max, rs, err);
	postfix_ids_free(ids, rs->selected);
	return rc;
}

int
apply_sweep(const struct agent_config *cfg, char **moved, size_t nmoved,
    struct timings *t, const char **step, struct strbuf *err)
{
	struct postfix pf = agentconf_postfix(cfg);
	struct postfix_requeue_stats rs;
	long t0 = monotime_ms();
	int rc;

	*step = "requeue";
	rc = apply_requeue_pass(&pf, moved, nmoved, (size_t)cfg->requeue_max, NULL, 0, &rs, err);
	if (rc == 0 && rs.selected > 0)
		log_info("requeue: %zu more deferred message(s) of the moved domains pushed",
		    rs.pushed);
	t->ms[TIMINGS_REQUEUE] = monotime_ms() - t0;
	return rc;
}

int
apply_activate(const struct agent_config *cfg, char **moved, size_t nmoved,
    struct timings *t, const char **step, struct strbuf *err)
{
	struct postfix pf = agentconf_postfix(cfg);
	struct postfix_requeue_stats rs, again;
	long t0 = monotime_ms(), listed_ms = 0;
	char **ids = NULL;
	int rc = -1, by_id = strcmp(cfg->requeue, "moved") == 0;

	memset(&rs, 0, sizeof(rs));
	memset(&again, 0, sizeof(again));
	*step = "requeue";
	if (by_id) {
		/* listed before the reload: it does not depend on the map, and
		 * showq would be restarted by the reload first */
		if (postfix_queue_list(&pf, moved, nmoved, &rs, &ids, err) != 0)
			goto done;
		listed_ms = monotime_ms() - t0, t0 = monotime_ms();
	}
	*step = "reload";
	if (strcmp(cfg->reload, "always") == 0 && postfix_reload(&pf, err) != 0)
		goto done;
	t->ms[TIMINGS_RELOAD] = monotime_ms() - t0, t0 = monotime_ms();
	*step = "requeue";
	if (by_id ? postfix_queue_push(&pf, ids, (size_t)cfg->requeue_max, &rs, err) != 0 :
	    strcmp(cfg->requeue, "all") == 0 && postfix_queue_flush(&pf, &rs, err) != 0)
		goto done;
	if (by_id && !rs.flushed && apply_requeue_pass(&pf, moved, nmoved,
	    (size_t)cfg->requeue_max, ids, rs.selected, &again, err) != 0)
		goto done;   /* deferred between the listing and the reload: pushed too */
	if (rs.selected || rs.flushed || again.selected)
		log_info("requeue: %zu deferred message(s) for %zu moved domain(s): %zu pushed%s",
		    rs.selected + again.selected, nmoved, rs.pushed + again.pushed,
		    rs.flushed || again.flushed ? ", queue flushed" : "");
	t->ms[TIMINGS_REQUEUE] = listed_ms + monotime_ms() - t0;
	rc = 0;
done:
	postfix_ids_free(ids, ids ? rs.selected : 0);
	return rc;
}
