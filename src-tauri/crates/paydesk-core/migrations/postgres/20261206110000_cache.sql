-- The team's shared cache of GOV.UK Pay: payments, refunds, disputes and
-- agreements, and where each service's sync has got to. One copy for the
-- team, so a million payments are read from GOV.UK Pay once, not once per
-- desktop. Everything here can be fetched from GOV.UK Pay again; nothing is a
-- secret (card details go no further than the first six and last four digits
-- GOV.UK Pay itself returns).

-- Parts of emails and names are found through trigram indexes. pg_trgm is a
-- trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- SQLite's NOCASE: ASCII letters folded, nothing else, so a reference sorts
-- and matches the same on either store (lower() would also fold other
-- letters, by the server's locale).
CREATE FUNCTION ascii_lower(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

------------------------------------------------------------------------------
-- Payments.
------------------------------------------------------------------------------
CREATE TABLE payments (
    service_id        text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    payment_id        text NOT NULL,
    -- The order of results, newest first: the creation time counted back,
    -- with 12 bits of the ID's hash to settle a millisecond (search.rs
    -- `date_key`; the SQLite store's rowid holds the same number), unique in
    -- the service, so both stores list payments in the same order.
    date_key          bigint NOT NULL,
    amount            bigint NOT NULL,
    reference         text NOT NULL,
    description       text NOT NULL,
    email             text,
    status            text NOT NULL,
    finished          boolean NOT NULL,
    code              text,
    message           text,
    card_brand        text,
    card_type         text,
    first6            text,
    last4             text,
    expiry            text,
    cardholder_name   text,
    created_ms        bigint NOT NULL,
    created_date      text NOT NULL,
    captured_date     text,
    settled_date      text,
    refund_status     text,
    refund_available  bigint,
    refund_submitted  bigint,
    provider          text,
    provider_id       text,
    mode              text,
    moto              boolean,
    delayed_capture   boolean,
    language          text,
    agreement_id      text,
    fee               bigint,
    net_amount        bigint,
    total_amount      bigint,
    corporate_surcharge bigint,
    wallet_type       text,
    three_ds_required boolean,
    return_url        text,
    metadata          text,             -- the API's metadata object, as JSON
    -- The words of reference, description, email, name and metadata values,
    -- split and folded by the core (search.rs `search_words`) as SQLite's
    -- word index splits them: one set of rules for both stores.
    words             tsvector NOT NULL,
    fetched_ms        bigint NOT NULL,
    PRIMARY KEY (service_id, payment_id)
);

-- Newest first within a service: the results' order, and the walk a page of
-- many matches takes.
CREATE UNIQUE INDEX payments_date_key ON payments (service_id, date_key);
-- Date ranges (the filter, the dashboard, the finance export).
CREATE INDEX payments_created    ON payments (service_id, created_ms DESC);
-- One index per filter the admin tool offers, each led by the service.
CREATE INDEX payments_reference  ON payments (service_id, ascii_lower(reference));
CREATE INDEX payments_last4      ON payments (service_id, last4, date_key);
CREATE INDEX payments_first6     ON payments (service_id, first6, last4, date_key);
CREATE INDEX payments_brand      ON payments (service_id, card_brand, date_key);
CREATE INDEX payments_status     ON payments (service_id, status, date_key);
-- A recurring-payment agreement's payments, on the agreement's page.
CREATE INDEX payments_agreement  ON payments (service_id, agreement_id) WHERE agreement_id IS NOT NULL;
-- What a sync must read again: payments GOV.UK Pay has not finished.
CREATE INDEX payments_unfinished ON payments (service_id, created_ms) WHERE NOT finished;
-- Words and the starts of words typed into the search box.
CREATE INDEX payments_words      ON payments USING gin (words);
-- Part of an email or a cardholder's name, in any case (ILIKE '%part%').
CREATE INDEX payments_email_part ON payments USING gin (email gin_trgm_ops);
CREATE INDEX payments_name_part  ON payments USING gin (cardholder_name gin_trgm_ops);

-- Metadata values, one row each, so "metadata value" is an indexed filter.
CREATE TABLE payment_metadata (
    service_id text NOT NULL,
    payment_id text NOT NULL,
    key        text NOT NULL,
    value      text NOT NULL,
    PRIMARY KEY (service_id, payment_id, key),
    FOREIGN KEY (service_id, payment_id) REFERENCES payments ON DELETE CASCADE
);
CREATE INDEX payment_metadata_value ON payment_metadata (service_id, ascii_lower(value));

------------------------------------------------------------------------------
-- Refunds, disputes and agreements.
------------------------------------------------------------------------------
CREATE TABLE refunds (
    service_id   text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    refund_id    text NOT NULL,
    payment_id   text NOT NULL,
    amount       bigint NOT NULL,
    status       text NOT NULL,
    created_ms   bigint NOT NULL,
    created_date text NOT NULL,
    settled_date text,
    PRIMARY KEY (service_id, refund_id)
);
-- A payment's refunds (its page, its refund totals, reconciliation).
CREATE INDEX refunds_payment ON refunds (service_id, payment_id);
-- Refunds newest first (the dashboard, the finance export).
CREATE INDEX refunds_created ON refunds (service_id, created_ms DESC);

CREATE TABLE disputes (
    service_id        text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    dispute_id        text NOT NULL,
    payment_id        text NOT NULL,
    amount            bigint NOT NULL,
    fee               bigint,
    net_amount        bigint,
    status            text NOT NULL,
    reason            text,
    created_ms        bigint NOT NULL,
    created_date      text NOT NULL,
    evidence_due_date text,
    settled_date      text,
    PRIMARY KEY (service_id, dispute_id)
);
-- A payment's disputes (its page; a disputed payment is not refunded).
CREATE INDEX disputes_payment ON disputes (service_id, payment_id);
-- The disputes list: open ones by the date evidence is due.
CREATE INDEX disputes_due ON disputes (service_id, status, evidence_due_date);

CREATE TABLE agreements (
    service_id      text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    agreement_id    text NOT NULL,
    reference       text NOT NULL,
    description     text NOT NULL,
    status          text NOT NULL,
    user_identifier text,
    created_date    text,
    cancelled_date  text,
    instrument      text,               -- payment_instrument as JSON (brand, last four, expiry)
    PRIMARY KEY (service_id, agreement_id)
);
-- The agreements list's two filters.
CREATE INDEX agreements_reference ON agreements USING gin (reference gin_trgm_ops);
CREATE INDEX agreements_status ON agreements (service_id, status);

-- Where each service's sync has got to, per resource, so it can resume.
CREATE TABLE sync_state (
    service_id      text NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    resource        text NOT NULL CHECK (resource IN ('payments', 'refunds', 'disputes', 'agreements')),
    -- Everything created before this moment (ms) has been read at least once.
    synced_until_ms bigint,
    -- The window being read now, and the next page of it; NULL when idle.
    window_from_ms  bigint,
    window_to_ms    bigint,
    next_page       bigint,
    last_run_ms     bigint,
    PRIMARY KEY (service_id, resource)
);
