//! The probe on the team database: what a test sees with `psql`, and what a
//! login allowed to change the tables directly could do.

use async_trait::async_trait;
use sqlx::Row;

use super::PgStore;
use crate::store::StoreError;
use crate::store::probe::{PaymentSample, Probe, RefundTotals, Tamper};

#[async_trait]
impl Probe for PgStore {
    async fn probe_payment_rows(&self) -> Result<(i64, i64), StoreError> {
        Ok(
            sqlx::query_as("SELECT count(DISTINCT payment_id), count(*) FROM payments")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Nothing is ever set aside here: PostgreSQL keeps every index up.
    async fn probe_indexes_aside(&self) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// The word index agrees with the rows: for words taken from the
    /// payments, the index finds as many as reading every row does.
    async fn probe_check_indexes(&self) -> Result<(), StoreError> {
        let words: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT w FROM (SELECT (tsvector_to_array(words))[1] AS w FROM payments
                                     ORDER BY service_id, date_key LIMIT 20) s WHERE w IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        for word in words {
            let mut counts = Vec::new();
            for plan in [
                "SET LOCAL enable_seqscan = off",
                "SET LOCAL enable_bitmapscan = off",
            ] {
                let mut tx = self.pool.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe(plan))
                    .execute(&mut *tx)
                    .await?;
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM payments WHERE words @@ array_to_tsvector(ARRAY[$1])::text::tsquery",
                )
                .bind(&word)
                .fetch_one(&mut *tx)
                .await?;
                counts.push(n);
            }
            if counts[0] != counts[1] {
                return Err(StoreError::new(
                    crate::store::StoreErrorKind::Broken(crate::store::DbProblem::Damaged),
                    format!(
                        "the word index finds {} payments where the rows hold {}",
                        counts[0], counts[1]
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn probe_next_page(
        &self,
        service_id: &str,
        resource: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT next_page FROM sync_state WHERE service_id = $1 AND resource = $2",
        )
        .bind(service_id)
        .bind(resource)
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    async fn probe_refund_totals(&self) -> Result<Vec<RefundTotals>, StoreError> {
        let rows: Vec<(String, Option<i64>, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT payment_id, refund_submitted, refund_available, refund_status FROM payments
             ORDER BY payment_id COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(payment_id, submitted, available, status)| RefundTotals {
                payment_id,
                submitted,
                available,
                status,
            })
            .collect())
    }

    async fn probe_agreement_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT agreement_id FROM agreements ORDER BY agreement_id COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Services have no slots on the team database (that is the SQLite
    /// file's layout).
    async fn probe_service_slot(&self, _service_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }

    async fn probe_sample(&self, n: usize) -> Result<Vec<PaymentSample>, StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
            .fetch_one(&self.pool)
            .await?;
        let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT p.service_id, p.payment_id, p.reference, p.email, p.cardholder_name,
                    p.first6, p.last4, p.created_ms, m.value
             FROM (SELECT *, row_number() OVER (ORDER BY service_id COLLATE \"C\", date_key) - 1 AS k
                   FROM payments) AS p
             LEFT JOIN payment_metadata m ON m.service_id = p.service_id
                  AND m.payment_id = p.payment_id AND m.key = 'case_ref'
             WHERE p.k % $1 = 0
             ORDER BY p.k LIMIT $2",
        )
        .bind((total / n).max(1))
        .bind(n)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentSample {
                    service_id: r.try_get(0)?,
                    payment_id: r.try_get(1)?,
                    reference: r.try_get(2)?,
                    email: r.try_get(3)?,
                    cardholder_name: r.try_get(4)?,
                    first6: r.try_get(5)?,
                    last4: r.try_get(6)?,
                    created_ms: r.try_get(7)?,
                    case_ref: r.try_get(8)?,
                })
            })
            .collect()
    }

    async fn tamper(&self, change: Tamper) -> Result<(), StoreError> {
        let pool = &self.pool;
        match change {
            Tamper::AuditAmount { seq, amount } => {
                sqlx::query(
                    "UPDATE audit_log SET amount = $1
                     WHERE ($2::bigint IS NULL AND action = 'refund') OR seq = $2",
                )
                .bind(amount)
                .bind(seq)
                .execute(pool)
                .await?;
            }
            Tamper::AuditReason(code) => {
                sqlx::query("UPDATE audit_log SET reason = $1 WHERE reason IS NOT NULL")
                    .bind(code)
                    .execute(pool)
                    .await?;
            }
            Tamper::AuditGuardsOff => {
                sqlx::raw_sql(
                    "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
                     DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;",
                )
                .execute(pool)
                .await?;
            }
            Tamper::AuditRemoveLast => {
                sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
                    .execute(pool)
                    .await?;
            }
            Tamper::AuditRemoveAll => {
                sqlx::query("DELETE FROM audit_log").execute(pool).await?;
            }
            Tamper::AuditHashes {
                seq,
                prev_hash,
                hash,
            } => {
                sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                    .bind(prev_hash)
                    .bind(hash)
                    .bind(seq)
                    .execute(pool)
                    .await?;
            }
            Tamper::OutcomesFailing(true) => {
                sqlx::raw_sql(
                    "CREATE OR REPLACE FUNCTION paydesk_probe_disk_full() RETURNS trigger
                       LANGUAGE plpgsql AS $$
                       BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$;
                     CREATE TRIGGER outcome_fails BEFORE INSERT ON audit_log
                       FOR EACH ROW WHEN (NEW.phase <> 'attempt')
                       EXECUTE FUNCTION paydesk_probe_disk_full();",
                )
                .execute(pool)
                .await?;
            }
            Tamper::OutcomesFailing(false) => {
                sqlx::query("DROP TRIGGER IF EXISTS outcome_fails ON audit_log")
                    .execute(pool)
                    .await?;
            }
            Tamper::ServiceRole(role) => {
                sqlx::query("UPDATE services SET role = $1")
                    .bind(role)
                    .execute(pool)
                    .await?;
            }
            Tamper::ServiceBaseUrl(url) => {
                sqlx::query("UPDATE services SET base_url = $1")
                    .bind(url)
                    .execute(pool)
                    .await?;
            }
            Tamper::ServiceRename(id) => {
                sqlx::query("UPDATE services SET name = name || ' (renamed)' WHERE id = $1")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
            Tamper::FillerServices(n) => {
                let mut tx = pool.begin().await?;
                for i in 0..n {
                    sqlx::query(
                        "INSERT INTO services (id, name, base_url, environment, role, created_at)
                         VALUES ($1, $1, 'http://127.0.0.1:1', 'test', 'caseworker', 'now')",
                    )
                    .bind(format!("filler-{i}"))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
            Tamper::OldSearchWords => {
                sqlx::query(
                    "UPDATE payments SET words = array_to_tsvector(ARRAY['x']), words_version = 1",
                )
                .execute(pool)
                .await?;
            }
            Tamper::OpenTelephonePayment {
                service_id,
                payment_id,
                reference,
                amount,
            } => {
                sqlx::query(
                    "INSERT INTO telephone_payments (service_id, payment_id, reference,
                         description, amount, operator, created_at, status)
                     VALUES ($1, $2, $3, 'D', $4, 'agent', '2026-01-01', 'created')",
                )
                .bind(service_id)
                .bind(payment_id)
                .bind(reference)
                .bind(amount)
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }
}
