-- The § 10-7 record for safety representatives (issue 16 item 2): an
-- employee's department (free text, NULL for none) and the department a
-- SAFETY_REP token is scoped to (NULL for the whole organisation).
ALTER TABLE employees ADD COLUMN department TEXT;
ALTER TABLE api_tokens ADD COLUMN department TEXT;
