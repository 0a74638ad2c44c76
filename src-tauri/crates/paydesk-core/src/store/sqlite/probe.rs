//! The probe on the SQLite file: what a test sees with a database tool.

use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::probe::{PaymentSample, Probe, RefundTotals, Tamper};

#[async_trait]
impl Probe for SqliteStore {
    async fn probe_payment_rows(&self) -> Result<(i64, i64), StoreError> {
        Ok(
            sqlx::query_as("SELECT count(DISTINCT payment_id), count(*) FROM payments")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn probe_indexes_aside(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        super::bulk::aside(&mut conn).await
    }

    async fn probe_check_indexes(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        for table in ["payments_fts", "payments_trigram", "email_values_trigram"] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} ({table}) VALUES ('integrity-check')"
            )))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    async fn probe_next_page(
        &self,
        service_id: &str,
        resource: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT next_page FROM sync_state WHERE service_id = ?1 AND resource = ?2",
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
             ORDER BY payment_id",
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
        Ok(
            sqlx::query_scalar("SELECT agreement_id FROM agreements ORDER BY agreement_id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn probe_service_slot(&self, service_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT slot FROM services WHERE id = ?1")
                .bind(service_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    async fn probe_sample(&self, n: usize) -> Result<Vec<PaymentSample>, StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
            .fetch_one(&self.pool)
            .await?;
        let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
        // Rowids mix the service's slot with the creation time, so every
        // k-th by rowid is spread through the history.
        let rows = sqlx::query(
            "SELECT p.service_id, p.payment_id, p.reference, p.email, p.cardholder_name,
                    p.first6, p.last4, p.created_ms, m.value
             FROM (SELECT rowid, * FROM payments
                   WHERE (rowid - (SELECT min(rowid) FROM payments)) % ?1 = 0
                   ORDER BY rowid LIMIT ?2) AS p
             LEFT JOIN payment_metadata m ON m.payment_rowid = p.rowid AND m.key = 'case_ref'
             ORDER BY p.rowid",
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
                    "UPDATE audit_log SET amount = ?1
                     WHERE (?2 IS NULL AND action = 'refund') OR seq = ?2",
                )
                .bind(amount)
                .bind(seq)
                .execute(pool)
                .await?;
            }
            Tamper::AuditReason(code) => {
                sqlx::query("UPDATE audit_log SET reason = ?1 WHERE reason IS NOT NULL")
                    .bind(code)
                    .execute(pool)
                    .await?;
            }
            Tamper::AuditGuardsOff => {
                sqlx::raw_sql(
                    "DROP TRIGGER IF EXISTS audit_log_no_update;
                     DROP TRIGGER IF EXISTS audit_log_no_delete;",
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
                sqlx::query("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3")
                    .bind(prev_hash)
                    .bind(hash)
                    .bind(seq)
                    .execute(pool)
                    .await?;
            }
            Tamper::OutcomesFailing(true) => {
                sqlx::query(
                    "CREATE TRIGGER outcome_fails BEFORE INSERT ON audit_log
                     WHEN NEW.phase <> 'attempt'
                     BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
                )
                .execute(pool)
                .await?;
            }
            Tamper::OutcomesFailing(false) => {
                sqlx::query("DROP TRIGGER IF EXISTS outcome_fails")
                    .execute(pool)
                    .await?;
            }
            Tamper::ServiceRole(role) => {
                sqlx::query("UPDATE services SET role = ?1")
                    .bind(role)
                    .execute(pool)
                    .await?;
            }
            Tamper::ServiceBaseUrl(url) => {
                sqlx::query("UPDATE services SET base_url = ?1")
                    .bind(url)
                    .execute(pool)
                    .await?;
            }
            Tamper::ServiceRename(id) => {
                sqlx::query("UPDATE services SET name = name || ' (renamed)' WHERE id = ?1")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
            Tamper::FillerServices(n) => {
                let mut tx = pool.begin().await?;
                for i in 0..n {
                    sqlx::query(
                        "INSERT INTO services (id, name, base_url, environment, role, created_at)
                         VALUES (?1, ?1, 'http://127.0.0.1:1', 'test', 'caseworker', 'now')",
                    )
                    .bind(format!("filler-{i}"))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
            Tamper::OldSearchWords => {
                sqlx::query("UPDATE payments SET search_more = NULL")
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
                     VALUES (?1, ?2, ?3, 'D', ?4, 'agent', '2026-01-01', 'created')",
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
