-- Two searches answered from an index alone instead of from thousands of rows:
-- the first six and last four digits together (a caseworker reading a card out)
-- count from one index, and the newest payments' amounts (sorting by amount)
-- come from the dates index. The first-six index still serves the first six
-- alone; a dates-ordered page of many matches walks the dates index anyway.
DROP INDEX IF EXISTS payments_first6;
CREATE INDEX payments_first6 ON payments (service_id, first6, last4, created_ms DESC);
DROP INDEX IF EXISTS payments_created;
CREATE INDEX payments_created ON payments (service_id, created_ms DESC, amount);
