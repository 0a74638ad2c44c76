//! Telephone payments (MOTO): a payment created with `authorisation_mode:
//! moto_api`, then authorised by sending the caller's card details with the
//! payment's one-time token.
//!
//! In steps, as a call goes: [`Core::telephone_start`] creates the payment when
//! the agent moves from the amount and reference to the card (so a service
//! without telephone payments says so before a card number is read out);
//! [`Core::telephone_duplicates`] finds payments this desktop (or, in a team,
//! the team) took in the last 30 minutes that look the same; the agent confirms,
//! and [`Core::telephone_authorise`] sends the card once. A payment abandoned at
//! the card step is cancelled ([`Core::telephone_abandon`]).
//!
//! The card details live in a [`MotoCard`], which is moved in here, sent once,
//! and dropped (wiped) before this returns. They are never written to SQLite,
//! the audit trail, logs or anything returned. If the token was already used the
//! payment is read again (never a second payment); if the answer is lost, the
//! outcome is read from the payment (never a second `POST /v1/auth`).

use govpay::requests::{CreatePayment, MotoCard};
use govpay::{ApiErrorBody, PayCode, PaymentId, PaymentStatus};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use ts_rs::TS;

use crate::Core;
use crate::activity::audit::{AuditAttempt, Phase};
use crate::amount::{self, pounds};
use crate::error::{CoreError, FieldError};
use crate::money::Sent;
use crate::roles::Permission;
use crate::services::ServiceInfo;
use crate::store::telephone::{NewTelephonePayment, TelephoneUpdate};
pub use crate::store::{TelephonePaymentRow, TelephoneStarted};

/// What the agent types about the payment (not the card).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TelephonePaymentInput {
    /// Pounds and pence as typed, read by the one amount rule (`crate::amount`).
    pub amount: String,
    pub reference: String,
    pub description: String,
    #[ts(optional)]
    pub email: Option<String>,
}

/// How long a payment taken earlier counts as a possible duplicate.
const DUPLICATE_MINUTES: i64 = 30;

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

/// The audit trail's record of one telephone payment, once it exists at GOV.UK Pay.
fn telephone_attempt(service: &ServiceInfo, started: &TelephoneStarted) -> AuditAttempt {
    AuditAttempt {
        service_id: service.id.clone(),
        service_name: service.name.clone(),
        action: "telephone_payment",
        payment_id: Some(started.payment_id.clone()),
        amount: Some(started.amount),
        detail: format!("reference: {}", started.reference),
        ..AuditAttempt::default()
    }
}

/// GOV.UK Pay's largest payment: £100,000.00.
const MAX_AMOUNT: i64 = 10_000_000;

fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
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
    /// Creates the GOV.UK Pay payment for a telephone payment, before any card
    /// detail is typed. Nothing is taken: the card goes with [`Self::telephone_authorise`].
    pub async fn telephone_start(
        &self,
        service_id: &str,
        input: &TelephonePaymentInput,
    ) -> Result<TelephoneStarted, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::TakeTelephonePayment)?;
        let mut problems = Vec::new();
        let amount = match amount::parse_field("amount", &input.amount, "Enter the amount to take")
        {
            Ok(p) if p < 1 => {
                problems.push(FieldError::new(
                    "amount",
                    "Enter an amount of at least £0.01",
                ));
                0
            }
            Ok(p) if p > MAX_AMOUNT => {
                problems.push(FieldError::new(
                    "amount",
                    format!("Enter an amount of no more than {}", pounds(MAX_AMOUNT)),
                ));
                0
            }
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                0
            }
        };
        let reference = input.reference.as_str().trim();
        let description = input.description.trim();
        if reference.is_empty() {
            problems.push(FieldError::new("reference", "Enter a reference"));
        }
        if description.is_empty() {
            problems.push(FieldError::new(
                "description",
                "Enter a description of what the caller is paying for",
            ));
        }
        let mut request = CreatePayment::moto(amount.max(1), reference, description);
        request.email = input.email.clone().filter(|e| !e.trim().is_empty());
        if problems.is_empty()
            && let Err(govpay::Error::InvalidRequest { field, message, .. }) = request.validate()
        {
            problems.push(FieldError::new(
                field,
                format!("The {} {message}", field.replace('_', " ")),
            ));
        }
        if !problems.is_empty() {
            return Err(CoreError::Validation(problems));
        }
        let client = self.client(&service).await?;
        let attempt = AuditAttempt {
            service_id: service.id.clone(),
            service_name: service.name.clone(),
            action: "telephone_payment",
            amount: Some(amount),
            detail: format!("reference: {reference}"),
            ..AuditAttempt::default()
        };
        let (seq, sent) = self
            .audited(
                &attempt,
                client.payments().create(&request, None),
                "no card details were sent",
                // Its outcome is written once the card details are sent.
                |_| None,
            )
            .await?;
        let created = match sent {
            Sent::Done(p) => p,
            Sent::Unknown => {
                return Err(CoreError::OutcomeUnknown(
                    "GOV.UK Pay did not answer when the payment was being set up. No card details were sent and no money can have been taken: you can start again.".into(),
                ));
            }
            Sent::Refused(e) => return Err(e.into()),
        };
        let started = TelephoneStarted {
            payment_id: created.payment_id.to_string(),
            amount,
            reference: reference.to_owned(),
            description: description.to_owned(),
        };
        self.remember_telephone_payment(&service, &created, &started, seq)
            .await?;
        if let Some(token) = token_of(&created) {
            self.shared
                .telephone_tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(started.payment_id.clone(), token);
        }
        Ok(started)
    }

    /// Telephone payments taken in the last 30 minutes that look like this one:
    /// the same reference, or the same amount and card ending. Ones that were
    /// declined, cancelled or never sent do not count.
    pub async fn telephone_duplicates(
        &self,
        service_id: &str,
        payment_id: &str,
        last4: &str,
    ) -> Result<Vec<TelephonePaymentRow>, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::TakeTelephonePayment)?;
        let started = self.started_payment(&service.id, payment_id).await?;
        self.duplicates_of(&service.id, payment_id, &started, last4)
            .await
    }

    async fn duplicates_of(
        &self,
        service_id: &str,
        payment_id: &str,
        started: &TelephoneStarted,
        last4: &str,
    ) -> Result<Vec<TelephonePaymentRow>, CoreError> {
        let since = time::OffsetDateTime::now_utc() - time::Duration::minutes(DUPLICATE_MINUTES);
        let rows = self.telephone_payments(service_id, false).await?;
        Ok(rows
            .into_iter()
            .filter(|r| r.payment_id != payment_id)
            .filter(|r| {
                !matches!(
                    r.status.as_str(),
                    "created" | "failed" | "cancelled" | "error"
                )
            })
            .filter(|r| {
                r.reference == started.reference
                    || (r.amount == started.amount && r.last4.as_deref() == Some(last4))
            })
            .filter(|r| {
                time::OffsetDateTime::parse(&r.created_at, &Rfc3339).is_ok_and(|t| t >= since)
            })
            .collect())
    }

    /// Sends the card details for a payment [`Self::telephone_start`] created,
    /// once. `duplicates_confirmed` says the agent saw the duplicate warning and
    /// chose to go on: without it a possible duplicate is refused. `card` is
    /// consumed and wiped, whatever happens.
    pub async fn telephone_authorise(
        &self,
        service_id: &str,
        payment_id: &str,
        card: MotoCard,
        duplicates_confirmed: bool,
    ) -> Result<TelephoneOutcome, CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::TakeTelephonePayment)?;
        let started = self.started_payment(&service.id, payment_id).await?;
        let id = PaymentId::from_trusted(started.payment_id.clone());
        if let Err(govpay::Error::InvalidRequest { field, message, .. }) = card.validate() {
            return Err(CoreError::Validation(vec![card_problem(field, &message)]));
        }
        // A double click, or a second window, waits for nothing: it is refused.
        let Some(_one_at_a_time) = self
            .store()
            .try_hold_payment(&service.id, id.as_str())
            .await?
        else {
            return Err(CoreError::Conflict {
                message: format!(
                    "The telephone payment of {} for reference {} is already being taken. Wait for its result.",
                    pounds(started.amount),
                    started.reference
                ),
                pay_code: None,
            });
        };
        let (status, attempt_seq) = self.telephone_state(&service.id, id.as_str()).await?;
        if status != "created" {
            // The card was sent before: its outcome is read, never sent again.
            return self.telephone_outcome(&service, &id, &started, None).await;
        }
        let last4 = card.last4();
        let duplicates = self
            .duplicates_of(&service.id, id.as_str(), &started, &last4)
            .await?;
        if !duplicates.is_empty() && !duplicates_confirmed {
            return Err(CoreError::Conflict {
                message: format!(
                    "This looks like a payment already taken in the last {DUPLICATE_MINUTES} minutes ({} for reference {}). Check with the caller, then confirm to take it again.",
                    pounds(duplicates[0].amount),
                    duplicates[0].reference
                ),
                pay_code: None,
            });
        }
        let token = self
            .shared
            .telephone_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id.as_str());
        let token = match token {
            Some(t) => Some(t),
            // Paydesk restarted since the payment was made: GOV.UK Pay gives it again.
            None => self
                .payment_fresh(&service, &id)
                .await
                .ok()
                .and_then(|p| token_of(&p)),
        };
        let attempt = telephone_attempt(&service, &started);
        let Some(token) = token else {
            self.audit_append(
                &attempt,
                Phase::Failed,
                attempt_seq,
                None,
                "no one-time token",
            )
            .await?;
            return Err(CoreError::Conflict {
                message: "GOV.UK Pay did not give this payment a one-time token, so the card details were not sent. Start the payment again.".into(),
                pay_code: None,
            });
        };
        if duplicates_confirmed && !duplicates.is_empty() {
            tracing::info!(payment_id = %id, "telephone payment taken again after a duplicate warning");
        }
        let mut answer_lost = false;
        let outcome = self
            .authorise(&service, &id, &token, &card, &started, &mut answer_lost)
            .await;
        drop(card);
        if answer_lost {
            // GOV.UK Pay's answer never arrived: the record says so before
            // it says what reading the payment found.
            self.audit_append(
                &attempt,
                Phase::Unknown,
                attempt_seq,
                None,
                "the answer to the card details was lost; the payment was read to find the outcome",
            )
            .await?;
        }
        let (phase, code) = match &outcome {
            Ok(o) if o.result == TelephoneResult::Unknown => (Phase::Unknown, None),
            Ok(o) if answer_lost => (Phase::Reconciled, o.pay_code.clone()),
            Ok(o) if o.result == TelephoneResult::Taken => (Phase::Succeeded, None),
            Ok(o) => (Phase::Failed, o.pay_code.clone()),
            // Not "failed" after the card may have been taken: unknown.
            Err(_) if answer_lost => (Phase::Unknown, None),
            Err(CoreError::Api(api)) => (Phase::Failed, api.pay_code().map(|c| c.to_string())),
            Err(_) => (Phase::Failed, None),
        };
        let mut detail = outcome
            .as_ref()
            .map(|o| o.status.clone().unwrap_or_default())
            .unwrap_or_default();
        if !duplicates.is_empty() {
            detail.push_str("; taken after a duplicate warning the agent confirmed");
        }
        // A lost answer's "unknown" is written once, above.
        if !(answer_lost && phase == Phase::Unknown) {
            self.audit_append(&attempt, phase, attempt_seq, code.as_deref(), &detail)
                .await?;
        }
        outcome
    }

    /// Cancels a telephone payment abandoned at the card step: no card detail
    /// was sent, and the payment cannot be paid afterwards.
    pub async fn telephone_abandon(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<(), CoreError> {
        let service = self.service(service_id).await?;
        service.role.require(Permission::TakeTelephonePayment)?;
        let started = self.started_payment(&service.id, payment_id).await?;
        let id = PaymentId::from_trusted(started.payment_id.clone());
        let Some(_one_at_a_time) = self
            .store()
            .try_hold_payment(&service.id, id.as_str())
            .await?
        else {
            return Err(CoreError::Conflict {
                message: "The card details for this payment are being sent. Wait for the result."
                    .into(),
                pay_code: None,
            });
        };
        let (status, attempt_seq) = self.telephone_state(&service.id, id.as_str()).await?;
        if status != "created" {
            return Ok(());
        }
        self.shared
            .telephone_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id.as_str());
        let client = self.client(&service).await?;
        let cancelled = client.payments().cancel(&id).await;
        let attempt = telephone_attempt(&service, &started);
        let detail = match &cancelled {
            Ok(()) => {
                "abandoned at the card step: no card details were sent, and the payment was cancelled"
            }
            Err(_) => {
                "abandoned at the card step: no card details were sent; GOV.UK Pay will let the payment expire"
            }
        };
        self.audit_append(&attempt, Phase::NotSent, attempt_seq, None, detail)
            .await?;
        if let Ok(p) = self.payment_fresh(&service, &id).await {
            self.update_telephone_payment(
                &service.id,
                id.as_str(),
                Some(&p.state.status),
                p.state.code,
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// A telephone payment this desktop started, as it was started.
    async fn started_payment(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<TelephoneStarted, CoreError> {
        self.store()
            .telephone_started(service_id, payment_id.trim())
            .await?
            .ok_or_else(|| CoreError::NotFound("that telephone payment".into()))
    }

    async fn telephone_state(
        &self,
        service_id: &str,
        payment_id: &str,
    ) -> Result<(String, Option<i64>), CoreError> {
        self.store()
            .telephone_state(service_id, payment_id)
            .await?
            .ok_or_else(|| CoreError::NotFound("that telephone payment".into()))
    }

    async fn authorise(
        &self,
        service: &ServiceInfo,
        id: &PaymentId,
        token: &str,
        card: &MotoCard,
        input: &TelephoneStarted,
        answer_lost: &mut bool,
    ) -> Result<TelephoneOutcome, CoreError> {
        let client = self.client(service).await?;
        let mut token = token.to_owned();
        for attempt in 0..2 {
            match client.moto().authorise(&token, card).await {
                Ok(()) => return self.telephone_outcome(service, id, input, None).await,
                Err(govpay::Error::Api(body))
                    if body.code() == Some(PayCode::P1212) && attempt == 0 =>
                {
                    // The token was used: read the payment. If it already has an
                    // outcome, that is the answer; otherwise a fresh token is sent once.
                    let p = self.payment_fresh(service, id).await?;
                    if p.state.finished
                        || p.state.status == PaymentStatus::Capturable
                        || p.state.status == PaymentStatus::Submitted
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
                    *answer_lost = true;
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
        input: &TelephoneStarted,
        error: Option<ApiErrorBody>,
    ) -> Result<TelephoneOutcome, CoreError> {
        let payment = self.payment_fresh(service, id).await;
        let (status, code, last4) = match &payment {
            Ok(p) => (
                Some(p.state.status.clone()),
                p.state.code,
                p.card_details
                    .as_ref()
                    .and_then(|c| c.last_digits_card_number.clone()),
            ),
            Err(_) => (None, None, None),
        };
        let amount = pounds(input.amount);
        let code = error.as_ref().and_then(ApiErrorBody::code).or(code);
        let (result, message) = match (&status, code, &error) {
            (Some(PaymentStatus::Success), ..) => (TelephoneResult::Taken, format!("Payment taken: {amount} for reference {}, from the card ending {}.", input.reference, last4.clone().unwrap_or_default())),
            (Some(PaymentStatus::Capturable), ..) => (TelephoneResult::Taken, format!("Payment authorised: {amount} for reference {} will be taken from the card ending {} once the service confirms it.", input.reference, last4.clone().unwrap_or_default())),
            // GOV.UK Pay answers an expired card, a wrong security code and a
            // refusal alike (402 P0010, "The payment was rejected"): the words
            // name each, so the agent can ask the caller the right question.
            (_, Some(PayCode::P0010), _) => (TelephoneResult::Declined, "The card was declined: no money was taken. The card may have expired, the security code may be wrong, or the bank refused it. Ask the caller to check the expiry date and security code, or to use another card.".to_owned()),
            (_, Some(PayCode::P0050), _) => (TelephoneResult::ProviderError, "The payment provider had a problem. No money was taken. Try again in a few minutes.".to_owned()),
            (_, Some(PayCode::P0101 | PayCode::P0102), Some(_)) => (TelephoneResult::CardRejected, "GOV.UK Pay did not accept the card details as entered. No money was taken. Check them with the caller and start again.".to_owned()),
            (
                Some(PaymentStatus::Created | PaymentStatus::Started | PaymentStatus::Submitted),
                ..,
            )
            | (None, ..) => (
                TelephoneResult::Unknown,
                "GOV.UK Pay has not confirmed the payment yet. Do not take the card details again: Paydesk will keep checking and show the result in the list of telephone payments.".to_owned(),
            ),
            (Some(other), ..) => (TelephoneResult::Declined, format!("The payment did not go through ({other}). No money was taken.")),
        };
        self.update_telephone_payment(
            &service.id,
            id.as_str(),
            status.as_ref(),
            code,
            last4.as_deref(),
        )
        .await?;
        Ok(TelephoneOutcome {
            result,
            payment_id: Some(id.to_string()),
            amount: input.amount,
            reference: input.reference.to_owned(),
            last4,
            status: status.map(|s| s.to_string()),
            pay_code: code.map(|c| c.to_string()),
            message,
        })
    }

    async fn remember_telephone_payment(
        &self,
        service: &ServiceInfo,
        p: &govpay::models::Payment,
        started: &TelephoneStarted,
        attempt_seq: i64,
    ) -> Result<(), CoreError> {
        let operator = self.operator().await?;
        let created_at = p.created_date.clone().unwrap_or_else(now_text);
        self.store()
            .telephone_add(NewTelephonePayment {
                service_id: &service.id,
                started,
                operator: &operator,
                created_at: &created_at,
                status: p.state.status.as_str(),
                attempt_seq,
            })
            .await?;
        Ok(())
    }

    pub(crate) async fn update_telephone_payment(
        &self,
        service_id: &str,
        payment_id: &str,
        status: Option<&PaymentStatus>,
        code: Option<PayCode>,
        last4: Option<&str>,
    ) -> Result<(), CoreError> {
        let Some(status) = status else { return Ok(()) };
        let code = code.map(|c| c.to_string());
        self.store()
            .telephone_update(
                service_id,
                payment_id,
                TelephoneUpdate {
                    status: status.as_str(),
                    finished: status.is_final(),
                    code: code.as_deref(),
                    last4,
                },
            )
            .await?;
        Ok(())
    }

    /// This desktop's telephone payments, newest first.
    pub async fn telephone_payments(
        &self,
        service_id: &str,
        unfinished_only: bool,
    ) -> Result<Vec<TelephonePaymentRow>, CoreError> {
        Ok(self
            .store()
            .telephone_list(service_id, unfinished_only)
            .await?)
    }
}
