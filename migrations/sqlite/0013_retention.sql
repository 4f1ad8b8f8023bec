-- Retention (issue 14 item 8): when a leaver's identity was anonymised
-- (after the retention period, or on an erasure request). The working-time
-- record and its totals stay; names, addresses and sign-ins go.
ALTER TABLE employees ADD COLUMN anonymised_at BIGINT;
CREATE INDEX employees_leavers ON employees (active, anonymised_at, deactivated_at);
