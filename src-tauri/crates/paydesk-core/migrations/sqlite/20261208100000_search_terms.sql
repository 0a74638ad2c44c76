-- The search box finds payments by part of a reference, email or name
-- ("0019992" in "PRK-0019992", "example.org"), by amount ("45", "£45.00")
-- and by the card's last four digits, in any mix of terms (search.rs
-- `SearchTerm`). What a payment is found by beyond its words is written by
-- the core into `search_more` (search.rs `more_tokens`) and indexed by the
-- word index with the rest, so that every term is answered by that one index.
ALTER TABLE payments ADD COLUMN search_more TEXT;

DROP TRIGGER IF EXISTS payments_fts_insert;
DROP TRIGGER IF EXISTS payments_fts_delete;
DROP TRIGGER IF EXISTS payments_fts_update;
DROP TABLE payments_fts;

CREATE VIRTUAL TABLE payments_fts USING fts5(
    reference, description, email, cardholder_name, metadata_text, search_more,
    content = 'payments', content_rowid = 'rowid',
    prefix = '1 2 3 4 5 6 7 8',
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''-_@.''',
    detail = none
);
INSERT INTO payments_fts (payments_fts, rank) VALUES ('hashsize', 67108864);

-- The payments cached before this have no `search_more` yet: the core writes
-- it when the cache is next opened (sqlite/db.rs `complete_search_more`),
-- with the index and its triggers aside as during a first fill (see
-- sqlite/bulk.rs), then builds the index once from the finished rows.
INSERT OR REPLACE INTO deferred_schema (name, kind, sql) VALUES
('payments_fts_insert', 'trigger', 'CREATE TRIGGER payments_fts_insert AFTER INSERT ON payments BEGIN
    INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text, search_more)
    VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text, new.search_more);
END'),
('payments_fts_delete', 'trigger', 'CREATE TRIGGER payments_fts_delete AFTER DELETE ON payments BEGIN
    INSERT INTO payments_fts (payments_fts, rowid, reference, description, email, cardholder_name, metadata_text, search_more)
    VALUES (''delete'', old.rowid, old.reference, old.description, old.email, old.cardholder_name, old.metadata_text, old.search_more);
END'),
('payments_fts_update', 'trigger', 'CREATE TRIGGER payments_fts_update AFTER UPDATE OF reference, description, email, cardholder_name, metadata_text, search_more ON payments
WHEN old.reference IS NOT new.reference OR old.description IS NOT new.description OR old.email IS NOT new.email
  OR old.cardholder_name IS NOT new.cardholder_name OR old.metadata_text IS NOT new.metadata_text
  OR old.search_more IS NOT new.search_more BEGIN
    INSERT INTO payments_fts (payments_fts, rowid, reference, description, email, cardholder_name, metadata_text, search_more)
    VALUES (''delete'', old.rowid, old.reference, old.description, old.email, old.cardholder_name, old.metadata_text, old.search_more);
    INSERT INTO payments_fts (rowid, reference, description, email, cardholder_name, metadata_text, search_more)
    VALUES (new.rowid, new.reference, new.description, new.email, new.cardholder_name, new.metadata_text, new.search_more);
END');

-- The word index's own list of tokens, for the search box's long words
-- (sqlite/cache.rs `long_words`).
CREATE VIRTUAL TABLE payments_fts_terms USING fts5vocab('payments_fts', 'row');
