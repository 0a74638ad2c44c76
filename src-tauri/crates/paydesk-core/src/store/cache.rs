//! What the cache holds of GOV.UK Pay, read back for the payment page, the
//! disputes and agreements lists and the money actions' checks; and what a
//! fresh read from GOV.UK Pay brings, kept.

use async_trait::async_trait;
use govpay::models::{Agreement, Payment, PaymentInstrument, Refund};
use serde::Serialize;
use ts_rs::TS;

use super::StoreError;

/// A metadata value as text: strings as they are, numbers and booleans as written.
pub(crate) fn metadata_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `metadata_text` of the metadata object as the cache keeps it (JSON).
pub(crate) fn metadata_text_of_json(json: Option<&str>) -> String {
    json.and_then(|j| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(j).ok())
        .map(|m| m.values().map(metadata_value).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub(crate) fn metadata_text(p: &Payment) -> String {
    p.metadata
        .as_ref()
        .map(|m| m.values().map(metadata_value).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RefundView {
    pub refund_id: String,
    #[ts(type = "number")]
    pub amount: i64,
    pub status: String,
    pub created_date: Option<String>,
    pub settled_date: Option<String>,
    /// Who made it from Paydesk, by the record; `None` when it was made
    /// somewhere else (the admin tool, the service's own system).
    pub refunded_by: Option<String>,
    /// Why, in words ("Overpayment: paid twice"), by the record.
    pub reason: Option<String>,
}

/// A dispute as cached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisputeRecord {
    pub dispute_id: String,
    pub payment_id: String,
    pub amount: i64,
    pub fee: Option<i64>,
    pub net_amount: Option<i64>,
    pub status: String,
    /// GOV.UK Pay's reason code, e.g. `fraudulent`.
    pub reason: Option<String>,
    pub created_date: String,
    pub evidence_due_date: Option<String>,
    pub settled_date: Option<String>,
}

/// Which of a service's disputes to list.
#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    pub status: Option<String>,
    /// Raised on or after, milliseconds since 1970.
    pub from_ms: Option<i64>,
    /// Raised before.
    pub to_ms: Option<i64>,
}

/// An agreement as cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementRecord {
    pub agreement_id: String,
    pub reference: String,
    pub description: String,
    pub status: String,
    pub user_identifier: Option<String>,
    pub created_date: Option<String>,
    pub cancelled_date: Option<String>,
    pub instrument: Option<PaymentInstrument>,
}

/// Which of a service's agreements to list.
#[derive(Debug, Clone, Default)]
pub struct AgreementFilter {
    /// Part of the reference, in any case.
    pub reference: Option<String>,
    pub status: Option<String>,
    pub limit: i64,
}

#[async_trait]
pub trait CacheStore {
    /// Keeps a payment just read from GOV.UK Pay.
    async fn keep_payment(&self, service_id: &str, payment: &Payment) -> Result<(), StoreError>;
    /// Keeps refunds just read; `payment_id` for refunds that do not say theirs.
    async fn keep_refunds(
        &self,
        service_id: &str,
        refunds: &[Refund],
        payment_id: Option<&str>,
    ) -> Result<(), StoreError>;
    async fn keep_agreement(
        &self,
        service_id: &str,
        agreement: &Agreement,
    ) -> Result<(), StoreError>;
    /// A payment's refunds as last synced, newest first.
    async fn cached_refunds(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<RefundView>, StoreError>;
    /// Refunds GOV.UK Pay last said were submitted: (payment ID, refund ID).
    async fn submitted_refunds(
        &self,
        service_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError>;
    /// A payment's disputes as last synced, newest first.
    async fn payment_disputes(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Vec<DisputeRecord>, StoreError>;
    /// Whether a payment has a dispute that is open or lost.
    async fn payment_disputed(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<bool, StoreError>;
    /// The service's disputes with their payment's reference when cached:
    /// those needing a response first, soonest due, then newest (at most 2,000).
    async fn disputes(
        &self,
        service_id: &str,
        filter: &DisputeFilter,
    ) -> Result<Vec<(DisputeRecord, Option<String>)>, StoreError>;
    /// The service's agreements, newest first.
    async fn agreements(
        &self,
        service_id: &str,
        filter: &AgreementFilter,
    ) -> Result<Vec<AgreementRecord>, StoreError>;
}
