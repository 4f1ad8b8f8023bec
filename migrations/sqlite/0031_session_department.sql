-- A single sign-on session granted SAFETY_REP for one department (issue
-- 16): the department it reads, as a SAFETY_REP token's `department`.
-- NULL for every other session, and for a representative of the whole
-- organisation.
ALTER TABLE web_sessions ADD COLUMN department TEXT;
