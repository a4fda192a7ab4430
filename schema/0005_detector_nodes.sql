-- 0005_detector_nodes.sql: detector tokens are bound to the nodes they may
-- report events for.
--
-- tokens.nodes is the list of node names a detector token may report for,
-- or {*} for every node; it is set for detector tokens and for them only
-- (an agent token keeps its one node in tokens.node). `postrouted token
-- create --role detector` requires --node NODE,... or --node '*'.
--
-- Detector tokens created before this migration could report for every
-- node; they keep doing so ({*}) so that a running fleet keeps working, and
-- nodes_by_migration marks them: postrouted warns about each active one at
-- start, and `postrouted token list` shows it, until it is replaced by a
-- token created with --node and revoked.

ALTER TABLE tokens ADD COLUMN nodes text[];
ALTER TABLE tokens ADD COLUMN nodes_by_migration boolean NOT NULL DEFAULT false;

UPDATE tokens SET nodes = '{*}', nodes_by_migration = true WHERE role = 'detector';

ALTER TABLE tokens ADD CONSTRAINT tokens_detector_nodes
    CHECK ((role = 'detector') = (nodes IS NOT NULL));
-- {*} alone, or 1 to 1000 node names of object_name's grammar (which has
-- no comma, so the joined list shows every element); token.c also refuses
-- a name given twice.
ALTER TABLE tokens ADD CONSTRAINT tokens_nodes_valid
    CHECK (nodes IS NULL OR nodes = '{*}' OR (
        cardinality(nodes) BETWEEN 1 AND 1000
        AND array_position(nodes, NULL) IS NULL
        AND array_to_string(nodes, ',') ~ '^[a-z0-9][a-z0-9._-]{0,62}(,[a-z0-9][a-z0-9._-]{0,62})*$'));
