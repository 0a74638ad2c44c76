-- A payment's ID is kept unique within its service by an index of its own,
-- payments_payment_id, instead of the table's UNIQUE constraint.
--
-- Payment IDs are random, so every new payment lands on a random page of that
-- index. During a first fill each commit rewrote most of those pages into the
-- WAL: at 1,000,000 payments, loading the table took 20 s with the constraint
-- and 2.5 s without it (SQLite alone). A constraint cannot be dropped; an index
-- can. A first fill now sets it aside with the search indexes and builds it
-- again once the payments are in (see bulk.rs); meanwhile payments are written
-- by their rowid, which is made from the payment's creation time and ID.
--
-- SQLite cannot alter a constraint, so the table is made again. Foreign keys
-- are on inside a migration: dropping `payments` with metadata rows still
-- pointing at it would delete them, so the metadata is kept aside first.

CREATE TABLE payments_new (
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
    fetched_ms        INTEGER NOT NULL
);
INSERT INTO payments_new SELECT * FROM payments;

CREATE TABLE payment_metadata_kept AS SELECT payment_rowid, key, value FROM payment_metadata;
DROP TABLE payment_metadata;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;

CREATE TABLE payment_metadata (
    payment_rowid INTEGER NOT NULL REFERENCES payments(rowid) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (payment_rowid, key)
) WITHOUT ROWID;
INSERT INTO payment_metadata (payment_rowid, key, value)
SELECT payment_rowid, key, value FROM payment_metadata_kept ORDER BY payment_rowid, key;
DROP TABLE payment_metadata_kept;

-- The indexes and triggers went with the tables: the same again, plus the new
-- one. (If a first fill had them aside when it stopped, opening the cache
-- builds the full text again as before; what already exists is skipped.)
CREATE UNIQUE INDEX payments_payment_id ON payments (service_id, payment_id);
CREATE INDEX payments_created    ON payments (service_id, created_ms DESC, amount);
CREATE INDEX payments_reference  ON payments (service_id, reference COLLATE NOCASE);
CREATE INDEX payments_last4      ON payments (service_id, last4, created_ms DESC);
CREATE INDEX payments_first6     ON payments (service_id, first6, last4, created_ms DESC);
CREATE INDEX payments_brand      ON payments (service_id, card_brand, created_ms DESC);
CREATE INDEX payments_status     ON payments (service_id, status, created_ms DESC);
CREATE INDEX payments_agreement  ON payments (service_id, agreement_id) WHERE agreement_id IS NOT NULL;
CREATE INDEX payments_unfinished ON payments (service_id, created_ms) WHERE finished = 0;
CREATE INDEX payment_metadata_value ON payment_metadata (value COLLATE NOCASE);

CREATE TRIGGER payments_fts_insert AFTER INSERT ON payments BEGIN
    INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text);
END;
CREATE TRIGGER payments_fts_delete AFTER DELETE ON payments BEGIN
    INSERT INTO payments_fts (payments_fts, rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES ('delete', old.rowid, old.reference, old.description, old.email, old.cardholder_name, old.metadata_text);
END;
CREATE TRIGGER payments_fts_update AFTER UPDATE OF reference, description, email, cardholder_name, metadata_text ON payments
WHEN old.reference IS NOT new.reference OR old.description IS NOT new.description OR old.email IS NOT new.email
  OR old.cardholder_name IS NOT new.cardholder_name OR old.metadata_text IS NOT new.metadata_text BEGIN
    INSERT INTO payments_fts (payments_fts, rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES ('delete', old.rowid, old.reference, old.description, old.email, old.cardholder_name, old.metadata_text);
    INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text);
END;
CREATE TRIGGER payments_trigram_insert AFTER INSERT ON payments BEGIN
    INSERT INTO payments_trigram (rowid, email, cardholder_name) VALUES (new.rowid, new.email, new.cardholder_name);
END;
CREATE TRIGGER payments_trigram_delete AFTER DELETE ON payments BEGIN
    INSERT INTO payments_trigram (payments_trigram, rowid, email, cardholder_name) VALUES ('delete', old.rowid, old.email, old.cardholder_name);
END;
CREATE TRIGGER payments_trigram_update AFTER UPDATE OF email, cardholder_name ON payments
WHEN old.email IS NOT new.email OR old.cardholder_name IS NOT new.cardholder_name BEGIN
    INSERT INTO payments_trigram (payments_trigram, rowid, email, cardholder_name) VALUES ('delete', old.rowid, old.email, old.cardholder_name);
    INSERT INTO payments_trigram (rowid, email, cardholder_name) VALUES (new.rowid, new.email, new.cardholder_name);
END;
