-- The search box finds payments by part of a reference, email or name, by
-- amount and by the card's last four digits, in any mix of terms (search.rs
-- `SearchTerm`). A payment's `words` now also hold what it is found by
-- beyond its words (search.rs `more_tokens`). Rows written before hold their
-- words alone: `words_version` says which, and the administrator's set-up
-- writes them again after this migration (postgres/mod.rs `complete_words`).
ALTER TABLE payments ADD COLUMN words_version smallint NOT NULL DEFAULT 1;
CREATE INDEX payments_words_old ON payments (service_id, payment_id) WHERE words_version < 2;
