-- The web front end: one-time sign-in links and browser sessions.
-- Secrets are stored only as their SHA-256 (lowercase hex); the secret
-- itself travels once, in the email or the cookie. Instants are BIGINT
-- microseconds (UTC).

-- A link is good once, for 15 minutes (the web layer decides the expiry).
CREATE TABLE sign_in_links (
    organisation_id TEXT NOT NULL,
    link_id         TEXT NOT NULL,
    secret_hash     TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    PRIMARY KEY (organisation_id, link_id)
);
CREATE UNIQUE INDEX sign_in_links_secret ON sign_in_links (secret_hash);

-- A browser session: an employee's (from a link), or an admin's (from an
-- admin token, to bootstrap; then token_id names it and revoking the token
-- ends the session). Ended sessions stay, so a person's list of sessions
-- shows what was ended and when.
CREATE TABLE web_sessions (
    organisation_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    secret_hash     TEXT NOT NULL,
    employee_id     TEXT,
    token_id        TEXT,
    -- What the person's browser called itself, cut short, so a list of
    -- sessions can be told apart. No address is stored.
    user_agent      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    ended_at        BIGINT,
    PRIMARY KEY (organisation_id, session_id)
);
CREATE UNIQUE INDEX web_sessions_secret ON web_sessions (secret_hash);
CREATE INDEX web_sessions_employee ON web_sessions (organisation_id, employee_id, created_at);

-- Sign-in looks people up by address across organisations.
CREATE INDEX employees_email ON employees (lower(email));
