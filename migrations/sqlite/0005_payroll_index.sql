-- Finding the employees whose record changed after a payroll lock reads
-- events by arrival time; without this it scans the organisation's events.
CREATE INDEX clock_events_received ON clock_events (organisation_id, received_at);
