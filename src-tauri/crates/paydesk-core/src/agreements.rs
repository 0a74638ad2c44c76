//! Recurring-payment agreements: found in the cache, read fresh, created and cancelled.

use govpay::models::{Agreement, PaymentInstrument};
use govpay::requests::CreateAgreement;
use govpay::search::PaymentSearch;
use govpay::{AgreementId, AgreementStatus, PayCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::AuditAttempt;
use crate::error::{CoreError, FieldError};
use crate::money::Sent;
use crate::roles::Permission;
use crate::store::cache::{AgreementFilter, AgreementRecord};
use crate::store::search::{PaymentQuery, PaymentRow};
use crate::story::CardView;

/// Agreement statuses, as GOV.UK Pay names them.
pub const STATUSES: [&str; 4] = ["created", "active", "cancelled", "inactive"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AgreementView {
    pub agreement_id: String,
    pub reference: String,
    pub description: String,
    /// `created` (waiting for its first payment), `active`, `cancelled` or `inactive`.
    pub status: String,
    pub user_identifier: Option<String>,
    pub created_date: Option<String>,
    pub cancelled_date: Option<String>,
    /// The card the agreement charges, once a first payment set it up.
    pub instrument: Option<CardView>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AgreementQuery {
    /// Part of the reference (any case).
    #[ts(optional)]
    pub reference: Option<String>,
    /// `created`, `active`, `cancelled` or `inactive`.
    #[ts(optional)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AgreementDetail {
    pub service_id: String,
    pub service_name: String,
    pub agreement: AgreementView,
    /// The payments taken under it, newest first (at most 100).
    pub payments: Vec<PaymentRow>,
    /// How many payments GOV.UK Pay has under it in all.
    pub payment_total: u32,
    /// Set when the payments came from the cache because GOV.UK Pay did not answer.
    pub payments_note: Option<String>,
    /// Whether this desktop's role may cancel it now (active, and a supervisor).
    pub can_cancel: bool,
}

/// What a supervisor types to set up an agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct NewAgreement {
    pub reference: String,
    pub description: String,
    #[ts(optional)]
    pub user_identifier: Option<String>,
}

impl NewAgreement {
    /// Every field's problem at once, named as the form names them.
    fn checked(&self) -> Result<CreateAgreement, CoreError> {
        let mut problems = Vec::new();
        let reference = self.reference.trim();
        let description = self.description.trim();
        let user = self
            .user_identifier
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if reference.is_empty() {
            problems.push(FieldError::new("reference", "Enter a reference"));
        } else if reference.chars().count() > 255 {
            problems.push(FieldError::new(
                "reference",
                "Reference must be 255 characters or fewer",
            ));
        }
        if description.is_empty() {
            problems.push(FieldError::new("description", "Enter a description"));
        } else if description.chars().count() > 255 {
            problems.push(FieldError::new(
                "description",
                "Description must be 255 characters or fewer",
            ));
        }
        if user.is_some_and(|u| u.chars().count() > 255) {
            problems.push(FieldError::new(
                "userIdentifier",
                "User identifier must be 255 characters or fewer",
            ));
        }
        if !problems.is_empty() {
            return Err(CoreError::Validation(problems));
        }
        Ok(CreateAgreement {
            reference: reference.to_owned(),
            description: description.to_owned(),
            user_identifier: user.map(str::to_owned),
        })
    }
}

fn parse_id(text: &str) -> Result<AgreementId, CoreError> {
    AgreementId::parse(text.trim()).map_err(|e| {
        CoreError::Validation(vec![FieldError::new(
            "agreementId",
            format!("The agreement ID {e}"),
        )])
    })
}

fn instrument_card(i: &PaymentInstrument) -> Option<CardView> {
    let c = i.card_details.as_ref()?;
    Some(CardView {
        brand: c.card_brand.clone(),
        card_type: c.card_type.as_ref().map(ToString::to_string),
        first_digits: c.first_digits_card_number.clone(),
        last_digits: c.last_digits_card_number.clone(),
        expiry_date: c.expiry_date.clone(),
        cardholder_name: c.cardholder_name.clone(),
    })
}

fn view(a: &Agreement) -> AgreementView {
    AgreementView {
        agreement_id: a.agreement_id.to_string(),
        reference: a.reference.clone(),
        description: a.description.clone(),
        status: a.status.to_string(),
        user_identifier: a.user_identifier.clone(),
        created_date: a.created_date.clone(),
        cancelled_date: a.cancelled_date.clone(),
        instrument: a.payment_instrument.as_ref().and_then(instrument_card),
    }
}

fn view_from_record(r: AgreementRecord) -> AgreementView {
    AgreementView {
        instrument: r.instrument.as_ref().and_then(instrument_card),
        agreement_id: r.agreement_id,
        reference: r.reference,
        description: r.description,
        status: r.status,
        user_identifier: r.user_identifier,
        created_date: r.created_date,
        cancelled_date: r.cancelled_date,
    }
}

/// Up to this many agreements are listed at once (newest first).
const LIST_LIMIT: i64 = 1000;

impl Core {
    /// The service's agreements as last synced, newest first.
    pub async fn agreements_list(
        &self,
        service_id: &str,
        q: &AgreementQuery,
    ) -> Result<Vec<AgreementView>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        if let Some(s) = &q.status
            && !STATUSES.contains(&s.as_str())
        {
            return Err(CoreError::Validation(vec![FieldError::new(
                "status",
                "Choose an agreement status from the list",
            )]));
        }
        let filter = AgreementFilter {
            status: q.status.clone(),
            reference: q
                .reference
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            limit: LIST_LIMIT,
        };
        Ok(self
            .store()
            .agreements(&service.id, &filter)
            .await?
            .into_iter()
            .map(view_from_record)
            .collect())
    }

    /// One agreement read fresh from GOV.UK Pay (and stored), with the payments
    /// taken under it: asked live, or from the cache when GOV.UK Pay does not answer.
    pub async fn agreement_detail(
        &self,
        service_id: &str,
        agreement_id: &str,
    ) -> Result<AgreementDetail, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ViewPayments)?;
        let id = parse_id(agreement_id)?;
        let client = self.client(&service).await?;
        let agreement = client.agreements().get(&id).await?;
        self.store().keep_agreement(&service.id, &agreement).await?;

        let mut search = PaymentSearch {
            agreement_id: Some(id.clone()),
            ..PaymentSearch::default()
        };
        search.paging.display_size = Some(100);
        let (payments, payment_total, payments_note) = match client.payments().search(&search).await
        {
            Ok(page) => {
                let rows = self
                    .store()
                    .keep_and_read_rows(&service.id, &page.results)
                    .await?;
                (rows, u32::try_from(page.total).unwrap_or(u32::MAX), None)
            }
            Err(e) => {
                tracing::warn!(agreement = %id, "payments under an agreement, live: {e}");
                let cached = self
                    .store()
                    .search_payments(
                        &service.id,
                        &PaymentQuery {
                            agreement_id: Some(id.to_string()),
                            page_size: 100,
                            ..PaymentQuery::default()
                        },
                    )
                    .await?;
                (
                    cached.rows,
                    cached.total,
                    Some(format!(
                        "GOV.UK Pay did not list this agreement's payments ({e}); these are the ones Paydesk last synced."
                    )),
                )
            }
        };
        let can_cancel = agreement.status == AgreementStatus::Active
            && service.role.allows(Permission::ManageAgreements);
        Ok(AgreementDetail {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            agreement: view(&agreement),
            payments,
            payment_total,
            payments_note,
            can_cancel,
        })
    }

    /// Sets up an agreement (status `created` until its first payment). Audited.
    /// Agreement creation has no idempotency key, so an unanswered request is
    /// looked for by its reference rather than sent again.
    pub async fn agreement_create(
        &self,
        service_id: &str,
        input: &NewAgreement,
    ) -> Result<AgreementView, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::ManageAgreements)?;
        let request = input.checked()?;
        let client = self.client(&service).await?;
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action: "agreement_create",
            detail: format!("reference: {}", request.reference),
            ..AuditAttempt::default()
        };
        let (_, sent) = self
            .audited(&attempt, client.agreements().create(&request), "", |a| {
                Some((Some(a.agreement_id.to_string()), String::new()))
            })
            .await?;
        match sent {
            Sent::Done(a) => {
                self.store().keep_agreement(&service.id, &a).await?;
                Ok(view(&a))
            }
            Sent::Unknown => Err(CoreError::Conflict {
                message: format!(
                    "GOV.UK Pay did not answer, so Paydesk cannot tell whether the agreement was set up. \
                     It was not sent again: look for the reference \u{201c}{}\u{201d} in Agreements after the next sync before trying again.",
                    request.reference
                ),
                pay_code: None,
            }),
            Sent::Refused(e) if e.pay_code() == Some(PayCode::P0942) => Err(CoreError::Conflict {
                message: "Recurring payments are turned off for this service, so it cannot set up agreements. \
                          GOV.UK Pay support can turn them on (P0942)."
                    .into(),
                pay_code: Some(govpay::PayCode::P0942),
            }),
            Sent::Refused(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_agreement_names_every_field_in_trouble() {
        let err = NewAgreement {
            reference: "  ".into(),
            description: "x".repeat(256),
            user_identifier: Some("u".repeat(300)),
        }
        .checked()
        .unwrap_err();
        let CoreError::Validation(problems) = err else {
            panic!("not a validation error")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["reference", "description", "userIdentifier"]);
    }

    #[test]
    fn a_blank_user_identifier_is_left_out() {
        let ok = NewAgreement {
            reference: " REF-1 ".into(),
            description: "Garden waste".into(),
            user_identifier: Some("   ".into()),
        }
        .checked()
        .unwrap();
        assert_eq!(ok.reference, "REF-1");
        assert_eq!(ok.user_identifier, None);
    }
}
