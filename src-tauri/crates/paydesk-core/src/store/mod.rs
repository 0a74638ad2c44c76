//! The storage layer. Every SQL statement of the core belongs here, behind
//! the units of work the domain asks for: the domain holds a [`Store`] and
//! never sees an engine's types. `sqlite` is the embedded engine.
//!
//! Each area has its own trait (`CaseStore`, `SettingsStore`...) and data
//! types; [`Store`] is all of them. The SQL of each area is in the engine's
//! file of the same name (`sqlite/cases.rs`).

pub mod approvals;
pub mod audit;
pub mod cache;
mod cases;
pub mod dashboard;
mod error;
pub mod export;
pub mod holds;
pub mod postgres;
pub mod probe;
mod rows;
pub mod search;
pub mod services;
mod settings;
pub mod sqlite;
pub mod sync;
pub mod telephone;

pub use approvals::ApprovalStore;
pub use audit::{AuditQuery, AuditRow, AuditStore, ChainLock, Phase};
pub use cache::{CacheStore, RefundView};
pub use cases::{CaseNote, CaseStore, CaseSummary, CaseView};
pub use dashboard::DashboardStore;
pub use error::{DbProblem, StoreError, StoreErrorKind};
pub use export::ExportStore;
pub use holds::{HoldStore, PaymentHold};
pub use probe::Probe;
pub use search::SearchStore;
pub use services::{ServiceRecord, ServiceStore};
pub use settings::SettingsStore;
pub use sync::SyncStore;
pub use telephone::{TelephonePaymentRow, TelephoneStarted, TelephoneStore};

/// `rows` in the order of `ids`, found by `id_of`; an ID with no row is
/// left out. Rows read by a list of IDs come back in the database's order.
pub(crate) fn in_order<T: Clone>(
    ids: &[String],
    rows: Vec<T>,
    id_of: impl Fn(&T) -> Option<&str>,
) -> Vec<T> {
    let by_id: std::collections::HashMap<String, T> = rows
        .into_iter()
        .filter_map(|r| Some((id_of(&r)?.to_owned(), r)))
        .collect();
    ids.iter().filter_map(|id| by_id.get(id).cloned()).collect()
}

/// Declares `Store` as every area at once, and gives it to any type that
/// implements them all, from one list.
macro_rules! store_of {
    ($($area:ident),+ $(,)?) => {
        /// Everything the core keeps. One engine implements every area.
        pub trait Store: $($area +)+ std::fmt::Debug + Send + Sync + 'static {}

        impl<T> Store for T where T: $($area +)+ std::fmt::Debug + Send + Sync + 'static {}
    };
}

store_of!(
    ApprovalStore,
    AuditStore,
    CacheStore,
    CaseStore,
    DashboardStore,
    ExportStore,
    HoldStore,
    Lifecycle,
    Probe,
    SearchStore,
    ServiceStore,
    SettingsStore,
    SyncStore,
    TelephoneStore,
);

/// The store as a whole.
#[async_trait::async_trait]
pub trait Lifecycle {
    /// Lets go of the database: waits for work in progress, then closes
    /// every connection. Anything asked of the store afterwards fails.
    async fn close(&self);
    /// Whether this is a team's database with its staff list in force: names
    /// and roles then come from the database, never from a desktop.
    fn team_mode(&self) -> bool {
        false
    }
    /// The person signed in, as the team's staff list names them.
    fn team_member(&self) -> Option<&TeamMember> {
        None
    }
}

/// A person signed in to a team database as themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// Their own database login.
    pub login: String,
    /// Their name on the staff list: what the record shows.
    pub name: String,
}

/// A change made but not yet kept: committed, it is kept; dropped, it is
/// undone. For work that must succeed elsewhere first (a key into the keyring).
#[async_trait::async_trait]
pub trait Pending: Send {
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Now, as stored: RFC 3339 in UTC.
pub(crate) fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
