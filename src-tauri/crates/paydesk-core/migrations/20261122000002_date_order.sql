-- Payments are numbered newest first: rowid = (2^42 - 1 - created_ms) * 2^12 plus
-- a tie-breaker (cache.rs gives new rows 12 bits of a hash of their payment ID;
-- rows already cached are numbered here by payment ID within their millisecond).
-- Newest first is then the order of the table and of both full-text indexes,
-- which FTS5 reads as a stream: the newest 20 of 100,000 matches cost 20 reads.
-- The word index also keeps entries for the first 1 to 5 characters of every
-- word, so text typed a key at a time ("P", "PR", "PRK-0") reads one list
-- instead of merging the lists of every reference that starts that way.

DROP TRIGGER IF EXISTS payments_fts_insert;
DROP TRIGGER IF EXISTS payments_fts_delete;
DROP TRIGGER IF EXISTS payments_fts_update;
DROP TRIGGER IF EXISTS payments_trigram_insert;
DROP TRIGGER IF EXISTS payments_trigram_delete;
DROP TRIGGER IF EXISTS payments_trigram_update;
DROP TABLE payments_fts;
DROP TABLE payments_trigram;

CREATE TABLE payment_renumber (
    old INTEGER PRIMARY KEY,
    new INTEGER NOT NULL
);
INSERT INTO payment_renumber (old, new)
SELECT rowid,
       (4398046511103 - min(max(created_ms, 0), 4398046511103)) * 4096
         + row_number() OVER (PARTITION BY created_ms ORDER BY service_id, payment_id) - 1
FROM payments;

-- Metadata rows point at payments by rowid: they move with them, checked at commit.
PRAGMA defer_foreign_keys = ON;
-- Through negative numbers, so no new number meets an old one on the way.
UPDATE payments SET rowid = -rowid;
UPDATE payments SET rowid = (SELECT new FROM payment_renumber WHERE old = -payments.rowid);
UPDATE payment_metadata SET payment_rowid = -payment_rowid;
UPDATE payment_metadata
   SET payment_rowid = (SELECT new FROM payment_renumber WHERE old = -payment_metadata.payment_rowid);
DROP TABLE payment_renumber;

CREATE VIRTUAL TABLE payments_fts USING fts5(
    reference, description, email, cardholder_name, metadata_text,
    content = 'payments', content_rowid = 'rowid',
    prefix = '1 2 3 4 5',
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''-_@.'''
);
INSERT INTO payments_fts (payments_fts) VALUES ('rebuild');
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

CREATE VIRTUAL TABLE payments_trigram USING fts5(
    email, cardholder_name,
    content = 'payments', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0',
    detail = 'none'
);
INSERT INTO payments_trigram (payments_trigram) VALUES ('rebuild');
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
