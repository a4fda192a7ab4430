-- 0004_history_chain.sql: every history row carries a hash chained to the
-- row before it, so that a row changed, removed or inserted behind the
-- controller's back (by a superuser, or the owner with the trigger
-- disabled) is found by `postroute history --verify`.
--
--   chain_hash(row) = sha256(chain_hash(previous row) || canonical(row))
--
-- where the previous row is the one with the next lower id (32 zero bytes
-- before the first row) and canonical(row) is history_canonical(): the
-- UTF-8 text of a JSON array of the row's columns, id to version, with
-- `at` in UTC to the microsecond. sha256() is PostgreSQL's own (11+).
--
-- The BEFORE INSERT trigger takes a transaction advisory lock (key
-- 7470002), so concurrent inserts chain one after the other; under the
-- lock it reads the hash of the row with the highest id and takes the new
-- row's id from the sequence again, so that id order is chain order (the
-- id the column default drew first is skipped). The lock is held to the
-- end of the transaction, and its holder's rows are committed, hence
-- visible, before the next holder reads; the read needs a fresh snapshot,
-- so history is written in READ COMMITTED transactions only (the trigger
-- refuses others). Writers that also bump the routing version lock
-- routing_version first, as change.c does, so the two locks are always
-- taken in the same order.
--
-- history_chain_rows() recomputes each row's hash from the row as stored
-- and the stored hash of the row before; the API (GET /v1/history/chain)
-- serves it and the CLI compares.

-- Chaining the rows that exist takes about 0.1 ms a row: more than
-- [database] statement_timeout on a long history. This transaction only.
SET LOCAL statement_timeout = 0;

ALTER TABLE history ADD COLUMN chain_hash bytea;

CREATE FUNCTION history_canonical(h history) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(h.id,
        to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        h.actor, h.action, h.object_type, h.object, h.provider, h.node, h.relay,
        h.before, h.after, h.reason, h.request_id, h.version)::text
$$;

-- Chains every row again, in id order. For the rows that exist when this
-- migration runs, and for a later migration that has to change history
-- rows (it then calls SELECT history_rechain(); as the owner). Not for
-- the runtime role: it has no EXECUTE on it, and could not update history
-- anyway.
CREATE FUNCTION history_rechain() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r history;
    h bytea := decode(repeat('00', 32), 'hex');
    n bigint := 0;
BEGIN
    LOCK TABLE history IN EXCLUSIVE MODE;
    ALTER TABLE history DISABLE TRIGGER history_no_update;
    FOR r IN SELECT * FROM history ORDER BY id LOOP
        h := sha256(h || convert_to(history_canonical(r), 'UTF8'));
        UPDATE history SET chain_hash = h WHERE id = r.id;
        n := n + 1;
    END LOOP;
    ALTER TABLE history ENABLE TRIGGER history_no_update;
    RETURN n;
END $$;
REVOKE EXECUTE ON FUNCTION history_rechain() FROM PUBLIC;

SELECT history_rechain();
ALTER TABLE history ALTER COLUMN chain_hash SET NOT NULL;

CREATE FUNCTION history_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    prev bytea;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'history rows are written in READ COMMITTED transactions only (the hash chain reads the row before)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM pg_advisory_xact_lock(7470002);
    SELECT h.chain_hash INTO prev FROM history h ORDER BY h.id DESC LIMIT 1;
    NEW.id := nextval(pg_get_serial_sequence('history', 'id'));
    NEW.chain_hash := sha256(coalesce(prev, decode(repeat('00', 32), 'hex'))
                             || convert_to(history_canonical(NEW), 'UTF8'));
    RETURN NEW;
END $$;

CREATE TRIGGER history_chain BEFORE INSERT ON history
    FOR EACH ROW EXECUTE FUNCTION history_chain();

-- Up to max_rows rows with an id above after_id, in id order: the stored
-- hash and the hash recomputed from the row and the stored hash of the row
-- before. A row whose two differ was changed, or follows a row that was
-- removed, inserted or changed.
CREATE FUNCTION history_chain_rows(after_id bigint, max_rows int)
RETURNS TABLE (id bigint, at timestamptz, action text, stored text, computed text)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.at, c.action, c.stored, c.computed
    FROM (SELECT h.id, h.at, h.action, encode(h.chain_hash, 'hex') AS stored,
                 encode(sha256(coalesce(lag(h.chain_hash) OVER (ORDER BY h.id),
                                        decode(repeat('00', 32), 'hex'))
                               || convert_to(history_canonical(h), 'UTF8')), 'hex') AS computed
          FROM history h
          WHERE h.id >= (SELECT coalesce(max(p.id), 0) FROM history p WHERE p.id <= after_id)
          ORDER BY h.id
          LIMIT max_rows + 1) c
    WHERE c.id > after_id
    ORDER BY c.id
    LIMIT max_rows
$$;
