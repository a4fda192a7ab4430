/*
 * senderhold.h: held senders: the writes that hold and release one.
 *
 * A held sender is a key of the access(5) map that agents keep for
 * check_sasl_access with the action HOLD (schema/0003_holds.sql). The API
 * (api_holds.c: PUT and DELETE /v1/holds/{sender}) and the policy (an
 * automatic hold on a volume surge, policy.c) both write through here,
 * inside the caller's change (change.h): the row, its history row
 * (sender.hold or sender.release, the hold as JSON in after or before)
 * and the version bump commit together, and the bump's NOTIFY gives every
 * node a feed with the new "holds" list.
 *
 * Senders are matched without regard to case, as Postfix folds the keys
 * of its indexed maps; the stored spelling is the one first held. Holding
 * a sender that is held already writes nothing. The caller validates the
 * sender (validate_sender) before calling; the table's CHECK refuses what
 * slips through.
 *
 * Ownership: *doc is allocated JSON text for the caller to free. Errors
 * are -1 with ch->error set, for api_db_error; nothing here is fatal.
 */
#ifndef POSTROUTE_SENDERHOLD_H
#define POSTROUTE_SENDERHOLD_H

#include "change.h"

/* The hold of sender in *doc, or NULL when it is not held. 0, or -1. */
int senderhold_find(struct change *ch, const char *sender, char **doc);

/*
 * Holds sender with origin "manual" or "auto", actor ch->actor and reason
 * (NULL or ""; also the history row's reason). Returns 1 with the new hold
 * in *doc; 0 when it was held already, with that hold in *doc and nothing
 * written; -1 on a database error.
 */
int senderhold_add(struct change *ch, const char *sender, const char *origin,
    const char *reason, char **doc);

/* Releases sender (history reason: ch->reason). Returns 1 with the hold it
 * removed in *doc; 0 when it was not held; -1 on a database error. */
int senderhold_release(struct change *ch, const char *sender, char **doc);

#endif
