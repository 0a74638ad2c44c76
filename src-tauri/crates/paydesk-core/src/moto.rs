//! Telephone payments (MOTO): a payment created with `authorisation_mode:
//! moto_api`, then authorised by sending the caller's card details with the
//! payment's one-time token.
//!
//! The card details live in a [`MotoCard`], which is moved in here, sent once,
//! and dropped (wiped) before this returns. They are never written to SQLite,
//! the audit trail, logs or anything returned. If the token was already used the
//! payment is read again (never a second payment); if the answer is lost, the
//! outcome is read from the payment (never a second `POST /v1/auth`).

use govpay::requests::{CreatePayment, MotoCard};
use govpay::{ApiErrorBody, PaymentId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Core;
use crate::amount::pounds;
use crate::audit::{AuditAttempt, Phase};
use crate::error::{CoreError, FieldError};
use crate::roles::Permission;
use crate::services::ServiceInfo;

/// What the agent types about the payment (not the card).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TelephonePaymentInput {
    #[ts(type = "number")]
    pub amount: i64,
    pub reference: String,
    pub description: String,
    #[ts(optional)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TelephoneResult {
    /// The money was taken (or is held for capture).
    Taken,
    /// The card was declined (P0010).
    Declined,
    /// The payment provider failed (P0050): no money was taken.
    ProviderError,
    /// GOV.UK Pay refused the card details as entered.
    CardRejected,
    /// No answer yet: Paydesk keeps checking. Do not take the details again.
    Unknown,
}

/// The outcome, in words an agent can read to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TelephoneOutcome {
    pub result: TelephoneResult,
    pub payment_id: Option<String>,
    #[ts(type = "number")]
    pub amount: i64,
    pub reference: String,
    pub last4: Option<String>,
    /// The payment's status at GOV.UK Pay (`success`, `capturable`, `failed`...).
    pub status: Option<String>,
    pub pay_code: Option<String>,
    /// What to tell the caller.
    pub message: String,
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

/// The card checks' findings in GOV.UK words, named by the field the agent fixes.
fn card_problem(field: &str, message: &str) -> FieldError {
    let text = match (field, message) {
        ("card_number", m) if m.contains("valid") => {
            "Enter a valid card number: check it with the caller"
        }
        ("card_number", _) => "Enter a card number of 12 to 19 digits",
        ("cvc", _) => "Enter a security code of 3 or 4 digits",
        ("expiry_date", m) if m.contains("past") => {
            "The card has expired: enter an expiry date this month or later"
        }
        ("expiry_date", _) => "Enter the expiry date in the format MM/YY, for example 04/28",
        ("cardholder_name", m) if m.contains("empty") => "Enter the name as it appears on the card",
        ("cardholder_name", _) => "Enter the name on the card in 255 characters or fewer",
        _ => message,
    };
    let ui_field = match field {
        "card_number" => "cardNumber",
        "expiry_date" => "expiryDate",
        "cardholder_name" => "cardholderName",
        other => other,
    };
    FieldError::new(ui_field, text)
}

fn token_of(p: &govpay::models::Payment) -> Option<String> {
    p.links
        .auth_url_post
        .as_ref()?
        .params
        .get("one_time_token")?
        .as_str()
        .map(str::to_owned)
}

impl Core {
    /// Takes a telephone payment. `card` is consumed and wiped, whatever happens.
    pub async fn telephone_payment(
        &self,
        service_id: &str,
        input: &TelephonePaymentInput,
        card: MotoCard,
    ) -> Result<TelephoneOutcome, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::TakeTelephonePayment)?;
        let mut request = CreatePayment::moto(
            input.amount,
            input.reference.trim(),
            input.description.trim(),
        );
        request.email = input.email.clone().filter(|e| !e.trim().is_empty());
        // Everything is checked before anything is sent.
        let mut problems = Vec::new();
        if let Err(govpay::Error::InvalidRequest { field, message, .. }) = request.validate() {
            problems.push(FieldError::new(
                field,
                format!("The {} {message}", field.replace('_', " ")),
            ));
        }
        if let Err(govpay::Error::InvalidRequest { field, message, .. }) = card.validate() {
            problems.push(card_problem(field, &message));
        }
        if !problems.is_empty() {
            return Err(CoreError::Validation(problems));
        }
        // The same payment twice at once (a double click, a second window) is
        // refused rather than charged twice.
        let lock = self.payment_lock(
            &service.id,
            &format!("telephone:{}:{}", input.reference.trim(), input.amount),
        );
        let Ok(_one_at_a_time) = lock.try_lock() else {
            return Err(CoreError::Conflict {
                message: format!(
                    "A telephone payment of {} for reference {} is already being taken. Wait for its result.",
                    pounds(input.amount),
                    input.reference.trim()
                ),
                pay_code: None,
            });
        };
        let client = self.client(&service).await?;
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action: "telephone_payment",
            amount: Some(input.amount),
            detail: format!("reference: {}", input.reference.trim()),
            ..AuditAttempt::default()
        };
        let seq = self
            .audit_append(&attempt, Phase::Attempt, None, None, "")
            .await?;
        let created = match client.payments().create(&request, None).await {
            Ok(p) => p,
            Err(e) => {
                let phase = if matches!(e, govpay::Error::OutcomeUnknown { .. }) {
                    Phase::Unknown
                } else {
                    Phase::Failed
                };
                self.audit_append(
                    &attempt,
                    phase,
                    Some(seq),
                    e.pay_code(),
                    &format!("payment not created: {e}"),
                )
                .await?;
                if phase == Phase::Unknown {
                    return Err(CoreError::OutcomeUnknown(
                        "GOV.UK Pay did not answer when the payment was being set up. No card details were sent and no money was taken: you can try again.".into(),
                    ));
                }
                return Err(e.into());
            }
        };
        let attempt = AuditAttempt {
            payment_id: Some(created.payment_id.to_string()),
            ..attempt
        };
        self.remember_telephone_payment(&service, &created, input)
            .await?;
        let Some(token) = token_of(&created) else {
            self.audit_append(
                &attempt,
                Phase::Failed,
                Some(seq),
                None,
                "no one-time token",
            )
            .await?;
            return Err(CoreError::Conflict {
                message: "GOV.UK Pay did not give this payment a one-time token.".into(),
                pay_code: None,
            });
        };
        let outcome = self
            .authorise(&service, &created.payment_id, &token, &card, input)
            .await;
        drop(card);
        let (phase, code) = match &outcome {
            Ok(o) if o.result == TelephoneResult::Unknown => (Phase::Unknown, None),
            Ok(o) if o.result == TelephoneResult::Taken => (Phase::Succeeded, None),
            Ok(o) => (Phase::Failed, o.pay_code.clone()),
            Err(CoreError::Api(api)) => (Phase::Failed, api.pay_code().map(str::to_owned)),
            Err(_) => (Phase::Failed, None),
        };
        let detail = outcome
            .as_ref()
            .map(|o| o.status.clone().unwrap_or_default())
            .unwrap_or_default();
        self.audit_append(&attempt, phase, Some(seq), code.as_deref(), &detail)
            .await?;
        outcome
    }

    async fn authorise(
        &self,
        service: &ServiceInfo,
        id: &PaymentId,
        token: &str,
        card: &MotoCard,
        input: &TelephonePaymentInput,
    ) -> Result<TelephoneOutcome, CoreError> {
        let client = self.client(service).await?;
        let mut token = token.to_owned();
        for attempt in 0..2 {
            match client.moto().authorise(&token, card).await {
                Ok(()) => return self.telephone_outcome(service, id, input, None).await,
                Err(govpay::Error::Api(body)) if body.code() == Some("P1212") && attempt == 0 => {
                    // The token was used: read the payment. If it already has an
                    // outcome, that is the answer; otherwise a fresh token is sent once.
                    let p = self.payment_fresh(service, id).await?;
                    if p.state.finished
                        || p.state.status == "capturable"
                        || p.state.status == "submitted"
                    {
                        return self.telephone_outcome(service, id, input, None).await;
                    }
                    match token_of(&p) {
                        Some(fresh) => token = fresh,
                        None => return self.telephone_outcome(service, id, input, None).await,
                    }
                }
                Err(govpay::Error::Api(body)) => {
                    return self.telephone_outcome(service, id, input, Some(body)).await;
                }
                Err(govpay::Error::OutcomeUnknown { .. }) => {
                    // Never send the card again: read what happened.
                    return self.telephone_outcome(service, id, input, None).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.telephone_outcome(service, id, input, None).await
    }

    /// Reads the payment and says what happened, in words for the caller.
    async fn telephone_outcome(
        &self,
        service: &ServiceInfo,
        id: &PaymentId,
        input: &TelephonePaymentInput,
        error: Option<ApiErrorBody>,
    ) -> Result<TelephoneOutcome, CoreError> {
        let payment = self.payment_fresh(service, id).await;
        let (status, code, last4) = match &payment {
            Ok(p) => (
                Some(p.state.status.clone()),
                p.state.code.clone(),
                p.card_details
                    .as_ref()
                    .and_then(|c| c.last_digits_card_number.clone()),
            ),
            Err(_) => (None, None, None),
        };
        let amount = pounds(input.amount);
        let code = error
            .as_ref()
            .and_then(|e| e.code().map(str::to_owned))
            .or(code);
        let (result, message) = match (status.as_deref(), code.as_deref(), &error) {
            (Some("success"), ..) => (TelephoneResult::Taken, format!("Payment taken: {amount} for reference {}, from the card ending {}.", input.reference.trim(), last4.clone().unwrap_or_default())),
            (Some("capturable"), ..) => (TelephoneResult::Taken, format!("Payment authorised: {amount} for reference {} will be taken from the card ending {} once the service confirms it.", input.reference.trim(), last4.clone().unwrap_or_default())),
            (_, Some("P0010"), _) => (TelephoneResult::Declined, "The card was declined. No money was taken. The caller can try another card.".to_owned()),
            (_, Some("P0050"), _) => (TelephoneResult::ProviderError, "The payment provider had a problem. No money was taken. Try again in a few minutes.".to_owned()),
            (_, Some("P0101" | "P0102"), Some(_)) => (TelephoneResult::CardRejected, "GOV.UK Pay did not accept the card details as entered. No money was taken. Check them with the caller and start again.".to_owned()),
            (Some("created" | "started" | "submitted"), ..) | (None, ..) => (
                TelephoneResult::Unknown,
                "GOV.UK Pay has not confirmed the payment yet. Do not take the card details again: Paydesk will keep checking and show the result in the list of telephone payments.".to_owned(),
            ),
            (Some(other), ..) => (TelephoneResult::Declined, format!("The payment did not go through ({other}). No money was taken.")),
        };
        self.update_telephone_payment(
            &service.id,
            id.as_str(),
            status.as_deref(),
            code.as_deref(),
            last4.as_deref(),
        )
        .await?;
        Ok(TelephoneOutcome {
            result,
            payment_id: Some(id.to_string()),
            amount: input.amount,
            reference: input.reference.trim().to_owned(),
            last4,
            status,
            pay_code: code,
            message,
        })
    }

    async fn remember_telephone_payment(
        &self,
        service: &ServiceInfo,
        p: &govpay::models::Payment,
        input: &TelephonePaymentInput,
    ) -> Result<(), CoreError> {
        sqlx::query(
            "INSERT INTO telephone_payments (service_id, payment_id, reference, description, amount, operator, created_at, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        )
        .bind(&service.id)
        .bind(p.payment_id.as_str())
        .bind(input.reference.trim())
        .bind(input.description.trim())
        .bind(input.amount)
        .bind(self.operator().await?)
        .bind(p.created_date.clone().unwrap_or_default())
        .bind(&p.state.status)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub(crate) async fn update_telephone_payment(
        &self,
        service_id: &str,
        payment_id: &str,
        status: Option<&str>,
        code: Option<&str>,
        last4: Option<&str>,
    ) -> Result<(), CoreError> {
        let Some(status) = status else { return Ok(()) };
        let finished = matches!(status, "success" | "failed" | "cancelled" | "error");
        sqlx::query(
            "UPDATE telephone_payments SET status = ?3, finished = ?4, code = coalesce(?5, code), last4 = coalesce(?6, last4),
                checked_at = ?7 WHERE service_id = ?1 AND payment_id = ?2",
        )
        .bind(service_id)
        .bind(payment_id)
        .bind(status)
        .bind(finished)
        .bind(code)
        .bind(last4)
        .bind(time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// This desktop's telephone payments, newest first.
    pub async fn telephone_payments(
        &self,
        service_id: &str,
        unfinished_only: bool,
    ) -> Result<Vec<TelephonePaymentRow>, CoreError> {
        let rows = sqlx::query(
            "SELECT payment_id, reference, amount, operator, created_at, status, finished, code, last4 FROM telephone_payments
             WHERE service_id = ?1 AND (?2 = 0 OR finished = 0) ORDER BY created_at DESC LIMIT 500",
        )
        .bind(service_id)
        .bind(unfinished_only)
        .fetch_all(self.pool())
        .await?;
        use sqlx::Row;
        rows.iter()
            .map(|r| {
                Ok(TelephonePaymentRow {
                    payment_id: r.try_get("payment_id")?,
                    reference: r.try_get("reference")?,
                    amount: r.try_get("amount")?,
                    operator: r.try_get("operator")?,
                    created_at: r.try_get("created_at")?,
                    status: r.try_get("status")?,
                    finished: r.try_get("finished")?,
                    code: r.try_get("code")?,
                    last4: r.try_get("last4")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(CoreError::from)
    }
}
