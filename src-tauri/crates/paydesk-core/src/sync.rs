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
use time::OffsetDateTime;
use tokio::sync::mpsc;
use ts_rs::TS;

use crate::Core;
use crate::clock::{self, now_ms};
use crate::error::CoreError;
use crate::services::ServiceInfo;
use crate::store::sync::{Fill, FillPage, Position, SyncCursor};

/// Re-read on every run: the search endpoints lag writes, and recent payments change state.
pub const TRAILING_MS: i64 = 2 * 60 * 60 * 1000;
/// Capturable payments stay unfinished for up to 120 hours.
/// How long a run's claim on its service's sync lasts unless renewed (each
/// batch written renews it): a desktop that stops mid-run lets go by then.
const CLAIM_MS: i64 = 120_000;

/// Another desktop of the team is syncing the service.
fn another_desktop_syncs() -> CoreError {
    CoreError::Conflict {
        message: "Another desktop of your team is updating this service's payments now: they appear here as they arrive".into(),
        pay_code: None,
    }
}

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

fn to_time(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Search dates have whole seconds: windows start and end on a second.
fn floor_second(ms: i64) -> i64 {
    ms.div_euclid(1000) * 1000
}

struct Run<'a> {
    core: &'a Core,
    /// This run's claim on the service's sync (see `SyncStore::sync_claim`).
    claim: String,
    /// The run's writing (the store decides how to load fast).
    fill: Box<dyn Fill>,
    service: &'a ServiceInfo,
    client: Client,
    cancel: &'a SyncCancel,
    report: SyncReport,
    on_progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
    started: Instant,
    items: u64,
    pages: u64,
    estimate: Option<u64>,
}

impl Run<'_> {
    /// Keeps this run's claim; a run whose claim lapsed (it was held up past
    /// `CLAIM_MS` and another desktop took over) stops.
    async fn renew_claim(&self) -> Result<(), CoreError> {
        let kept = self
            .core
            .store()
            .sync_claim(&self.service.id, &self.claim, CLAIM_MS)
            .await?;
        if kept {
            Ok(())
        } else {
            Err(another_desktop_syncs())
        }
    }

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

    async fn cursor(&self, resource: Resource) -> Result<SyncCursor, CoreError> {
        Ok(self
            .core
            .store()
            .sync_cursor(&self.service.id, resource.as_str())
            .await?)
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
    /// the progress.
    /// A task for each plan reads pages ahead while this one writes every
    /// page already waiting (up to `BATCH_PAGES`) in one go: a commit per page
    /// cost a sync about as much as writing the rows. Each page's position is
    /// written with it, so whatever is committed is exactly what the saved
    /// position says was read. A bulk load keeps its transaction open for up
    /// to `BULK_ROWS` rows or `BULK_HOLD`: fewer, larger commits write each
    /// touched page once. The readers share the client, and so its rate limits.
    async fn stream(&mut self, plans: Vec<(Resource, Plan)>) -> Result<bool, CoreError> {
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
            self.fill.begin().await?;
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
                for step in &steps {
                    rows += self.fill.write(step.page(), &step.position()).await?;
                }
                self.written(shown, &steps);
                if !self.fill.bulk()
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
            self.fill.commit().await?;
            self.renew_claim().await?;
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
                    let oldest_unfinished = self
                        .core
                        .store()
                        .oldest_unfinished(&self.service.id)
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
                    self.fill.expect(expected).await?;
                }
                floor_second(start)
            }
            None => match self.oldest(resource).await? {
                Some((oldest, total)) => {
                    self.estimate = Some(self.items + total);
                    if resource == Resource::Payments {
                        let expected = self.estimate.unwrap_or(0).saturating_sub(self.items);
                        self.fill.expect(expected).await?;
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
        if resource == Resource::Payments && self.fill.bulk() {
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

    /// Ends a load in bulk; the progress says when the indexes are rebuilt.
    async fn leave_bulk(&mut self) -> Result<(), CoreError> {
        if self.fill.builds_on_end().await {
            self.progress(
                Resource::Payments,
                SyncPhase::Running,
                Some("Building the search indexes".into()),
            );
        }
        Ok(self.fill.end_load().await?)
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
        Ok(self
            .core
            .store()
            .mark_synced(&self.service.id, resource.as_str(), until)
            .await?)
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
            self.core
                .store()
                .keep_agreements(&self.service.id, &page.items)
                .await?;
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

/// A fetched page and where it sits: its window and its number in it.
struct Step {
    from: i64,
    to: i64,
    page: u32,
    fetched: Fetched,
}

impl Step {
    fn page(&self) -> FillPage<'_> {
        match &self.fetched {
            Fetched::Payments(p) => FillPage::Payments(&p.results),
            Fetched::Refunds(p) => FillPage::Refunds(&p.results),
            Fetched::Disputes(p) => FillPage::Disputes(&p.results),
        }
    }

    /// Where the sync of its resource stands once it is written.
    fn position(&self) -> Position {
        Position {
            resource: self.fetched.resource().as_str(),
            from: self.from,
            to: self.to,
            page: self.page,
            more: self.fetched.has_more(),
        }
    }
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

/// What a sync started with [`Core::sync_begin`] tells whoever started it.
#[derive(Debug)]
pub enum SyncEvent {
    Progress(SyncProgress),
    /// The run stopped: what it did, or why it failed.
    Finished {
        service_id: String,
        result: Result<SyncReport, CoreError>,
    },
}

/// A service's cache: when it was last brought up to date, and any run under way.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncView {
    pub status: SyncStatus,
    pub running: bool,
    pub progress: Option<SyncProgress>,
}

/// A sync running in the background, and where it had got to.
pub(crate) struct RunningSync {
    cancel: SyncCancel,
    last: Option<SyncProgress>,
}

/// The syncs under way in this process, one per service at most.
pub(crate) type RunningSyncs = std::sync::Mutex<std::collections::HashMap<String, RunningSync>>;

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
        self.store().set_bulk_load_from(payments);
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
        let claim = self.shared.desktop.clone();
        if !self
            .store()
            .sync_claim(&service.id, &claim, CLAIM_MS)
            .await?
        {
            return Err(another_desktop_syncs());
        }
        let run = self
            .sync_claimed(&service, client, claim.clone(), cancel, on_progress)
            .await;
        self.store().sync_release(&service.id, &claim).await;
        run
    }

    async fn sync_claimed(
        &self,
        service: &ServiceInfo,
        client: Client,
        claim: String,
        cancel: &SyncCancel,
        on_progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<SyncReport, CoreError> {
        let before = client.stats().requests;
        let mut run = Run {
            core: self,
            claim,
            fill: self.store().begin_fill(&service.id).await?,
            service,
            client: client.clone(),
            cancel,
            report: SyncReport::default(),
            on_progress,
            started: Instant::now(),
            items: 0,
            pages: 0,
            estimate: None,
        };
        // A load a killed sync left part-way: this run ends it once its
        // payments are in.
        run.fill.resume().await?;
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
        self.store()
            .after_fill(run.items, run.fill.payments_analysed())
            .await;
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
                // The reason goes to whoever started the run, as an error with
                // staff wording; the progress carries none of the raw text.
                tracing::warn!(service = %service.id, "sync failed: {e}");
                run.progress(Resource::Payments, SyncPhase::Failed, None);
                Err(e)
            }
        }
    }

    /// Starts bringing a service's cache up to date in the background, unless
    /// a sync of it is already running here (false then). Progress and the
    /// end arrive through `on_event`. After a run that ends well, the mop-up
    /// re-checks this desktop's unfinished telephone payments and refunds.
    pub async fn sync_begin(
        &self,
        service_id: &str,
        on_event: Arc<dyn Fn(SyncEvent) + Send + Sync>,
    ) -> Result<bool, CoreError> {
        let service = self.service(service_id).await?;
        let cancel = SyncCancel::default();
        {
            let mut syncs = self.running_syncs();
            if syncs.contains_key(&service.id) {
                return Ok(false);
            }
            syncs.insert(
                service.id.clone(),
                RunningSync {
                    cancel: cancel.clone(),
                    last: None,
                },
            );
        }
        let core = self.clone();
        tokio::spawn(async move {
            let on_progress = |p: SyncProgress| {
                if let Some(run) = core.running_syncs().get_mut(&p.service_id) {
                    run.last = Some(p.clone());
                }
                on_event(SyncEvent::Progress(p));
            };
            let result = core.sync_service(&service.id, &cancel, &on_progress).await;
            if result.is_ok()
                && let Err(e) = core.mop_up(&service.id).await
            {
                tracing::warn!("mop-up after sync: {e}");
            }
            core.running_syncs().remove(&service.id);
            on_event(SyncEvent::Finished {
                service_id: service.id,
                result,
            });
        });
        Ok(true)
    }

    /// The service's cache, and the run under way if there is one.
    pub async fn sync_view(&self, service_id: &str) -> Result<SyncView, CoreError> {
        let status = self.sync_status(service_id).await?;
        let syncs = self.running_syncs();
        let run = syncs.get(service_id);
        Ok(SyncView {
            status,
            running: run.is_some(),
            progress: run.and_then(|r| r.last.clone()),
        })
    }

    /// Stops a service's sync between pages; the next run resumes there.
    pub fn sync_stop(&self, service_id: &str) {
        if let Some(run) = self.running_syncs().get(service_id) {
            run.cancel.cancel();
        }
    }

    fn running_syncs(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, RunningSync>> {
        self.shared.syncs.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn sync_status(&self, service_id: &str) -> Result<SyncStatus, CoreError> {
        let summary = self.store().sync_summary(service_id).await?;
        Ok(SyncStatus {
            service_id: service_id.to_owned(),
            last_synced_ms: summary.last_run_ms.filter(|_| summary.complete),
            interrupted: summary.interrupted,
            cached_payments: self.store().payment_count(service_id).await?,
        })
    }
}
