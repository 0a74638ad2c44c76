//! Telephone payments (MOTO): the card details pass through here once.

use govpay::requests::MotoCard;
use paydesk_core::moto::{TelephoneOutcome, TelephonePaymentInput, TelephonePaymentRow};
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

/// Creates the MOTO payment and authorises it with the card, once. The result
/// carries no card data beyond the last four digits GOV.UK Pay returns.
#[tauri::command]
pub async fn telephone_payment_take(
    state: State<'_, AppState>,
    service_id: String,
    input: TelephonePaymentInput,
    card: CardInput,
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
        .telephone_payment(&service_id, &input, moto)
        .await?;
    tracing::info!(
        payment_id = outcome.payment_id.as_deref().unwrap_or(""),
        result = ?outcome.result,
        pay_code = outcome.pay_code.as_deref().unwrap_or(""),
        "telephone payment finished"
    );
    Ok(outcome)
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
