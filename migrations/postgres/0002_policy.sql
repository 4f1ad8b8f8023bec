-- Plans the rules are measured against. Dates are local dates as TEXT
-- 'YYYY-MM-DD' (they sort like dates); instants BIGINT microseconds (UTC).
-- These are plans, not the record: they may be updated (a schedule is cut
-- back by a newer one), but agreements and absences are ended or cancelled,
-- never deleted, so the record keeps what applied when.

CREATE TABLE schedules (
    organisation_id TEXT NOT NULL,
    schedule_id     TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_to        TEXT,
    -- "weekday:normal:start:end:break;…", start/end in minutes after midnight or -1.
    days            TEXT NOT NULL,
    breaks_paid     BIGINT NOT NULL,
    core_start      BIGINT,
    core_end        BIGINT,
    flex_start      BIGINT,
    flex_end        BIGINT,
    flex_min        BIGINT NOT NULL,
    flex_max        BIGINT NOT NULL,
    shift_work      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    PRIMARY KEY (organisation_id, schedule_id)
);
CREATE INDEX schedules_employee ON schedules (organisation_id, employee_id, valid_from);

CREATE TABLE agreements (
    organisation_id TEXT NOT NULL,
    agreement_id    TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    basis           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_to        TEXT,
    reference       TEXT NOT NULL,
    -- The terms' integers, "a,b,c,d", in the order of the proto message.
    terms           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    ended_at        BIGINT,
    end_reason      TEXT,
    PRIMARY KEY (organisation_id, agreement_id)
);
CREATE INDEX agreements_employee ON agreements (organisation_id, employee_id, valid_from);

CREATE TABLE absences (
    organisation_id TEXT NOT NULL,
    absence_id      TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    first_day       TEXT NOT NULL,
    last_day        TEXT NOT NULL,
    minutes_per_day BIGINT NOT NULL,
    note            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    cancelled_at    BIGINT,
    cancel_reason   TEXT,
    PRIMARY KEY (organisation_id, absence_id)
);
CREATE INDEX absences_employee ON absences (organisation_id, employee_id, first_day);

CREATE TABLE rule_overrides (
    organisation_id TEXT NOT NULL,
    override_id     TEXT NOT NULL,
    -- '' for the organisation, else the employee's id.
    scope           TEXT NOT NULL,
    rule_pack       TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    parameter       TEXT NOT NULL,
    value           BIGINT NOT NULL,
    unit            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    updated_by      TEXT NOT NULL,
    PRIMARY KEY (organisation_id, override_id),
    UNIQUE (organisation_id, scope, rule_pack, rule_id, parameter)
);

CREATE TABLE org_holidays (
    organisation_id TEXT NOT NULL,
    holiday_id      TEXT NOT NULL,
    day             TEXT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    window_start    BIGINT,
    PRIMARY KEY (organisation_id, holiday_id),
    UNIQUE (organisation_id, day)
);
