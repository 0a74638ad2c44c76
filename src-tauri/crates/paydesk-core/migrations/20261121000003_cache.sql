-- The local cache of what GOV.UK Pay holds, per service. Everything here can be
-- fetched again; nothing here is a secret (no keys, no card numbers beyond the
-- first six and last four digits GOV.UK Pay itself returns).

CREATE TABLE payments (
    rowid             INTEGER PRIMARY KEY,
    service_id        TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    payment_id        TEXT NOT NULL,
    amount            INTEGER NOT NULL,
    reference         TEXT NOT NULL,
    description       TEXT NOT NULL,
    email             TEXT,
    status            TEXT NOT NULL,
    finished          INTEGER NOT NULL,
    code              TEXT,
    message           TEXT,
    card_brand        TEXT,
    card_type         TEXT,
    first6            TEXT,
    last4             TEXT,
    expiry            TEXT,
    cardholder_name   TEXT,
    created_ms        INTEGER NOT NULL,
    created_date      TEXT NOT NULL,
    captured_date     TEXT,
    settled_date      TEXT,
    refund_status     TEXT,
    refund_available  INTEGER,
    refund_submitted  INTEGER,
    provider          TEXT,
    provider_id       TEXT,
    mode              TEXT,
    moto              INTEGER,
    delayed_capture   INTEGER,
    language          TEXT,
    agreement_id      TEXT,
    fee               INTEGER,
    net_amount        INTEGER,
    total_amount      INTEGER,
    corporate_surcharge INTEGER,
    wallet_type       TEXT,
    three_ds_required INTEGER,
    return_url        TEXT,
    metadata          TEXT,            -- the API's metadata object, as JSON
    metadata_text     TEXT NOT NULL DEFAULT '', -- its values, for full-text search
    fetched_ms        INTEGER NOT NULL,
    UNIQUE (service_id, payment_id)
);

-- One index per filter the admin tool offers, each led by the service.
CREATE INDEX payments_created   ON payments (service_id, created_ms DESC);
CREATE INDEX payments_reference ON payments (service_id, reference COLLATE NOCASE);
CREATE INDEX payments_email     ON payments (service_id, email COLLATE NOCASE);
CREATE INDEX payments_holder    ON payments (service_id, cardholder_name COLLATE NOCASE);
CREATE INDEX payments_last4     ON payments (service_id, last4, created_ms DESC);
CREATE INDEX payments_first6    ON payments (service_id, first6, created_ms DESC);
CREATE INDEX payments_brand     ON payments (service_id, card_brand, created_ms DESC);
CREATE INDEX payments_status    ON payments (service_id, status, created_ms DESC);
CREATE INDEX payments_agreement ON payments (service_id, agreement_id) WHERE agreement_id IS NOT NULL;
CREATE INDEX payments_unfinished ON payments (service_id, created_ms) WHERE finished = 0;

-- Metadata values, one row each, so "metadata value" is an indexed filter.
CREATE TABLE payment_metadata (
    payment_rowid INTEGER NOT NULL REFERENCES payments(rowid) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (payment_rowid, key)
) WITHOUT ROWID;
CREATE INDEX payment_metadata_value ON payment_metadata (value COLLATE NOCASE);

-- Full-text search over what staff type into the one search box.
CREATE VIRTUAL TABLE payments_fts USING fts5(
    reference, description, email, cardholder_name, metadata_text,
    content = 'payments', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''-_@.'''
);
CREATE TRIGGER payments_fts_insert AFTER INSERT ON payments BEGIN
    INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text);
END;
CREATE TRIGGER payments_fts_delete AFTER DELETE ON payments BEGIN
    INSERT INTO payments_fts (payments_fts, rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES ('delete', old.rowid, old.reference, old.description, old.email, old.cardholder_name, old.metadata_text);
END;
CREATE TRIGGER payments_fts_update AFTER UPDATE OF reference, description, email, cardholder_name, metadata_text ON payments BEGIN
    INSERT INTO payments_fts (payments_fts, rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES ('delete', old.rowid, old.reference, old.description, old.email, old.cardholder_name, old.metadata_text);
    INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text);
END;

CREATE TABLE payment_events (
    service_id TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    payment_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    status     TEXT NOT NULL,
    finished   INTEGER NOT NULL,
    code       TEXT,
    message    TEXT,
    updated    TEXT NOT NULL,
    PRIMARY KEY (service_id, payment_id, seq)
) WITHOUT ROWID;

CREATE TABLE refunds (
    service_id   TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    refund_id    TEXT NOT NULL,
    payment_id   TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    status       TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    created_date TEXT NOT NULL,
    settled_date TEXT,
    PRIMARY KEY (service_id, refund_id)
) WITHOUT ROWID;
CREATE INDEX refunds_payment ON refunds (service_id, payment_id);
CREATE INDEX refunds_created ON refunds (service_id, created_ms DESC);

CREATE TABLE disputes (
    service_id        TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    dispute_id        TEXT NOT NULL,
    payment_id        TEXT NOT NULL,
    amount            INTEGER NOT NULL,
    fee               INTEGER,
    net_amount        INTEGER,
    status            TEXT NOT NULL,
    reason            TEXT,
    created_ms        INTEGER NOT NULL,
    created_date      TEXT NOT NULL,
    evidence_due_date TEXT,
    settled_date      TEXT,
    PRIMARY KEY (service_id, dispute_id)
) WITHOUT ROWID;
CREATE INDEX disputes_payment ON disputes (service_id, payment_id);
CREATE INDEX disputes_due ON disputes (service_id, status, evidence_due_date);

CREATE TABLE agreements (
    service_id      TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    agreement_id    TEXT NOT NULL,
    reference       TEXT NOT NULL,
    description     TEXT NOT NULL,
    status          TEXT NOT NULL,
    user_identifier TEXT,
    created_date    TEXT,
    cancelled_date  TEXT,
    instrument      TEXT,               -- payment_instrument as JSON (brand, last four, expiry)
    PRIMARY KEY (service_id, agreement_id)
) WITHOUT ROWID;
CREATE INDEX agreements_reference ON agreements (service_id, reference COLLATE NOCASE);
CREATE INDEX agreements_status ON agreements (service_id, status);

-- Where each service's sync has got to, per resource, so it can resume.
CREATE TABLE sync_state (
    service_id     TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    resource       TEXT NOT NULL CHECK (resource IN ('payments', 'refunds', 'disputes', 'agreements')),
    -- Everything created before this moment (ms) has been read at least once.
    synced_until_ms INTEGER,
    -- The window being read now, and the next page of it; NULL when idle.
    window_from_ms INTEGER,
    window_to_ms   INTEGER,
    next_page      INTEGER,
    last_run_ms    INTEGER,
    PRIMARY KEY (service_id, resource)
) WITHOUT ROWID;
