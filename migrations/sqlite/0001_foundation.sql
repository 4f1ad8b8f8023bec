-- Foundation: organisations, employees, API tokens, clock events and amendments.
-- Instants are BIGINT microseconds since the Unix epoch, UTC. Ids are UUID text.
-- Flags are BIGINT 0/1 so the same SQL reads both back-ends.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE employees (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    external_id     TEXT NOT NULL,
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    manager_id      TEXT REFERENCES employees (id),
    time_zone       TEXT NOT NULL,
    locale          TEXT NOT NULL,
    rule_pack       TEXT NOT NULL,
    exemption       TEXT NOT NULL,
    active          BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deactivated_at  BIGINT,
    UNIQUE (organisation_id, external_id)
);
CREATE INDEX employees_manager ON employees (organisation_id, manager_id);

CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    employee_id     TEXT REFERENCES employees (id),
    secret_hash     TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens (organisation_id, created_at, id);

-- Immutable: rows are only ever inserted (see the triggers below).
CREATE TABLE clock_events (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    event_id        TEXT NOT NULL,
    employee_id     TEXT NOT NULL REFERENCES employees (id),
    kind            TEXT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    location        TEXT,
    device_id       TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, event_id)
);
CREATE INDEX clock_events_employee ON clock_events (organisation_id, employee_id, occurred_at);

-- Corrections are appended here; clock_events is never touched.
CREATE TABLE amendments (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    amendment_id    TEXT NOT NULL,
    employee_id     TEXT NOT NULL REFERENCES employees (id),
    -- Order of the employee's corrections (1, 2, ...): they apply in this order.
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    target_event_id TEXT,
    event_kind      TEXT,
    occurred_at     BIGINT,
    location        TEXT,
    reason          TEXT NOT NULL,
    author_token_id TEXT NOT NULL,
    author          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, amendment_id),
    UNIQUE (organisation_id, employee_id, seq)
);

CREATE TRIGGER clock_events_no_update BEFORE UPDATE ON clock_events
BEGIN SELECT RAISE(ABORT, 'clock_events is append-only'); END;
CREATE TRIGGER clock_events_no_delete BEFORE DELETE ON clock_events
BEGIN SELECT RAISE(ABORT, 'clock_events is append-only'); END;
CREATE TRIGGER amendments_no_update BEFORE UPDATE ON amendments
BEGIN SELECT RAISE(ABORT, 'amendments is append-only'); END;
CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments
BEGIN SELECT RAISE(ABORT, 'amendments is append-only'); END;
