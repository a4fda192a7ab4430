-- 0002_audit.sql: read-only views for auditors, and the postroute_audit role.
--
-- Auditors answer "who moved what, when and why" in SQL without access to
-- the tables themselves (tokens above all). The views run with the rights
-- of their owner (the controller's role), so postroute_audit needs SELECT
-- on the views only; it has no right on any table. A DBA gives the role to
-- people: GRANT postroute_audit TO alice;
--
-- CREATE ROLE needs CREATEROLE, which the controller's role usually lacks:
-- then a DBA runs, once per cluster,
--     CREATE ROLE postroute_audit NOLOGIN;
-- and, in the postroute database as its owner or a superuser,
--     SELECT audit_grant();
-- (migrate does both itself when it may). Roles are cluster-wide: several
-- postroute databases in one cluster share the role.

-- Every history row. Token rows keep name, role and node, never a digest.
CREATE VIEW audit_history AS
SELECT h.id, h.at, h.actor, h.action, h.object_type, h.object, h.provider, h.node, h.relay,
       CASE WHEN h.object_type = 'token' THEN h.before - 'secret_sha256' ELSE h.before END AS before,
       CASE WHEN h.object_type = 'token' THEN h.after - 'secret_sha256' ELSE h.after END AS after,
       h.reason, h.request_id, h.version
FROM history h;

-- One row per route change: set (new or moved), delete, expired. scope '*'
-- is every server node. from_relay NULL = default delivery before; to_relay
-- NULL = default delivery after. origin is the route's (manual or auto).
CREATE VIEW audit_route_changes AS
SELECT h.id, h.at, h.actor, h.action,
       coalesce(h.after, h.before) ->> 'provider' AS provider,
       coalesce(h.after, h.before) ->> 'scope' AS scope,
       h.before ->> 'relay' AS from_relay,
       h.after ->> 'relay' AS to_relay,
       h.after ->> 'nexthop' AS to_nexthop,
       coalesce(h.after, h.before) ->> 'origin' AS origin,
       (h.after ->> 'expires_at')::timestamptz AS expires_at,
       h.reason, h.request_id, h.version, h.before, h.after
FROM history h
WHERE h.object_type = 'route';

-- Blocks with their duration so far. relay is the relay the node is linked
-- to now (relay nodes only): a block seen on a relay node is a block of that
-- relay. Sample log lines are left out (they carry addresses).
CREATE VIEW audit_blocks AS
SELECT b.id, b.node, n.relay, b.provider, b.since, b.cleared_at,
       b.cleared_at IS NULL AS active,
       coalesce(b.cleared_at, now()) - b.since AS duration,
       tstzrange(b.since, b.cleared_at, '[)') AS period,
       b.class, b.counts, b.reporter
FROM blocks b
LEFT JOIN nodes n ON n.name = b.node;

-- The routing table now.
CREATE VIEW audit_routes AS
SELECT r.provider, r.scope, r.relay, rl.nexthop, r.origin, r.actor, r.reason,
       r.created_at, r.expires_at
FROM routes r
JOIN relays rl ON rl.name = r.relay;

CREATE VIEW audit_relays AS
SELECT name, nexthop, drained, created_at, updated_at FROM relays;

CREATE VIEW audit_providers AS
SELECT p.name,
       coalesce((SELECT array_agg(d.domain ORDER BY d.domain)
                 FROM provider_domains d WHERE d.provider = p.name), '{}') AS domains,
       p.mx_patterns, p.include_subdomains, p.created_at, p.updated_at
FROM providers p;

CREATE VIEW audit_nodes AS
SELECT name, role, relay, applied_version, last_status, last_error, last_report_at,
       last_feed_at, created_at, updated_at
FROM nodes;

-- The routing table as it stood at t, rebuilt from the route changes: for
-- each (provider, scope) the last change at or before t, if it left a
-- route. This is what the feed served at t (an expired route is served
-- until its route.expired row). Runs with the caller's rights: it reads
-- only audit_route_changes.
CREATE FUNCTION audit_routes_at(t timestamptz)
RETURNS TABLE (provider text, scope text, relay text, nexthop text, origin text,
               actor text, reason text, set_at timestamptz, expires_at timestamptz,
               version bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.provider, c.scope, c.to_relay, c.to_nexthop, c.origin, c.actor, c.reason,
           c.at, c.expires_at, c.version
    FROM (SELECT DISTINCT ON (rc.provider, rc.scope) rc.*
          FROM audit_route_changes rc
          WHERE rc.at <= t
          ORDER BY rc.provider, rc.scope, rc.at DESC, rc.id DESC) c
    WHERE c.after IS NOT NULL
    ORDER BY c.provider, c.scope <> '*', c.scope
$$;

-- Grants the audit views to postroute_audit; idempotent. Run by the
-- owner of the views (migrate does) or a superuser, after the role exists.
CREATE FUNCTION audit_grant() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postroute_audit') THEN
        RAISE EXCEPTION 'role postroute_audit does not exist: CREATE ROLE postroute_audit NOLOGIN first';
    END IF;
    GRANT USAGE ON SCHEMA public TO postroute_audit;
    GRANT SELECT ON audit_history, audit_route_changes, audit_blocks, audit_routes,
        audit_relays, audit_providers, audit_nodes TO postroute_audit;
    GRANT EXECUTE ON FUNCTION audit_routes_at(timestamptz) TO postroute_audit;
END $$;
REVOKE EXECUTE ON FUNCTION audit_grant() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_routes_at(timestamptz) FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postroute_audit') THEN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user
                   AND (rolsuper OR rolcreaterole)) THEN
            CREATE ROLE postroute_audit NOLOGIN;
        ELSE
            RAISE NOTICE 'role postroute_audit does not exist and % may not create it: '
                'a DBA runs CREATE ROLE postroute_audit NOLOGIN, then SELECT audit_grant() '
                'in this database', current_user;
            RETURN;
        END IF;
    END IF;
    PERFORM audit_grant();
END $$;
