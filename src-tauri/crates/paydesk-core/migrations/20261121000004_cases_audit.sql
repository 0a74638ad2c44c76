-- Cases: staff group a citizen's payments under one case and keep notes on it.
CREATE TABLE cases (
    id         TEXT PRIMARY KEY NOT NULL,
    service_id TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    reference  TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    title      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (service_id, reference)
) STRICT;

CREATE TABLE case_payments (
    case_id    TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    service_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (case_id, payment_id),
    -- A payment belongs to one case at most.
    UNIQUE (service_id, payment_id)
) STRICT;

CREATE TABLE case_notes (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX case_notes_case ON case_notes (case_id, id);

-- Settings of this desktop (the operator's name for the audit trail).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- The audit trail: append-only. Every action that changes money or state at
-- GOV.UK Pay gets an 'attempt' row before the call and a result row after it
-- (or a 'reconciled' row when the outcome had to be found out). Each row holds
-- the SHA-256 of the previous row's hash and its own content, so an altered or
-- removed row breaks the chain. No keys and no card details are ever written.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    operator    TEXT NOT NULL,
    service_id  TEXT NOT NULL,
    service_name TEXT NOT NULL,
    action      TEXT NOT NULL,
    phase       TEXT NOT NULL CHECK (phase IN ('attempt', 'succeeded', 'failed', 'unknown', 'reconciled')),
    attempt_seq INTEGER,
    payment_id  TEXT,
    target_id   TEXT,
    amount      INTEGER,
    pay_code    TEXT,
    detail      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
CREATE INDEX audit_payment ON audit_log (service_id, payment_id);
CREATE INDEX audit_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
