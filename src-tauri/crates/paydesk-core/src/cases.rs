//! Cases: staff group a citizen's payments under a case reference and keep notes.

use crate::Core;
use crate::error::{CoreError, FieldError};
pub use crate::store::{CaseNote, CaseView};

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
