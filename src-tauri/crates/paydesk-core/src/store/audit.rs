//! The audit record: an append-only chain of rows, each sealed over the one
//! before it. The store is its one writer; how a row is sealed is the
//! domain's (`crate::activity::audit`), handed in with each append.

use std::any::Any;

use async_trait::async_trait;
use serde::Serialize;
use ts_rs::TS;

use super::StoreError;

/// The previous hash of the chain's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Phase {
    Attempt,
    /// Paydesk refused the action itself, before anything was sent (the figures
    /// changed, GOV.UK Pay says it cannot be done): nothing reached GOV.UK Pay.
    NotSent,
    Succeeded,
    Failed,
    Unknown,
    Reconciled,
}

impl Phase {
    /// An outcome of a request that may have left the machine: it must reach
    /// the record even when the database cannot take it at the time.
    pub(crate) fn after_sending(self) -> bool {
        matches!(
            self,
            Phase::Succeeded | Phase::Failed | Phase::Unknown | Phase::Reconciled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Attempt => "attempt",
            Phase::NotSent => "not_sent",
            Phase::Succeeded => "succeeded",
            Phase::Failed => "failed",
            Phase::Unknown => "unknown",
            Phase::Reconciled => "reconciled",
        }
    }

    pub(crate) fn parse(s: &str) -> Phase {
        match s {
            "not_sent" => Phase::NotSent,
            "succeeded" => Phase::Succeeded,
            "failed" => Phase::Failed,
            "unknown" => Phase::Unknown,
            "reconciled" => Phase::Reconciled,
            _ => Phase::Attempt,
        }
    }
}

/// One row of the record, as the activity screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditRow {
    #[ts(type = "number")]
    pub seq: i64,
    pub at: String,
    pub operator: String,
    pub service_id: String,
    pub service_name: String,
    pub action: String,
    pub phase: Phase,
    #[ts(type = "number | null")]
    pub attempt_seq: Option<i64>,
    pub payment_id: Option<String>,
    pub target_id: Option<String>,
    #[ts(type = "number | null")]
    pub amount: Option<i64>,
    pub pay_code: Option<String>,
    pub detail: String,
    /// Why a refund is made (a `RefundReason` code), on a refund's rows.
    pub reason: Option<String>,
    /// The note given with the reason.
    pub reason_note: Option<String>,
}

/// A row with the hash it follows and its own.
#[derive(Debug, Clone)]
pub struct ChainedRow {
    pub row: AuditRow,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for the activity list.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AuditQuery {
    #[ts(optional)]
    pub operator: Option<String>,
    #[ts(optional)]
    pub action: Option<String>,
    #[ts(optional)]
    pub service_id: Option<String>,
    #[ts(optional)]
    pub phase: Option<String>,
    #[ts(optional)]
    pub payment_id: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[ts(optional)]
    pub from_date: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[ts(optional)]
    pub to_date: Option<String>,
    pub limit: u32,
}

/// How a row is sealed: its hash from the previous row's hash and the row.
pub type Sealer<'a> = &'a (dyn Fn(&str, &AuditRow) -> String + Send + Sync);

/// Being the chain's one writer in this process, until dropped. The store
/// hands it out; appends ask for it, so no append can skip the queue.
pub struct ChainLock(#[allow(dead_code)] Box<dyn Any + Send + Sync>);

impl ChainLock {
    pub(crate) fn new(guard: impl Any + Send + Sync) -> Self {
        Self(Box::new(guard))
    }
}

/// What a service's seal is made from (see `crate::seal`).
#[derive(Debug, Clone)]
pub struct SealFields {
    pub id: String,
    pub base_url: String,
    pub environment: String,
    pub role: String,
    pub sandbox: bool,
}

#[async_trait]
pub trait AuditStore {
    /// Waits to become the chain's one writer in this process.
    async fn audit_lock(&self) -> ChainLock;
    /// Appends `row` after the chain's last row (its `seq` is the store's to
    /// give), sealed by `seal`. The engine's write lock is taken before the
    /// chain's end is read, so another process appending at the same time
    /// waits: the chain never forks. A busy database is tried again for a
    /// while before the error is given up.
    async fn audit_append(
        &self,
        lock: &ChainLock,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError>;
    /// The whole chain, oldest first.
    async fn audit_chain(&self) -> Result<Vec<ChainedRow>, StoreError>;
    /// A row's hash, if the row is there.
    async fn audit_hash(&self, seq: i64) -> Result<Option<String>, StoreError>;
    /// The record, newest first, filtered.
    async fn audit_list(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, StoreError>;
    /// Everyone named in the service's record, by name: on a team's database
    /// the whole team's people, for Activity's "Who".
    async fn audit_operators(&self, service_id: &str) -> Result<Vec<String>, StoreError>;
    /// Refund attempts with no outcome (done, refused or found) yet, of one
    /// payment or all the service's, oldest first.
    async fn open_refund_attempts(
        &self,
        service_id: &str,
        payment_id: Option<&str>,
    ) -> Result<Vec<AuditRow>, StoreError>;
    /// Refund IDs already put down to refunds made from the record.
    async fn claimed_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<String>, StoreError>;
    /// `unknown` rows of actions other than refunds, with no `reconciled`
    /// row after them yet.
    async fn unknown_outcomes(&self, service_id: &str) -> Result<Vec<AuditRow>, StoreError>;
    /// Starts keying the record: holds the engine's write lock until the
    /// unit is committed or dropped, so two desktops starting together on one
    /// database make one key between them.
    async fn audit_keying(&self) -> Result<Box<dyn KeyingUnit>, StoreError>;
}

/// The first keying of the record, as one unit of work (see `audit_keying`).
#[async_trait]
pub trait KeyingUnit: Send {
    async fn chain(&mut self) -> Result<Vec<ChainedRow>, StoreError>;
    async fn append(
        &mut self,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError>;
    /// Services without a seal yet.
    async fn unsealed_services(&mut self) -> Result<Vec<SealFields>, StoreError>;
    async fn set_service_seal(&mut self, service_id: &str, seal: &str) -> Result<(), StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
