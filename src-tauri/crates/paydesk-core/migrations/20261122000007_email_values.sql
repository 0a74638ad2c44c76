-- Counting the payments whose email holds a part ("loe.ok") walked the
-- trigram index's lists for every payment's email: 25,000-42,000 entries each
-- at 1,000,000 payments, for a few thousand matches. A payer's email comes
-- back on many payments, so the distinct emails are far fewer than the
-- payments. Each is kept once here, with a trigram index of its own: a part
-- finds its few addresses there, and their payments through `payments_email`.
--
-- `email_values` holds the emails the cached payments hold, no more: kept so
-- by the triggers below, and by a first fill's index build (see `bulk.rs`).
-- An address goes with the last payment holding it (a service removed takes
-- its payers' addresses with it).
CREATE TABLE email_values (
    id    INTEGER PRIMARY KEY,
    value TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE email_values_trigram USING fts5(
    value,
    content = 'email_values', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 0'
);
CREATE TRIGGER email_values_trigram_insert AFTER INSERT ON email_values BEGIN
    INSERT INTO email_values_trigram (rowid, value) VALUES (new.id, new.value);
END;
CREATE TRIGGER email_values_trigram_delete AFTER DELETE ON email_values BEGIN
    INSERT INTO email_values_trigram (email_values_trigram, rowid, value) VALUES ('delete', old.id, old.value);
END;
-- A first fill adds every address at once (see `fts_hashsize`).
INSERT INTO email_values_trigram (email_values_trigram, rank) VALUES ('hashsize', 67108864);
-- An address that goes is taken out of the index's stored segments there and
-- then, not left in them until a merge.
INSERT INTO email_values_trigram (email_values_trigram, rank) VALUES ('secure-delete', 1);

-- The rowid (each service's own range, see `cache::service_rowids`) is in
-- every entry, so a service's payments are told apart without reading them.
CREATE INDEX payments_email ON payments (email) WHERE email IS NOT NULL;

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

INSERT OR IGNORE INTO email_values (value)
SELECT DISTINCT email FROM payments WHERE email IS NOT NULL ORDER BY email;
