//! Cases: a citizen's payments grouped under a case reference, with notes.

use async_trait::async_trait;
use serde::Serialize;
use ts_rs::TS;

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaseNote {
    #[ts(type = "number")]
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// A case with its payments (in the order they were added) and its notes
/// (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaseView {
    pub id: String,
    pub service_id: String,
    pub reference: String,
    pub title: String,
    pub created_at: String,
    pub payment_ids: Vec<String>,
    pub notes: Vec<CaseNote>,
}

/// A case as a line of the Cases screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaseSummary {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub created_at: String,
    /// The latest of its opening, a payment being added and a note.
    pub last_activity_at: String,
    #[ts(type = "number")]
    pub payment_count: i64,
    #[ts(type = "number")]
    pub note_count: i64,
}

#[async_trait]
pub trait CaseStore {
    /// The service's cases, newest activity first, at most `limit`; only
    /// those whose reference holds `reference` (any case of letters) when
    /// it is given.
    async fn case_list(
        &self,
        service_id: &str,
        reference: Option<&str>,
        limit: u32,
    ) -> Result<Vec<CaseSummary>, StoreError>;
    /// Opens a case with this reference in the service, unless one is
    /// already open: that case's ID either way.
    async fn case_open(
        &self,
        service_id: &str,
        reference: &str,
        title: &str,
    ) -> Result<String, StoreError>;
    async fn case(&self, case_id: &str) -> Result<Option<CaseView>, StoreError>;
    async fn case_by_reference(
        &self,
        service_id: &str,
        reference: &str,
    ) -> Result<Option<String>, StoreError>;
    /// The case a payment is in (a payment is in one case at most).
    async fn case_of_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Puts a payment in a case; nothing changes if it is already there.
    async fn case_add_payment(
        &self,
        case_id: &str,
        service_id: &str,
        payment_id: &str,
    ) -> Result<(), StoreError>;
    async fn case_add_note(
        &self,
        case_id: &str,
        author: &str,
        body: &str,
    ) -> Result<(), StoreError>;
}
