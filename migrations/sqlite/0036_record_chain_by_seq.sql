-- `record_chain` keeps one key, its order (organisation_id, seq) (issue 15,
-- twenty-first round).
--
-- The `UNIQUE (organisation_id, kind, row_id)` of migration 0011 was a
-- second B-tree keyed by the row's id, a random UUID: every event stored
-- dirtied one more leaf (and its parents) at a random place, written to the
-- WAL at each commit. `scripts/wal_frames.py` replays the event write path
-- in 60-event commits spread over 1,000 employees with 300,000 events
-- stored: 6.0 WAL frames an event with the index (`--before 0036`), 4.5
-- without it, a quarter fewer pages written.
--
-- What it guarded is checked instead: the service links a row only in the
-- transaction that inserts it (its key is unique), and `tidsvakt verify`
-- finds a row without a link, or in two, by grouping the rows and the links
-- by id (storage/chain.rs), with no index. Only the sequence stays guarded
-- against INSERT OR REPLACE.
--
-- SQLite cannot drop a table's UNIQUE constraint, so the table is copied
-- (1.1 s for a table of 324,000 links) and its triggers made again.
CREATE TABLE record_chain_by_seq (
    organisation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,  -- EVENT or AMENDMENT
    row_id          TEXT NOT NULL,  -- event_id or amendment_id
    -- Hex. NULL only for the rows migration 0011 numbered, until the first
    -- start after it computes their hashes.
    hash            TEXT,
    PRIMARY KEY (organisation_id, seq)
);
INSERT INTO record_chain_by_seq (organisation_id, seq, kind, row_id, hash)
SELECT organisation_id, seq, kind, row_id, hash FROM record_chain;
-- Dropping a table drops its triggers and fires none.
DROP TABLE record_chain;
ALTER TABLE record_chain_by_seq RENAME TO record_chain;

CREATE TRIGGER record_chain_no_update BEFORE UPDATE ON record_chain
WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'record_chain is append-only'); END;
CREATE TRIGGER record_chain_no_delete BEFORE DELETE ON record_chain
BEGIN SELECT RAISE(ABORT, 'record_chain is append-only'); END;
CREATE TRIGGER record_chain_no_replace BEFORE INSERT ON record_chain
WHEN EXISTS (SELECT 1 FROM record_chain
             WHERE organisation_id = NEW.organisation_id AND seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'record_chain is append-only'); END;
