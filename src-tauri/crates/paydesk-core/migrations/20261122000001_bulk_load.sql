-- Email and cardholder name are searched by part (the trigram index) or as words
-- (the word index); no query compares either one whole, so these two b-tree
-- indexes only slowed every write.
DROP INDEX payments_email;
DROP INDEX payments_holder;

-- The first fill of a long history loads payments without the search indexes and
-- full-text triggers, then builds them in one pass at the end (bulk.rs). What was
-- set aside waits here, so a crash part-way leaves the way back on disk.
CREATE TABLE deferred_schema (
    name TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('index', 'trigger')),
    sql  TEXT NOT NULL
) WITHOUT ROWID;
