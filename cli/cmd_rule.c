/*
 * cmd_rule.c: the controller's classifier rules: list, show, add, set,
 * remove, and test before they go live.
 *
 * add, set and remove are one request each to /v1/rules/NAME; the rule
 * is checked first with common/rulespec.h, the controller's and the
 * agents' own check, so that a bad pattern is a usage error with PCRE2's
 * message and nothing is sent.
 *
 * test runs the agent's own parser and classifier (agent/maillog.h,
 * agent/classify.h: this file alone includes agent headers) twice over a
 * mail log, or over one reply given on the command line: "before" with
 * the rules files (the default rules.conf, then each --rules) and the
 * controller's rules but NAME, "after" with NAME (the controller's, or
 * the one the options describe) tried first, as an agent would once it
 * is live. It prints every delivery result whose class, reroutable or
 * deciding rule changes, before -> after, and the totals. Deliveries are
 * attributed with the default providers.conf (or --providers) and the
 * controller's providers over it, as the agent does. Without the default
 * files (a host with the CLI but not the agent package) it says so and
 * goes on with the controller's rules and providers.
 *
 * Nothing here is fatal; every failure is an exit status and a message.
 */
#include "cmd_rule.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalogue.h"
#include "check.h"
#include "classify.h"
#include "datafile.h"
#include "maillog.h"
#include "rows.h"
#include "rulespec.h"
#include "xalloc.h"

static const struct rows_col rule_cols[] = {
	{ "RULE", "name", ROWS_VALUE },
	{ "CLASS", "class", ROWS_VALUE },
	{ "REROUTABLE", "reroutable", ROWS_VALUE },
	{ "PROVIDER", "provider", ROWS_VALUE },
	{ "PATTERN", "pattern", ROWS_VALUE },
	{ "AUTHOR", "author", ROWS_VALUE },
	{ "UPDATED", "updated_at", ROWS_TIME },
	{ NULL, NULL, ROWS_VALUE },
};

static int
rule_list(struct cli *cli, const struct args *a)
{
	(void)a;
	return rows_list(cli, "/v1/rules", "rules", rule_cols);
}

static int
rule_show(struct cli *cli, const struct args *a)
{
	return rows_show(cli, "rule", "rules", a->pos[0]);
}

/* The rule the options describe, over cur (the stored rule, or NULL);
 * checked with rulespec_check. -1 after a usage message. */
static int
rule_from_args(struct cli *cli, const struct args *a, const json_t *cur, struct rulespec *r)
{
	struct strbuf msg = STRBUF_INIT;
	int rc = 0;

	r->name = a->pos[0];
	r->pattern = a->npos > 1 ? a->pos[1] : json_string_value(json_object_get(cur, "pattern"));
	r->cls = args_get(a, "class") ? args_get(a, "class") :
	    json_string_value(json_object_get(cur, "class"));
	r->reroutable = args_get(a, "reroutable") ? args_get(a, "reroutable") :
	    json_string_value(json_object_get(cur, "reroutable"));
	r->provider = args_has(a, "every-provider") ? NULL : args_get(a, "provider") ?
	    args_get(a, "provider") : json_string_value(json_object_get(cur, "provider"));
	r->note = args_get(a, "note") ? args_get(a, "note") :
	    json_string_value(json_object_get(cur, "note"));
	if (args_has(a, "every-provider") && args_has(a, "provider")) {
		verb_error(cli, "--provider and --every-provider exclude each other");
		return -1;
	}
	if (rulespec_check(r, &msg) != 0) {
		/* "class: required" reads better as the option the user omitted */
		const char *m = strbuf_str(&msg);
		if (strcmp(m, "class: required") == 0 || strcmp(m, "reroutable: required") == 0)
			verb_error(cli, "--%.*s is required", (int)strcspn(m, ":"), m);
		else if (strcmp(m, "pattern: required") == 0)
			verb_error(cli, "PATTERN is required (after NAME)");
		else
			verb_error(cli, "%s", m);
		rc = -1;
	}
	strbuf_clear(&msg);
	return rc;
}

/* The body of a PUT: the rule the options describe over cur. */
static int
rule_fill(struct cli *cli, const struct args *a, const json_t *cur, json_t *body)
{
	struct rulespec r;

	if (rule_from_args(cli, a, cur, &r) != 0)
		return -1;
	json_object_set_new(body, "pattern", json_string(r.pattern));
	json_object_set_new(body, "class", json_string(r.cls));
	json_object_set_new(body, "reroutable", json_string(r.reroutable));
	json_object_set_new(body, "provider", r.provider ? json_string(r.provider) : json_null());
	if (r.note != NULL)
		json_object_set_new(body, "note", json_string(r.note));
	return 0;
}

/* add (must not exist) and set (must exist): GET, check, PUT. */
static int
rule_put(struct cli *cli, const struct args *a)
{
	int adding = strcmp(cli->verb, "rule add") == 0;
	json_t *res;
	int rc = rows_put(cli, "rule", "rules", a, adding, rule_fill, &res);

	if (rc == CLIENT_OK && cli->format != OUTPUT_JSON)
		fprintf(cli->out, "rule %s %s (routing version %lld)\n", a->pos[0],
		    adding ? "added" : "changed",
		    (long long)json_integer_value(json_object_get(res, "version")));
	json_decref(res);
	return rc;
}

static int
rule_remove(struct cli *cli, const struct args *a)
{
	return rows_remove(cli, "rule", "rules", a);
}

/* ---- test ---- */

struct rule_test {
	struct classify *before, *after;
	struct catalogue *cat;
	json_t *changes;           /* [{queue_id, provider, before, after}] */
	long long deliveries, failed, changed;
};

/* The controller's rules but skip, as rulespecs borrowing from doc. */
static struct rulespec *
rule_specs(const json_t *doc, const char *skip, size_t *n)
{
	const json_t *arr = rows_array(doc, "rules");
	struct rulespec *v = xcalloc(json_array_size(arr) + 1, sizeof(*v));
	size_t i;
	json_t *o;

	*n = 0;
	json_array_foreach(arr, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		if (name == NULL || strcmp(name, skip) == 0)
			continue;
		v[(*n)++] = (struct rulespec){ name,
			json_string_value(json_object_get(o, "pattern")),
			json_string_value(json_object_get(o, "class")),
			json_string_value(json_object_get(o, "reroutable")),
			json_string_value(json_object_get(o, "provider")), NULL };
	}
	return v;
}

/* The files' rules then the controller's (but the rule tested). */
static struct classify *
rule_classifier(struct cli *cli, const struct args *a, const json_t *ctl, const char *skip,
    int quiet)
{
	struct classify *c = classify_new();
	struct strbuf err = STRBUF_INIT;
	char *def = datafile_find("rules.conf", &err);
	const char *f;
	size_t n;
	struct rulespec *v;

	if (def == NULL) {
		/* the Debian package postroute-agent ships it, postroute does not */
		if (!quiet)
			verb_note(cli, "no default rules.conf here (it comes with postroute-agent): testing"
			    " with the controller's rules and --rules only");
		strbuf_reset(&err);
	} else if (classify_load(c, def, &err) != 0) {
		goto fail;
	}
	for (size_t i = 0; (f = args_get_nth(a, "rules", i)) != NULL; i++)
		if (classify_load(c, f, &err) != 0)
			goto fail;
	v = rule_specs(ctl, skip, &n);
	classify_add_specs(c, v, n, &err);
	if (err.len > 0 && !quiet)   /* the controller's rules that do not compile here */
		verb_note(cli, "%.*s", (int)err.len - 1, err.buf);
	free(v);
	free(def);
	strbuf_clear(&err);
	return c;
fail:
	verb_error(cli, "%.*s", (int)(err.len > 0 ? err.len - 1 : 0), err.buf ? err.buf : "");
	free(def);
	strbuf_clear(&err);
	return classify_free(c);
}

/* The default providers.conf (or --providers) and the controller's over it. */
static struct catalogue *
rule_catalogue(struct cli *cli, const struct args *a, const json_t *providers)
{
	struct catalogue *cat = catalogue_new();
	struct strbuf err = STRBUF_INIT;
	char *path = args_get(a, "providers") ? xstrdup(args_get(a, "providers")) :
	    datafile_find("providers.conf", &err);
	const json_t *arr = rows_array(providers, "providers");
	size_t i;
	json_t *p;

	if (path == NULL) {
		verb_note(cli, "no default providers.conf here (it comes with postroute-agent):"
		    " attributing with the controller's providers only");
	} else if (catalogue_load(cat, path, &err) != 0) {
		verb_error(cli, "%.*s", (int)(err.len > 0 ? err.len - 1 : 0), err.buf ? err.buf : "");
		cat = catalogue_free(cat);
		goto out;
	}
	json_array_foreach(arr, i, p) {
		json_t *d = json_object_get(p, "domains"), *m = json_object_get(p, "mx_patterns");
		const char **dv = xcalloc(json_array_size(d) + 1, sizeof(*dv));
		const char **mv = xcalloc(json_array_size(m) + 1, sizeof(*mv));
		for (size_t k = 0; k < json_array_size(d); k++)
			dv[k] = json_string_value(json_array_get(d, k));
		for (size_t k = 0; k < json_array_size(m); k++)
			mv[k] = json_string_value(json_array_get(m, k));
		strbuf_reset(&err);
		catalogue_merge(cat, json_string_value(json_object_get(p, "name")), dv,
		    json_array_size(d), mv, json_array_size(m), &err);
		free(dv), free(mv);
	}
out:
	free(path);
	strbuf_clear(&err);
	return cat;
}

static json_t *
rule_verdict(const struct classify_result *r)
{
	return json_pack("{s:s, s:s, s:s}", "class", classify_class_name(r->cls),
	    "reroutable", classify_reroute_name(r->reroutable), "rule", r->rule);
}

/* One delivery: classified before and after; noted when it changes (or
 * always, for a reply given on the command line). */
static void
rule_test_rec(struct rule_test *t, const struct maillog_rec *rec, const char *provider, int always)
{
	struct classify_result b, a;

	t->deliveries++;
	if (rec->status == MAILLOG_STATUS_SENT)
		return;
	t->failed++;
	classify_delivery(t->before, rec, provider, &b);
	classify_delivery(t->after, rec, provider, &a);
	int changed = b.cls != a.cls || b.reroutable != a.reroutable || strcmp(b.rule, a.rule) != 0;
	t->changed += changed;
	if (!changed && !always)
		return;
	json_array_append_new(t->changes, json_pack("{s:s%, s:s, s:o, s:o, s:b}",
	    "queue_id", rec->queue_id.p, rec->queue_id.len, "provider", provider,
	    "before", rule_verdict(&b), "after", rule_verdict(&a), "changed", changed));
}

static int
rule_test_log(struct cli *cli, struct rule_test *t, const char *path)
{
	FILE *fp = fopen(path, "r");
	struct maillog_clock clk;
	struct maillog_rec rec;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (fp == NULL) {
		verb_error(cli, "--log %s: %s", path, strerror(errno));
		return -1;
	}
	maillog_clock_init(&clk, fstat(fileno(fp), &st) == 0 ? st.st_mtime : 0);
	while ((n = getline(&line, &cap, fp)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (maillog_parse_line(line, (size_t)n, &clk, &rec) != MAILLOG_DELIVERY)
			continue;
		enum catalogue_how how;
		const char *provider = catalogue_match(t->cat, rec.relay_host.p, rec.relay_host.len,
		    rec.domain.p, rec.domain.len, &how);
		rule_test_rec(t, &rec, provider ? provider : "other", 0);
	}
	free(line);
	fclose(fp);
	return 0;
}

/* The reply as the delivery line Postfix would log for it. */
static int
rule_test_reply(struct cli *cli, struct rule_test *t, const char *reply, const char *provider)
{
	struct maillog_clock clk;
	struct maillog_rec rec;
	char dsn[16] = "4.0.0";
	const char *p = reply + strspn(reply, "0123456789");
	int rc = 0;

	if (check_text(cli, "--reply", reply, 4000) != 0)
		return -1;
	/* "421 4.7.0 ..." gives the enhanced code, else the reply code's class */
	if (p - reply == 3 && (*p == ' ' || *p == '-') && p[1] >= '2' && p[1] <= '5' && p[2] == '.') {
		size_t k = strspn(p + 1, "0123456789.");
		snprintf(dsn, sizeof(dsn), "%.*s", (int)(k < sizeof(dsn) - 1 ? k : sizeof(dsn) - 1), p + 1);
	} else if (reply[0] == '5') {
		dsn[0] = '5';
	}
	char *line = xasprintf("Jan  1 00:00:00 cli postfix/smtp[1]: REPLY: to=<user@reply.invalid>,"
	    " relay=reply.invalid[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=%s, status=%s"
	    " (host reply.invalid[192.0.2.1] said: %s (in reply to RCPT TO command))", dsn,
	    dsn[0] == '5' ? "bounced" : "deferred", reply);
	maillog_clock_init(&clk, 0);
	if (maillog_parse_line(line, strlen(line), &clk, &rec) != MAILLOG_DELIVERY) {
		verb_error(cli, "--reply: not read as an SMTP reply (%s)", rec.error ? rec.error : "?");
		rc = -1;
	} else {
		rule_test_rec(t, &rec, provider ? provider : "other", 1);
	}
	free(line);
	return rc;
}

static void
rule_test_print(struct cli *cli, const struct rule_test *t, const char *name)
{
	static const char *hdr[] = { "QUEUE ID", "PROVIDER", "BEFORE", "AFTER" };
	struct table *tab;
	size_t i;
	json_t *c;

	if (cli->format == OUTPUT_JSON) {
		json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:O}", "rule", name,
		    "deliveries", (json_int_t)t->deliveries, "failed", (json_int_t)t->failed,
		    "changed", (json_int_t)t->changed, "changes", t->changes);
		output_json(cli->out, o);
		json_decref(o);
		return;
	}
	tab = output_table_new(4, hdr);
	json_array_foreach(t->changes, i, c) {
		char *v[2];
		const char *keys[] = { "before", "after" };
		for (int k = 0; k < 2; k++) {
			json_t *r = json_object_get(c, keys[k]);
			v[k] = xasprintf("%s/%s (%s)", json_string_value(json_object_get(r, "class")),
			    json_string_value(json_object_get(r, "reroutable")),
			    json_string_value(json_object_get(r, "rule")));
		}
		const char *cells[] = { json_string_value(json_object_get(c, "queue_id")),
			json_string_value(json_object_get(c, "provider")), v[0], v[1] };
		output_table_add(tab, cells);
		free(v[0]), free(v[1]);
	}
	if (json_array_size(t->changes) > 0)
		output_table_print(cli->out, cli->format, tab);
	output_table_free(tab);
	fprintf(cli->out, "%lld delivery results, %lld failed, %lld changed by rule %s\n",
	    t->deliveries, t->failed, t->changed, name);
}

static int
rule_test(struct cli *cli, const struct args *a)
{
	const char *name = a->pos[0], *log = args_get(a, "log"), *reply = args_get(a, "reply");
	struct strbuf err = STRBUF_INIT;
	struct rule_test t = { 0 };
	json_t *all = NULL, *providers = NULL, *cur = NULL;
	struct rulespec r;
	int rc;

	if (check_name(cli, "rule", name) != 0)
		return CLIENT_USAGE;
	if ((log == NULL) == (reply == NULL)) {
		verb_error(cli, "give one of --log FILE or --reply TEXT");
		return CLIENT_USAGE;
	}
	rc = rows_get(cli, "rules", NULL, &all, NULL, &err);
	if (rc == CLIENT_OK)
		rc = client_call(cli->api, "GET", "/v1/providers", NULL, &providers, NULL, &err);
	if (rc == CLIENT_OK && a->npos == 1) {
		/* the controller's rule NAME */
		const json_t *arr = rows_array(all, "rules");
		size_t i;
		json_t *o;
		json_array_foreach(arr, i, o) {
			const char *n = json_string_value(json_object_get(o, "name"));
			if (n != NULL && strcmp(n, name) == 0)
				cur = o;
		}
		if (cur == NULL && !args_has(a, "class")) {
			strbuf_appendf(&err, "no rule %s on the controller: give PATTERN and --class,"
			    " --reroutable to test a new one", name);
			rc = CLIENT_FAILED;
		}
	}
	if (rc != CLIENT_OK) {
		verb_fail(cli, rc, &err);
		goto out;
	}
	if (rule_from_args(cli, a, cur, &r) != 0) {
		rc = CLIENT_USAGE;
		goto out;
	}
	t.changes = json_array();
	t.before = rule_classifier(cli, a, all, name, 0);
	t.after = rule_classifier(cli, a, all, name, 1);
	t.cat = rule_catalogue(cli, a, providers);
	if (t.before == NULL || t.after == NULL || t.cat == NULL) {
		rc = CLIENT_USAGE;
		goto out;
	}
	classify_add_specs(t.after, &r, 1, &err);
	if ((log != NULL ? rule_test_log(cli, &t, log) : rule_test_reply(cli, &t, reply,
	    r.provider)) != 0) {
		rc = CLIENT_USAGE;
		goto out;
	}
	rule_test_print(cli, &t, name);
out:
	classify_free(t.before), classify_free(t.after), catalogue_free(t.cat);
	json_decref(t.changes), json_decref(all), json_decref(providers);
	strbuf_clear(&err);
	return rc;
}

static const struct args_opt rule_no_opts[] = { { NULL, ARGS_FLAG, NULL, NULL } };

static const struct args_opt rule_reason_opts[] = {
	{ "reason", ARGS_VALUE, "TEXT", "why (recorded in the history)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

#define RULE_FIELD_OPTS \
	{ "class", ARGS_VALUE, "CLASS", "what the reply means (block, rate_limit, reputation, ...)" }, \
	{ "reroutable", ARGS_VALUE, "yes|no|ambiguous", "would another relay (source IP) help?" }, \
	{ "provider", ARGS_VALUE, "PROVIDER", "only for this provider's deliveries (default: any)" }

static const struct args_opt rule_put_opts[] = {
	RULE_FIELD_OPTS,
	{ "every-provider", ARGS_FLAG, NULL, "on set: for every provider again" },
	{ "note", ARGS_VALUE, "TEXT", "a note kept with the rule" },
	{ "reason", ARGS_VALUE, "TEXT", "why (recorded in the history)" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

static const struct args_opt rule_test_opts[] = {
	RULE_FIELD_OPTS,
	{ "log", ARGS_VALUE, "FILE", "a Postfix mail log to classify" },
	{ "reply", ARGS_VALUE, "TEXT", "one SMTP reply to classify" },
	{ "rules", ARGS_LIST, "FILE", "a local rules file, as [logwatch] rules (after rules.conf)" },
	{ "providers", ARGS_VALUE, "FILE", "providers file instead of the default providers.conf" },
	{ NULL, ARGS_FLAG, NULL, NULL },
};

const struct cli_verb cmd_rule_verbs[] = {
	{ "rule list", "", "list the controller's classifier rules",
	    "Lists the classifier rules stored by the controller, which every agent tries\n"
	    "before its rules files.\n\nexample:\n  postroute rule list", rule_no_opts, 0, 0, rule_list },
	{ "rule show", "NAME", "show one rule",
	    "Shows every field of rule NAME (its note, author and times included).\n\n"
	    "example:\n  postroute rule show acme-zx42", rule_no_opts, 1, 1, rule_show },
	{ "rule add",
	    "NAME --class CLASS --reroutable yes|no|ambiguous [--provider P] [--note TEXT]\n"
	    "       [--reason TEXT] PATTERN",
	    "add a classifier rule",
	    "Adds rule NAME: a reply that PATTERN (PCRE2, caseless) matches is CLASS, and\n"
	    "REROUTABLE says whether another relay would help. Agents apply it without a\n"
	    "restart, before their rules files. A pattern that does not compile is refused\n"
	    "with PCRE2's message. Try it first with \"postroute rule test\".\n\n"
	    "example:\n  postroute rule add acme-zx42 --class rate_limit --reroutable yes \\\n"
	    "      --provider acme '\\[ZX42\\] slow down'", rule_put_opts, 2, 2, rule_put },
	{ "rule set",
	    "NAME [--class CLASS] [--reroutable yes|no|ambiguous] [--provider P | --every-provider]\n"
	    "       [--note TEXT] [--reason TEXT] [PATTERN]",
	    "change a classifier rule",
	    "Changes the given fields of rule NAME; fails if it does not exist.\n\n"
	    "example:\n  postroute rule set acme-zx42 --reroutable ambiguous", rule_put_opts, 1, 2,
	    rule_put },
	{ "rule remove", "NAME [--reason TEXT]", "remove a classifier rule",
	    "Removes rule NAME; agents drop it without a restart.\n\n"
	    "example:\n  postroute rule remove acme-zx42 --reason \"Acme fixed their MX\"",
	    rule_reason_opts, 1, 1, rule_remove },
	{ "rule test",
	    "NAME [--class CLASS --reroutable yes|no|ambiguous [--provider P] PATTERN]\n"
	    "       (--log FILE | --reply TEXT) [--rules FILE...] [--providers FILE]",
	    "show what a rule would change",
	    "Classifies the delivery results of a mail log (--log), or one SMTP reply\n"
	    "(--reply), as the agents do now and as they would with rule NAME: the\n"
	    "controller's rule NAME, or the one the options describe (not stored).\n"
	    "Prints each result whose class, reroutable or rule changes, before -> after\n"
	    "as CLASS/REROUTABLE (RULE), then the totals. A reply is a delivery to\n"
	    "--provider (else \"other\"). Uses the default rules.conf and providers.conf,\n"
	    "the controller's rules and providers, and each --rules file.\n\n"
	    "examples:\n  postroute rule test acme-zx42 --class rate_limit --reroutable yes \\\n"
	    "      '\\[ZX42\\] slow down' --log /var/log/mail.log\n"
	    "  postroute rule test acme-zx42 --reply '421 4.7.0 [ZX42] slow down'",
	    rule_test_opts, 1, 2, rule_test },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};
