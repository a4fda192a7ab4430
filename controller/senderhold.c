/*
 * senderhold.c: hold and release a sender inside a change, with history.
 */
#include "senderhold.h"

#include <stdlib.h>

#include "db.h"

int
senderhold_find(struct change *ch, const char *sender, char **doc)
{
	const char *p[] = { sender };

	*doc = NULL;
	return change_one(ch, "SELECT doc FROM hold_json WHERE lower(sender) = lower($1)",
	    1, p, doc) < 0 ? -1 : 0;
}

/* Appends the history row of a hold or release of the sender in doc. */
static int
senderhold_record(struct change *ch, const char *action, const char *stored,
    const char *before, const char *after)
{
	struct change_row row = { action, "sender", stored, NULL, NULL, NULL, before, after };

	return change_record(ch, &row);
}

int
senderhold_add(struct change *ch, const char *sender, const char *origin,
    const char *reason, char **doc)
{
	const char *p[] = { sender, origin, reason && *reason ? reason : NULL, ch->actor };
	const char *saved = ch->reason;
	int rc;

	if (senderhold_find(ch, sender, doc) != 0)
		return -1;
	if (*doc != NULL)
		return 0;
	rc = change_one(ch, "INSERT INTO holds (sender, origin, reason, actor)"
	    " VALUES ($1, $2, $3, $4) RETURNING 1", 4, p, NULL);
	if (rc < 0 || senderhold_find(ch, sender, doc) != 0)
		return -1;
	ch->reason = reason;
	rc = senderhold_record(ch, "sender.hold", sender, NULL, *doc);
	ch->reason = saved;
	return rc == 0 ? 1 : -1;
}

int
senderhold_release(struct change *ch, const char *sender, char **doc)
{
	char *stored = NULL;
	int rc;

	if (senderhold_find(ch, sender, doc) != 0)
		return -1;
	if (*doc == NULL)
		return 0;
	const char *p[] = { sender };
	rc = change_one(ch, "DELETE FROM holds WHERE lower(sender) = lower($1) RETURNING sender",
	    1, p, &stored);
	if (rc == 1) {
		rc = senderhold_record(ch, "sender.release", stored, *doc, NULL) == 0 ? 1 : -1;
	} else if (rc == 0) {
		free(*doc);   /* deleted by hand (SQL) since the look-up */
		*doc = NULL;
	}
	free(stored);
	return rc;
}
