-- Nudges and the transactional outbox. A nudge is written in the same
-- transaction that decides it (the recompute that found its finding), so a
-- decided nudge can never be lost; the outbox worker sends it later.
-- Instants are BIGINT microseconds (UTC).

-- One row per email. Addresses and bodies are not stored: the recipient's
-- address is read, and the message rendered, when it is sent.
CREATE TABLE outbox (
    organisation_id TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    -- Natural key: "nudge:…", "alerts:<manager>:<day>", "digest:<manager>:<week>",
    -- "reminder:<interval>". Unique, so a message is decided once however
    -- many replicas or retries decide it.
    message_key     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    recipient_id    TEXT NOT NULL,
    -- What the message is about, by kind: DIGEST the Monday of its week;
    -- REMINDER "<interval>|<suggested end>"; MANAGER_ALERTS the local day.
    reference       TEXT NOT NULL,
    -- PENDING, SENT, DEAD (out of attempts: an admin may retry) or CANCELLED
    -- (nothing left to say, e.g. every finding was resolved first).
    status          TEXT NOT NULL,
    send_after      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    -- A worker's claim: no other worker takes the row before this instant.
    lease_until     BIGINT,
    claimed_by      TEXT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    -- The subject as sent, for the employee's own list of nudges.
    subject         TEXT,
    PRIMARY KEY (organisation_id, message_id)
);
CREATE UNIQUE INDEX outbox_key ON outbox (organisation_id, message_key);
CREATE INDEX outbox_due ON outbox (status, send_after);

-- One row per finding told to one person: what the employee can list about
-- themselves (transparency), and the weekly dedup (unique dedup_key).
CREATE TABLE nudges (
    organisation_id TEXT NOT NULL,
    nudge_id        TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    recipient_id    TEXT NOT NULL,
    audience        TEXT NOT NULL,
    category        TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    finding_id      TEXT,
    severity        TEXT NOT NULL,
    decided_at      BIGINT NOT NULL,
    -- Set when the nudge was left out of its message (its finding was
    -- resolved first): nothing was said, and its dedup key was released.
    withdrawn_at    BIGINT,
    PRIMARY KEY (organisation_id, nudge_id)
);
CREATE UNIQUE INDEX nudges_dedup ON nudges (organisation_id, dedup_key);
CREATE INDEX nudges_employee ON nudges (organisation_id, employee_id, decided_at);
CREATE INDEX nudges_message ON nudges (organisation_id, message_id);

-- Optional categories an employee has muted.
CREATE TABLE nudge_mutes (
    organisation_id TEXT NOT NULL,
    employee_id     TEXT NOT NULL,
    category        TEXT NOT NULL,
    muted_at        BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, employee_id, category)
);
