-- Rule overrides apply from a date, like schedules (issue 13 item 9). One
-- override exists per scope, pack, rule, parameter and effective date, so
-- the unique key gains the date. Existing overrides apply always.
ALTER TABLE rule_overrides ADD COLUMN effective_from TEXT NOT NULL DEFAULT '1970-01-01';
DO $$
DECLARE c TEXT;
BEGIN
    SELECT conname INTO c FROM pg_constraint
     WHERE conrelid = 'rule_overrides'::regclass AND contype = 'u';
    IF c IS NOT NULL THEN
        EXECUTE format('ALTER TABLE rule_overrides DROP CONSTRAINT %I', c);
    END IF;
END $$;
ALTER TABLE rule_overrides ADD CONSTRAINT rule_overrides_key
    UNIQUE (organisation_id, scope, rule_pack, rule_id, parameter, effective_from);
