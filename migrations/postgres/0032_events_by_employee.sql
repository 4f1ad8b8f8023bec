-- An employee's record read from one place (issue 15): see the SQLite
-- migration of the same number. PostgreSQL's INCLUDE carries the other
-- columns for index-only scans (the table is append-only, so its pages stay
-- all-visible after a vacuum). It replaces clock_events_employee.
CREATE INDEX clock_events_by_employee ON clock_events
    (organisation_id, employee_id, occurred_at) INCLUDE (event_id, kind, device_id, received_at, location);
DROP INDEX clock_events_employee;
