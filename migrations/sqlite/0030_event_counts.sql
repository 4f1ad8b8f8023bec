-- How many events each employee has stored, kept current by the write that
-- stores them (issue 15): the clock status reports the count without
-- counting a history that grows all year. Events are append-only, so the
-- count only grows.
CREATE TABLE event_counts (
    organisation_id TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    events          BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, employee_id)
);
INSERT INTO event_counts (organisation_id, employee_id, events)
SELECT organisation_id, employee_id, COUNT(*) FROM clock_events
GROUP BY organisation_id, employee_id;
