//! The finance export's rows from the shared cache, streamed.

use async_trait::async_trait;
use futures_util::stream::{BoxStream, TryStreamExt};

use super::PgStore;
use crate::store::StoreError;
use crate::store::export::{ExportRow, ExportShape, ExportStore, newest_first};
use crate::store::in_order;
use crate::store::rows::export_row;

/// A payment's columns, as the export writes them.
macro_rules! payment_columns {
    () => {
        "SELECT false AS refund, p.created_ms, p.reference, p.description, p.email, p.amount,
        p.card_brand, p.cardholder_name, p.expiry, p.last4, p.status, p.finished, p.code, p.message,
        p.provider_id, p.payment_id, NULL::text AS issued_by, p.corporate_surcharge, p.total_amount,
        p.wallet_type, p.fee, p.net_amount, p.card_type, p.moto, p.provider, p.three_ds_required,
        p.metadata, NULL::text AS reason, NULL::text AS reason_note
     "
    };
}

const PAYMENTS: &str = concat!(
    payment_columns!(),
    "FROM payments p
     WHERE p.service_id = $1 AND p.created_ms >= $2 AND p.created_ms < $3
     ORDER BY p.created_ms DESC"
);

const REFUNDS: &str = "SELECT true AS refund, r.created_ms, p.reference, p.description, p.email,
        -r.amount AS amount, p.card_brand, p.cardholder_name, p.expiry, p.last4, r.status,
        r.status <> 'submitted' AS finished, NULL::text AS code, NULL::text AS message, p.provider_id,
        r.payment_id,
        (SELECT operator FROM audit_log a WHERE a.service_id = r.service_id
           AND a.target_id = r.refund_id AND a.phase IN ('succeeded', 'reconciled') ORDER BY a.seq LIMIT 1) AS issued_by,
        NULL::bigint AS corporate_surcharge, NULL::bigint AS total_amount, p.wallet_type, NULL::bigint AS fee,
        NULL::bigint AS net_amount, p.card_type, p.moto, p.provider, NULL::boolean AS three_ds_required, p.metadata,
        (SELECT reason FROM audit_log a WHERE a.service_id = r.service_id AND a.target_id = r.refund_id
           AND a.action = 'refund' AND a.phase IN ('succeeded', 'reconciled') ORDER BY a.seq LIMIT 1) AS reason,
        (SELECT reason_note FROM audit_log a WHERE a.service_id = r.service_id AND a.target_id = r.refund_id
           AND a.action = 'refund' AND a.phase IN ('succeeded', 'reconciled') ORDER BY a.seq LIMIT 1) AS reason_note
     FROM refunds r
     LEFT JOIN payments p ON p.service_id = r.service_id AND p.payment_id = r.payment_id
     WHERE r.service_id = $1 AND r.created_ms >= $2 AND r.created_ms < $3
     ORDER BY r.created_ms DESC";

#[async_trait]
impl ExportStore for PgStore {
    async fn export_shape(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<ExportShape, StoreError> {
        let (rows, fees, moto): (i64, bool, bool) = sqlx::query_as(
            "SELECT
               (SELECT count(*) FROM payments WHERE service_id = $1 AND created_ms >= $2 AND created_ms < $3)
             + (SELECT count(*) FROM refunds WHERE service_id = $1 AND created_ms >= $2 AND created_ms < $3),
               EXISTS (SELECT 1 FROM payments WHERE service_id = $1 AND fee IS NOT NULL
                       AND created_ms >= $2 AND created_ms < $3),
               EXISTS (SELECT 1 FROM payments WHERE service_id = $1 AND moto
                       AND created_ms >= $2 AND created_ms < $3)",
        )
        .bind(service_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(&self.pool)
        .await?;
        let metadata_keys = sqlx::query_scalar(
            "SELECT DISTINCT m.key COLLATE \"C\" FROM payment_metadata m
             JOIN payments p ON p.service_id = m.service_id AND p.payment_id = m.payment_id
             WHERE p.service_id = $1 AND p.created_ms >= $2 AND p.created_ms < $3 ORDER BY 1",
        )
        .bind(service_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(ExportShape {
            rows: u64::try_from(rows).unwrap_or(0),
            fees,
            moto,
            metadata_keys,
        })
    }

    /// Payments and refunds each read newest first and merged here, so
    /// nothing is held in memory to be sorted.
    async fn export_payments(
        &self,
        service_id: &str,
        payment_ids: &[String],
    ) -> Result<Vec<ExportRow>, StoreError> {
        let found = sqlx::query(concat!(
            payment_columns!(),
            "FROM payments p WHERE p.service_id = $1 AND p.payment_id = ANY($2)"
        ))
        .bind(service_id)
        .bind(payment_ids)
        .fetch_all(&self.pool)
        .await?;
        let mut rows = Vec::with_capacity(found.len());
        for r in &found {
            rows.push(export_row(r)?);
        }
        Ok(in_order(payment_ids, rows, |r| r.payment_id.as_deref()))
    }

    fn export_rows<'a>(
        &'a self,
        service_id: &'a str,
        from_ms: i64,
        to_ms: i64,
    ) -> BoxStream<'a, Result<ExportRow, StoreError>> {
        let read = |sql: &'static str| {
            sqlx::query(sql)
                .bind(service_id)
                .bind(from_ms)
                .bind(to_ms)
                .fetch(&self.pool)
                .map_err(StoreError::from)
                .and_then(|r| async move { export_row(&r).map_err(StoreError::from) })
        };
        newest_first(read(PAYMENTS), read(REFUNDS))
    }
}
