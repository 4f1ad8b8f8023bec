-- A version of each organisation's plans (schedules, agreements, absences,
-- rule overrides, holidays, locked payroll periods), bumped by triggers in
-- the same transaction as any change to them (issue 15). A reader reads the
-- version first (one key lookup) and reuses the plans it read at that
-- version, instead of seven statements for every timesheet, headroom and
-- recompute. Triggers rather than code: no write path, present or future,
-- can change a plan and forget the bump.

ALTER TABLE organisations ADD COLUMN plans_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION tidsvakt_bump_plans_version() RETURNS trigger AS $$
BEGIN
    UPDATE organisations SET plans_version = plans_version + 1
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.organisation_id ELSE NEW.organisation_id END;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER schedules_plans_version AFTER INSERT OR UPDATE OR DELETE ON schedules
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_bump_plans_version();
CREATE TRIGGER agreements_plans_version AFTER INSERT OR UPDATE OR DELETE ON agreements
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_bump_plans_version();
CREATE TRIGGER absences_plans_version AFTER INSERT OR UPDATE OR DELETE ON absences
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_bump_plans_version();
CREATE TRIGGER rule_overrides_plans_version AFTER INSERT OR UPDATE OR DELETE ON rule_overrides
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_bump_plans_version();
CREATE TRIGGER org_holidays_plans_version AFTER INSERT OR UPDATE OR DELETE ON org_holidays
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_bump_plans_version();

-- Locked periods are append-only (0004): only an insert changes them.
CREATE TRIGGER payroll_periods_plans_version AFTER INSERT ON payroll_periods
    FOR EACH ROW EXECUTE FUNCTION tidsvakt_bump_plans_version();
