-- The ledger per ISO week (issue 15, twelfth round): what the long windows
-- (52 weeks of overtime, weekly averages) read for the weeks a recompute
-- did not load, instead of a year of `day_totals` rows per employee.
--
-- A row is the sum of the `day_totals` rows of its week (`monday` is the
-- local Monday): `worked` in seconds, and the days' overtime spans joined
-- ("start:end,…" microseconds, in no particular order). Every write that
-- changes day totals rebuilds the weeks it touched in the same
-- transaction, and the server rebuilds the whole table from the day rows
-- at every start (storage/week_totals.rs): that fills it on a file stored
-- before this migration, and mends it after an older binary (which keeps
-- no weeks) wrote day totals to the file.
--
-- SQLite only: on PostgreSQL, replicas of two versions write day totals
-- beside each other during a rolling upgrade, and an older one would not
-- keep these sums; PostgreSQL keeps reading day rows.
CREATE TABLE IF NOT EXISTS week_totals (
    organisation_id TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    monday          TEXT NOT NULL,
    worked          BIGINT NOT NULL,
    overtime_spans  TEXT NOT NULL,
    PRIMARY KEY (organisation_id, employee_id, monday)
);
