-- The word index no longer keeps where each word stands in its column
-- (`detail = none`): the search box only ever asks for words and the starts of
-- words, all of which must be there (see `cache::fts_query`), never a phrase.
-- Without positions the index is a third smaller (338 MB against 509 MB at
-- 1,000,000 payments) and builds in 6.8 s instead of 9.5 s, so a first fill's
-- build, which copies it in, is shorter. A word whose characters the tokenizer
-- splits in two (some scripts' vowel signs) would be a phrase: such a search
-- checks each row instead (see `cache::search_payments`).
DROP TABLE payments_fts;
CREATE VIRTUAL TABLE payments_fts USING fts5(
    reference, description, email, cardholder_name, metadata_text,
    content = 'payments', content_rowid = 'rowid',
    prefix = '1 2 3 4 5 6 7 8',
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''-_@.''',
    detail = none
);
INSERT INTO payments_fts (payments_fts, rank) VALUES ('hashsize', 67108864);
-- A first fill that was stopped with the indexes aside builds them when the
-- sync next runs (see `bulk.rs`): nothing to build here then.
INSERT INTO payments_fts (payments_fts)
SELECT 'rebuild' WHERE NOT EXISTS (SELECT 1 FROM deferred_schema);
