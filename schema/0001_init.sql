-- 0001_init.sql: postroute's model. Forward only: later changes are new files.
--
-- Every routing write takes the routing_version row lock first, changes the
-- model, appends to history and bumps the version; the bump's trigger sends
-- NOTIFY postroute_version, delivered to listeners at commit.

CREATE TABLE routing_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint  NOT NULL CHECK (version >= 0)
);
INSERT INTO routing_version (singleton, version) VALUES (true, 0);

CREATE FUNCTION routing_version_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('postroute_version', NEW.version::text);
    RETURN NULL;
END $$;

CREATE TRIGGER routing_version_notify AFTER UPDATE ON routing_version
    FOR EACH ROW EXECUTE FUNCTION routing_version_notify();

CREATE DOMAIN object_name AS text
    CHECK (VALUE ~ '^[a-z0-9][a-z0-9._-]{0,62}$');

CREATE TABLE providers (
    name               object_name PRIMARY KEY,
    mx_patterns        text[]      NOT NULL DEFAULT '{}',
    include_subdomains boolean     NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A domain belongs to one provider at most: two transport(5) entries for
-- one key would leave Postfix to pick the first.
CREATE TABLE provider_domains (
    domain   text        PRIMARY KEY CHECK (domain ~ '^[a-z0-9-]+(\.[a-z0-9-]+)*$'),
    provider object_name NOT NULL REFERENCES providers (name) ON DELETE CASCADE
);
CREATE INDEX provider_domains_provider ON provider_domains (provider);

CREATE TABLE relays (
    name       object_name PRIMARY KEY,
    nexthop    text        NOT NULL CHECK (length(nexthop) BETWEEN 2 AND 255),
    drained    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE nodes (
    name            object_name PRIMARY KEY,
    role            text        NOT NULL CHECK (role IN ('server', 'relay')),
    relay           object_name REFERENCES relays (name) ON DELETE RESTRICT,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    applied_version bigint,
    last_status     text CHECK (last_status IN ('applied', 'failed')),
    last_error      text,
    last_report_at  timestamptz,
    last_feed_at    timestamptz,
    CHECK ((role = 'relay') = (relay IS NOT NULL))
);

CREATE TABLE routes (
    provider   object_name NOT NULL REFERENCES providers (name) ON DELETE RESTRICT,
    scope      text        NOT NULL CHECK (scope = '*' OR scope ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    relay      object_name NOT NULL REFERENCES relays (name) ON DELETE RESTRICT,
    origin     text        NOT NULL CHECK (origin IN ('manual', 'auto')),
    reason     text        NOT NULL CHECK (reason <> ''),
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    PRIMARY KEY (provider, scope)
);
CREATE INDEX routes_expires_at ON routes (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE blocks (
    id         bigserial   PRIMARY KEY,
    node       object_name NOT NULL,
    provider   object_name NOT NULL,
    since      timestamptz NOT NULL,
    class      text        NOT NULL,
    counts     jsonb       NOT NULL DEFAULT '{}',
    samples    jsonb       NOT NULL DEFAULT '[]',
    reporter   text        NOT NULL,
    cleared_at timestamptz
);
CREATE UNIQUE INDEX blocks_active ON blocks (node, provider) WHERE cleared_at IS NULL;

CREATE TABLE tokens (
    id            serial      PRIMARY KEY,
    name          object_name NOT NULL UNIQUE,
    role          text        NOT NULL CHECK (role IN ('admin', 'operator', 'detector', 'agent', 'viewer')),
    node          object_name,
    secret_sha256 text        NOT NULL UNIQUE CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK ((role = 'agent') = (node IS NOT NULL))
);

CREATE TABLE history (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text        NOT NULL,
    action      text        NOT NULL,
    object_type text        NOT NULL,
    object      text        NOT NULL,
    provider    text,
    node        text,
    relay       text,
    before      jsonb,
    after       jsonb,
    reason      text,
    request_id  text,
    version     bigint
);
CREATE INDEX history_at ON history (at);
CREATE INDEX history_provider_at ON history (provider, at);
CREATE INDEX history_node_at ON history (node, at);
CREATE INDEX history_relay_at ON history (relay, at);
CREATE INDEX history_version ON history (version);

CREATE FUNCTION history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER history_no_update BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

-- JSON documents of each object, as the API shows them and as history
-- records them in before/after.
CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE VIEW route_json AS
SELECT r.provider, r.scope, r.relay, r.origin, r.expires_at,
       jsonb_build_object('provider', r.provider, 'scope', r.scope, 'relay', r.relay,
           'nexthop', rl.nexthop, 'origin', r.origin, 'reason', r.reason, 'actor', r.actor,
           'created_at', rfc3339(r.created_at), 'expires_at', rfc3339(r.expires_at)) AS doc
FROM routes r JOIN relays rl ON rl.name = r.relay;

CREATE VIEW relay_json AS
SELECT name, jsonb_build_object('name', name, 'nexthop', nexthop, 'drained', drained,
           'created_at', rfc3339(created_at), 'updated_at', rfc3339(updated_at)) AS doc
FROM relays;

CREATE VIEW provider_json AS
SELECT p.name, jsonb_build_object('name', p.name,
           'domains', coalesce((SELECT jsonb_agg(d.domain ORDER BY d.domain)
                                FROM provider_domains d WHERE d.provider = p.name), '[]'),
           'mx_patterns', to_jsonb(p.mx_patterns),
           'include_subdomains', p.include_subdomains,
           'created_at', rfc3339(p.created_at), 'updated_at', rfc3339(p.updated_at)) AS doc
FROM providers p;

CREATE VIEW node_json AS
SELECT n.name, jsonb_build_object('name', n.name, 'role', n.role, 'relay', n.relay,
           'applied_version', n.applied_version, 'last_status', n.last_status,
           'last_error', n.last_error, 'last_report_at', rfc3339(n.last_report_at),
           'last_feed_at', rfc3339(n.last_feed_at),
           'created_at', rfc3339(n.created_at), 'updated_at', rfc3339(n.updated_at)) AS doc
FROM nodes n;
