-- Telephone payments taken from this desktop: the agent's list, and what the
-- mop-up job checks until each one is finished. No card details: GOV.UK Pay's
-- ids, the amount and reference, and the last four digits it returns.
CREATE TABLE telephone_payments (
    service_id   TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    payment_id   TEXT NOT NULL,
    reference    TEXT NOT NULL,
    description  TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    operator     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL,
    finished     INTEGER NOT NULL DEFAULT 0,
    code         TEXT,
    last4        TEXT,
    checked_at   TEXT,
    PRIMARY KEY (service_id, payment_id)
) STRICT;
CREATE INDEX telephone_payments_open ON telephone_payments (service_id, finished, created_at);
