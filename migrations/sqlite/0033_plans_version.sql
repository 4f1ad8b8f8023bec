-- A version of each organisation's plans (schedules, agreements, absences,
-- rule overrides, holidays, locked payroll periods), bumped by triggers in
-- the same transaction as any change to them (issue 15). A reader reads the
-- version first (one key lookup) and reuses the plans it read at that
-- version, instead of seven statements for every timesheet, headroom and
-- recompute. Triggers rather than code: no write path, present or future,
-- can change a plan and forget the bump.

ALTER TABLE organisations ADD COLUMN plans_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER schedules_insert_plans_version AFTER INSERT ON schedules
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER schedules_update_plans_version AFTER UPDATE ON schedules
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER schedules_delete_plans_version AFTER DELETE ON schedules
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = OLD.organisation_id; END;
CREATE TRIGGER agreements_insert_plans_version AFTER INSERT ON agreements
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER agreements_update_plans_version AFTER UPDATE ON agreements
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER agreements_delete_plans_version AFTER DELETE ON agreements
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = OLD.organisation_id; END;
CREATE TRIGGER absences_insert_plans_version AFTER INSERT ON absences
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER absences_update_plans_version AFTER UPDATE ON absences
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER absences_delete_plans_version AFTER DELETE ON absences
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = OLD.organisation_id; END;
CREATE TRIGGER rule_overrides_insert_plans_version AFTER INSERT ON rule_overrides
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER rule_overrides_update_plans_version AFTER UPDATE ON rule_overrides
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER rule_overrides_delete_plans_version AFTER DELETE ON rule_overrides
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = OLD.organisation_id; END;
CREATE TRIGGER org_holidays_insert_plans_version AFTER INSERT ON org_holidays
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER org_holidays_update_plans_version AFTER UPDATE ON org_holidays
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
CREATE TRIGGER org_holidays_delete_plans_version AFTER DELETE ON org_holidays
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = OLD.organisation_id; END;

-- Locked periods are append-only (0004): only an insert changes them.
CREATE TRIGGER payroll_periods_insert_plans_version AFTER INSERT ON payroll_periods
BEGIN UPDATE organisations SET plans_version = plans_version + 1 WHERE id = NEW.organisation_id; END;
