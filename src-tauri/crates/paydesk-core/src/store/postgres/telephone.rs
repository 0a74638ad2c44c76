use async_trait::async_trait;

use super::PgStore;
use crate::store::rows::{all, telephone_row};
use crate::store::telephone::{NewTelephonePayment, TelephoneUpdate};
use crate::store::{StoreError, TelephonePaymentRow, TelephoneStarted, TelephoneStore, now_text};

#[async_trait]
impl TelephoneStore for PgStore {
    async fn telephone_add(&self, new: NewTelephonePayment<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO telephone_payments (service_id, payment_id, reference, description,
                amount, operator, created_at, status, attempt_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(new.service_id)
        .bind(&new.started.payment_id)
        .bind(&new.started.reference)
        .bind(&new.started.description)
        .bind(new.started.amount)
        .bind(new.operator)
        .bind(new.created_at)
        .bind(new.status)
        .bind(new.attempt_seq)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn telephone_started(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<TelephoneStarted>, StoreError> {
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "SELECT payment_id, reference, description, amount FROM telephone_payments
             WHERE service_id = $1 AND payment_id = $2",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(payment_id, reference, description, amount)| TelephoneStarted {
                payment_id,
                amount,
                reference,
                description,
            },
        ))
    }

    async fn telephone_state(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<(String, Option<i64>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT status, attempt_seq FROM telephone_payments
             WHERE service_id = $1 AND payment_id = $2",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn telephone_update(
        &self,
        service_id: &str,
        payment_id: &str,
        update: TelephoneUpdate<'_>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE telephone_payments SET status = $3, finished = $4, code = coalesce($5, code),
                last4 = coalesce($6, last4), checked_at = $7
             WHERE service_id = $1 AND payment_id = $2",
        )
        .bind(service_id)
        .bind(payment_id)
        .bind(update.status)
        .bind(update.finished)
        .bind(update.code)
        .bind(update.last4)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn telephone_unfinished(&self, service_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT payment_id FROM telephone_payments WHERE service_id = $1 AND NOT finished",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn telephone_list(
        &self,
        service_id: &str,
        unfinished_only: bool,
    ) -> Result<Vec<TelephonePaymentRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT payment_id, reference, amount, operator, created_at, status, finished, code, last4
             FROM telephone_payments
             WHERE service_id = $1 AND (NOT $2 OR NOT finished) ORDER BY created_at DESC LIMIT 500",
        )
        .bind(service_id)
        .bind(unfinished_only)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, telephone_row)?)
    }
}
