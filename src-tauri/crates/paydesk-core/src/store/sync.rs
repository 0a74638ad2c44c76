//! The sync's side of the store: where each resource's sync got to, and a
//! run's writing as one unit of work (`Fill`), so the engine decides how to
//! load fast (SQLite sets its search indexes aside for a big first fill).

use async_trait::async_trait;
use govpay::models::{Agreement, Dispute, Payment, Refund};

use super::StoreError;

/// Where a resource's sync got to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCursor {
    /// Everything created before this (ms since 1970) has been read once.
    pub synced_until: Option<i64>,
    /// A window left half-read (from, to, next page), to resume first.
    pub window: Option<(i64, i64, u32)>,
}

/// A service's sync across its resources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// The last run of any resource, ms since 1970.
    pub last_run_ms: Option<i64>,
    /// A window was left half-read.
    pub interrupted: bool,
    /// Every resource has been read to the end at least once.
    pub complete: bool,
}

/// One page of what GOV.UK Pay listed.
#[derive(Debug, Clone, Copy)]
pub enum FillPage<'a> {
    Payments(&'a [Payment]),
    Refunds(&'a [Refund]),
    Disputes(&'a [Dispute]),
}

/// Where a page leaves its resource's sync: written with the page, so what
/// is kept is exactly what the position says was read.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    pub resource: &'static str,
    /// The window the page is in, and its number there.
    pub from: i64,
    pub to: i64,
    pub page: u32,
    /// Whether the window has pages after this one.
    pub more: bool,
}

#[async_trait]
pub trait SyncStore {
    async fn sync_cursor(&self, service_id: &str, resource: &str)
    -> Result<SyncCursor, StoreError>;
    async fn sync_summary(&self, service_id: &str) -> Result<SyncSummary, StoreError>;
    /// When the oldest payment GOV.UK Pay had not finished was created.
    async fn oldest_unfinished(&self, service_id: &str) -> Result<Option<i64>, StoreError>;
    /// Everything of `resource` created before `until_ms` has been read.
    async fn mark_synced(
        &self,
        service_id: &str,
        resource: &str,
        until_ms: i64,
    ) -> Result<(), StoreError>;
    /// Keeps one page of agreements, in one transaction.
    async fn keep_agreements(
        &self,
        service_id: &str,
        agreements: &[Agreement],
    ) -> Result<(), StoreError>;
    /// Starts a run's writing.
    async fn begin_fill(&self, service_id: &str) -> Result<Box<dyn Fill>, StoreError>;
    /// After a run that wrote `items`: the planner's figures brought up to
    /// date if they need it. Failing is only logged: they only steer searches.
    async fn after_fill(&self, items: u64, payments_analysed: bool);
    /// How many payments a run must expect before it loads them in bulk.
    fn set_bulk_load_from(&self, payments: u64);
    /// Claims the service's sync for the desktop `holder` for `for_ms`, or
    /// renews the claim: false while another desktop of the team holds it. One file has one desktop: the SQLite store's process
    /// keeps one run per service itself, so it always grants.
    async fn sync_claim(
        &self,
        _service_id: &str,
        _holder: &str,
        _for_ms: i64,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }
    /// Lets go of a claim (a claim not let go lapses).
    async fn sync_release(&self, _service_id: &str, _holder: &str) {}
}

/// A sync run's writing. Pages are written between `begin` and `commit`;
/// a failed write undoes the batch it was in. Dropped, anything not
/// committed is undone.
#[async_trait]
pub trait Fill: Send + Sync {
    /// A load a killed run left part-way is taken up again.
    async fn resume(&mut self) -> Result<(), StoreError>;
    /// `expected` payments are coming: the engine loads them in bulk if that
    /// is faster than keeping its indexes up row by row.
    async fn expect(&mut self, expected: u64) -> Result<(), StoreError>;
    /// Whether this run loads in bulk: refund totals wait for the end of the
    /// load, and refunds and disputes are best read alongside the payments.
    fn bulk(&self) -> bool;
    /// Whether ending the load now will rebuild what was set aside (the last
    /// load to end does it): the progress says so, it takes a while.
    async fn builds_on_end(&self) -> bool;
    /// Ends a bulk load (nothing when there is none).
    async fn end_load(&mut self) -> Result<(), StoreError>;
    /// Whether the payments' planner figures were gathered by the rebuild.
    fn payments_analysed(&self) -> bool;
    async fn begin(&mut self) -> Result<(), StoreError>;
    /// Writes a page and the position after it; the number of items.
    async fn write(&mut self, page: FillPage<'_>, at: &Position) -> Result<u64, StoreError>;
    async fn commit(&mut self) -> Result<(), StoreError>;
}
