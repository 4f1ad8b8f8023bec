-- Single sign-on with OpenID Connect (issue 16 item 3).
-- Instants are BIGINT microseconds (UTC), as everywhere.

-- A sign-in started at a provider and not yet finished: what the callback
-- needs to check the answer (the PKCE verifier and the nonce), keyed by the
-- SHA-256 of the `state` sent to the provider (the browser holds the state
-- in a cookie too). Good once, for 10 minutes: `used_at` is set when the
-- callback takes it, so a replayed callback finds it used.
CREATE TABLE sso_logins (
    state_hash    TEXT NOT NULL PRIMARY KEY,
    provider_id   TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    -- Where the person wanted to go (a path of ours).
    next_path     TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);
CREATE INDEX sso_logins_expiry ON sso_logins (expires_at);

-- A session opened by single sign-on: `sso_subject` is "<provider id>:<sub>"
-- (the provider's id of the person, never an address), the owner of a
-- session that has no employee; `role` is a role granted by configuration
-- (NULL: EMPLOYEE or MANAGER from the employee record, as for a link);
-- `display_name` names a person without an employee record in the pages and
-- the audit trail.
ALTER TABLE web_sessions ADD COLUMN sso_subject TEXT;
ALTER TABLE web_sessions ADD COLUMN role TEXT;
ALTER TABLE web_sessions ADD COLUMN display_name TEXT;
