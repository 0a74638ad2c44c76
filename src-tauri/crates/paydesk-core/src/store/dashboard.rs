//! Figures for the supervisor's dashboard, from the cache and the record.

use async_trait::async_trait;
use serde::Serialize;
use ts_rs::TS;

use super::{AuditRow, StoreError};

/// A count of things and their value in pence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Tally {
    #[ts(type = "number")]
    pub count: i64,
    #[ts(type = "number")]
    pub value: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OperatorRefunds {
    /// The operator named on this desktop's audit trail; none when the refund was
    /// made elsewhere (the admin tool, the service's own system, another desktop).
    pub operator: Option<String>,
    pub refunds: Tally,
}

/// Refunds made for one reason (a `RefundReason` code; `None`: made
/// elsewhere, or before reasons were recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonTally {
    pub reason: Option<String>,
    pub refunds: Tally,
}

#[async_trait]
pub trait DashboardStore {
    /// Successful payments, and refunds not in error, created in
    /// `from_ms..to_ms`.
    async fn takings(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<(Tally, Tally), StoreError>;
    /// Refunds created in `from_ms..to_ms` by who made them (matched to the
    /// record by refund ID), largest value first.
    async fn refunds_by_operator(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<OperatorRefunds>, StoreError>;
    /// Refunds (not in error) created in `from_ms..to_ms` by their reason,
    /// largest value first.
    async fn refunds_by_reason(
        &self,
        service_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ReasonTally>, StoreError>;
    /// Attempts whose outcome is not known, oldest first (at most 200): those
    /// with an `unknown` row, and refunds without any outcome written before
    /// `in_flight_since` (RFC 3339).
    async fn outcomes_unknown(
        &self,
        service_id: &str,
        in_flight_since: &str,
    ) -> Result<Vec<AuditRow>, StoreError>;
}
