//! Refund controls: each service's approval rules, and the refunds waiting
//! for a second person's approval. Only a team's database has them (a second
//! person needs a shared database); the embedded store has no rules and no
//! requests, and refuses to keep either.
//!
//! Every change here is one unit of work with its audit row: the change and
//! the row are kept together or not at all.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::audit::{ChainLock, Sealer};
use super::{AuditRow, StoreError};

/// A service's approval rules. Each is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ApprovalRules {
    /// Refunds of more than this (pence) need approval.
    #[ts(type = "number | null")]
    pub above: Option<i64>,
    /// Any refund of a payment made more than this many days ago needs approval.
    pub older_than_days: Option<i32>,
    /// Any refund of a telephone payment the same person took needs approval.
    pub own_telephone: bool,
}

impl ApprovalRules {
    /// No rule set: no refund needs approval.
    pub fn is_empty(&self) -> bool {
        self.above.is_none() && self.older_than_days.is_none() && !self.own_telephone
    }
}

/// The rules as kept, with who set them last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesRecord {
    pub rules: ApprovalRules,
    pub set_by: Option<String>,
    /// RFC 3339.
    pub set_at: Option<String>,
}

/// Where a request is, as kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    Waiting,
    /// Approved, and its refund sent (its outcome is on the audit rows).
    Approved,
    Rejected,
    /// Sent back to the person who asked: the figures changed.
    Returned,
    /// Nobody decided within 5 working days.
    Expired,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Waiting => "waiting",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Returned => "returned",
            RequestState::Expired => "expired",
        }
    }

    pub(crate) fn parse(text: &str) -> RequestState {
        match text {
            "approved" => RequestState::Approved,
            "rejected" => RequestState::Rejected,
            "returned" => RequestState::Returned,
            "expired" => RequestState::Expired,
            _ => RequestState::Waiting,
        }
    }
}

/// A refund waiting for approval, or decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub id: i64,
    pub service_id: String,
    pub payment_id: String,
    pub reference: String,
    pub email: Option<String>,
    pub amount: i64,
    /// `refund_amount_available` when asked.
    pub available: i64,
    pub reason: String,
    pub reason_note: Option<String>,
    /// Why it needs approval, in words.
    pub needs: String,
    pub requester_login: String,
    pub requester: String,
    /// RFC 3339, the database server's clock.
    pub asked_at: String,
    pub expires_at: String,
    pub state: RequestState,
    pub decider: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub attempt_seq: Option<i64>,
    /// The approved refund's outcome, from its audit rows: the phase of the
    /// last outcome row (`succeeded`, `failed`, `unknown`, `reconciled`).
    pub outcome: Option<String>,
    /// The refund GOV.UK Pay made, when its audit rows name it.
    pub refund_id: Option<String>,
}

/// A request to keep.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub service_id: String,
    pub payment_id: String,
    pub reference: String,
    pub email: Option<String>,
    pub amount: i64,
    pub available: i64,
    pub reason: String,
    pub reason_note: Option<String>,
    pub needs: String,
    pub requester: String,
}

/// A decision on a waiting request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Approved: the audit row kept with it is the refund's attempt.
    Approve,
    Reject {
        note: String,
    },
    /// Sent back to who asked, saying why.
    Return {
        note: String,
    },
    /// Past its expiry, undecided.
    Expire,
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub service_id: Option<String>,
    pub payment_id: Option<String>,
    /// Only those asked by this login.
    pub requester_login: Option<String>,
    pub states: Vec<RequestState>,
    /// Only waiting requests whose expiry has passed.
    pub overdue: bool,
}

/// A refund of one of the citizen's payments, for the approver to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CitizenRefund {
    pub payment_id: String,
    pub reference: String,
    pub refund_id: String,
    #[ts(type = "number")]
    pub amount: i64,
    pub status: String,
    pub created_date: Option<String>,
}

#[async_trait]
pub trait ApprovalStore {
    /// The service's rules (none set: all empty).
    async fn approval_rules(&self, service_id: &str) -> Result<RulesRecord, StoreError>;
    /// Sets the service's rules, with the audit row saying so.
    async fn set_approval_rules(
        &self,
        lock: &ChainLock,
        service_id: &str,
        rules: &ApprovalRules,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(i64, String), StoreError>;
    /// Keeps a request, with its audit row, whose `target_id` is set to the
    /// request's number.
    async fn ask_refund(
        &self,
        lock: &ChainLock,
        new: &NewRequest,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<(RequestRecord, (i64, String)), StoreError>;
    /// Decides a waiting request as the login signed in, with the audit row
    /// saying so (for an approval, the refund's attempt, whose number the
    /// request keeps). `None`, and nothing written, when the request is not
    /// waiting any more (decided by someone else meanwhile, or expired).
    async fn decide_request(
        &self,
        lock: &ChainLock,
        id: i64,
        decision: &Decision,
        decider: &str,
        row: AuditRow,
        seal: Sealer<'_>,
    ) -> Result<Option<(RequestRecord, (i64, String))>, StoreError>;
    async fn refund_request(&self, id: i64) -> Result<Option<RequestRecord>, StoreError>;
    /// The refunds (as last synced) of the payment, and of the service's
    /// other payments by the same email, newest first (at most 20).
    async fn citizen_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
        email: Option<&str>,
    ) -> Result<Vec<CitizenRefund>, StoreError>;
    /// The login that took a telephone payment, by the record (a team's
    /// database fills in each audit row's login; no staff login can change
    /// it). `None` on a single desktop, or for a payment not taken here.
    async fn telephone_taker(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Requests, oldest first (at most 500).
    async fn refund_requests(
        &self,
        filter: &RequestFilter,
    ) -> Result<Vec<RequestRecord>, StoreError>;
}

/// What the embedded store says to a change only a team's database keeps.
pub(crate) fn not_offered() -> StoreError {
    StoreError::other("refund approvals need a team database")
}
