//! A sync's writing on SQLite: one connection for the whole run (its page
//! cache stays warm), its batches as transactions, and a big first fill
//! loaded with the search indexes set aside (see `bulk`).

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use govpay::models::Agreement;
use sqlx::pool::PoolConnection;
use sqlx::{Row, Sqlite};

use super::{SqliteStore, bulk, cache, db};
use crate::clock::now_ms;
use crate::store::sync::{Fill, FillPage, Position, SyncCursor, SyncStore, SyncSummary};
use crate::store::{StoreError, StoreErrorKind};

#[async_trait]
impl SyncStore for SqliteStore {
    async fn sync_cursor(
        &self,
        service_id: &str,
        resource: &str,
    ) -> Result<SyncCursor, StoreError> {
        let row = sqlx::query(
            "SELECT synced_until_ms, window_from_ms, window_to_ms, next_page FROM sync_state
             WHERE service_id = ?1 AND resource = ?2",
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
            "SELECT max(last_run_ms) AS last, max(window_from_ms IS NOT NULL) AS interrupted,
                    min(synced_until_ms IS NOT NULL) AS complete, count(*) AS n
             FROM sync_state WHERE service_id = ?1",
        )
        .bind(service_id)
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(SyncSummary {
            last_run_ms: row.try_get("last")?,
            interrupted: row.try_get::<Option<i64>, _>("interrupted")?.unwrap_or(0) == 1,
            complete: n > 0 && row.try_get::<Option<i64>, _>("complete")? == Some(1),
        })
    }

    async fn oldest_unfinished(&self, service_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT min(created_ms) FROM payments WHERE service_id = ?1 AND finished = 0",
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
            "INSERT INTO sync_state (service_id, resource, synced_until_ms, last_run_ms) VALUES (?1, ?2, ?3, ?4)
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
        // A page in one transaction: a commit per agreement makes a first
        // fill of thousands of them measurably slower.
        let mut tx = self.pool.begin().await?;
        cache::upsert_agreements(&mut tx, service_id, agreements).await?;
        Ok(tx.commit().await?)
    }

    async fn begin_fill(&self, service_id: &str) -> Result<Box<dyn Fill>, StoreError> {
        Ok(Box::new(SqliteFill {
            conn: Some(self.pool.acquire().await?),
            store: self.clone(),
            service_id: service_id.to_owned(),
            open: false,
            bulk: false,
            payments_analysed: false,
        }))
    }

    async fn after_fill(&self, items: u64, payments_analysed: bool) {
        if items <= 5_000 {
            return;
        }
        // Fresh statistics, so searches pick the right index over a big cache.
        // Whole-table statistics: a sampled ANALYZE saw one service and a
        // few thousand rows, judged every filter as selective as "this
        // service", and sent "last four or reference" through the status
        // index, many times slower (BENCHMARKS.md, tried and dropped).
        // The payments' own were gathered with their indexes' build, if
        // there was one: then those of the other tables only.
        if let Ok(mut conn) = self.pool.acquire().await {
            let gathered = if payments_analysed {
                db::analyze_all_but(&mut conn, &["payments", "payment_metadata"]).await
            } else if db::statistics_outdated_by(&mut conn, items).await {
                db::analyze(&mut conn, None).await
            } else {
                Ok(())
            };
            if let Err(e) = gathered {
                tracing::warn!("the search statistics could not be gathered: {e}");
            }
        }
    }

    fn set_bulk_load_from(&self, payments: u64) {
        self.bulk_from.store(payments, Ordering::Relaxed);
    }
}

/// A run's writing: the run's own connection, and whether a batch is open.
struct SqliteFill {
    store: SqliteStore,
    service_id: String,
    /// Kept for the whole run.
    conn: Option<PoolConnection<Sqlite>>,
    /// A batch (a transaction) is open on `conn`.
    open: bool,
    /// This run loads with the search indexes aside.
    bulk: bool,
    payments_analysed: bool,
}

impl SqliteFill {
    fn conn(&mut self) -> Result<&mut sqlx::SqliteConnection, StoreError> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| StoreError::new(StoreErrorKind::Other, "the sync's connection is gone"))
    }

    /// Undoes a batch left open (after a failed write).
    async fn undo_open(&mut self) -> Result<(), StoreError> {
        if self.open {
            sqlx::query("ROLLBACK").execute(self.conn()?).await?;
            self.open = false;
        }
        Ok(())
    }

    /// Counts a load in, setting the indexes aside if it is the first.
    /// `resume`: only when they are aside now, looked at under the lock (a
    /// sync that saw them aside may have waited here while another built
    /// them: setting them aside again would cost a second build). The WAL is
    /// copied into the file every 64 MB instead of every 4 MB meanwhile.
    async fn enter(&mut self, resume: bool) -> Result<(), StoreError> {
        let loads_lock = self.store.bulk_loads.clone();
        let mut loads = loads_lock.lock().await;
        let conn = self.conn()?;
        if *loads == 0 {
            if resume && !bulk::aside(conn).await? {
                return Ok(());
            }
            bulk::set_aside(conn).await?;
        }
        *loads += 1;
        // Counted in: from here on, `end_load` must count it out.
        self.bulk = true;
        sqlx::query("PRAGMA wal_autocheckpoint = 16384")
            .execute(self.conn()?)
            .await?;
        Ok(())
    }

    async fn write_page(&mut self, page: FillPage<'_>, at: &Position) -> Result<u64, StoreError> {
        let service_id = self.service_id.clone();
        let bulk = self.bulk;
        let conn = self.conn()?;
        let n = match page {
            FillPage::Payments(p) => {
                cache::upsert_payments(conn, &service_id, p).await?;
                p.len()
            }
            FillPage::Refunds(r) => {
                cache::upsert_refunds(conn, &service_id, r, None).await?;
                // In a bulk load the payments' refund totals wait for the
                // build, which works them all out at once: the payment-ID
                // index they are found by is aside.
                if !bulk {
                    let ids: Vec<String> = r
                        .iter()
                        .filter_map(|r| r.payment_id.as_ref().map(|p| p.to_string()))
                        .collect();
                    refresh_refund_totals(conn, &service_id, &ids).await?;
                }
                r.len()
            }
            FillPage::Disputes(d) => {
                cache::upsert_disputes(conn, &service_id, d).await?;
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (service_id, resource) DO UPDATE SET
                synced_until_ms = coalesce(excluded.synced_until_ms, sync_state.synced_until_ms),
                window_from_ms = excluded.window_from_ms, window_to_ms = excluded.window_to_ms,
                next_page = excluded.next_page, last_run_ms = excluded.last_run_ms",
        )
        .bind(&service_id)
        .bind(at.resource)
        .bind(synced_until)
        .bind(window_from)
        .bind(window_to)
        .bind(next_page)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
        Ok(n as u64)
    }
}

impl Drop for SqliteFill {
    fn drop(&mut self) {
        // A connection in the middle of a batch must not go back to the pool
        // (the next user would write inside it): closed, SQLite undoes it.
        if self.open
            && let Some(conn) = self.conn.as_mut()
        {
            conn.close_on_drop();
        }
        // A load counted in and never ended (the run stopped on an error
        // before it could): counted out, so a later run builds the indexes.
        if self.bulk
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let loads = self.store.bulk_loads.clone();
            runtime.spawn(async move {
                let mut loads = loads.lock().await;
                *loads = loads.saturating_sub(1);
            });
        }
    }
}

#[async_trait]
impl Fill for SqliteFill {
    async fn resume(&mut self) -> Result<(), StoreError> {
        self.undo_open().await?;
        if !self.bulk && bulk::aside(self.conn()?).await? {
            self.enter(true).await?;
        }
        Ok(())
    }

    /// In bulk when `expected` reaches the threshold and the cache does not
    /// already hold far more than is coming (building the indexes again
    /// would then cost more than keeping them up).
    async fn expect(&mut self, expected: u64) -> Result<(), StoreError> {
        self.undo_open().await?;
        if self.bulk || expected < self.store.bulk_from.load(Ordering::Relaxed) {
            return Ok(());
        }
        let cached: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
            .fetch_one(self.conn()?)
            .await?;
        if cached as u64 <= expected.saturating_mul(2) {
            self.enter(false).await?;
        }
        Ok(())
    }

    fn bulk(&self) -> bool {
        self.bulk
    }

    async fn builds_on_end(&self) -> bool {
        self.bulk && *self.store.bulk_loads.lock().await == 1
    }

    /// The last load to end builds the indexes again, and checkpoints go back
    /// to every 4 MB. The build writes about 1 GB to the WAL at 1,000,000
    /// payments: another connection copies it into the file while this one
    /// goes on to the refunds.
    async fn end_load(&mut self) -> Result<(), StoreError> {
        self.undo_open().await?;
        if !self.bulk {
            return Ok(());
        }
        self.bulk = false;
        let loads_lock = self.store.bulk_loads.clone();
        let conn = self.conn()?;
        // Counted out whatever else fails: a load left counted in would keep
        // every later sync from building the indexes.
        let quiet = sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut *conn)
            .await;
        let built = {
            let mut loads = loads_lock.lock().await;
            *loads = loads.saturating_sub(1);
            if *loads == 0 {
                bulk::restore_report(conn).await
            } else {
                Ok(bulk::Restored::Nothing)
            }
        };
        let usual = sqlx::query("PRAGMA wal_autocheckpoint = 1000")
            .execute(&mut *conn)
            .await;
        quiet?;
        usual?;
        let built = built?;
        if let bulk::Restored::Built { analysed, .. } = built {
            self.payments_analysed |= analysed;
        }
        if built != bulk::Restored::Nothing {
            let pool = self.store.pool.clone();
            tokio::spawn(async move {
                if let Ok(mut other) = pool.acquire().await {
                    let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&mut *other)
                        .await;
                }
            });
        }
        Ok(())
    }

    fn payments_analysed(&self) -> bool {
        self.payments_analysed
    }

    async fn begin(&mut self) -> Result<(), StoreError> {
        self.undo_open().await?;
        sqlx::query("BEGIN").execute(self.conn()?).await?;
        self.open = true;
        Ok(())
    }

    async fn write(&mut self, page: FillPage<'_>, at: &Position) -> Result<u64, StoreError> {
        if !self.open {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                "a sync page was written outside a batch",
            ));
        }
        match self.write_page(page, at).await {
            Ok(n) => Ok(n),
            Err(e) => {
                // Nothing of the batch is kept; its positions go with it.
                let _ = self.undo_open().await;
                Err(e)
            }
        }
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        if self.open {
            let committed = sqlx::query("COMMIT").execute(self.conn()?).await;
            if committed.is_err() {
                let _ = self.undo_open().await;
            }
            self.open = false;
            committed?;
        }
        Ok(())
    }
}

/// After refunds arrive, the payments they belong to get their totals from them,
/// in one statement per 400 payments: each payment is found through the
/// payment-ID index and its refunds summed once, through their index (named,
/// because before the first ANALYZE SQLite would read every refund of the
/// service for each payment). Summing once is faster than summing in each of
/// the three figures. What is available
/// is counted as GOV.UK Pay counts it: from the total with a corporate card
/// surcharge, from the amount otherwise, less refunds not in error.
pub(super) async fn refresh_refund_totals(
    conn: &mut sqlx::SqliteConnection,
    service_id: &str,
    payment_ids: &[String],
) -> Result<(), StoreError> {
    let mut ids: Vec<&String> = payment_ids.iter().collect();
    ids.sort();
    ids.dedup();
    for chunk in ids.chunks(400) {
        let list = serde_json::to_string(chunk).map_err(|e| {
            StoreError::new(
                StoreErrorKind::Other,
                format!("cannot list payment IDs: {e}"),
            )
        })?;
        sqlx::query(
            "UPDATE payments SET (refund_submitted, refund_available, refund_status) = (
                SELECT s.submitted, s.base - s.submitted,
                    CASE WHEN payments.refund_status IN ('available', 'full')
                        THEN CASE WHEN s.base - s.submitted <= 0 THEN 'full' ELSE 'available' END
                        ELSE payments.refund_status END
                FROM (SELECT coalesce(sum(CASE WHEN r.status != 'error' THEN r.amount END), 0) AS submitted,
                        CASE WHEN coalesce(payments.corporate_surcharge, 0) > 0
                            THEN coalesce(payments.total_amount, payments.amount)
                            ELSE payments.amount END AS base
                      FROM refunds r INDEXED BY refunds_payment
                      WHERE r.service_id = payments.service_id AND r.payment_id = payments.payment_id) s)
             WHERE service_id = ?1 AND payment_id IN (SELECT value FROM json_each(?2))",
        )
        .bind(service_id)
        .bind(list)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every payment with a cached refund gets its totals from its refunds, as
/// `refresh_refund_totals` works them out, in one statement: the refunds are
/// summed once per payment through their index, each payment is found
/// through the payment-ID index, and only a payment whose figures differ is
/// written (most already hold what the API's own summary said). A bulk load's
/// build runs it inside its transaction, for the refunds read alongside the
/// payments (and any a killed load left without their totals).
pub(crate) async fn refresh_every_refund_total(
    conn: &mut sqlx::SqliteConnection,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE payments SET (refund_submitted, refund_available, refund_status) = (t.submitted, t.available, t.status)
         FROM (SELECT id, submitted, available,
                    CASE WHEN was IN ('available', 'full')
                        THEN CASE WHEN available <= 0 THEN 'full' ELSE 'available' END
                        ELSE was END AS status
               FROM (SELECT p.rowid AS id, p.refund_status AS was, s.submitted,
                        CASE WHEN coalesce(p.corporate_surcharge, 0) > 0
                            THEN coalesce(p.total_amount, p.amount) ELSE p.amount END - s.submitted AS available
                     FROM (SELECT service_id, payment_id,
                                coalesce(sum(CASE WHEN status != 'error' THEN amount END), 0) AS submitted
                           FROM refunds INDEXED BY refunds_payment GROUP BY service_id, payment_id) s
                     JOIN payments p ON p.service_id = s.service_id AND p.payment_id = s.payment_id)) t
         WHERE payments.rowid = t.id
           AND (payments.refund_submitted IS NOT t.submitted OR payments.refund_available IS NOT t.available
                OR payments.refund_status IS NOT t.status)",
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CacheStore;
    use crate::store::sqlite::db;

    async fn payment(pool: &sqlx::SqlitePool, id: &str, amount: i64, status: &str, submitted: i64) {
        surcharged(pool, id, amount, None, status, submitted).await;
    }

    async fn surcharged(
        pool: &sqlx::SqlitePool,
        id: &str,
        amount: i64,
        surcharge: Option<i64>,
        status: &str,
        submitted: i64,
    ) {
        sqlx::query(
            "INSERT INTO payments (service_id, payment_id, amount, reference, description, status, finished,
                created_ms, created_date, refund_status, refund_available, refund_submitted, fetched_ms,
                corporate_surcharge, total_amount)
             VALUES ('s', ?1, ?2, 'R', 'D', 'success', 1, 1, 'x', ?3, ?2 - ?4, ?4, 0, ?5, ?2 + ?5)",
        )
        .bind(id)
        .bind(amount)
        .bind(status)
        .bind(submitted)
        .bind(surcharge)
        .execute(pool)
        .await
        .unwrap();
    }

    async fn refund(pool: &sqlx::SqlitePool, id: &str, payment: &str, amount: i64, status: &str) {
        sqlx::query(
            "INSERT INTO refunds (service_id, refund_id, payment_id, amount, status, created_ms, created_date)
             VALUES ('s', ?1, ?2, ?3, ?4, 1, 'x')",
        )
        .bind(id)
        .bind(payment)
        .bind(amount)
        .bind(status)
        .execute(pool)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn refund_totals_come_from_the_cached_refunds_except_failed_ones() {
        let (_dir, pool) = db::testing::cache_with_service().await;
        // As a search gave them: p1 before its refunds, p2 already up to date,
        // p3 not refundable at all, p4 not asked about.
        payment(&pool, "p1", 1000, "available", 0).await;
        payment(&pool, "p2", 500, "full", 500).await;
        payment(&pool, "p3", 800, "unavailable", 0).await;
        payment(&pool, "p4", 900, "available", 0).await;
        // A corporate card surcharge is refundable too.
        surcharged(&pool, "p5", 1000, Some(250), "available", 0).await;
        refund(&pool, "r1", "p1", 300, "success").await;
        refund(&pool, "r2", "p1", 200, "submitted").await;
        refund(&pool, "r3", "p1", 400, "error").await;
        refund(&pool, "r4", "p2", 500, "success").await;
        refund(&pool, "r5", "p3", 100, "success").await;
        refund(&pool, "r7", "p5", 1000, "success").await;
        let mut conn = pool.acquire().await.unwrap();
        let ids = ["p1", "p2", "p3", "p1", "p5"].map(String::from);
        refresh_refund_totals(&mut conn, "s", &ids).await.unwrap();
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT payment_id, refund_status, refund_available, refund_submitted FROM payments ORDER BY payment_id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            rows,
            vec![
                // The failed refund does not count.
                ("p1".into(), "available".into(), 500, 500),
                ("p2".into(), "full".into(), 0, 500),
                // Its status is the API's, the figures are the refunds'.
                ("p3".into(), "unavailable".into(), 700, 100),
                ("p4".into(), "available".into(), 900, 0),
                ("p5".into(), "available".into(), 250, 1000),
            ]
        );
        // Refunded in full: the status follows.
        refund(&pool, "r6", "p1", 500, "success").await;
        refresh_refund_totals(&mut conn, "s", &["p1".into()])
            .await
            .unwrap();
        let p1: (String, i64) = sqlx::query_as(
            "SELECT refund_status, refund_available FROM payments WHERE payment_id = 'p1'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(p1, ("full".into(), 0));

        // Worked out for every payment at once (a bulk load's build), from
        // figures as a search gave them again: the same, and p4 (no refunds)
        // is left as it is.
        let figures = "SELECT payment_id, refund_status, refund_available, refund_submitted FROM payments ORDER BY payment_id";
        let one_by_one: Vec<(String, String, i64, i64)> =
            sqlx::query_as(figures).fetch_all(&mut *conn).await.unwrap();
        sqlx::query(
            "UPDATE payments SET refund_submitted = 0, refund_available = amount,
                refund_status = CASE WHEN refund_status = 'full' THEN 'available' ELSE refund_status END",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        sqlx::query("UPDATE payments SET refund_available = 1 WHERE payment_id = 'p4'")
            .execute(&mut *conn)
            .await
            .unwrap();
        refresh_every_refund_total(&mut conn).await.unwrap();
        let at_once: Vec<(String, String, i64, i64)> =
            sqlx::query_as(figures).fetch_all(&mut *conn).await.unwrap();
        let mut expected = one_by_one;
        expected[3].2 = 1;
        assert_eq!(at_once, expected);
    }

    /// A sync that found the indexes aside (a killed load) may wait while
    /// another sync builds them: it must not set them aside again.
    #[tokio::test]
    async fn a_load_resumed_after_another_sync_built_the_indexes_sets_nothing_aside() {
        let (_dir, pool) = db::testing::cache_with_service().await;
        let store = SqliteStore::new(pool);
        let aside = || async {
            let mut conn = store.pool.acquire().await.unwrap();
            bulk::aside(&mut conn).await.unwrap()
        };
        let mut first = store.begin_fill("s").await.unwrap();
        assert!(!aside().await);
        first.resume().await.unwrap();
        assert!(
            !first.bulk() && !aside().await,
            "nothing was aside to resume"
        );
        // A load big enough is counted in and sets them aside; a second one
        // that finds them aside joins it, and only the last one out builds.
        store.set_bulk_load_from(100);
        first.expect(1_000).await.unwrap();
        assert!(first.bulk() && aside().await);
        let mut second = store.begin_fill("s").await.unwrap();
        second.resume().await.unwrap();
        assert!(second.bulk());
        assert_eq!(*store.bulk_loads.lock().await, 2);
        assert!(!first.builds_on_end().await);
        first.end_load().await.unwrap();
        assert!(aside().await, "the second load is still loading");
        assert!(second.builds_on_end().await);
        second.end_load().await.unwrap();
        assert!(!aside().await);
        assert_eq!(*store.bulk_loads.lock().await, 0);
        // A load expecting fewer than the threshold keeps the indexes up.
        let mut small = store.begin_fill("s").await.unwrap();
        small.expect(99).await.unwrap();
        assert!(!small.bulk() && !aside().await);
    }

    /// A batch whose write fails is undone, and the run's connection goes on.
    #[tokio::test]
    async fn a_failed_write_undoes_its_batch_and_the_fill_goes_on() {
        let (_dir, pool) = db::testing::cache_with_service().await;
        let store = SqliteStore::new(pool);
        let mut fill = store.begin_fill("s").await.unwrap();
        let at = |page| Position {
            resource: "disputes",
            from: 0,
            to: 1_000,
            page,
            more: true,
        };
        let dispute = |id: &str| {
            serde_json::from_value::<govpay::models::Dispute>(serde_json::json!({
                "dispute_id": id,
                "payment_id": "p1",
                "amount": 100,
                "status": "needs_response",
                "created_date": "2026-12-01T10:00:00.000Z",
            }))
            .unwrap()
        };
        fill.begin().await.unwrap();
        let one = [dispute("d1")];
        fill.write(FillPage::Disputes(&one), &at(1)).await.unwrap();
        fill.commit().await.unwrap();
        // Written for a service that is not there: refused by the schema,
        // undone, and the fill can begin again.
        let mut other = store.begin_fill("no-such-service").await.unwrap();
        other.begin().await.unwrap();
        let refused = other.write(FillPage::Disputes(&one), &at(1)).await;
        assert_eq!(refused.unwrap_err().kind, StoreErrorKind::Constraint);
        other.begin().await.unwrap();
        other.commit().await.unwrap();
        drop(other);
        let cursor = store.sync_cursor("s", "disputes").await.unwrap();
        assert_eq!(cursor.window, Some((0, 1_000, 2)));
        fill.begin().await.unwrap();
        let two = [dispute("d2")];
        fill.write(FillPage::Disputes(&two), &at(2)).await.unwrap();
        drop(fill);
        // Never committed: the second page and its position are not kept.
        let cursor = store.sync_cursor("s", "disputes").await.unwrap();
        assert_eq!(cursor.window, Some((0, 1_000, 2)));
        let kept = store.payment_disputes("s", "p1").await.unwrap();
        assert_eq!(kept.len(), 1);
    }
}
