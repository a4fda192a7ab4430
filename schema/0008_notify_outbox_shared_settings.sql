-- 0008_notify_outbox_shared_settings.sql: several controllers on one
-- database send each on-call message once and agree on their policy.
--
-- notify_outbox: every on-call message, written in the transaction of the
-- change it is about (an event, an expiry, a stale node found by the
-- leader). Only the leader (the controller holding the session advisory
-- lock, controller/leader.h) sends them: it takes a row FOR UPDATE SKIP
-- LOCKED, posts it, and marks it sent in the same transaction, so a row
-- is never sent by two controllers at once and a crash before the commit
-- leaves it pending for the next leader (controller/notify.h).
--
-- notify_recent: the last time a message key was queued; a key queued
-- again within ten minutes is dropped (INSERT ... ON CONFLICT, atomic
-- between controllers).
--
-- notify_open: incidents opened by the leader's housekeeping (a stale
-- node) that a resolve message closes when the condition ends.
--
-- shared_settings: the [policy] and [notify] settings every controller
-- must agree on, seeded from the INI file by postrouted migrate when
-- absent and read from here at run time (controller/sharedset.h).

CREATE TABLE notify_outbox (
    id          bigserial   PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    key         text        NOT NULL CHECK (length(key) BETWEEN 1 AND 512),
    action      text        NOT NULL CHECK (action IN ('trigger', 'resolve')),
    incident    text        CHECK (length(incident) BETWEEN 1 AND 200),
    severity    text        NOT NULL CHECK (severity IN ('critical', 'error', 'warning', 'info')),
    source      text        NOT NULL CHECK (length(source) BETWEEN 1 AND 255),
    text        text        NOT NULL CHECK (octet_length(text) <= 16384),
    state       text        NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'held', 'held_told', 'failed')),
    delivered   text[]      NOT NULL DEFAULT '{}',
    attempts    integer     NOT NULL DEFAULT 0,
    next_try_at timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    sent_by     text,
    last_error  text
);
CREATE INDEX notify_outbox_pending ON notify_outbox (next_try_at, id) WHERE state = 'pending';
CREATE INDEX notify_outbox_sent ON notify_outbox (sent_at) WHERE state = 'sent';
CREATE INDEX notify_outbox_held ON notify_outbox (id) WHERE state = 'held';

-- Wakes the leader's sender at commit.
CREATE FUNCTION notify_outbox_wake() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('postroute_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER notify_outbox_wake AFTER INSERT ON notify_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_wake();

CREATE TABLE notify_recent (
    key text        PRIMARY KEY,
    at  timestamptz NOT NULL
);

CREATE TABLE notify_open (
    key       text        PRIMARY KEY,
    kind      text        NOT NULL CHECK (kind IN ('stale')),
    node      text        NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shared_settings (
    section    text        NOT NULL,
    key        text        NOT NULL,
    value      text        NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL,
    PRIMARY KEY (section, key)
);
