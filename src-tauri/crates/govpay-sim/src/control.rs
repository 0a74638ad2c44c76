//! The control API under `/_sim/`, and the same controls for Rust tests through
//! [`Control`]: finish or abandon a payment journey with a test card, raise and
//! resolve disputes, move the clock, make changes "elsewhere", and set faults.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Shared;
use crate::errors::{ApiError, ApiResult};
use crate::layers::Fault;
use crate::model::{Mode, Status};

/// Reasons a dispute can carry, as GOV.UK Pay reports them.
pub const DISPUTE_REASONS: [&str; 9] = [
    "credit_not_processed",
    "duplicate",
    "fraudulent",
    "general",
    "product_not_received",
    "product_unacceptable",
    "unrecognised",
    "subscription_cancelled",
    "other",
];

/// The controls, for tests and demos in the same process.
#[derive(Debug, Clone)]
pub struct Control {
    pub(crate) shared: Shared,
}

/// A payment as the simulator sees it right now (for test assertions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentSnapshot {
    pub payment_id: String,
    pub status: String,
    pub amount: i64,
    pub refunded: i64,
    pub refunds: usize,
    pub dispute_status: Option<String>,
}

impl Control {
    /// Moves the simulator's clock forward (expiry, dispute deadlines and outcomes).
    pub fn advance_clock(&self, by: Duration) {
        let mut state = self.shared.lock();
        state.clock.advance(by);
        state.sweep();
    }

    /// Completes a web payment's journey with a test card, as a paying user would.
    pub fn complete_payment(
        &self,
        payment_id: &str,
        card_number: &str,
    ) -> ApiResult<PaymentSnapshot> {
        let mut state = self.shared.lock();
        state.sweep();
        let idx = state
            .index_of(payment_id)
            .ok_or_else(|| ApiError::not_found("P0200"))?;
        if state.payments[idx].mode != Mode::Web
            || !matches!(
                state.payments[idx].status,
                Status::Created | Status::Started
            )
        {
            return Err(ApiError::new(
                409,
                "SIM01",
                "Only an unfinished web payment's journey can be completed",
            ));
        }
        let now = state.clock.now();
        state.set_status(idx, Status::Started);
        let expiry = format!("12/{:02}", (now.year() + 3) % 100);
        match state.authorise_card(idx, card_number, &expiry, "Sam Citizen") {
            Ok(_) | Err(ApiError { status: 402, .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(snapshot(&state, idx))
    }

    /// The paying user clicks "Cancel payment": `failed` P0030.
    pub fn abandon_payment(&self, payment_id: &str) -> ApiResult<PaymentSnapshot> {
        let mut state = self.shared.lock();
        let idx = state
            .index_of(payment_id)
            .ok_or_else(|| ApiError::not_found("P0200"))?;
        state.journey_cancel(idx)?;
        Ok(snapshot(&state, idx))
    }

    /// A cardholder disputes a successful payment (Stripe accounts only).
    pub fn raise_dispute(
        &self,
        payment_id: &str,
        reason: &str,
        evidence_due_in_days: i64,
    ) -> ApiResult<String> {
        let mut state = self.shared.lock();
        let idx = state
            .index_of(payment_id)
            .ok_or_else(|| ApiError::not_found("P0200"))?;
        let p = &state.payments[idx];
        if p.provider != "stripe" || p.status != Status::Success || p.dispute.is_some() {
            return Err(ApiError::new(
                409,
                "SIM02",
                "Only a successful, undisputed Stripe payment can be disputed",
            ));
        }
        let reason = DISPUTE_REASONS
            .iter()
            .copied()
            .find(|r| *r == reason)
            .ok_or_else(|| {
                ApiError::new(
                    422,
                    "SIM03",
                    format!("reason must be one of {}", DISPUTE_REASONS.join(", ")),
                )
            })?;
        let d = state.raise_dispute_at(idx, reason, evidence_due_in_days, None);
        Ok(state.disputes[d].id.clone())
    }

    /// Moves a dispute on: `under_review`, `won` or `lost`.
    pub fn resolve_dispute(&self, dispute_id: &str, status: &str) -> ApiResult<()> {
        let mut state = self.shared.lock();
        let d = state
            .dispute_index(dispute_id)
            .ok_or_else(|| ApiError::not_found("SIM04"))?;
        let status = match status {
            "needs_response" => "needs_response",
            "under_review" => "under_review",
            "won" => "won",
            "lost" => "lost",
            _ => {
                return Err(ApiError::new(
                    422,
                    "SIM03",
                    "status must be needs_response, under_review, won or lost",
                ));
            }
        };
        let now = state.clock.now();
        state.resolve_dispute_at(d, status, now);
        Ok(())
    }

    /// Someone refunds the payment elsewhere (in the admin tool).
    pub fn refund_elsewhere(&self, payment_id: &str, amount: i64) -> ApiResult<String> {
        let mut state = self.shared.lock();
        let idx = state
            .index_of(payment_id)
            .ok_or_else(|| ApiError::not_found("P0600"))?;
        state
            .refund_elsewhere(idx, amount)
            .map(|r| r.refund_id.to_string())
    }

    /// Marks an agreement `inactive` (its card expired, say) or any other status.
    pub fn set_agreement_status(&self, agreement_id: &str, status: &str) -> ApiResult<()> {
        let mut state = self.shared.lock();
        let idx = state
            .agreement_index(agreement_id)
            .ok_or_else(|| ApiError::not_found("P2200"))?;
        state.agreements[idx].status = match status {
            "created" => "created",
            "active" => "active",
            "cancelled" => "cancelled",
            "inactive" => "inactive",
            _ => {
                return Err(ApiError::new(
                    422,
                    "SIM03",
                    "status must be created, active, cancelled or inactive",
                ));
            }
        };
        Ok(())
    }

    /// GOV.UK Pay switches payment and refund creation off (or on) for an account.
    pub fn set_account_disabled(&self, account_id: u32, disabled: bool) {
        let mut state = self.shared.lock();
        if let Some(a) = state.accounts.iter_mut().find(|a| a.id == account_id) {
            a.disabled = disabled;
        }
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        *self.shared.faults.lock().unwrap_or_else(|p| p.into_inner()) = faults;
    }

    /// The most API requests the simulator has handled at once so far.
    pub fn most_in_flight(&self) -> u32 {
        self.shared.in_flight.most()
    }

    pub fn clear_faults(&self) {
        self.set_faults(Vec::new());
    }

    /// How long searches and refund lists lag behind writes.
    pub fn set_consistency_lag(&self, lag: Duration) {
        self.shared.lock().consistency_lag = lag;
    }

    pub fn payment(&self, payment_id: &str) -> Option<PaymentSnapshot> {
        let state = self.shared.lock();
        state.index_of(payment_id).map(|i| snapshot(&state, i))
    }

    /// Every payment with this reference, oldest first.
    pub fn payments_with_reference(&self, reference: &str) -> Vec<PaymentSnapshot> {
        let state = self.shared.lock();
        (0..state.payments.len())
            .filter(|&i| state.payments[i].reference == reference)
            .map(|i| snapshot(&state, i))
            .collect()
    }

    /// The id of the newest payment of the first account (handy in demos).
    pub fn newest_payment(&self) -> Option<String> {
        self.shared.lock().payments.last().map(|p| p.id.clone())
    }
}

fn snapshot(state: &crate::state::State, idx: usize) -> PaymentSnapshot {
    let p = &state.payments[idx];
    let summary = p.refund_summary(&state.refunds, &state.disputes);
    PaymentSnapshot {
        payment_id: p.id.clone(),
        status: p.status.external().0.to_owned(),
        amount: p.amount,
        refunded: summary.amount_submitted,
        refunds: p.refunds.len(),
        dispute_status: p.dispute.map(|d| state.disputes[d].status.to_owned()),
    }
}

// ---- over HTTP ---------------------------------------------------------------

fn reply<T: Serialize>(result: ApiResult<T>) -> Response {
    match result {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CompleteBody {
    #[serde(default = "default_card")]
    card_number: String,
}

fn default_card() -> String {
    "4444333322221111".into()
}

pub(crate) async fn complete(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    body: Option<Json<CompleteBody>>,
) -> Response {
    let card = body.map(|b| b.0.card_number).unwrap_or_else(default_card);
    reply(Control { shared }.complete_payment(&id, &card))
}

pub(crate) async fn abandon(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    reply(Control { shared }.abandon_payment(&id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DisputeBody {
    #[serde(default = "default_reason")]
    reason: String,
    #[serde(default = "default_due")]
    evidence_due_in_days: i64,
}

fn default_reason() -> String {
    "fraudulent".into()
}

fn default_due() -> i64 {
    14
}

pub(crate) async fn dispute(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<DisputeBody>,
) -> Response {
    reply(
        Control { shared }
            .raise_dispute(&id, &body.reason, body.evidence_due_in_days)
            .map(|id| json!({ "dispute_id": id })),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusBody {
    status: String,
}

pub(crate) async fn resolve(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<StatusBody>,
) -> Response {
    reply(
        Control { shared }
            .resolve_dispute(&id, &body.status)
            .map(|()| json!({ "status": body.status })),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct AmountBody {
    amount: i64,
}

pub(crate) async fn refund(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<AmountBody>,
) -> Response {
    reply(
        Control { shared }
            .refund_elsewhere(&id, body.amount)
            .map(|id| json!({ "refund_id": id })),
    )
}

pub(crate) async fn agreement_status(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<StatusBody>,
) -> Response {
    reply(
        Control { shared }
            .set_agreement_status(&id, &body.status)
            .map(|()| json!({ "status": body.status })),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ClockBody {
    seconds: u64,
}

pub(crate) async fn advance(State(shared): State<Shared>, Json(body): Json<ClockBody>) -> Response {
    let control = Control { shared };
    control.advance_clock(Duration::from_secs(body.seconds));
    let now = crate::clock::iso_millis(control.shared.lock().clock.now());
    (StatusCode::OK, Json(json!({ "now": now }))).into_response()
}

pub(crate) async fn put_faults(
    State(shared): State<Shared>,
    Json(faults): Json<Vec<Fault>>,
) -> Response {
    Control { shared }.set_faults(faults);
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn delete_faults(State(shared): State<Shared>) -> Response {
    Control { shared }.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct LagBody {
    millis: u64,
}

pub(crate) async fn lag(State(shared): State<Shared>, Json(body): Json<LagBody>) -> Response {
    Control { shared }.set_consistency_lag(Duration::from_millis(body.millis));
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) async fn accounts(State(shared): State<Shared>) -> Response {
    let state = shared.lock();
    let list: Vec<_> = state
        .accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "name": a.name, "api_key": a.api_key, "provider": a.provider.as_str(),
                "moto_api_enabled": a.moto_api_enabled, "recurring_enabled": a.recurring_enabled,
                "allow_zero_amount": a.allow_zero_amount, "live": a.live,
            })
        })
        .collect();
    (StatusCode::OK, Json(list)).into_response()
}
