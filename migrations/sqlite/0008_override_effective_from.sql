-- Rule overrides apply from a date, like schedules (issue 13 item 9). One
-- override exists per scope, pack, rule, parameter and effective date, so
-- the unique key gains the date: SQLite cannot change a constraint in
-- place, so the table is rebuilt. Existing overrides apply always.
CREATE TABLE rule_overrides_dated (
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
    -- First local date it applies to, YYYY-MM-DD.
    effective_from  TEXT NOT NULL DEFAULT '1970-01-01',
    PRIMARY KEY (organisation_id, override_id),
    UNIQUE (organisation_id, scope, rule_pack, rule_id, parameter, effective_from)
);
INSERT INTO rule_overrides_dated (organisation_id, override_id, scope, rule_pack, rule_id,
    parameter, value, unit, reason, updated_at, updated_by, effective_from)
SELECT organisation_id, override_id, scope, rule_pack, rule_id, parameter, value, unit,
    reason, updated_at, updated_by, '1970-01-01' FROM rule_overrides;
DROP TABLE rule_overrides;
ALTER TABLE rule_overrides_dated RENAME TO rule_overrides;
