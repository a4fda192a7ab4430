-- 0007_evidence_caps.sql: a block's stored evidence stays bounded.
--
-- The controller keeps at most 20 sample lines of at most 512 octets per
-- event (controller/evidence.h) and a refresh of an open block replaces
-- its samples, never appends to them. The table repeats that bound so
-- that no writer, through the API or by hand, can grow one block row
-- without limit: an array of at most 20 strings whose JSON text is at
-- most 64 KiB (20 lines of 512 octets, each escaped at worst as \uXXXX).
-- NOT VALID: rows written before this migration are not checked; every
-- new or updated row is.

ALTER TABLE blocks ADD CONSTRAINT blocks_samples_bounded
    CHECK (jsonb_typeof(samples) = 'array' AND jsonb_array_length(samples) <= 20
           AND octet_length(samples::text) <= 65536) NOT VALID;
