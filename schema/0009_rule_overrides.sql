-- 0009_rule_overrides.sql: classifier rules stored by the controller.
--
-- A rule here is a rules.conf rule (docs/detector.md) that changes without
-- a deploy: PUT /v1/rules/{name} checks it (common/rulespec.h: the class,
-- reroutable, the provider, and the pattern compiled with PCRE2 as the
-- agents compile it), records rule.put / rule.delete in history with the
-- rule's JSON before and after (hash-chained like every history row), and
-- bumps the routing version so that every agent's feed ("rules") wakes.
-- Agents try these rules before their files' and skip, and report, one
-- that does not compile for them.
--
-- provider NULL: the rule applies to every provider. author: the name of
-- the token that wrote it last.

CREATE TABLE rules (
    name       object_name PRIMARY KEY,
    pattern    text        NOT NULL CHECK (length(pattern) BETWEEN 1 AND 4096),
    class      text        NOT NULL CHECK (class ~ '^[a-z_]{1,32}$'),
    reroutable text        NOT NULL CHECK (reroutable IN ('yes', 'no', 'ambiguous')),
    provider   object_name,
    note       text        NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    author     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW rule_json AS
SELECT name, jsonb_build_object('name', name, 'pattern', pattern, 'class', class,
           'reroutable', reroutable, 'provider', provider, 'note', note, 'author', author,
           'created_at', rfc3339(created_at), 'updated_at', rfc3339(updated_at)) AS doc
FROM rules;
