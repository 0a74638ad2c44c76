//! Telephone payments (MOTO): the card details pass through here once.

use govpay::requests::MotoCard;
use paydesk_core::telephone::{
    TelephoneOutcome, TelephonePaymentInput, TelephonePaymentRow, TelephoneStarted,
};
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::AppError;
use crate::state::AppState;

/// The card details as the agent typed them. Each field is wiped when this is
/// dropped; there is no `Debug` or `Serialize`, so they cannot be logged or sent back.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CardInput {
    #[ts(type = "string")]
    card_number: Zeroizing<String>,
    /// `MM/YY`.
    #[ts(type = "string")]
    expiry_date: Zeroizing<String>,
    #[ts(type = "string")]
    cvc: Zeroizing<String>,
    #[ts(type = "string")]
    cardholder_name: Zeroizing<String>,
}

/// Creates the GOV.UK Pay payment when the agent moves on to the card step.
#[tauri::command]
pub async fn telephone_payment_start(
    state: State<'_, AppState>,
    service_id: String,
    input: TelephonePaymentInput,
) -> Result<TelephoneStarted, AppError> {
    Ok(state.core()?.telephone_start(&service_id, &input).await?)
}

/// Payments taken in the last 30 minutes that look like this one (same
/// reference, or same amount and card ending), for the confirmation step.
#[tauri::command]
pub async fn telephone_payment_duplicates(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
    last4: String,
) -> Result<Vec<TelephonePaymentRow>, AppError> {
    Ok(state
        .core()?
        .telephone_duplicates(&service_id, &payment_id, &last4)
        .await?)
}

/// Sends the card details for a started payment, once. The result carries no
/// card data beyond the last four digits GOV.UK Pay returns.
#[tauri::command]
pub async fn telephone_payment_authorise(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
    card: CardInput,
    duplicates_confirmed: bool,
) -> Result<TelephoneOutcome, AppError> {
    let moto = MotoCard::new(
        &card.card_number,
        &card.expiry_date,
        &card.cvc,
        &card.cardholder_name,
    );
    drop(card);
    let outcome = state
        .core()?
        .telephone_authorise(&service_id, &payment_id, moto, duplicates_confirmed)
        .await?;
    tracing::info!(
        payment_id = outcome.payment_id.as_deref().unwrap_or(""),
        result = ?outcome.result,
        pay_code = outcome.pay_code.as_deref().unwrap_or(""),
        "telephone payment finished"
    );
    Ok(outcome)
}

/// Cancels a payment abandoned at the card step (no card detail was sent).
#[tauri::command]
pub async fn telephone_payment_abandon(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
) -> Result<(), AppError> {
    Ok(state
        .core()?
        .telephone_abandon(&service_id, &payment_id)
        .await?)
}

/// This desktop's telephone payments, newest first (unfinished ones only if asked).
#[tauri::command]
pub async fn telephone_payments_list(
    state: State<'_, AppState>,
    service_id: String,
    unfinished_only: bool,
) -> Result<Vec<TelephonePaymentRow>, AppError> {
    Ok(state
        .core()?
        .telephone_payments(&service_id, unfinished_only)
        .await?)
}

/// Re-checks this desktop's unfinished telephone payments and refunds now.
#[tauri::command]
pub async fn telephone_payments_check(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<Vec<TelephonePaymentRow>, AppError> {
    let core = state.core()?;
    core.mop_up(&service_id).await?;
    Ok(core.telephone_payments(&service_id, false).await?)
}
