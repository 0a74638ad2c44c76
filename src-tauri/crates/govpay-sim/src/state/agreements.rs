//! Recurring-payment agreements: create, read, cancel.

use super::*;

impl State {
    pub fn create_agreement(&mut self, account: u32, body: &Value) -> ApiResult<Agreement> {
        let recurring = self.account(account).is_some_and(|a| a.recurring_enabled);
        let reference = validate::required_text(body, "reference", 255, "P2101", "P2102")
            .map_err(agreement_text_error)?;
        let description = validate::required_text(body, "description", 255, "P2101", "P2102")
            .map_err(agreement_text_error)?;
        let user_identifier = validate::optional_text(body, "user_identifier", 255, "P2102")
            .map_err(agreement_text_error)?;
        if user_identifier.as_deref() == Some("") {
            return Err(ApiError::invalid(
                422,
                "P2102",
                "user_identifier",
                "Must be between 1 and 255 characters long",
            ));
        }
        if !recurring {
            return Err(ApiError::new(
                422,
                "P0942",
                "Recurring card payments are currently disabled for this service. Contact support with your error code - https://www.payments.service.gov.uk/support/",
            ));
        }
        let agreement = SimAgreement {
            id: self.ids.external_id(),
            account,
            reference,
            description,
            user_identifier,
            status: "created",
            created: self.clock.now(),
            cancelled: None,
            instrument: None,
        };
        let idx = self.insert_agreement(agreement);
        Ok(self.agreements[idx].wire())
    }

    pub fn get_agreement(&self, account: u32, id: &str) -> ApiResult<Agreement> {
        self.agreements_by_id
            .get(id)
            .map(|&i| &self.agreements[i])
            .filter(|a| a.account == account)
            .map(SimAgreement::wire)
            .ok_or_else(|| ApiError::not_found("P2200"))
    }

    pub fn cancel_agreement(&mut self, account: u32, id: &str) -> ApiResult<()> {
        let idx = self
            .agreements_by_id
            .get(id)
            .copied()
            .filter(|&i| self.agreements[i].account == account)
            .ok_or_else(|| ApiError::not_found("P2500"))?;
        if self.agreements[idx].status != "active" {
            return Err(ApiError::new(
                400,
                "P2501",
                "Cancellation of agreement failed",
            ));
        }
        let now = self.clock.now();
        let a = &mut self.agreements[idx];
        a.status = "cancelled";
        a.cancelled = Some(now);
        Ok(())
    }

    pub fn agreement_index(&self, id: &str) -> Option<usize> {
        self.agreements_by_id.get(id).copied()
    }
}

/// Agreement fields: missing or blank is P2101, a bad character P2102, but too
/// long is the generic 422 P0102.
pub(super) fn agreement_text_error(e: ApiError) -> ApiError {
    let too_long = e
        .body
        .description
        .as_deref()
        .is_some_and(|d| d.contains("less than or equal"));
    if too_long {
        ApiError {
            body: govpay::models::ErrorResponse {
                code: Some(govpay::PayCode::P0102),
                ..e.body
            },
            ..e
        }
    } else {
        e
    }
}
