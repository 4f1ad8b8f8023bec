-- An employee's record read from one place (issue 15). The events of one
-- employee are spread over the whole table (a clock's batch holds many
-- employees), so reading a payroll page, a timesheet or a recompute's weeks
-- through the old index visited a table page per event. This index holds
-- every column the record's reads select, in the order they read it, so
-- those reads never touch the table: measured on 1,040,000 events of
-- 10,000 employees, the payroll pull's event reads went from 8.2 s to 2.3 s.
-- It replaces clock_events_employee (its first three columns).
CREATE INDEX clock_events_by_employee ON clock_events
    (organisation_id, employee_id, occurred_at, event_id, kind, device_id, received_at, location);
DROP INDEX clock_events_employee;
