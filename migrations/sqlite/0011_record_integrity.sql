-- The record's integrity (issue 14 items 6 and 9).
--
-- 1. INSERT OR REPLACE resolves a key conflict by deleting the old row, and
--    that implicit delete fires no DELETE trigger unless the connection set
--    PRAGMA recursive_triggers = ON: a per-connection option that every other
--    client (the sqlite3 shell, a script) leaves off. So the guard lives in
--    the schema instead: a BEFORE INSERT trigger refuses a row whose key is
--    taken, on every connection, whatever its options. (Our own writes check
--    for an existing row first and never rely on a conflict clause here.)
CREATE TRIGGER clock_events_no_replace BEFORE INSERT ON clock_events
WHEN EXISTS (SELECT 1 FROM clock_events
             WHERE organisation_id = NEW.organisation_id AND event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'clock_events is append-only'); END;
-- Both keys: a REPLACE on a taken (employee, seq) would delete that amendment.
CREATE TRIGGER amendments_no_replace BEFORE INSERT ON amendments
WHEN EXISTS (SELECT 1 FROM amendments
             WHERE organisation_id = NEW.organisation_id
               AND (amendment_id = NEW.amendment_id
                    OR (employee_id = NEW.employee_id AND seq = NEW.seq)))
BEGIN SELECT RAISE(ABORT, 'amendments is append-only'); END;
CREATE TRIGGER payroll_periods_no_replace BEFORE INSERT ON payroll_periods
WHEN EXISTS (SELECT 1 FROM payroll_periods
             WHERE organisation_id = NEW.organisation_id AND period_id = NEW.period_id)
BEGIN SELECT RAISE(ABORT, 'payroll_periods is append-only'); END;
-- Lines exist only for locked periods (an open period's are computed, never
-- stored), so no line is ever rewritten by design either.
CREATE TRIGGER payroll_lines_no_replace BEFORE INSERT ON payroll_lines
WHEN EXISTS (SELECT 1 FROM payroll_lines
             WHERE organisation_id = NEW.organisation_id AND period_id = NEW.period_id
               AND employee_id = NEW.employee_id AND ord = NEW.ord)
BEGIN SELECT RAISE(ABORT, 'payroll_lines is append-only'); END;

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
    -- start after it computes their hashes (SQLite has no SHA-256 in SQL).
    hash            TEXT,
    PRIMARY KEY (organisation_id, seq),
    UNIQUE (organisation_id, kind, row_id)
);
-- The chain's order under concurrent writers: a write takes the next seq
-- from its organisation's head inside its own transaction (SQLite has one
-- writer; PostgreSQL holds the head's row lock until commit).
CREATE TABLE record_chain_heads (
    organisation_id TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL,
    -- Hex hash of link `seq`; NULL while this migration's backfill waits.
    hash            TEXT
);

CREATE TRIGGER record_chain_no_update BEFORE UPDATE ON record_chain
WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'record_chain is append-only'); END;
CREATE TRIGGER record_chain_no_delete BEFORE DELETE ON record_chain
BEGIN SELECT RAISE(ABORT, 'record_chain is append-only'); END;
CREATE TRIGGER record_chain_no_replace BEFORE INSERT ON record_chain
WHEN EXISTS (SELECT 1 FROM record_chain
             WHERE organisation_id = NEW.organisation_id
               AND (seq = NEW.seq OR (kind = NEW.kind AND row_id = NEW.row_id)))
BEGIN SELECT RAISE(ABORT, 'record_chain is append-only'); END;

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

-- 3. One row the health check rewrites while writes are refused (full or
--    read-only storage), to see when they are taken again.
CREATE TABLE storage_probe (
    id         INTEGER PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
INSERT INTO storage_probe (id, checked_at) VALUES (1, 0);
