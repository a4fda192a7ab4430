/*
 * checkpf.c: the Postfix lines of `postroute-agent check` (see checkpf.h).
 */
#include "checkpf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maincf.h"
#include "mapinstall.h"
#include "mastercf.h"
#include "postfix.h"
#include "privsep.h"
#include "render.h"
#include "validate.h"
#include "xalloc.h"

static struct postfix
checkpf_postfix(const struct agent_config *cfg)
{
	struct postfix pf = agentconf_postfix(cfg);

	return pf;
}

/* The line of a maincf result; postconf failing is a FAIL with a hint. */
static void
checkpf_maincf_line(struct check *ck, const struct agent_config *cfg, const char *name,
    enum maincf_result r, const struct strbuf *m)
{
	if (r == MAINCF_ERROR)
		check_line(ck, CHECK_FAIL, name, "%s; check [postfix] config_directory (%s) and "
		    "command_directory (%s)", strbuf_str(m), cfg->config_directory,
		    cfg->command_directory);
	else
		check_line(ck, r == MAINCF_OK ? CHECK_OK : CHECK_FAIL, name, "%s", strbuf_str(m));
}

void
checkpf_maincf(struct check *ck, const struct agent_config *cfg)
{
	struct postfix pf = checkpf_postfix(cfg);
	struct strbuf m = STRBUF_INIT;

	checkpf_maincf_line(ck, cfg, "transport_maps",
	    maincf_transport(&pf, cfg->map_type, cfg->transport_file, &m), &m);
	strbuf_reset(&m);
	if (cfg->hold_map[0] == '\0')
		check_line(ck, CHECK_SKIP, "smtpd_sender_restrictions", "[postfix] hold_map is not "
		    "set (no held senders here)");
	else
		checkpf_maincf_line(ck, cfg, "smtpd_sender_restrictions",
		    maincf_hold(&pf, cfg->map_type, cfg->hold_map, &m), &m);
	strbuf_clear(&m);
}

/* ---- master.cf --------------------------------------------------------- */

/* Distinct service names, each with the first domain routed through it. */
struct checkpf_svcs {
	char **names;
	const char **domains;
	size_t n;
};

static void
checkpf_note(struct checkpf_svcs *v, const char *svc, const char *domain)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->names[i], svc) == 0)
			return;
	}
	v->names = xrealloc(v->names, (v->n + 1) * sizeof(*v->names));
	v->domains = xrealloc(v->domains, (v->n + 1) * sizeof(*v->domains));
	v->names[v->n] = xstrdup(svc);
	v->domains[v->n++] = domain;
}

/* "a, b" or, with domains, "a (gmail.com), b (yahoo.com)"; frees v. */
static void
checkpf_svcs_text(struct checkpf_svcs *v, int domains, struct strbuf *out)
{
	for (size_t i = 0; i < v->n; i++) {
		strbuf_appendf(out, "%s%s", i ? ", " : "", v->names[i]);
		if (domains)
			strbuf_appendf(out, " (%s)", v->domains[i]);
		free(v->names[i]);
	}
	free(v->names);
	free(v->domains);
}

void
checkpf_services(struct check *ck, const struct agent_config *cfg, const struct check_feed *cf)
{
	char *postconf = xasprintf("%s/postconf", cfg->command_directory);
	char svc[VALIDATE_NEXTHOP_MAX + 1];
	struct strbuf e = STRBUF_INIT, have = STRBUF_INIT, miss = STRBUF_INIT;
	struct checkpf_svcs vh = { 0 }, vm = { 0 };
	struct mastercf mc;

	if (cf->state <= 0) {
		check_line(ck, cf->state == 0 ? CHECK_SKIP : CHECK_FAIL, "master.cf", "%s%s",
		    cf->state == 0 ? "no feed to compare: " : "the node's feed does not parse: ",
		    strbuf_str(&cf->why));
		free(postconf);
		return;
	}
	if (mastercf_load(postconf, cfg->config_directory, (long)cfg->command_timeout_ms, &mc,
	    &e) != 0) {
		check_line(ck, CHECK_FAIL, "master.cf", "%s; check [postfix] config_directory and "
		    "command_directory", strbuf_str(&e));
		goto done;
	}
	for (size_t i = 0; i < cf->f.n; i++) {
		validate_nexthop_service(cf->f.entries[i].nexthop, svc, sizeof(svc));
		if (svc[0] != '\0')
			checkpf_note(mastercf_has(&mc, svc) ? &vh : &vm, svc, cf->f.entries[i].domain);
	}
	checkpf_svcs_text(&vh, 0, &have);
	checkpf_svcs_text(&vm, 1, &miss);
	if (miss.len > 0)
		check_line(ck, CHECK_FAIL, "master.cf", "the feed (version %lld) routes through "
		    "services that %s/master.cf lacks: %s; add each (for another source address, a "
		    "copy of the smtp line with -o smtp_bind_address=...), then postfix reload",
		    cf->f.version, cfg->config_directory, strbuf_str(&miss));
	else if (cf->f.n == 0)
		check_line(ck, CHECK_OK, "master.cf", "the feed (version %lld) routes no domain yet",
		    cf->f.version);
	else
		check_line(ck, CHECK_OK, "master.cf", "has every service the feed (version %lld, "
		    "%zu entries) routes through: %s", cf->f.version, cf->f.n, strbuf_str(&have));
	mastercf_clear(&mc);
done:
	strbuf_clear(&e), strbuf_clear(&have), strbuf_clear(&miss);
	free(postconf);
}

/* ---- postmap and postqueue ------------------------------------------- */

/* With [agent] user the helper runs name as root: 0 when it would. */
static int
checkpf_helper_ok(struct check *ck, const struct agent_config *cfg, const char *name)
{
	struct strbuf e = STRBUF_INIT;
	int rc = 0;

	if (cfg->user[0] == '\0')
		return 0;
	if (geteuid() != 0) {
		check_line(ck, CHECK_FAIL, name, "[agent] user is set, so the agent runs %s in its "
		    "root helper: run check as root, as the agent starts", name);
		rc = -1;
	} else if (privsep_trusted(cfg, &e) != 0) {
		check_line(ck, CHECK_FAIL, name, "the agent's root helper would refuse to run: %s",
		    strbuf_str(&e));
		rc = -1;
	}
	strbuf_clear(&e);
	return rc;
}

static const char *
checkpf_as(const struct agent_config *cfg)
{
	static char as[96];

	if (cfg->user[0] != '\0')
		snprintf(as, sizeof(as), "root (the helper of user %s)", cfg->user);
	else
		snprintf(as, sizeof(as), "%s", check_whoami());
	return as;
}

/* Removes every file of dir whose name starts with prefix. */
static void
checkpf_unlink_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			char *p = xasprintf("%s/%s", dir, de->d_name);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
}

/* A scratch copy of what the agent does for a change, in the map's
 * directory: 0, or -1 with *step and the reason. */
static int
checkpf_scratch(const struct agent_config *cfg, const char *dir, const char **step,
    struct strbuf *err)
{
	char *path = xasprintf("%s/.postroute-check.XXXXXX", dir);
	char *postmap = xasprintf("%s/postmap", cfg->command_directory);
	struct render_entry ent = { "postroute-check.invalid", "smtp:", NULL };
	struct strbuf text = STRBUF_INIT;
	struct timings t;
	int fd, rc = -1;

	*step = "write";
	if ((fd = mkstemp(path)) < 0) {
		strbuf_appendf(err, "cannot create a file in %s: %s", dir, strerror(errno));
		goto done;
	}
	close(fd);
	struct mapinstall mi = { postmap, cfg->config_directory, cfg->map_type, path,
	    (long)cfg->postmap_timeout_ms };
	if (render_transport(cfg->node, 0, &ent, 1, &text, err) == 0)
		rc = mapinstall_run(&mi, strbuf_str(&text), &t, step, err);
	checkpf_unlink_prefix(dir, strrchr(path, '/') + 1);
done:
	strbuf_clear(&text);
	free(path), free(postmap);
	return rc;
}

void
checkpf_postmap(struct check *ck, const struct agent_config *cfg)
{
	const char *slash = strrchr(cfg->transport_file, '/'), *step = "write";
	char *dir = xstrndup(cfg->transport_file, slash > cfg->transport_file ?
	    (size_t)(slash - cfg->transport_file) : 1);
	struct strbuf e = STRBUF_INIT;

	if (checkpf_helper_ok(ck, cfg, "postmap") != 0)
		goto done;
	if (checkpf_scratch(cfg, dir, &step, &e) != 0) {
		const char *s = strbuf_str(&e);
		check_line(ck, CHECK_FAIL, "postmap", "a scratch %s map in %s as %s failed at %s: "
		    "%s; %s", cfg->map_type, dir, checkpf_as(cfg), step, s,
		    strstr(s, "cannot execute") != NULL ? "set [postfix] command_directory to the "
		    "directory of postmap, postconf, postfix and postqueue (/usr/sbin on Debian)" :
		    strcmp(step, "write") == 0 ? "the agent writes transport_file in this directory" :
		    "the agent runs postmap the same way for every change");
	} else {
		check_line(ck, CHECK_OK, "postmap", "a scratch %s map was built, read back and "
		    "installed in %s as %s, then removed", cfg->map_type, dir, checkpf_as(cfg));
	}
done:
	strbuf_clear(&e);
	free(dir);
}

void
checkpf_postqueue(struct check *ck, const struct agent_config *cfg)
{
	struct postfix pf = checkpf_postfix(cfg);
	struct strbuf e = STRBUF_INIT;

	if (strcmp(cfg->requeue, "none") == 0 && cfg->hold_map[0] == '\0') {
		check_line(ck, CHECK_SKIP, "postqueue", "not used here (requeue = none, no hold_map)");
		return;
	}
	if (checkpf_helper_ok(ck, cfg, "postqueue") != 0)
		goto done;
	if (postfix_queue_print(&pf, &e) != 0)
		check_line(ck, CHECK_FAIL, "postqueue", "%s (as %s); the agent lists and pushes the "
		    "queue with it (requeue, held mail): %s", strbuf_str(&e), checkpf_as(cfg),
		    strstr(strbuf_str(&e), "cannot execute") != NULL ? "set [postfix] "
		    "command_directory to the directory of postqueue (/usr/sbin on Debian)" :
		    geteuid() != 0 ? "as a user other than root, postqueue accepts only Postfix's "
		    "default config_directory and needs its setgid bit (NoNewPrivileges=no)" :
		    "check that Postfix is installed and its queue directory intact (postfix check)");
	else
		check_line(ck, CHECK_OK, "postqueue", "postqueue -p lists the queue of %s as %s",
		    cfg->config_directory, checkpf_as(cfg));
done:
	strbuf_clear(&e);
}
