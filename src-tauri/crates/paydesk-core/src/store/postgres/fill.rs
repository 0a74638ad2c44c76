//! A sync's writing on the team database: each batch of pages is one
//! transaction, with the position it leaves the sync at. PostgreSQL keeps its
//! indexes up as rows arrive (a GIN index gathers new entries in its pending
//! list), so there is no bulk load to set indexes aside for.

use async_trait::async_trait;
use govpay::models::Agreement;
use sqlx::{PgConnection, Postgres, Row, Transaction};

use super::PgStore;
use super::cache::{
    refresh_refund_totals, upsert_agreements, upsert_disputes, upsert_payments, upsert_refunds,
};
use crate::clock::now_ms;
use crate::store::sync::{Fill, FillPage, Position, SyncCursor, SyncStore, SyncSummary};
use crate::store::{StoreError, StoreErrorKind};

#[async_trait]
impl SyncStore for PgStore {
    async fn sync_cursor(
        &self,
        service_id: &str,
        resource: &str,
    ) -> Result<SyncCursor, StoreError> {
        let row = sqlx::query(
            "SELECT synced_until_ms, window_from_ms, window_to_ms, next_page FROM sync_state
             WHERE service_id = $1 AND resource = $2",
        )
        .bind(service_id)
        .bind(resource)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(SyncCursor::default());
        };
        let window = match (
            r.try_get::<Option<i64>, _>("window_from_ms")?,
            r.try_get::<Option<i64>, _>("window_to_ms")?,
            r.try_get::<Option<i64>, _>("next_page")?,
        ) {
            (Some(f), Some(t), Some(p)) => Some((f, t, p.max(1) as u32)),
            _ => None,
        };
        Ok(SyncCursor {
            synced_until: r.try_get("synced_until_ms")?,
            window,
        })
    }

    async fn sync_summary(&self, service_id: &str) -> Result<SyncSummary, StoreError> {
        let row = sqlx::query(
            "SELECT max(last_run_ms) AS last, bool_or(window_from_ms IS NOT NULL) AS interrupted,
                    bool_and(synced_until_ms IS NOT NULL) AS complete, count(*) AS n
             FROM sync_state WHERE service_id = $1",
        )
        .bind(service_id)
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(SyncSummary {
            last_run_ms: row.try_get("last")?,
            interrupted: row.try_get::<Option<bool>, _>("interrupted")? == Some(true),
            complete: n > 0 && row.try_get::<Option<bool>, _>("complete")? == Some(true),
        })
    }

    async fn oldest_unfinished(&self, service_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT min(created_ms) FROM payments WHERE service_id = $1 AND NOT finished",
        )
        .bind(service_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn mark_synced(
        &self,
        service_id: &str,
        resource: &str,
        until_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sync_state (service_id, resource, synced_until_ms, last_run_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (service_id, resource) DO UPDATE SET synced_until_ms = excluded.synced_until_ms,
                window_from_ms = NULL, window_to_ms = NULL, next_page = NULL, last_run_ms = excluded.last_run_ms",
        )
        .bind(service_id)
        .bind(resource)
        .bind(until_ms)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn keep_agreements(
        &self,
        service_id: &str,
        agreements: &[Agreement],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        upsert_agreements(&mut tx, service_id, agreements).await?;
        Ok(tx.commit().await?)
    }

    async fn begin_fill(&self, service_id: &str) -> Result<Box<dyn Fill>, StoreError> {
        Ok(Box::new(PgFill {
            store: self.clone(),
            service_id: service_id.to_owned(),
            batch: None,
        }))
    }

    /// Fresh planner figures after a big run, so searches pick the right
    /// index over a big cache (autovacuum would get there, later).
    async fn after_fill(&self, items: u64, _payments_analysed: bool) {
        if items <= 5_000 {
            return;
        }
        for table in ["payments", "payment_metadata", "refunds", "disputes"] {
            let sql = format!("ANALYZE {table}");
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&self.pool)
                .await
            {
                tracing::warn!(
                    "the search statistics could not be gathered: {}",
                    StoreError::from(e)
                );
            }
        }
    }

    fn set_bulk_load_from(&self, _payments: u64) {}

    async fn sync_claim(
        &self,
        service_id: &str,
        holder: &str,
        for_ms: i64,
    ) -> Result<bool, StoreError> {
        let claimed: Option<String> = sqlx::query_scalar(
            "INSERT INTO sync_claims AS c (service_id, holder, until_ms)
             VALUES ($1, $2, server_now_ms() + $3)
             ON CONFLICT (service_id) DO UPDATE SET holder = excluded.holder,
                login = current_user, until_ms = excluded.until_ms
             WHERE c.holder = excluded.holder OR c.until_ms < server_now_ms()
             RETURNING holder",
        )
        .bind(service_id)
        .bind(holder)
        .bind(for_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(claimed.is_some())
    }

    async fn sync_release(&self, service_id: &str, holder: &str) {
        let released = sqlx::query("DELETE FROM sync_claims WHERE service_id = $1 AND holder = $2")
            .bind(service_id)
            .bind(holder)
            .execute(&self.pool)
            .await;
        if let Err(e) = released {
            tracing::warn!(
                "a sync's claim could not be let go (it lapses): {}",
                StoreError::from(e)
            );
        }
    }
}

/// A run's writing: the batch open, if any.
struct PgFill {
    store: PgStore,
    service_id: String,
    /// Dropped without a commit, PostgreSQL undoes it.
    batch: Option<Transaction<'static, Postgres>>,
}

impl PgFill {
    async fn write_page(
        tx: &mut PgConnection,
        service_id: &str,
        page: FillPage<'_>,
        at: &Position,
    ) -> Result<u64, StoreError> {
        let n = match page {
            FillPage::Payments(p) => {
                upsert_payments(tx, service_id, p).await?;
                p.len()
            }
            FillPage::Refunds(r) => {
                upsert_refunds(tx, service_id, r, None).await?;
                let ids: Vec<String> = r
                    .iter()
                    .filter_map(|r| r.payment_id.as_ref().map(|p| p.to_string()))
                    .collect();
                refresh_refund_totals(tx, service_id, &ids).await?;
                r.len()
            }
            FillPage::Disputes(d) => {
                upsert_disputes(tx, service_id, d).await?;
                d.len()
            }
        };
        let (window_from, window_to, next_page, synced_until) = if at.more {
            (
                Some(at.from),
                Some(at.to),
                Some(i64::from(at.page) + 1),
                None,
            )
        } else {
            (None, None, None, Some(at.to))
        };
        sqlx::query(
            "INSERT INTO sync_state (service_id, resource, synced_until_ms, window_from_ms, window_to_ms, next_page, last_run_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (service_id, resource) DO UPDATE SET
                synced_until_ms = coalesce(excluded.synced_until_ms, sync_state.synced_until_ms),
                window_from_ms = excluded.window_from_ms, window_to_ms = excluded.window_to_ms,
                next_page = excluded.next_page, last_run_ms = excluded.last_run_ms",
        )
        .bind(service_id)
        .bind(at.resource)
        .bind(synced_until)
        .bind(window_from)
        .bind(window_to)
        .bind(next_page)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        Ok(n as u64)
    }
}

#[async_trait]
impl Fill for PgFill {
    async fn resume(&mut self) -> Result<(), StoreError> {
        self.batch = None;
        Ok(())
    }

    async fn expect(&mut self, _expected: u64) -> Result<(), StoreError> {
        self.batch = None;
        Ok(())
    }

    fn bulk(&self) -> bool {
        false
    }

    async fn builds_on_end(&self) -> bool {
        false
    }

    async fn end_load(&mut self) -> Result<(), StoreError> {
        self.batch = None;
        Ok(())
    }

    fn payments_analysed(&self) -> bool {
        false
    }

    async fn begin(&mut self) -> Result<(), StoreError> {
        self.batch = Some(self.store.pool.begin().await?);
        Ok(())
    }

    async fn write(&mut self, page: FillPage<'_>, at: &Position) -> Result<u64, StoreError> {
        let Some(tx) = self.batch.as_mut() else {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                "a sync page was written outside a batch",
            ));
        };
        let written = Self::write_page(tx, &self.service_id, page, at).await;
        if written.is_err() {
            // Nothing of the batch is kept; its positions go with it.
            self.batch = None;
        }
        written
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        if let Some(tx) = self.batch.take() {
            tx.commit().await?;
        }
        Ok(())
    }
}
