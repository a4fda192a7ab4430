/*
 * mastercf.c: parse `postconf -M` output (see mastercf.h).
 *
 * postconf -M prints one service per line: "name type private unpriv
 * chroot wakeup maxproc command args"; with long commands it may fold
 * onto lines that start with whitespace, which are skipped here.
 */
#include "mastercf.h"

#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "strarr.h"
#include "validate.h"
#include "xalloc.h"

void
mastercf_clear(struct mastercf *mc)
{
	mc->names = strarr_free(mc->names, mc->n);
	mc->n = 0;
}

void
mastercf_parse(const char *text, struct mastercf *mc)
{
	size_t cap = 0;

	mc->names = NULL;
	mc->n = 0;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		size_t k = strcspn(p, " \t\n");
		if (k > 0 && k < len && *p != '#') {
			const char *t = p + k + strspn(p + k, " \t");
			if (strncmp(t, "unix", 4) == 0 && (t[4] == ' ' || t[4] == '\t')) {
				if (mc->n == cap)
					mc->names = xrealloc(mc->names, (cap = cap ? cap * 2 : 32) * sizeof(char *));
				mc->names[mc->n++] = xstrndup(p, k);
			}
		}
		p += len + (p[len] == '\n');
	}
}

int
mastercf_has(const struct mastercf *mc, const char *service)
{
	for (size_t i = 0; i < mc->n; i++) {
		if (strcmp(mc->names[i], service) == 0)
			return 1;
	}
	return 0;
}

int
mastercf_load(const char *postconf, const char *config_dir, long timeout_ms,
    struct mastercf *mc, struct strbuf *err)
{
	char *argv[] = { (char *)postconf, "-c", (char *)config_dir, "-M", NULL };
	struct proc_result res;
	int rc = -1;

	mc->names = NULL;
	mc->n = 0;
	if (proc_run(argv, NULL, timeout_ms, &res, err) != 0)
		goto done;
	if (res.status != 0 || res.err.len > 0) {
		strbuf_appendf(err, "postconf -M: exit %d: %.500s", res.status,
		    res.err.len ? strbuf_str(&res.err) : "(no output)");
		goto done;
	}
	mastercf_parse(strbuf_str(&res.out), mc);
	rc = 0;
done:
	proc_result_clear(&res);
	return rc;
}

int
mastercf_check(const struct mastercf *mc, const struct render_entry *e, size_t n,
    struct strbuf *err)
{
	char svc[VALIDATE_NEXTHOP_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		validate_nexthop_service(e[i].nexthop, svc, sizeof(svc));
		if (svc[0] != '\0' && !mastercf_has(mc, svc)) {
			strbuf_appendf(err, "entry %zu (%s): nexthop: service \"%s\" is not in master.cf",
			    i, e[i].domain, svc);
			return -1;
		}
	}
	return 0;
}
