-- A recompute page's open findings (`organisation_id = $1 AND employee_id =
-- <each id> AND status = 'OPEN' AND at in the span`, issue 15, twenty-third
-- round). Before ANALYZE, PostgreSQL estimates one row from `findings_at`
-- (the organisation and the span) and one from `findings_employee_at` (the
-- organisation, the employee and the span), and the bench's run took
-- `findings_at`: for each of a page's 64 employees it read every finding of
-- the organisation in the span, 4,928 rows, and kept the employee's open
-- ones. This index holds only open findings, few of all, and the read is
-- an index-only scan; the statement tests its span as `at + 0` so that
-- `findings_at` cannot serve it on a small table either
-- (`page::open_findings_sql`).
--
-- Like 0032, CREATE INDEX holds writes to `findings` while it builds; on a
-- large database create it CONCURRENTLY by hand first (IF NOT EXISTS then
-- skips it).
CREATE INDEX IF NOT EXISTS findings_open ON findings (organisation_id, employee_id, at)
    WHERE status = 'OPEN';
