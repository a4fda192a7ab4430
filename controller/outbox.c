/*
 * outbox.c: INSERT INTO notify_outbox, with the ten-minute repeat window.
 */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "xalloc.h"

#define OUTBOX_TEXT_MAX 12000

/* text cut to at most max octets, at a UTF-8 character boundary; caller frees. */
static char *
outbox_cut(const char *text, size_t max)
{
	size_t n = strlen(text);

	if (n <= max)
		return xstrdup(text);
	n = max;
	while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--;
	return xasprintf("%.*s ...", (int)n, text);
}

int
outbox_put(PGconn *c, const struct notice *n, struct strbuf *err)
{
	char *text = outbox_cut(n->text, OUTBOX_TEXT_MAX), *id = NULL;
	const char *p[] = { n->key, n->resolve ? "resolve" : "trigger", n->incident,
		n->severity ? n->severity : "warning", n->source ? n->source : "postroute", text };
	PGresult *fail = NULL;
	int rc;

	log_info("notify: %s", n->text);
	/* The window's row is taken with ON CONFLICT: of two controllers
	 * queueing the same key at once, one waits for the other's commit
	 * and then sees its row. A resolve ends the window of its incident's
	 * trigger: a block that opens again after its clear is told again. */
	rc = db_one(c, "WITH gone AS (DELETE FROM notify_recent WHERE $2 = 'resolve' AND key = $3"
	    "  RETURNING 1),"
	    " fresh AS (INSERT INTO notify_recent (key, at) SELECT $1, now() WHERE $2 = 'trigger'"
	    "  ON CONFLICT (key) DO UPDATE SET at = now()"
	    "  WHERE notify_recent.at < now() - interval '600 seconds' RETURNING 1)"
	    " INSERT INTO notify_outbox (key, action, incident, severity, source, text)"
	    " SELECT $1, $2, $3, $4, $5, $6 WHERE $2 = 'resolve' OR EXISTS (SELECT 1 FROM fresh)"
	    " RETURNING id", 6, p, &id, &fail);
	if (rc < 0)
		strbuf_appendf(err, "notification outbox: %s", PQresultErrorMessage(fail));
	PQclear(fail);
	free(id), free(text);
	return rc;
}
