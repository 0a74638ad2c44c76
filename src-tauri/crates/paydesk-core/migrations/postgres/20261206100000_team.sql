-- The team database (PostgreSQL): what a team's desktops share. The same
-- tables as the embedded SQLite file (../sqlite), in PostgreSQL's own terms.
-- Times the domain seals or compares as text (RFC 3339, UTC) stay text, so a
-- row reads back exactly as it was written.
--
-- Not released yet: until team mode ships, steps may still be folded in here.
-- After that a landed migration is never edited: a change is a new file.

------------------------------------------------------------------------------
-- Services: the GOV.UK Pay accounts the team works with. Their API keys are in
-- each desktop's OS keyring, never here.
------------------------------------------------------------------------------
CREATE TABLE services (
    id          text PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    base_url    text NOT NULL,
    environment text NOT NULL CHECK (environment IN ('test', 'live')),
    role        text NOT NULL CHECK (role IN ('caseworker', 'call_centre', 'supervisor')),
    created_at  text NOT NULL,
    sandbox     boolean NOT NULL DEFAULT false,
    -- A keyed hash of role, address, environment and sandbox flag (see seal.rs).
    seal        text
);
-- Names are what staff pick a service by, so no two may read the same.
CREATE UNIQUE INDEX services_name_unique ON services (lower(name));
-- One sandbox at most.
CREATE UNIQUE INDEX services_one_sandbox ON services (sandbox) WHERE sandbox;

------------------------------------------------------------------------------
-- Staff work: cases, notes, telephone payments, settings.
------------------------------------------------------------------------------
CREATE TABLE cases (
    id         text PRIMARY KEY,
    service_id text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    reference  text NOT NULL CHECK (char_length(reference) BETWEEN 1 AND 100),
    title      text NOT NULL DEFAULT '',
    created_at text NOT NULL,
    UNIQUE (service_id, reference)
);

CREATE TABLE case_payments (
    case_id    text NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    service_id text NOT NULL,
    payment_id text NOT NULL,
    added_at   text NOT NULL,
    -- The order payments were added in, when two share a moment.
    added_seq  bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (case_id, payment_id),
    -- A payment belongs to one case at most.
    UNIQUE (service_id, payment_id)
);

CREATE TABLE case_notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id    text NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    author     text NOT NULL,
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
    created_at text NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);

-- Settings of the team database (one row per key).
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- Telephone payments taken by the team. No card details: GOV.UK Pay's IDs,
-- the amount and reference, and the last four digits it returns.
CREATE TABLE telephone_payments (
    service_id   text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    payment_id   text NOT NULL,
    reference    text NOT NULL,
    description  text NOT NULL,
    amount       bigint NOT NULL,
    operator     text NOT NULL,
    created_at   text NOT NULL,
    status       text NOT NULL,
    finished     boolean NOT NULL DEFAULT false,
    code         text,
    last4        text,
    checked_at   text,
    attempt_seq  bigint,
    PRIMARY KEY (service_id, payment_id)
);
CREATE INDEX telephone_payments_open ON telephone_payments (service_id, finished, created_at);

------------------------------------------------------------------------------
-- The audit record: one append-only chain for the team. Rows are appended
-- under a transaction-scoped advisory lock (see store/postgres/audit.rs), so
-- two desktops never fork the chain; `seq` and `prev_hash` being unique makes
-- a fork impossible even for a writer that skipped the lock.
------------------------------------------------------------------------------
CREATE TABLE audit_log (
    seq          bigint PRIMARY KEY CHECK (seq > 0),
    at           text NOT NULL,
    operator     text NOT NULL,
    service_id   text NOT NULL,
    service_name text NOT NULL,
    action       text NOT NULL,
    phase        text NOT NULL CHECK (phase IN ('attempt', 'not_sent', 'succeeded', 'failed', 'unknown', 'reconciled')),
    attempt_seq  bigint,
    payment_id   text,
    target_id    text,
    amount       bigint,
    pay_code     text,
    detail       text NOT NULL DEFAULT '',
    prev_hash    text NOT NULL UNIQUE,
    hash         text NOT NULL
);
CREATE INDEX audit_payment ON audit_log (service_id, payment_id);
CREATE INDEX audit_at ON audit_log (at);
CREATE INDEX audit_attempt ON audit_log (attempt_seq) WHERE attempt_seq IS NOT NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
