-- 0003_holds.sql: senders whose new mail is held.
--
-- A held sender is a key of the access(5) map that agents render for
-- check_sasl_access with the action HOLD: Postfix accepts the sender's new
-- mail and parks it in the hold queue until someone releases it. Holding
-- and releasing are writes like any other (change.c): one transaction
-- that changes this table, appends a history row (sender.hold,
-- sender.release) and bumps routing_version, whose NOTIFY wakes every
-- waiting feed; every node's feed carries the same list ("holds").
--
-- Postfix folds the keys of indexed maps to lower case, so two senders
-- that differ only in case would be one key twice in the map: the unique
-- index on lower(sender) refuses the second. The CHECK repeats the
-- grammar of common/validate.c (validate_sender) as far as a regular
-- expression can, so that no row written by hand can carry whitespace, a
-- line break, '#' or ',' into a map file either.

CREATE TABLE holds (
    sender     text        PRIMARY KEY
               CHECK (sender ~ '^[A-Za-z0-9!$%&''*+/=?^_`{|}~-][A-Za-z0-9!$%&''*+/=?^_`{|}~.@-]{0,254}$'),
    origin     text        NOT NULL CHECK (origin IN ('manual', 'auto')),
    reason     text        CHECK (reason <> ''),
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX holds_sender_folded ON holds (lower(sender));

-- The hold as the API shows it and as history records it in before/after.
CREATE VIEW hold_json AS
SELECT sender, jsonb_build_object('sender', sender, 'origin', origin, 'reason', reason,
           'actor', actor, 'created_at', rfc3339(created_at)) AS doc
FROM holds;
