//! Sync: fills and refreshes a service's cache from GOV.UK Pay's search endpoints.
//!
//! Payments, refunds and disputes are read in date windows (oldest first), 500 a
//! page. A window in the past holds the same results however long paging takes,
//! so pages never shift under the reader. A task reads pages ahead (several of
//! a window at once) while the sync writes them, in order; a first fill reads
//! refunds and disputes alongside its payments. The items of each page and the
//! position after it are committed together (several waiting pages in one
//! transaction): a sync killed at any moment resumes after the last committed
//! page, and upserts keyed by GOV.UK Pay's ids mean nothing is duplicated.
//! The next run reads only from where the last one ended, less a trailing window
//! that covers the search endpoints' lag and recent state changes. The client's
//! limiter keeps every request inside GOV.UK Pay's rate limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use govpay::Client;
use govpay::search::{AgreementSearch, DisputeSearch, Paging, PaymentSearch, RefundSearch};
use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use ts_rs::TS;

use crate::cache;
use crate::clock::{self, now_ms};
use crate::error::CoreError;
use crate::services::ServiceInfo;
use crate::{Core, bulk};

/// Re-read on every run: the search endpoints lag writes, and recent payments change state.
pub const TRAILING_MS: i64 = 2 * 60 * 60 * 1000;
/// Capturable payments stay unfinished for up to 120 hours.
const UNFINISHED_LOOKBACK_MS: i64 = 6 * 24 * 60 * 60 * 1000;
/// Windows start at a week and grow or shrink to hold a few pages each.
const FIRST_WINDOW_MS: i64 = 7 * 24 * 60 * 60 * 1000;
const MIN_WINDOW_MS: i64 = 60 * 60 * 1000;
const MAX_WINDOW_MS: i64 = 366 * 24 * 60 * 60 * 1000;
/// A window aims to hold about this many items.
const WINDOW_TARGET: u64 = 20_000;
const PAGE: u32 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Resource {
    Payments,
    Refunds,
    Disputes,
    Agreements,
}

impl Resource {
    fn as_str(self) -> &'static str {
        match self {
            Resource::Payments => "payments",
            Resource::Refunds => "refunds",
            Resource::Disputes => "disputes",
            Resource::Agreements => "agreements",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SyncPhase {
    Running,
    Done,
    Cancelled,
    Failed,
}

/// How far a sync has got, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncProgress {
    pub service_id: String,
    pub phase: SyncPhase,
    pub resource: Resource,
    #[ts(type = "number")]
    pub items: u64,
    #[ts(type = "number")]
    pub pages: u64,
    /// How many items this run expects to read, once known.
    #[ts(type = "number | null")]
    pub total_estimate: Option<u64>,
    #[ts(type = "number | null")]
    pub remaining_estimate: Option<u64>,
    /// Seconds left at the current rate, once there is a rate.
    #[ts(type = "number | null")]
    pub seconds_left: Option<u64>,
    pub message: Option<String>,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncReport {
    #[ts(type = "number")]
    pub payments: u64,
    #[ts(type = "number")]
    pub refunds: u64,
    #[ts(type = "number")]
    pub disputes: u64,
    #[ts(type = "number")]
    pub agreements: u64,
    #[ts(type = "number")]
    pub requests: u64,
    pub cancelled: bool,
}

/// Stops a sync between pages; it resumes from there next time.
#[derive(Debug, Clone, Default)]
pub struct SyncCancel(Arc<AtomicBool>);

impl SyncCancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone, Copy)]
struct Cursor {
    synced_until: Option<i64>,
    window: Option<(i64, i64, u32)>,
}

fn to_time(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Search dates have whole seconds: windows start and end on a second.
fn floor_second(ms: i64) -> i64 {
    ms.div_euclid(1000) * 1000
}

struct Run<'a> {
    core: &'a Core,
    /// One connection for every write of the run: its page cache stays warm
    /// (a pool would hand out connections whose caches another one just made stale).
    /// Lent to the writing while a resource streams in (see `stream`).
    conn: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>,
    service: &'a ServiceInfo,
    client: Client,
    cancel: &'a SyncCancel,
    report: SyncReport,
    on_progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
    started: Instant,
    items: u64,
    pages: u64,
    estimate: Option<u64>,
    /// This run loads with the search indexes aside (see `bulk`).
    bulk: bool,
    /// The payments' statistics were gathered when their indexes were built.
    payments_analysed: bool,
}

impl Run<'_> {
    fn progress(&self, resource: Resource, phase: SyncPhase, message: Option<String>) {
        let remaining = self.estimate.map(|e| e.saturating_sub(self.items));
        let rate = self.items as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        (self.on_progress)(SyncProgress {
            service_id: self.service.id.clone(),
            phase,
            resource,
            items: self.items,
            pages: self.pages,
            total_estimate: self.estimate,
            remaining_estimate: remaining,
            seconds_left: remaining
                .filter(|_| rate > 0.0 && self.items > 0)
                .map(|r| (r as f64 / rate).ceil() as u64),
            message,
        });
    }

    async fn cursor(&self, resource: Resource) -> Result<Cursor, CoreError> {
        let row = sqlx::query("SELECT synced_until_ms, window_from_ms, window_to_ms, next_page FROM sync_state WHERE service_id = ?1 AND resource = ?2")
            .bind(&self.service.id)
            .bind(resource.as_str())
            .fetch_optional(self.core.pool())
            .await?;
        Ok(match row {
            None => Cursor {
                synced_until: None,
                window: None,
            },
            Some(r) => {
                let window = match (
                    r.try_get::<Option<i64>, _>("window_from_ms")?,
                    r.try_get::<Option<i64>, _>("window_to_ms")?,
                    r.try_get::<Option<i64>, _>("next_page")?,
                ) {
                    (Some(f), Some(t), Some(p)) => Some((f, t, p.max(1) as u32)),
                    _ => None,
                };
                Cursor {
                    synced_until: r.try_get("synced_until_ms")?,
                    window,
                }
            }
        })
    }

    /// Counts pages just written and reports progress, under the resource
    /// being streamed (`shown`: the payments, when refunds and disputes come
    /// with them).
    fn written(&mut self, shown: Resource, steps: &[Step]) {
        for step in steps {
            let resource = step.fetched.resource();
            if resource == shown && step.page == 1 && self.estimate.is_none() {
                self.estimate = Some(step.fetched.total());
            }
            let count = step.fetched.len();
            self.items += count;
            self.pages += 1;
            match resource {
                Resource::Payments => self.report.payments += count,
                Resource::Refunds => self.report.refunds += count,
                Resource::Disputes => self.report.disputes += count,
                Resource::Agreements => {}
            }
        }
        self.progress(shown, SyncPhase::Running, None);
    }

    /// Reads what each plan covers and writes it; whether all got to the end
    /// (false when cancelled). The first plan's resource is the one shown in
    /// the progress. The run's connection is lent to the writing for the while.
    async fn stream(&mut self, plans: Vec<(Resource, Plan)>) -> Result<bool, CoreError> {
        let Some(mut conn) = self.conn.take() else {
            return Err(CoreError::Storage(
                "the sync's connection is already writing".into(),
            ));
        };
        let result = self.stream_on(&mut conn, plans).await;
        self.conn = Some(conn);
        result
    }

    /// A task for each plan reads pages ahead while this one writes every
    /// page already waiting (up to `BATCH_PAGES`) in one go: a commit per page
    /// cost a sync about as much as writing the rows. Each page's position is
    /// written with it, so whatever is committed is exactly what the saved
    /// position says was read. A bulk load keeps its transaction open for up
    /// to `BULK_ROWS` rows or `BULK_HOLD`: fewer, larger commits write each
    /// touched page once. The readers share the client, and so its rate limits.
    async fn stream_on(
        &mut self,
        conn: &mut sqlx::SqliteConnection,
        plans: Vec<(Resource, Plan)>,
    ) -> Result<bool, CoreError> {
        use sqlx::Connection;
        let Some(&(shown, _)) = plans.first() else {
            return Ok(true);
        };
        let (sender, mut pages) = mpsc::channel(AHEAD);
        let mut readers: Vec<Reader> = plans
            .into_iter()
            .map(|(resource, plan)| {
                Reader(Some(tokio::spawn(read_ahead(
                    self.client.clone(),
                    resource,
                    plan,
                    self.cancel.clone(),
                    sender.clone(),
                ))))
            })
            .collect();
        // Only the readers' senders remain: the stream ends when all of them have.
        drop(sender);
        let mut done = false;
        while !done {
            // A transaction opens when there is something to write.
            let Some(first) = pages.recv().await else {
                break;
            };
            let mut tx = conn.begin().await?;
            let opened = tokio::time::Instant::now();
            let mut rows = 0;
            let mut next = Some(first);
            let mut failed = None;
            loop {
                let got = match next.take() {
                    Some(got) => got,
                    // Only a bulk load gets here, with its transaction open.
                    None => match tokio::time::timeout_at(opened + BULK_HOLD, pages.recv()).await {
                        Ok(Some(got)) => got,
                        Ok(None) => {
                            done = true;
                            break;
                        }
                        Err(_) => break,
                    },
                };
                let mut steps = match got {
                    Ok(step) => vec![step],
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                };
                let until = tokio::time::Instant::now() + BATCH_WAIT;
                while steps.len() < BATCH_PAGES {
                    match tokio::time::timeout_at(until, pages.recv()).await {
                        Ok(Some(Ok(step))) => steps.push(step),
                        Ok(Some(Err(e))) => {
                            failed = Some(e);
                            break;
                        }
                        Ok(None) => {
                            done = true;
                            break;
                        }
                        Err(_) => break,
                    }
                }
                rows += write_pages(&mut tx, &self.service.id, &steps, self.bulk).await?;
                self.written(shown, &steps);
                if !self.bulk
                    || done
                    || failed.is_some()
                    || self.cancel.is_cancelled()
                    || rows >= BULK_ROWS
                    || opened.elapsed() >= BULK_HOLD
                {
                    break;
                }
            }
            // Pages read before a failure are good: they are kept.
            tx.commit().await?;
            if let Some(e) = failed {
                return Err(e);
            }
            if self.cancel.is_cancelled() {
                return Ok(false);
            }
        }
        for reader in &mut readers {
            reader.finish().await?;
        }
        Ok(!self.cancel.is_cancelled())
    }

    /// Reads one resource from where it got to up to now.
    async fn resource(&mut self, resource: Resource) -> Result<bool, CoreError> {
        let now = floor_second(now_ms()) + 1000;
        let cursor = self.cursor(resource).await?;
        // A window left half-read by a stopped or killed run comes first.
        if let Some((from, to, page)) = cursor.window
            && (self.cancel.is_cancelled()
                || !self
                    .stream(vec![(resource, Plan::Resume { from, to, page })])
                    .await?)
        {
            return Ok(false);
        }
        let cursor = self.cursor(resource).await?;
        let start = match cursor.synced_until {
            Some(until) => {
                let mut start = until - TRAILING_MS;
                if resource == Resource::Payments {
                    let oldest_unfinished: Option<i64> = sqlx::query_scalar("SELECT min(created_ms) FROM payments WHERE service_id = ?1 AND finished = 0")
                        .bind(&self.service.id)
                        .fetch_one(self.core.pool())
                        .await?;
                    if let Some(u) = oldest_unfinished {
                        start = start.min(u.max(now - UNFINISHED_LOOKBACK_MS));
                    }
                }
                if resource == Resource::Payments && now - start > FIRST_WINDOW_MS {
                    // Long out of date (or a first fill that was stopped): how much is there?
                    let expected = fetch(
                        self.client.clone(),
                        resource,
                        Some((floor_second(start), now)),
                        1,
                        1,
                    )
                    .await?
                    .total();
                    self.maybe_bulk(expected).await?;
                }
                floor_second(start)
            }
            None => match self.oldest(resource).await? {
                Some((oldest, total)) => {
                    self.estimate = Some(self.items + total);
                    if resource == Resource::Payments {
                        let expected = self.estimate.unwrap_or(0).saturating_sub(self.items);
                        self.maybe_bulk(expected).await?;
                    }
                    floor_second(oldest)
                }
                None => {
                    self.mark_synced(resource, now).await?;
                    return Ok(true);
                }
            },
        };
        if self.cancel.is_cancelled() {
            return Ok(false);
        }
        let mut plans = vec![(resource, Plan::Walk { start, now })];
        if resource == Resource::Payments && self.bulk {
            for other in [Resource::Refunds, Resource::Disputes] {
                if let Some(plan) = self.alongside(other, now).await? {
                    plans.push((other, plan));
                }
            }
        }
        self.stream(plans).await
    }

    /// What of `resource` to read alongside a bulk load of payments: the
    /// payments' load is bound by the rate limit and the writer, while these
    /// on their own, after the build, keep one core busy for seconds at a
    /// million payments. The same windows as in their own turn, up to the same `now`;
    /// their turn then re-reads only the trailing window. None when there is
    /// nothing to read, or a window half-read by a stopped run (it resumes in
    /// its own turn, as before).
    async fn alongside(&mut self, resource: Resource, now: i64) -> Result<Option<Plan>, CoreError> {
        let cursor = self.cursor(resource).await?;
        if cursor.window.is_some() {
            return Ok(None);
        }
        let start = match cursor.synced_until {
            Some(until) => until - TRAILING_MS,
            None => match self.oldest(resource).await? {
                Some((oldest, total)) => {
                    self.estimate = self.estimate.map(|e| e + total);
                    oldest
                }
                None => {
                    self.mark_synced(resource, now).await?;
                    return Ok(None);
                }
            },
        };
        Ok((start < now).then_some(Plan::Walk {
            start: floor_second(start),
            now,
        }))
    }

    /// Sets the search indexes aside when this run will load many payments and
    /// building them again costs less than keeping them up row by row (the
    /// cache does not already hold far more than is coming).
    async fn maybe_bulk(&mut self, expected: u64) -> Result<(), CoreError> {
        if self.bulk || expected < self.core.shared.bulk_from.0.load(Ordering::Relaxed) {
            return Ok(());
        }
        let cached: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
            .fetch_one(self.conn()?)
            .await?;
        if cached as u64 <= expected.saturating_mul(2) {
            self.enter_bulk(false).await?;
        }
        Ok(())
    }

    fn conn(&mut self) -> Result<&mut sqlx::SqliteConnection, CoreError> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| CoreError::Storage("the sync's connection is already writing".into()))
    }

    /// Loads from here on with the search indexes aside. The WAL is copied
    /// into the file every 64 MB instead of every 4 MB meanwhile. `resume`:
    /// only if they are still aside (another sync may have built them since
    /// this one looked).
    async fn enter_bulk(&mut self, resume: bool) -> Result<(), CoreError> {
        let core = self.core;
        let conn = self.conn()?;
        if !core.bulk_enter(conn, resume).await? {
            return Ok(());
        }
        let faster = sqlx::query("PRAGMA wal_autocheckpoint = 16384")
            .execute(&mut *conn)
            .await;
        // Counted in: from here on, `leave_bulk` must count it out.
        self.bulk = true;
        faster?;
        Ok(())
    }

    /// Builds the indexes a bulk load set aside (unless another sync is still
    /// loading), and goes back to checkpointing every 4 MB.
    async fn leave_bulk(&mut self) -> Result<(), CoreError> {
        if !self.bulk {
            return Ok(());
        }
        self.bulk = false;
        if *self.core.shared.bulk_loads.lock().await == 1 {
            self.progress(
                Resource::Payments,
                SyncPhase::Running,
                Some("Building the search indexes".into()),
            );
        }
        let core = self.core;
        let conn = self.conn()?;
        // The build writes about 1 GB to the WAL at 1,000,000 payments.
        // Copying it into the file takes seconds; another connection does
        // that while this one goes on to the refunds (if none is free in
        // time, this one's next commit does it, as before).
        // Counted out whatever else fails: a load left counted in would keep
        // every later sync from building the indexes.
        let quiet = sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut *conn)
            .await;
        let built = core.bulk_leave(conn).await;
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
            let pool = core.pool().clone();
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

    /// The creation time of the oldest item (the last result of the last page
    /// of 1), and how many there are.
    async fn oldest(&mut self, resource: Resource) -> Result<Option<(i64, u64)>, CoreError> {
        if resource == Resource::Agreements {
            return Ok(None);
        }
        let first = fetch(self.client.clone(), resource, None, 1, 1).await?;
        let total = first.total();
        if total == 0 {
            return Ok(None);
        }
        // Newest first, one a page: the last page holds the oldest.
        let last = fetch(self.client.clone(), resource, None, total as u32, 1).await?;
        Ok(Some((
            last.first_created()
                .and_then(clock::api_time_ms)
                .unwrap_or(0),
            total,
        )))
    }

    async fn mark_synced(&self, resource: Resource, until: i64) -> Result<(), CoreError> {
        sqlx::query(
            "INSERT INTO sync_state (service_id, resource, synced_until_ms, last_run_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (service_id, resource) DO UPDATE SET synced_until_ms = excluded.synced_until_ms,
                window_from_ms = NULL, window_to_ms = NULL, next_page = NULL, last_run_ms = excluded.last_run_ms",
        )
        .bind(&self.service.id)
        .bind(resource.as_str())
        .bind(until)
        .bind(now_ms())
        .execute(self.core.pool())
        .await?;
        Ok(())
    }

    /// Agreements are few and have no date filter: read them all each time.
    async fn agreements(&mut self) -> Result<(), CoreError> {
        let mut pages = self
            .client
            .agreements()
            .search_all(&AgreementSearch::default());
        while let Some(page) = pages.next().await {
            if self.cancel.is_cancelled() {
                return Ok(());
            }
            let page = page?;
            // A page in one transaction: a commit per agreement makes a first
            // fill of thousands of them measurably slower.
            let mut tx = self.core.pool().begin().await?;
            cache::upsert_agreements(&mut tx, &self.service.id, &page.items).await?;
            tx.commit().await?;
            self.report.agreements += page.items.len() as u64;
            self.items += page.items.len() as u64;
            self.pages += 1;
            self.progress(Resource::Agreements, SyncPhase::Running, None);
        }
        self.mark_synced(Resource::Agreements, now_ms()).await
    }
}

/// A page as it came from GOV.UK Pay, before it is written.
enum Fetched {
    Payments(govpay::models::SearchPage<govpay::models::Payment>),
    Refunds(govpay::models::SearchPage<govpay::models::Refund>),
    Disputes(govpay::models::DisputeSearchPage),
}

impl Fetched {
    fn resource(&self) -> Resource {
        match self {
            Fetched::Payments(_) => Resource::Payments,
            Fetched::Refunds(_) => Resource::Refunds,
            Fetched::Disputes(_) => Resource::Disputes,
        }
    }

    fn total(&self) -> u64 {
        match self {
            Fetched::Payments(p) => p.total,
            Fetched::Refunds(p) => p.total,
            Fetched::Disputes(p) => p.total,
        }
    }

    /// When the first item on the page was created.
    fn first_created(&self) -> Option<&str> {
        match self {
            Fetched::Payments(p) => p.results.first()?.created_date.as_deref(),
            Fetched::Refunds(p) => p.results.first()?.created_date.as_deref(),
            Fetched::Disputes(p) => p.results.first()?.created_date.as_deref(),
        }
    }

    fn len(&self) -> u64 {
        (match self {
            Fetched::Payments(p) => p.results.len(),
            Fetched::Refunds(p) => p.results.len(),
            Fetched::Disputes(p) => p.results.len(),
        }) as u64
    }

    fn has_more(&self) -> bool {
        match self {
            Fetched::Payments(p) => p.links.next_page.is_some(),
            Fetched::Refunds(p) => p.links.next_page.is_some(),
            Fetched::Disputes(p) => p.links.next_page.is_some(),
        }
    }
}

/// Writes fetched pages and the position after each. In a bulk load the
/// payments' refund totals wait for the build, which works them all out at
/// once (see `refresh_every_refund_total`): the payment-ID index they are
/// found by is aside.
async fn write_pages(
    conn: &mut sqlx::SqliteConnection,
    service_id: &str,
    steps: &[Step],
    bulk: bool,
) -> Result<u64, CoreError> {
    let mut count = 0;
    for step in steps {
        let resource = step.fetched.resource();
        let (n, more) = match &step.fetched {
            Fetched::Payments(p) => {
                cache::upsert_payments(conn, service_id, &p.results).await?;
                (p.results.len() as u64, p.links.next_page.is_some())
            }
            Fetched::Refunds(p) => {
                cache::upsert_refunds(conn, service_id, &p.results, None).await?;
                if !bulk {
                    let ids: Vec<String> = p
                        .results
                        .iter()
                        .filter_map(|r| r.payment_id.clone())
                        .collect();
                    refresh_refund_totals(conn, service_id, &ids).await?;
                }
                (p.results.len() as u64, p.links.next_page.is_some())
            }
            Fetched::Disputes(p) => {
                cache::upsert_disputes(conn, service_id, &p.results).await?;
                (p.results.len() as u64, p.links.next_page.is_some())
            }
        };
        count += n;
        let (window_from, window_to, next_page, synced_until) = if more {
            (
                Some(step.from),
                Some(step.to),
                Some(i64::from(step.page) + 1),
                None,
            )
        } else {
            (None, None, None, Some(step.to))
        };
        sqlx::query(
            "INSERT INTO sync_state (service_id, resource, synced_until_ms, window_from_ms, window_to_ms, next_page, last_run_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (service_id, resource) DO UPDATE SET
                synced_until_ms = coalesce(excluded.synced_until_ms, sync_state.synced_until_ms),
                window_from_ms = excluded.window_from_ms, window_to_ms = excluded.window_to_ms,
                next_page = excluded.next_page, last_run_ms = excluded.last_run_ms",
        )
        .bind(service_id)
        .bind(resource.as_str())
        .bind(synced_until)
        .bind(window_from)
        .bind(window_to)
        .bind(next_page)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    }
    Ok(count)
}

/// A fetched page and where it sits: its window and its number in it.
struct Step {
    from: i64,
    to: i64,
    page: u32,
    fetched: Fetched,
}

/// What a reader walks through.
#[derive(Debug, Clone, Copy)]
enum Plan {
    /// The rest of a window a stopped run left half-read.
    Resume { from: i64, to: i64, page: u32 },
    /// Windows from `start` up to `now`, each sized from what the last one held.
    Walk { start: i64, now: i64 },
}

/// Pages read ahead of the writer (at most about 32,000 payments in memory,
/// and `IN_FLIGHT` pages coming for each resource read). A commit of a bulk
/// load can take a few tenths of a second; with a shallow queue the readers
/// stop for it, and time the rate limit allows cannot be spent later. With 64
/// a large load ends close to what the limit alone needs.
const AHEAD: usize = 64;
/// Requests of one window asked for at once.
const IN_FLIGHT: usize = 4;
/// Pages written in one transaction at most...
const BATCH_PAGES: usize = 16;
/// ...gathered for at most this long after the first of them arrived.
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(200);
/// A bulk load commits after this many rows...
const BULK_ROWS: u64 = 50_000;
/// ...or after holding the write lock this long (other writers wait meanwhile).
const BULK_HOLD: std::time::Duration = std::time::Duration::from_secs(1);

/// The reading task; stopped when the writer returns early, awaited when it does not.
struct Reader(Option<tokio::task::JoinHandle<()>>);

impl Reader {
    async fn finish(&mut self) -> Result<(), CoreError> {
        match self.0.take() {
            Some(task) => task
                .await
                .map_err(|_| CoreError::Storage("a sync fetch stopped unexpectedly".into())),
            None => Ok(()),
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

type Pages = mpsc::Sender<Result<Step, CoreError>>;

/// Reads the pages `plan` covers, in order, until the end, a failure (sent on)
/// or a cancel. The window sizes follow what the pages hold.
async fn read_ahead(
    client: Client,
    resource: Resource,
    plan: Plan,
    cancel: SyncCancel,
    pages: Pages,
) {
    match plan {
        Plan::Resume { from, to, page } => {
            read_window(&client, resource, (from, to), page, &cancel, &pages).await;
        }
        Plan::Walk { start, now } => {
            let mut from = start;
            let mut length = FIRST_WINDOW_MS;
            while from < now {
                let to = (from + length).min(now);
                let Some(read) =
                    read_window(&client, resource, (from, to), 1, &cancel, &pages).await
                else {
                    return;
                };
                // Sparse history: bigger windows, fewer requests. Dense: smaller ones.
                length = if read < WINDOW_TARGET / 4 {
                    (length * 2).min(MAX_WINDOW_MS)
                } else if read > WINDOW_TARGET * 2 {
                    (length / 2).max(MIN_WINDOW_MS)
                } else {
                    length
                };
                from = to;
            }
        }
    }
}

/// Reads one window from `page` on; how many items it held, or None when
/// stopped. Up to `IN_FLIGHT` pages are asked for at once, as far as the
/// last answer's total says the window goes (over a real network each
/// request spends most of its time waiting for the answer; the client's
/// limiter still keeps them all inside the rate limits). Pages are passed on
/// in order, so a saved position still means every page before it is in.
/// The window ends at the first page with no next one; any asked for past it
/// are dropped unanswered.
async fn read_window(
    client: &Client,
    resource: Resource,
    (from, to): (i64, i64),
    mut page: u32,
    cancel: &SyncCancel,
    pages: &Pages,
) -> Option<u64> {
    use futures_util::StreamExt;
    let mut read = 0;
    let mut asked = page;
    let mut last = page;
    let mut flying = futures_util::stream::FuturesOrdered::new();
    loop {
        if cancel.is_cancelled() {
            return None;
        }
        while flying.len() < IN_FLIGHT && asked <= last {
            flying.push_back(fetch(
                client.clone(),
                resource,
                Some((from, to)),
                asked,
                PAGE,
            ));
            asked += 1;
        }
        // Never empty here: `asked <= last` whenever nothing is in flight.
        match flying.next().await? {
            Ok(fetched) => {
                let more = fetched.has_more();
                if more {
                    let pages_in_window = fetched.total().div_ceil(u64::from(PAGE));
                    last = last
                        .max(page + 1)
                        .max(u32::try_from(pages_in_window).unwrap_or(u32::MAX));
                }
                read += fetched.len();
                let step = Step {
                    from,
                    to,
                    page,
                    fetched,
                };
                if pages.send(Ok(step)).await.is_err() || !more {
                    return (!more).then_some(read);
                }
                page += 1;
            }
            Err(e) => {
                let _ = pages.send(Err(e)).await;
                return None;
            }
        }
    }
}

/// One page of a search: within a window of creation dates, or of the whole history.
async fn fetch(
    client: Client,
    resource: Resource,
    window: Option<(i64, i64)>,
    page: u32,
    size: u32,
) -> Result<Fetched, CoreError> {
    let paging = Paging {
        page: Some(page),
        display_size: Some(size),
    };
    let (from_date, to_date) = match window {
        Some((from, to)) => (Some(to_time(from)), Some(to_time(to))),
        None => (None, None),
    };
    Ok(match resource {
        Resource::Payments => Fetched::Payments(
            client
                .payments()
                .search(&PaymentSearch {
                    from_date,
                    to_date,
                    paging,
                    ..Default::default()
                })
                .await?,
        ),
        Resource::Refunds => Fetched::Refunds(
            client
                .refunds()
                .search(&RefundSearch {
                    from_date,
                    to_date,
                    paging,
                    ..Default::default()
                })
                .await?,
        ),
        Resource::Disputes => Fetched::Disputes(
            client
                .disputes()
                .search(&DisputeSearch {
                    from_date,
                    to_date,
                    paging,
                    ..Default::default()
                })
                .await?,
        ),
        Resource::Agreements => {
            return Err(CoreError::Storage(
                "agreements are not read in windows".into(),
            ));
        }
    })
}

/// After refunds arrive, the payments they belong to get their totals from them,
/// in one statement per 400 payments: each payment is found through the
/// payment-ID index and its refunds summed once, through their index (named,
/// because before the first ANALYZE SQLite would read every refund of the
/// service for each payment). Summing once is faster than summing in each of
/// the three figures. What is available
/// is counted as GOV.UK Pay counts it: from the total with a corporate card
/// surcharge, from the amount otherwise, less refunds not in error.
async fn refresh_refund_totals(
    conn: &mut sqlx::SqliteConnection,
    service_id: &str,
    payment_ids: &[String],
) -> Result<(), CoreError> {
    let mut ids: Vec<&String> = payment_ids.iter().collect();
    ids.sort();
    ids.dedup();
    for chunk in ids.chunks(400) {
        let list = serde_json::to_string(chunk)
            .map_err(|e| CoreError::Storage(format!("cannot list payment IDs: {e}")))?;
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
) -> Result<(), CoreError> {
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

/// When each resource of a service was last brought up to date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncStatus {
    pub service_id: String,
    /// Milliseconds since 1970 of the last complete run, if any.
    #[ts(type = "number | null")]
    pub last_synced_ms: Option<i64>,
    /// A run was stopped part-way and will resume.
    pub interrupted: bool,
    #[ts(type = "number")]
    pub cached_payments: i64,
}

impl Core {
    /// How many payments a sync must expect before it loads them with the
    /// search indexes aside and builds them once they are in (20,000 by default).
    pub fn set_bulk_load_from(&self, payments: u64) {
        self.shared.bulk_from.0.store(payments, Ordering::Relaxed);
    }

    /// Counts a load in, setting the indexes aside if it is the first.
    /// `resume`: only when they are aside now, looked at under the lock (a
    /// sync that saw them aside may have waited here while another built
    /// them: setting them aside again would cost a second build). Whether
    /// the load was counted in.
    async fn bulk_enter(
        &self,
        conn: &mut sqlx::SqliteConnection,
        resume: bool,
    ) -> Result<bool, CoreError> {
        let mut loads = self.shared.bulk_loads.lock().await;
        if *loads == 0 {
            if resume && !bulk::aside(conn).await? {
                return Ok(false);
            }
            bulk::set_aside(conn).await?;
        }
        *loads += 1;
        Ok(true)
    }

    /// The last sync to finish loading builds the indexes again.
    async fn bulk_leave(
        &self,
        conn: &mut sqlx::SqliteConnection,
    ) -> Result<bulk::Restored, CoreError> {
        let mut loads = self.shared.bulk_loads.lock().await;
        *loads = loads.saturating_sub(1);
        if *loads == 0 {
            bulk::restore_report(conn).await
        } else {
            Ok(bulk::Restored::Nothing)
        }
    }

    /// Brings the service's cache up to date: payments, refunds, disputes, agreements.
    pub async fn sync_service(
        &self,
        service_id: &str,
        cancel: &SyncCancel,
        on_progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<SyncReport, CoreError> {
        let service = self.service(service_id).await?;
        let client = self.client(&service).await?;
        let before = client.stats().requests;
        let mut run = Run {
            core: self,
            conn: Some(self.pool().acquire().await?),
            service: &service,
            client: client.clone(),
            cancel,
            report: SyncReport::default(),
            on_progress,
            started: Instant::now(),
            items: 0,
            pages: 0,
            estimate: None,
            bulk: false,
            payments_analysed: false,
        };
        // Indexes left aside by a sync that was killed: this run builds them
        // once its payments are in.
        if bulk::aside(run.conn()?).await? {
            run.enter_bulk(true).await?;
        }
        let mut result = Ok(());
        for resource in [Resource::Payments, Resource::Refunds, Resource::Disputes] {
            run.estimate = None;
            let step = run.resource(resource).await;
            // The indexes are built as soon as the payments are in, however
            // their load ended: refunds find their payments by ID.
            let built = run.leave_bulk().await;
            match step.and_then(|more| built.map(|()| more)) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() && !cancel.is_cancelled() {
            result = run.agreements().await;
        }
        run.report.requests = client.stats().requests - before;
        if run.items > 5_000 {
            // Fresh statistics, so searches pick the right index over a big cache.
            // Whole-table statistics: a sampled ANALYZE saw one service and a
            // few thousand rows, judged every filter as selective as "this
            // service", and sent "last four or reference" through the status
            // index, many times slower (BENCHMARKS.md, tried and dropped).
            // The payments' own were gathered with their indexes' build, if
            // there was one: then those of the other tables only.
            if let Ok(mut conn) = self.pool().acquire().await {
                if run.payments_analysed {
                    let _ =
                        crate::db::analyze_all_but(&mut conn, &["payments", "payment_metadata"])
                            .await;
                } else if crate::db::statistics_outdated_by(&mut conn, run.items).await {
                    let _ = crate::db::analyze(&mut conn, None).await;
                }
            }
        }
        run.report.cancelled = cancel.is_cancelled();
        match result {
            Ok(()) => {
                let phase = if cancel.is_cancelled() {
                    SyncPhase::Cancelled
                } else {
                    SyncPhase::Done
                };
                run.progress(Resource::Agreements, phase, None);
                Ok(run.report)
            }
            Err(e) => {
                run.progress(Resource::Payments, SyncPhase::Failed, Some(e.to_string()));
                Err(e)
            }
        }
    }

    pub async fn sync_status(&self, service_id: &str) -> Result<SyncStatus, CoreError> {
        let row = sqlx::query(
            "SELECT max(last_run_ms) AS last, max(window_from_ms IS NOT NULL) AS interrupted,
                    min(synced_until_ms IS NOT NULL) AS complete, count(*) AS n
             FROM sync_state WHERE service_id = ?1",
        )
        .bind(service_id)
        .fetch_one(self.pool())
        .await?;
        let n: i64 = row.try_get("n")?;
        let complete: Option<i64> = row.try_get("complete")?;
        Ok(SyncStatus {
            service_id: service_id.to_owned(),
            last_synced_ms: if n > 0 && complete == Some(1) {
                row.try_get("last")?
            } else {
                None
            },
            interrupted: row.try_get::<Option<i64>, _>("interrupted")?.unwrap_or(0) == 1,
            cached_payments: self.store().payment_count(service_id).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

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
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path(), Arc::new(crate::keys::MemoryKeyStore::default()))
            .await
            .unwrap();
        let mut conn = core.pool().acquire().await.unwrap();
        assert!(!bulk::aside(&mut conn).await.unwrap());
        assert!(!core.bulk_enter(&mut conn, true).await.unwrap());
        assert!(!bulk::aside(&mut conn).await.unwrap());
        assert_eq!(*core.shared.bulk_loads.lock().await, 0);
        // Still aside: the load is counted in, and counted out it builds them.
        assert!(core.bulk_enter(&mut conn, false).await.unwrap());
        assert!(core.bulk_enter(&mut conn, true).await.unwrap());
        assert_eq!(*core.shared.bulk_loads.lock().await, 2);
        assert_eq!(
            core.bulk_leave(&mut conn).await.unwrap(),
            bulk::Restored::Nothing
        );
        assert_ne!(
            core.bulk_leave(&mut conn).await.unwrap(),
            bulk::Restored::Nothing
        );
        assert!(!bulk::aside(&mut conn).await.unwrap());
    }
}
