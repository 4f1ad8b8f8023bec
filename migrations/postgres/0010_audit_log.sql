-- The audit trail (issue 14 item 7), the § 10-7 access log: every read of
-- another person's record, every correction, admin change, token change,
-- period lock, sign-in and sign-out, refusal and failed authentication,
-- with who, what, when, from where and why. Append-only, like clock_events.
--
-- organisation_id is NULL only for a failed authentication whose
-- organisation is unknown. target holds ids only (a period, a token, an
-- event, a scope such as 'team:<manager id>'), never personal data; client
-- is the IP address without its port.
CREATE TABLE audit_log (
    entry_id            TEXT PRIMARY KEY,
    organisation_id     TEXT REFERENCES organisations (id),
    at                  BIGINT NOT NULL,
    actor_kind          TEXT NOT NULL CHECK (actor_kind IN ('token', 'session', 'anonymous')),
    actor_id            TEXT,
    actor_name          TEXT NOT NULL,
    action              TEXT NOT NULL,
    subject_employee_id TEXT,
    target              TEXT,
    client              TEXT,
    reason              TEXT,
    CHECK (organisation_id IS NOT NULL OR action = 'auth_failed')
);
CREATE INDEX audit_log_by_time ON audit_log (organisation_id, at, entry_id);
CREATE INDEX audit_log_by_subject ON audit_log (organisation_id, subject_employee_id, at);

-- tidsvakt_append_only() is migration 0001's.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION tidsvakt_append_only();
