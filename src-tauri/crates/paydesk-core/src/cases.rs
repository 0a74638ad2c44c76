//! Cases: staff group a citizen's payments under a case reference and keep notes.

use serde::Serialize;
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::{AuditQuery, AuditRow};
use crate::error::{CoreError, FieldError};
use crate::roles::Permission;
use crate::search::PaymentRow;
pub use crate::store::{CaseNote, CaseSummary, CaseView};

/// The most cases the Cases screen lists at once; a search narrows them.
pub const CASE_LIST_LIMIT: u32 = 100;

/// The Cases screen: the service's cases, newest activity first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CaseList {
    pub cases: Vec<CaseSummary>,
    /// More cases match than are listed.
    pub more: bool,
}

/// A case's page: the case, its payments as result rows and what staff
/// did with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CasePage {
    pub case: CaseView,
    /// The case's payments the cache holds, in the order they were added.
    pub payments: Vec<PaymentRow>,
    /// Payments of the case the cache does not hold (yet): their IDs.
    pub not_cached: Vec<String>,
    /// Staff actions on the case's payments, newest first.
    pub actions: Vec<AuditRow>,
}

/// Staff actions read for a case's page, at most.
const CASE_ACTIONS_LIMIT: u32 = 500;

impl Core {
    /// Opens a case (or returns the existing one with that reference).
    pub async fn case_open(
        &self,
        service_id: &str,
        reference: &str,
        title: &str,
    ) -> Result<CaseView, CoreError> {
        let reference = reference.trim();
        if reference.is_empty() || reference.chars().count() > 100 {
            return Err(CoreError::Validation(vec![FieldError::new(
                "caseReference",
                "Enter a case reference of 100 characters or fewer",
            )]));
        }
        self.service(service_id).await?;
        let id = self
            .store()
            .case_open(service_id, reference, title.trim())
            .await?;
        self.case_get(&id).await
    }

    pub async fn case_get(&self, case_id: &str) -> Result<CaseView, CoreError> {
        self.store()
            .case(case_id)
            .await?
            .ok_or_else(|| CoreError::NotFound("That case".into()))
    }

    /// Puts a payment in a case. A payment belongs to one case at most.
    pub async fn case_add_payment(
        &self,
        case_id: &str,
        payment_id: &str,
    ) -> Result<CaseView, CoreError> {
        let case = self.case_get(case_id).await?;
        if let Some(other) = self.case_for_payment(&case.service_id, payment_id).await?
            && other.id != case.id
        {
            return Err(CoreError::Conflict {
                message: format!("This payment is already in case {}.", other.reference),
                pay_code: None,
            });
        }
        self.store()
            .case_add_payment(case_id, &case.service_id, payment_id)
            .await?;
        self.case_get(case_id).await
    }

    pub async fn case_add_note(&self, case_id: &str, body: &str) -> Result<CaseView, CoreError> {
        let body = body.trim();
        if body.is_empty() || body.chars().count() > 5000 {
            return Err(CoreError::Validation(vec![FieldError::new(
                "note",
                "Enter a note of 5,000 characters or fewer",
            )]));
        }
        self.case_get(case_id).await?;
        let author = self.operator().await?;
        self.store().case_add_note(case_id, &author, body).await?;
        self.case_get(case_id).await
    }

    /// The service's cases, newest activity first; those whose reference
    /// holds `reference` when it is not blank.
    pub async fn case_list(
        &self,
        service_id: &str,
        reference: &str,
    ) -> Result<CaseList, CoreError> {
        let reference = reference.trim();
        if reference.chars().count() > 100 {
            return Err(CoreError::Validation(vec![FieldError::new(
                "caseSearch",
                "Enter a case reference of 100 characters or fewer",
            )]));
        }
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        let mut cases = self
            .store()
            .case_list(
                service_id,
                (!reference.is_empty()).then_some(reference),
                CASE_LIST_LIMIT + 1,
            )
            .await?;
        let more = cases.len() > CASE_LIST_LIMIT as usize;
        cases.truncate(CASE_LIST_LIMIT as usize);
        Ok(CaseList { cases, more })
    }

    /// A case with its payments and the staff actions on them.
    pub async fn case_page(&self, case_id: &str) -> Result<CasePage, CoreError> {
        let case = self.case_get(case_id).await?;
        let service = self.service(&case.service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        let payments = self
            .store()
            .payment_rows(&case.service_id, &case.payment_ids)
            .await?;
        let not_cached = case
            .payment_ids
            .iter()
            .filter(|id| !payments.iter().any(|p| &p.payment_id == *id))
            .cloned()
            .collect();
        let mut actions = Vec::new();
        for payment_id in &case.payment_ids {
            actions.extend(
                self.store()
                    .audit_list(&AuditQuery {
                        service_id: Some(case.service_id.clone()),
                        payment_id: Some(payment_id.clone()),
                        limit: CASE_ACTIONS_LIMIT,
                        ..AuditQuery::default()
                    })
                    .await?,
            );
        }
        // The chain's order is the order things were done in.
        actions.sort_by_key(|a| std::cmp::Reverse(a.seq));
        actions.truncate(CASE_ACTIONS_LIMIT as usize);
        Ok(CasePage {
            case,
            payments,
            not_cached,
            actions,
        })
    }

    /// The case a payment belongs to, if any.
    pub async fn case_for_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<Option<CaseView>, CoreError> {
        match self.store().case_of_payment(service_id, payment_id).await? {
            Some(id) => self.case_get(&id).await.map(Some),
            None => Ok(None),
        }
    }

    /// A case by its reference.
    pub async fn case_find(
        &self,
        service_id: &str,
        reference: &str,
    ) -> Result<Option<CaseView>, CoreError> {
        match self
            .store()
            .case_by_reference(service_id, reference.trim())
            .await?
        {
            Some(id) => self.case_get(&id).await.map(Some),
            None => Ok(None),
        }
    }
}
