//! Telephone payments taken from this desktop: the agent's list, and what
//! the mop-up checks until each is finished. No card details, ever.

use async_trait::async_trait;
use serde::Serialize;
use ts_rs::TS;

use super::StoreError;

/// A telephone payment created at GOV.UK Pay, waiting for the card details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TelephoneStarted {
    pub payment_id: String,
    /// In pence, as the amount typed was read.
    #[ts(type = "number")]
    pub amount: i64,
    pub reference: String,
    pub description: String,
}

/// An unfinished or finished telephone payment from this desktop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TelephonePaymentRow {
    pub payment_id: String,
    pub reference: String,
    #[ts(type = "number")]
    pub amount: i64,
    pub operator: String,
    pub created_at: String,
    pub status: String,
    pub finished: bool,
    pub code: Option<String>,
    pub last4: Option<String>,
}

/// A telephone payment just created at GOV.UK Pay, as first recorded.
#[derive(Debug, Clone)]
pub struct NewTelephonePayment<'a> {
    pub service_id: &'a str,
    pub started: &'a TelephoneStarted,
    pub operator: &'a str,
    pub created_at: &'a str,
    pub status: &'a str,
    /// The audit row written before it was created, which its outcome answers.
    pub attempt_seq: i64,
}

/// What GOV.UK Pay last said of a telephone payment.
#[derive(Debug, Clone, Copy)]
pub struct TelephoneUpdate<'a> {
    pub status: &'a str,
    pub finished: bool,
    pub code: Option<&'a str>,
    pub last4: Option<&'a str>,
}

#[async_trait]
pub trait TelephoneStore {
    /// Records a telephone payment; one already recorded is left as it is.
    async fn telephone_add(&self, new: NewTelephonePayment<'_>) -> Result<(), StoreError>;
    async fn telephone_started(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<TelephoneStarted>, StoreError>;
    /// Its last known status and the audit row its outcome answers.
    async fn telephone_state(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<(String, Option<i64>)>, StoreError>;
    /// What GOV.UK Pay said, and when it was asked.
    async fn telephone_update(
        &self,
        service_id: &str,
        payment_id: &str,
        update: TelephoneUpdate<'_>,
    ) -> Result<(), StoreError>;
    /// The IDs of the service's telephone payments not finished yet.
    async fn telephone_unfinished(&self, service_id: &str) -> Result<Vec<String>, StoreError>;
    /// This desktop's telephone payments, newest first (at most 500).
    async fn telephone_list(
        &self,
        service_id: &str,
        unfinished_only: bool,
    ) -> Result<Vec<TelephonePaymentRow>, StoreError>;
}
