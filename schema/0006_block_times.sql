-- 0006_block_times.sql: a block cannot be cleared before it began.
--
-- An event's "at" is the reporter's clock: the controller now clamps it
-- to now() - 1 hour .. now() + 1 minute (api_events.c) and clears a block
-- at no earlier than its "since" (policy.c). Before this, a reporter
-- could write a clear dated before the block it clears, which made the
-- block's duration negative in every report. Existing rows that break
-- the rule are fixed first (cleared at their since), then the CHECK
-- keeps every later write honest, whoever writes it.

UPDATE blocks SET cleared_at = since WHERE cleared_at < since;

ALTER TABLE blocks ADD CONSTRAINT blocks_cleared_after_since CHECK (cleared_at >= since);
