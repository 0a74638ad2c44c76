-- Why each refund is made: a reason code (money/reason.rs) and an optional
-- note, on the refund's audit rows. Both are sealed into the row's hash when
-- present; rows written before reasons existed hash as they did.
ALTER TABLE audit_log ADD COLUMN reason text
    CHECK (reason IN ('duplicate_payment', 'service_not_provided', 'overpayment', 'goodwill',
                      'staff_error', 'other'));
ALTER TABLE audit_log ADD COLUMN reason_note text
    CHECK (reason_note IS NULL OR (reason IS NOT NULL AND length(reason_note) <= 255));
-- Refunds are matched to their rows by refund ID (the export, the dashboard).
CREATE INDEX audit_target ON audit_log (service_id, target_id) WHERE target_id IS NOT NULL;
