//! What the shared cache holds, read back for the payment page, the disputes
//! and agreements lists and the money actions' checks.

use async_trait::async_trait;
use govpay::models::{Agreement, Payment, Refund};
use sqlx::{Postgres, QueryBuilder, Row};

use super::PgStore;
use super::cache::{upsert_agreements, upsert_payments, upsert_refunds};
use crate::store::StoreError;
use crate::store::cache::{
    AgreementFilter, AgreementRecord, CacheStore, DisputeFilter, DisputeRecord, RefundView,
};
use crate::store::rows::{agreement_record, all, dispute_record, refund_view};

#[async_trait]
impl CacheStore for PgStore {
    async fn keep_payment(&self, service_id: &str, payment: &Payment) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        upsert_payments(&mut tx, service_id, std::slice::from_ref(payment)).await?;
        Ok(tx.commit().await?)
    }

    async fn keep_refunds(
        &self,
        service_id: &str,
        refunds: &[Refund],
        payment_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        upsert_refunds(&mut tx, service_id, refunds, payment_id).await?;
        Ok(tx.commit().await?)
    }

    async fn keep_agreement(
        &self,
        service_id: &str,
        agreement: &Agreement,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        upsert_agreements(&mut conn, service_id, std::slice::from_ref(agreement)).await
    }

    async fn cached_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<RefundView>, StoreError> {
        let rows = sqlx::query(
            "SELECT refund_id, amount, status, created_date, settled_date FROM refunds
             WHERE service_id = $1 AND payment_id = $2 ORDER BY created_ms DESC",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, refund_view)?)
    }

    async fn submitted_refunds(
        &self,
        service_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT payment_id, refund_id FROM refunds WHERE service_id = $1 AND status = 'submitted'",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn payment_disputes(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<DisputeRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM disputes WHERE service_id = $1 AND payment_id = $2 ORDER BY created_ms DESC",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, dispute_record)?)
    }

    async fn payment_disputed(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM disputes WHERE service_id = $1 AND payment_id = $2
                AND status IN ('needs_response', 'under_review', 'lost'))",
        )
        .bind(service_id)
        .bind(payment_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn disputes(
        &self,
        service_id: &str,
        filter: &DisputeFilter,
    ) -> Result<Vec<(DisputeRecord, Option<String>)>, StoreError> {
        let mut b = QueryBuilder::<Postgres>::new(
            "SELECT d.*, p.reference AS payment_reference FROM disputes d
             LEFT JOIN payments p ON p.service_id = d.service_id AND p.payment_id = d.payment_id
             WHERE d.service_id = ",
        );
        b.push_bind(service_id.to_owned());
        if let Some(s) = &filter.status {
            b.push(" AND d.status = ").push_bind(s.clone());
        }
        if let Some(v) = filter.from_ms {
            b.push(" AND d.created_ms >= ").push_bind(v);
        }
        if let Some(v) = filter.to_ms {
            b.push(" AND d.created_ms < ").push_bind(v);
        }
        b.push(
            " ORDER BY (d.status = 'needs_response') DESC,
               CASE WHEN d.status = 'needs_response' THEN coalesce(d.evidence_due_date, '9999') END COLLATE \"C\" ASC,
               d.created_ms DESC LIMIT 2000",
        );
        let rows = b.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| Ok((dispute_record(r)?, r.try_get("payment_reference")?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    async fn agreements(
        &self,
        service_id: &str,
        filter: &AgreementFilter,
    ) -> Result<Vec<AgreementRecord>, StoreError> {
        let mut b = QueryBuilder::<Postgres>::new("SELECT * FROM agreements WHERE service_id = ");
        b.push_bind(service_id.to_owned());
        if let Some(s) = &filter.status {
            b.push(" AND status = ").push_bind(s.clone());
        }
        if let Some(r) = &filter.reference {
            let escaped = r
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            // In any case, as SQLite's LIKE.
            b.push(" AND reference ILIKE ")
                .push_bind(format!("%{escaped}%"));
        }
        b.push(" ORDER BY created_date COLLATE \"C\" DESC NULLS LAST, agreement_id COLLATE \"C\" LIMIT ")
            .push_bind(filter.limit);
        let rows = b.build().fetch_all(&self.pool).await?;
        Ok(all(&rows, agreement_record)?)
    }
}
