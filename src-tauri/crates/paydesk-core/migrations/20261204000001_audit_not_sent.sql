-- An action Paydesk refuses itself, before anything is sent to GOV.UK Pay (the
-- amount available changed, GOV.UK Pay says the payment cannot be refunded), is
-- recorded too, as phase 'not_sent'. SQLite cannot change a CHECK in place, so
-- the table is rebuilt with every row, hash and index kept as it was.
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;

CREATE TABLE audit_log_new (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    operator    TEXT NOT NULL,
    service_id  TEXT NOT NULL,
    service_name TEXT NOT NULL,
    action      TEXT NOT NULL,
    phase       TEXT NOT NULL CHECK (phase IN ('attempt', 'not_sent', 'succeeded', 'failed', 'unknown', 'reconciled')),
    attempt_seq INTEGER,
    payment_id  TEXT,
    target_id   TEXT,
    amount      INTEGER,
    pay_code    TEXT,
    detail      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
INSERT INTO audit_log_new SELECT seq, at, operator, service_id, service_name, action, phase, attempt_seq,
    payment_id, target_id, amount, pay_code, detail, prev_hash, hash FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_payment ON audit_log (service_id, payment_id);
CREATE INDEX audit_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
