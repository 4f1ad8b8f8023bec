-- Payroll: settings, locked periods and their frozen lines.
-- Instants are BIGINT microseconds (UTC); minutes are exact signed integers.

-- One row per organisation that changed the defaults. `settings` is the
-- PayrollSettings message (protobuf, hex); `period_key` names the period
-- kind and anchor, which may not change once a period is locked.
CREATE TABLE payroll_settings (
    organisation_id TEXT PRIMARY KEY,
    settings        TEXT NOT NULL,
    period_key      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    updated_by      TEXT NOT NULL
);

-- A row exists only for a locked period; an absent period is open.
-- `settings` is the settings in force at the lock (hex PayrollSettings) and
-- `plans_digest` a digest of the organisation-wide plans (overrides,
-- holidays) of its dates, so later changes can be told apart.
CREATE TABLE payroll_periods (
    organisation_id   TEXT NOT NULL,
    period_id         TEXT NOT NULL,
    first_day         TEXT NOT NULL,
    last_day          TEXT NOT NULL,
    locked_at         BIGINT NOT NULL,
    locked_by         TEXT NOT NULL,
    settings          TEXT NOT NULL,
    plans_digest      TEXT NOT NULL,
    employee_count    BIGINT NOT NULL,
    record_violations BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, period_id)
);

-- The employees a lock froze (also those with no lines).
CREATE TABLE payroll_period_employees (
    organisation_id TEXT NOT NULL,
    period_id       TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    PRIMARY KEY (organisation_id, period_id, employee_id)
);

-- What was paid: the frozen lines of a locked period, in their order
-- (`ord`), adjustment lines included. Never updated or deleted.
CREATE TABLE payroll_lines (
    organisation_id   TEXT NOT NULL,
    period_id         TEXT NOT NULL,
    employee_id       TEXT NOT NULL,
    ord               BIGINT NOT NULL,
    category          TEXT NOT NULL,
    rate_percent      BIGINT NOT NULL,
    absence_kind      TEXT NOT NULL,
    pay_code          TEXT NOT NULL,
    minutes           BIGINT NOT NULL,
    count             BIGINT NOT NULL,
    adjusts_period_id TEXT NOT NULL,
    reason            TEXT NOT NULL,
    PRIMARY KEY (organisation_id, period_id, employee_id, ord)
);
CREATE INDEX payroll_lines_adjusts ON payroll_lines (organisation_id, employee_id, adjusts_period_id);

CREATE TRIGGER payroll_lines_append_only BEFORE UPDATE OR DELETE ON payroll_lines
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_append_only();
CREATE TRIGGER payroll_lines_no_truncate BEFORE TRUNCATE ON payroll_lines
    FOR EACH STATEMENT EXECUTE FUNCTION tidsvakt_append_only();
CREATE TRIGGER payroll_periods_append_only BEFORE UPDATE OR DELETE ON payroll_periods
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_append_only();
CREATE TRIGGER payroll_periods_no_truncate BEFORE TRUNCATE ON payroll_periods
    FOR EACH STATEMENT EXECUTE FUNCTION tidsvakt_append_only();
