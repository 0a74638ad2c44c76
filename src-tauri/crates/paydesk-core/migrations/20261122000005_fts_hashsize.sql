-- FTS5 keeps new index entries in memory and writes them out as a segment when
-- they pass its hash size (1 MB unless told otherwise), then merges segments.
-- Building the word index over 1,000,000 payments at the end of a first sync
-- made about 400 segments and spent most of its 20 s merging them; with 64 MB
-- it makes a few and takes about 6 s without prefixes (the trigram index:
-- 10 s to 4 s). A normal sync commits far less than this per transaction, so
-- only a rebuild ever holds that much. The setting lives in each table's
-- config row, so it applies to every connection.
INSERT INTO payments_fts (payments_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO payments_trigram (payments_trigram, rank) VALUES ('hashsize', 67108864);
