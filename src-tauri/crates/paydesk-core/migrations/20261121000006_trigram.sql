-- Part-of-a-word search for email and cardholder name (the admin tool's partial
-- match), answered from a trigram index instead of a scan of every payment.
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

-- Re-reading a payment rewrites its full-text row only when its text changed.
DROP TRIGGER payments_fts_update;
CREATE TRIGGER payments_fts_update AFTER UPDATE OF reference, description, email, cardholder_name, metadata_text ON payments
WHEN old.reference IS NOT new.reference OR old.description IS NOT new.description OR old.email IS NOT new.email
  OR old.cardholder_name IS NOT new.cardholder_name OR old.metadata_text IS NOT new.metadata_text BEGIN
    INSERT INTO payments_fts (payments_fts, rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES ('delete', old.rowid, old.reference, old.description, old.email, old.cardholder_name, old.metadata_text);
    INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text)
    VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text);
END;
