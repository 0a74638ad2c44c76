-- Paydesk's local database, in one place. Development went through fourteen
-- migrations; no release had shipped, so they were folded into this one.
-- From here on a landed migration is never edited: a change is a new file.
--
-- Everything in the cache tables can be fetched from GOV.UK Pay again. Nothing
-- here is a secret: API keys live in the OS keyring, card details are never
-- kept beyond the first six and last four digits GOV.UK Pay itself returns.

------------------------------------------------------------------------------
-- Services: the GOV.UK Pay accounts this desktop works with.
------------------------------------------------------------------------------
CREATE TABLE services (
    id          TEXT PRIMARY KEY NOT NULL,  -- also the key of its API key in the keyring
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    base_url    TEXT NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('test', 'live')),
    role        TEXT NOT NULL CHECK (role IN ('caseworker', 'call_centre', 'supervisor')),
    created_at  TEXT NOT NULL,
    -- The built-in sandbox: backed by the simulator Paydesk runs itself. Its
    -- address changes on every start, so it is marked, not matched by URL.
    sandbox     INTEGER NOT NULL DEFAULT 0 CHECK (sandbox IN (0, 1)),
    -- The service's range of payment rowids (see `payments` below).
    slot        INTEGER CHECK (slot BETWEEN 0 AND 511),
    -- A keyed hash of role, address, environment and sandbox flag (the key is
    -- in the OS keyring, see seal.rs): a change made outside Paydesk shows.
    seal        TEXT
) STRICT;

-- Names are what staff pick a service by, so no two may read the same.
CREATE UNIQUE INDEX services_name_unique ON services (name COLLATE NOCASE);
CREATE UNIQUE INDEX services_slot ON services (slot);

-- A new service takes the lowest free slot (one freed by a removed service,
-- whose payments went with it, may be taken again).
CREATE TRIGGER services_slot AFTER INSERT ON services WHEN new.slot IS NULL BEGIN
    UPDATE services SET slot = (
        SELECT min(n) FROM (SELECT 0 AS n UNION ALL SELECT slot + 1 FROM services WHERE slot IS NOT NULL)
        WHERE n NOT IN (SELECT slot FROM services WHERE slot IS NOT NULL)
    ) WHERE id = new.id;
END;

------------------------------------------------------------------------------
-- Payments.
--
-- The rowid orders the table newest first within each service's range:
--   rowid = slot * 2^54 + (2^42 - 1 - created_ms) * 2^12 + tie-breaker
-- (cache.rs `date_key`; the tie-breaker is 12 bits of a hash of the payment ID).
-- Newest first is then the order of the table and of both full-text indexes,
-- which FTS5 reads as a stream: the newest 20 of 100,000 matches cost 20 reads,
-- and a search of one service's words asks the index for that range alone
-- instead of reading each match's row to learn whose it is.
--
-- A payment's ID is unique within its service through the index
-- payments_payment_id, not a UNIQUE constraint: payment IDs are random, so each
-- new payment lands on a random page of that index, and a first fill sets it
-- aside (an index can be dropped, a constraint cannot) and builds it once the
-- payments are in (bulk.rs). Meanwhile payments are written by their rowid.
------------------------------------------------------------------------------
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
    fetched_ms        INTEGER NOT NULL
);

-- One index per filter the admin tool offers, each led by the service.
CREATE UNIQUE INDEX payments_payment_id ON payments (service_id, payment_id);
-- Newest first; the amount is in it so "sort by amount" over the newest
-- payments is answered from the index alone.
CREATE INDEX payments_created    ON payments (service_id, created_ms DESC, amount);
CREATE INDEX payments_reference  ON payments (service_id, reference COLLATE NOCASE);
CREATE INDEX payments_last4      ON payments (service_id, last4, created_ms DESC);
-- First six and last four together (a caseworker reading a card out) are
-- counted from this index alone; it serves the first six on their own too.
CREATE INDEX payments_first6     ON payments (service_id, first6, last4, created_ms DESC);
CREATE INDEX payments_brand      ON payments (service_id, card_brand, created_ms DESC);
CREATE INDEX payments_status     ON payments (service_id, status, created_ms DESC);
-- A recurring-payment agreement's payments, on the agreement's page.
CREATE INDEX payments_agreement  ON payments (service_id, agreement_id) WHERE agreement_id IS NOT NULL;
-- What a sync must read again: payments GOV.UK Pay has not finished.
CREATE INDEX payments_unfinished ON payments (service_id, created_ms) WHERE finished = 0;
-- An email's payments, once `email_values` (below) has found the addresses.
-- No service column: the rowid is in every entry and carries the service's
-- range, so a service's payments are told apart without reading them.
CREATE INDEX payments_email      ON payments (email) WHERE email IS NOT NULL;

-- Metadata values, one row each, so "metadata value" is an indexed filter.
CREATE TABLE payment_metadata (
    payment_rowid INTEGER NOT NULL REFERENCES payments(rowid) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (payment_rowid, key)
) WITHOUT ROWID;
CREATE INDEX payment_metadata_value ON payment_metadata (value COLLATE NOCASE);

-- A payment's story (the events GOV.UK Pay lists), read when its page opens.
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

------------------------------------------------------------------------------
-- Search over what staff type into the one search box.
------------------------------------------------------------------------------

-- Words and the starts of words. Entries for the first 1 to 8 characters of
-- every word let text typed a key at a time ("P", "PR", "PRK-0") read one list
-- as a stream instead of merging the lists of every word that starts that way.
-- No positions (`detail = none`): the search box asks for words and their
-- starts, never a phrase, and the index is a third smaller without them.
CREATE VIRTUAL TABLE payments_fts USING fts5(
    reference, description, email, cardholder_name, metadata_text,
    content = 'payments', content_rowid = 'rowid',
    prefix = '1 2 3 4 5 6 7 8',
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''-_@.''',
    detail = none
);

-- Part of a word in an email or a cardholder's name (the admin tool's partial
-- match). Positions are kept, so a part is asked as a phrase of consecutive
-- trigrams, which is exactly "contains": no row is read to test it with LIKE.
CREATE VIRTUAL TABLE payments_trigram USING fts5(
    email, cardholder_name,
    content = 'payments', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0'
);

-- FTS5 writes new entries out as a segment each time they pass its hash size
-- (1 MB unless told), then merges segments. A first fill's index build would
-- make hundreds of segments and spend most of its time merging them; with
-- 64 MB it makes a few. A normal sync commits far less than this at a time.
-- The setting lives in each table's config row, so every connection has it.
INSERT INTO payments_fts (payments_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO payments_trigram (payments_trigram, rank) VALUES ('hashsize', 67108864);

-- Both kept up by triggers. A first fill drops the triggers, loads, and builds
-- the indexes in one pass (bulk.rs). Re-reading a payment rewrites its entries
-- only when its text changed.
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

-- Each distinct email once, with a trigram index of its own. A payer's email
-- comes back on many payments, so the addresses are far fewer than the
-- payments: a part of an email finds its few addresses here, then their
-- payments through payments_email, instead of walking the payments' trigram
-- lists. It holds exactly the emails cached payments hold: kept so by the
-- triggers below and by a first fill's index build. An address goes with the
-- last payment that holds it.
CREATE TABLE email_values (
    id    INTEGER PRIMARY KEY,
    value TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE email_values_trigram USING fts5(
    value,
    content = 'email_values', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 0'
);
INSERT INTO email_values_trigram (email_values_trigram, rank) VALUES ('hashsize', 67108864);
-- An address that goes is taken out of the stored segments there and then,
-- not left in them until a merge.
INSERT INTO email_values_trigram (email_values_trigram, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER email_values_trigram_insert AFTER INSERT ON email_values BEGIN
    INSERT INTO email_values_trigram (rowid, value) VALUES (new.id, new.value);
END;
CREATE TRIGGER email_values_trigram_delete AFTER DELETE ON email_values BEGIN
    INSERT INTO email_values_trigram (email_values_trigram, rowid, value) VALUES ('delete', old.id, old.value);
END;
-- Not `INSERT OR IGNORE`: the statement that fires a trigger imposes its own
-- conflict policy on it, and an upsert's update part aborts on a conflict.
CREATE TRIGGER payments_email_insert AFTER INSERT ON payments
WHEN new.email IS NOT NULL BEGIN
    INSERT INTO email_values (value) SELECT new.email
    WHERE NOT EXISTS (SELECT 1 FROM email_values WHERE value = new.email);
END;
CREATE TRIGGER payments_email_update AFTER UPDATE OF email ON payments
WHEN old.email IS NOT new.email BEGIN
    INSERT INTO email_values (value) SELECT new.email
    WHERE new.email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM email_values WHERE value = new.email);
    DELETE FROM email_values WHERE value = old.email
        AND NOT EXISTS (SELECT 1 FROM payments WHERE email = old.email);
END;
CREATE TRIGGER payments_email_delete AFTER DELETE ON payments
WHEN old.email IS NOT NULL BEGIN
    DELETE FROM email_values WHERE value = old.email
        AND NOT EXISTS (SELECT 1 FROM payments WHERE email = old.email);
END;

-- What a first fill set aside (indexes and triggers above), with the SQL to
-- make each again, written in the same transaction that dropped it: a crash
-- part-way leaves the way back on disk, and opening the database restores it.
CREATE TABLE deferred_schema (
    name TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('index', 'trigger')),
    sql  TEXT NOT NULL
) WITHOUT ROWID;

------------------------------------------------------------------------------
-- Refunds, disputes and agreements.
------------------------------------------------------------------------------
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
-- A payment's refunds (its page, its refund totals, reconciliation).
CREATE INDEX refunds_payment ON refunds (service_id, payment_id);
-- Refunds newest first (the dashboard, the finance export).
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
-- A payment's disputes (its page; a disputed payment is not refunded).
CREATE INDEX disputes_payment ON disputes (service_id, payment_id);
-- The disputes list: open ones by the date evidence is due.
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
-- The agreements list's two filters.
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

------------------------------------------------------------------------------
-- Staff work: cases, notes, telephone payments, settings.
------------------------------------------------------------------------------

-- Staff group a citizen's payments under one case and keep notes on it.
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
-- A case's notes, oldest first.
CREATE INDEX case_notes_case ON case_notes (case_id, id);

-- Settings of this desktop (the staff name for the audit record).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- Telephone payments taken from this desktop: the agent's list, and what the
-- mop-up checks until each is finished. No card details: GOV.UK Pay's IDs,
-- the amount and reference, and the last four digits it returns. A payment is
-- created when the agent moves on to the card and authorised after they
-- confirm; `attempt_seq` is the audit row written before it was created, so
-- the outcome, minutes later, is chained to it.
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
    attempt_seq  INTEGER,
    PRIMARY KEY (service_id, payment_id)
) STRICT;
-- The mop-up's question: which are not finished yet, oldest first.
CREATE INDEX telephone_payments_open ON telephone_payments (service_id, finished, created_at);

------------------------------------------------------------------------------
-- The audit record: append-only. An action that changes money or state at
-- GOV.UK Pay gets an 'attempt' row before the call and an outcome row after
-- it ('succeeded', 'failed', 'unknown', or 'reconciled' once found out); one
-- Paydesk refuses itself before sending is 'not_sent'. Each row's hash is an
-- HMAC, under the record key in the OS keyring, over its fields and the
-- previous row's hash (audit.rs, seal.rs). No keys, no card details.
------------------------------------------------------------------------------
CREATE TABLE audit_log (
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
-- A payment's staff actions (its timeline; unresolved attempts before a refund).
CREATE INDEX audit_payment ON audit_log (service_id, payment_id);
-- Activity and the dashboard, by date.
CREATE INDEX audit_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
