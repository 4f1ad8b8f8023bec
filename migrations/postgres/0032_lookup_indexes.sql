-- Indexes for the reads that ran on a prefix of an index and filtered or
-- sorted the rest (issue 15, found with EXPLAIN QUERY PLAN on the bench's
-- databases).
--
-- On PostgreSQL each CREATE INDEX holds writes to its table while it builds
-- (seconds for millions of findings): sqlx runs a migration in a
-- transaction, where CONCURRENTLY is refused. Upgrade in a quiet hour, or
-- create the three indexes CONCURRENTLY by hand first (then IF NOT EXISTS
-- below skips them).

-- Pages of an organisation's employees (`organisation_id = ? AND id > ?
-- ORDER BY id LIMIT n`: payroll pulls, sweeps, lists). SQLite served them
-- from `employees_manager`, reading and sorting every employee of the
-- organisation for each page: a pull of 10,000 employees in pages of 64
-- spent 4.2 of its 8 s there.
CREATE INDEX IF NOT EXISTS employees_page ON employees (organisation_id, id);

-- One employee's findings in a span (a timesheet, a payroll page). SQLite
-- read every finding of the organisation in the span from `findings_at`
-- and kept this employee's: with 1,000 employees, 57 % of the time a
-- timesheet spent in SQL.
CREATE INDEX IF NOT EXISTS findings_employee_at ON findings (organisation_id, employee_id, at);

-- The recompute queue's oldest entries first, without sorting the queue
-- on every drain.
CREATE INDEX IF NOT EXISTS recompute_queue_age ON recompute_queue (queued_at, employee_id);
