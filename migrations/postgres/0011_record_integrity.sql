-- The record's integrity (issue 14 items 6 and 9).
--
-- 1. PostgreSQL has no INSERT OR REPLACE: INSERT ... ON CONFLICT DO UPDATE
--    runs the BEFORE UPDATE triggers of 0001 and 0004, which refuse it, so
--    the record's tables need no new guard here (the SQLite migration adds
--    one).
--
-- 2. Tamper evidence: a hash chain per organisation over clock events and
--    amendments (src/domain/chain.rs). Each row gets one link, taken in the
--    transaction that writes the row: hash = SHA-256(previous hash ‖ the
--    link's seq, kind and the row's columns). The links live beside the
--    record rather than in it, so the record's rows stay exactly what was
--    sent and their tables stay insert-only.
CREATE TABLE record_chain (
    organisation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,  -- EVENT or AMENDMENT
    row_id          TEXT NOT NULL,  -- event_id or amendment_id
    -- Hex. NULL only for the rows this migration numbers, until the first
    -- start after it computes their hashes (one encoding, in Rust, for both
    -- back-ends).
    hash            TEXT,
    PRIMARY KEY (organisation_id, seq),
    UNIQUE (organisation_id, kind, row_id)
);
-- The chain's order under concurrent writers: a write takes the next seq
-- from its organisation's head inside its own transaction and holds the
-- head's row lock until it commits, so links are numbered in commit order
-- and never twice.
CREATE TABLE record_chain_heads (
    organisation_id TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL,
    -- Hex hash of link `seq`; NULL while this migration's backfill waits.
    hash            TEXT
);

CREATE FUNCTION tidsvakt_chain_hash_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.hash IS NOT NULL THEN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER record_chain_hash_once BEFORE UPDATE ON record_chain
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_chain_hash_once();
CREATE TRIGGER record_chain_no_delete BEFORE DELETE ON record_chain
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_append_only();
CREATE TRIGGER record_chain_no_truncate BEFORE TRUNCATE ON record_chain
    FOR EACH STATEMENT EXECUTE FUNCTION tidsvakt_append_only();

-- Existing rows are chained (backfilled), not left out: numbered here per
-- organisation in arrival order (events by received_at, amendments by
-- created_at; ties by kind, then id), so the set of rows covered is fixed
-- now; their hashes are computed at the first start.
INSERT INTO record_chain (organisation_id, seq, kind, row_id, hash)
SELECT organisation_id,
       ROW_NUMBER() OVER (PARTITION BY organisation_id ORDER BY at, kind, row_id),
       kind, row_id, NULL
FROM (SELECT organisation_id, received_at AS at, 'EVENT' AS kind, event_id AS row_id
        FROM clock_events
      UNION ALL
      SELECT organisation_id, created_at, 'AMENDMENT', amendment_id FROM amendments) AS r;
INSERT INTO record_chain_heads (organisation_id, seq, hash)
SELECT o.id,
       COALESCE((SELECT MAX(c.seq) FROM record_chain c WHERE c.organisation_id = o.id), 0),
       CASE WHEN EXISTS (SELECT 1 FROM record_chain c WHERE c.organisation_id = o.id)
            THEN NULL
            ELSE '0000000000000000000000000000000000000000000000000000000000000000' END
FROM organisations o;

-- 3. One row the health check rewrites while writes are refused (full disk,
--    read-only transactions), to see when they are taken again.
CREATE TABLE storage_probe (
    id         INTEGER PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
INSERT INTO storage_probe (id, checked_at) VALUES (1, 0);
