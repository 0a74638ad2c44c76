use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStore;
use crate::store::dashboard::{DashboardStore, OperatorRefunds, ReasonTally, Tally};
use crate::store::rows::{all, audit_row, keyed_tally};
use crate::store::{AuditRow, StoreError};

const PAYMENTS_SQL: &str = "SELECT count(*), sum(amount) FROM payments INDEXED BY payments_created
    WHERE service_id = ?1 AND created_ms >= ?2 AND created_ms < ?3 AND status = 'success'";
const REFUNDS_SQL: &str = "SELECT count(*), sum(amount) FROM refunds
    WHERE service_id = ?1 AND created_ms >= ?2 AND created_ms < ?3 AND status != 'error'";

impl SqliteStore {
    async fn tally(
        &self,
        sql: &'static str,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Tally, StoreError> {
        let row = sqlx::query(sql)
            .bind(service_id)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(Tally {
            count: row.try_get(0)?,
            value: row.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
        })
    }
}

#[async_trait]
impl DashboardStore for SqliteStore {
    async fn takings(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<(Tally, Tally), StoreError> {
        Ok((
            self.tally(PAYMENTS_SQL, service_id, from_ms, to_ms).await?,
            self.tally(REFUNDS_SQL, service_id, from_ms, to_ms).await?,
        ))
    }

    async fn refunds_by_operator(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<OperatorRefunds>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.operator, count(*) AS n, sum(r.amount) AS value FROM refunds r
             LEFT JOIN (SELECT DISTINCT service_id, target_id, operator FROM audit_log
                        WHERE action = 'refund' AND phase IN ('succeeded', 'reconciled') AND target_id IS NOT NULL) a
               ON a.service_id = r.service_id AND a.target_id = r.refund_id
             WHERE r.service_id = ?1 AND r.created_ms >= ?2 AND r.created_ms < ?3 AND r.status != 'error'
             GROUP BY a.operator ORDER BY value DESC, a.operator",
        )
        .bind(service_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, |r| keyed_tally(r, "operator"))?
            .into_iter()
            .map(|(operator, refunds)| OperatorRefunds { operator, refunds })
            .collect())
    }

    async fn refunds_by_reason(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ReasonTally>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.reason, count(*) AS n, sum(r.amount) AS value FROM refunds r
             LEFT JOIN (SELECT DISTINCT service_id, target_id, reason FROM audit_log
                        WHERE action = 'refund' AND phase IN ('succeeded', 'reconciled')
                          AND target_id IS NOT NULL AND reason IS NOT NULL) a
               ON a.service_id = r.service_id AND a.target_id = r.refund_id
             WHERE r.service_id = ?1 AND r.created_ms >= ?2 AND r.created_ms < ?3 AND r.status <> 'error'
             GROUP BY a.reason ORDER BY value DESC, a.reason",
        )
        .bind(service_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, |r| keyed_tally(r, "reason"))?
            .into_iter()
            .map(|(reason, refunds)| ReasonTally { reason, refunds })
            .collect())
    }

    async fn outcomes_unknown(
        &self,
        service_id: &str,
        in_flight_since: &str,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM audit_log a
             WHERE a.service_id = ?1 AND a.phase = 'attempt'
               AND NOT EXISTS (SELECT 1 FROM audit_log r WHERE r.attempt_seq = a.seq
                               AND r.phase IN ('succeeded', 'failed', 'reconciled', 'not_sent'))
               AND (EXISTS (SELECT 1 FROM audit_log u WHERE u.attempt_seq = a.seq AND u.phase = 'unknown')
                    OR (a.action = 'refund' AND a.at < ?2))
             ORDER BY a.seq LIMIT 200",
        )
        .bind(service_id)
        .bind(in_flight_since)
        .fetch_all(&self.pool)
        .await?;
        Ok(all(&rows, audit_row)?)
    }
}
