-- Derived from the record by the engine; rebuilt at will, never the source
-- of truth. Instants are BIGINT microseconds (UTC); durations BIGINT seconds.

-- Employees whose derived data must be recomputed for [from_at, to_at]:
-- written in the same transaction as the change that causes it, so a crash
-- between a write and its recompute loses nothing.
CREATE TABLE recompute_queue (
    organisation_id TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    from_at         BIGINT NOT NULL,
    to_at           BIGINT NOT NULL,
    version         BIGINT NOT NULL,
    queued_at       BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, employee_id)
);

-- The ledger per local date: what long windows (52 weeks of overtime, 8 to
-- 24 weeks of averages) and flex balances read instead of a year of events.
CREATE TABLE day_totals (
    organisation_id TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    day             TEXT NOT NULL,
    worked          BIGINT NOT NULL,
    normal          BIGINT NOT NULL,
    overtime        BIGINT NOT NULL,
    night           BIGINT NOT NULL,
    sunday_holiday  BIGINT NOT NULL,
    home            BIGINT NOT NULL,
    -- "start:end,start:end" microseconds: the overtime segments of the day.
    overtime_spans  TEXT NOT NULL,
    PRIMARY KEY (organisation_id, employee_id, day)
);

-- Findings with a stable identity; resolved ones are kept for the history.
CREATE TABLE findings (
    organisation_id   TEXT NOT NULL,
    finding_id        TEXT NOT NULL,
    employee_id       TEXT NOT NULL,
    rule_id           TEXT NOT NULL,
    rule_pack         TEXT NOT NULL,
    rule_pack_version TEXT NOT NULL,
    severity          TEXT NOT NULL,
    status            TEXT NOT NULL,
    window_start      BIGINT NOT NULL,
    window_end        BIGINT NOT NULL,
    at                BIGINT NOT NULL,
    measured          BIGINT NOT NULL,
    limit_value       BIGINT NOT NULL,
    unit              TEXT NOT NULL,
    limit_is_minimum  BIGINT NOT NULL,
    explanation       TEXT NOT NULL,
    citation          TEXT NOT NULL,
    agreement_id      TEXT,
    -- "interval|start|end;…" with empty start/end when unknown.
    evidence          TEXT NOT NULL,
    first_seen_at     BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    resolved_at       BIGINT,
    PRIMARY KEY (organisation_id, finding_id)
);
CREATE INDEX findings_employee ON findings (organisation_id, employee_id, window_start);
CREATE INDEX findings_at ON findings (organisation_id, at, finding_id);
