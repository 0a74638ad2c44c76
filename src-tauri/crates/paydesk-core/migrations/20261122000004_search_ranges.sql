-- Searches of one service's words and parts of words stop reading payment
-- rows, and words stop merging the lists of every word that starts the same.
--
-- Each service's payments are numbered in a range of their own: the top bits of
-- a payment's rowid are its service's slot (0 to 511), the bits below are its
-- date key (under 2^54, see cache.rs `date_key`). A search of one service's
-- words then asks the word index for that range alone, instead of reading each
-- match's row to learn whose it is: for a common word, 5,000 row reads.
ALTER TABLE services ADD COLUMN slot INTEGER CHECK (slot BETWEEN 0 AND 511);
UPDATE services SET slot = (SELECT count(*) FROM services s WHERE s.rowid < services.rowid);
CREATE UNIQUE INDEX services_slot ON services (slot);

-- A new service takes the lowest free slot (one freed by a removed service,
-- whose payments went with it, may be taken again).
CREATE TRIGGER services_slot AFTER INSERT ON services WHEN new.slot IS NULL BEGIN
    UPDATE services SET slot = (
        SELECT min(n) FROM (SELECT 0 AS n UNION ALL SELECT slot + 1 FROM services WHERE slot IS NOT NULL)
        WHERE n NOT IN (SELECT slot FROM services WHERE slot IS NOT NULL)
    ) WHERE id = new.id;
END;

-- Rows already cached move up into their service's range (slot 0 stays where it
-- is). Ranges do not overlap, so no new number meets an old one. Metadata rows
-- point at payments by rowid: they move first, checked at commit.
PRAGMA defer_foreign_keys = ON;
UPDATE payment_metadata
   SET payment_rowid = payment_rowid + 18014398509481984 * (
       SELECT s.slot FROM payments p JOIN services s ON s.id = p.service_id
       WHERE p.rowid = payment_metadata.payment_rowid)
 WHERE payment_rowid IN (SELECT p.rowid FROM payments p JOIN services s ON s.id = p.service_id WHERE s.slot > 0);
UPDATE payments
   SET rowid = rowid + 18014398509481984 * (SELECT slot FROM services WHERE id = payments.service_id)
 WHERE service_id IN (SELECT id FROM services WHERE slot > 0);

-- The word index is made again, keyed by the new rowids, now also keeping
-- entries for the first 6, 7 and 8 characters of every word. A word typed
-- whole ("parking", "mohammed") then reads one list as a stream, newest first,
-- and stops at the count's cap. Without such an entry FTS5 first merges the
-- lists of every word that starts that way: for "mohammed", every
-- "mohammed.jones12@..." address too, each time. Longer words still merge.
DROP TABLE payments_fts;
CREATE VIRTUAL TABLE payments_fts USING fts5(
    reference, description, email, cardholder_name, metadata_text,
    content = 'payments', content_rowid = 'rowid',
    prefix = '1 2 3 4 5 6 7 8',
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''-_@.'''
);
INSERT INTO payments_fts (payments_fts) VALUES ('rebuild');

-- The part-of-a-word index is made again too, now keeping where each trigram
-- stands (detail full). A part of a name or an email is then asked as a phrase
-- of consecutive trigrams, which is exactly "contains", so its matches are
-- counted without reading each candidate's row to test it with LIKE.
DROP TABLE payments_trigram;
CREATE VIRTUAL TABLE payments_trigram USING fts5(
    email, cardholder_name,
    content = 'payments', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0'
);
INSERT INTO payments_trigram (payments_trigram) VALUES ('rebuild');
