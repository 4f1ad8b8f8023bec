-- Token lifecycle (issue 14 item 2): an expiry, the last use (written at
-- most once a minute), and rotation: a new secret, with the previous one
-- accepted until previous_valid_until. Existing tokens keep no expiry;
-- EMPLOYEE and MANAGER tokens created from now on must carry one.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN rotated_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE api_tokens ADD COLUMN previous_valid_until BIGINT;
CREATE UNIQUE INDEX api_tokens_previous_secret ON api_tokens (previous_secret_hash);
CREATE INDEX api_tokens_employee ON api_tokens (organisation_id, employee_id);
