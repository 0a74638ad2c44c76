//! What the database itself shows, and what someone with direct access to it
//! could do, for the tests that check the cache's layout or play a tamperer.
//! Nothing in the app calls it; it grants nothing the database file (or a
//! login to the database) does not already give.

use async_trait::async_trait;

use super::StoreError;

/// A payment's searchable values, for tests and benchmarks that look for
/// real values spread through the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSample {
    pub service_id: String,
    pub payment_id: String,
    pub reference: String,
    pub email: Option<String>,
    pub cardholder_name: Option<String>,
    pub first6: Option<String>,
    pub last4: Option<String>,
    pub created_ms: i64,
    /// The `case_ref` metadata value, if any.
    pub case_ref: Option<String>,
}

/// A payment's refund totals as the cache holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundTotals {
    pub payment_id: String,
    pub submitted: Option<i64>,
    pub available: Option<i64>,
    pub status: Option<String>,
}

/// A change made behind Paydesk's back.
#[derive(Debug, Clone)]
pub enum Tamper {
    /// Sets the amount of an audit row (`seq`), or of every refund row.
    AuditAmount { seq: Option<i64>, amount: i64 },
    /// Sets the reason code of every refund row that has one.
    AuditReason(String),
    /// Removes what refuses changing or deleting audit rows.
    AuditGuardsOff,
    /// Deletes the newest audit row.
    AuditRemoveLast,
    /// Deletes every audit row.
    AuditRemoveAll,
    /// Writes a row's chain hashes.
    AuditHashes {
        seq: i64,
        prev_hash: String,
        hash: String,
    },
    /// From now on, every audit row but an attempt is refused (a disk that
    /// fills up between the two), until `OutcomesFailing(false)`.
    OutcomesFailing(bool),
    /// Sets every service's role, as a database tool would.
    ServiceRole(String),
    /// Points every service at another address.
    ServiceBaseUrl(String),
    /// Renames a service directly.
    ServiceRename(String),
    /// Adds services with no key, to fill the desktop's slots.
    FillerServices(usize),
    /// Every payment's search words as the version before this one wrote
    /// them, to be completed when a store is next set up.
    OldSearchWords,
    /// A telephone payment left open, as if the agent's window had closed.
    OpenTelephonePayment {
        service_id: String,
        payment_id: String,
        reference: String,
        amount: i64,
    },
}

#[async_trait]
pub trait Probe {
    /// Different payments in the cache, and payment rows (one per payment).
    async fn probe_payment_rows(&self) -> Result<(i64, i64), StoreError>;
    /// Whether a bulk load has the search indexes set aside.
    async fn probe_indexes_aside(&self) -> Result<bool, StoreError>;
    /// Checks every search index against the rows it indexes.
    async fn probe_check_indexes(&self) -> Result<(), StoreError>;
    /// The page a half-read window of a service's sync resumes from.
    async fn probe_next_page(
        &self,
        service_id: &str,
        resource: &str,
    ) -> Result<Option<i64>, StoreError>;
    /// Every payment's refund totals, by payment ID.
    async fn probe_refund_totals(&self) -> Result<Vec<RefundTotals>, StoreError>;
    /// Every agreement ID, in order.
    async fn probe_agreement_ids(&self) -> Result<Vec<String>, StoreError>;
    /// A service's slot on this desktop.
    async fn probe_service_slot(&self, service_id: &str) -> Result<Option<i64>, StoreError>;
    /// About `n` payments spread evenly through the cache, oldest last.
    async fn probe_sample(&self, n: usize) -> Result<Vec<PaymentSample>, StoreError>;
    /// Makes a change behind Paydesk's back.
    async fn tamper(&self, change: Tamper) -> Result<(), StoreError>;
}
