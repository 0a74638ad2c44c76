//! The money actions on a payment: refund, cancel, capture.

use paydesk_core::money::{self, ActionDone, RefundDone};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// `amount` is what was typed, in pounds and pence; `expected_available` is the
/// amount (in pence) the screen showed as refundable when the refund was decided.
#[tauri::command]
pub async fn payment_refund(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
    amount: String,
    expected_available: i64,
) -> Result<RefundDone, AppError> {
    let pence = money::parse_refund_amount(&amount)?;
    Ok(state
        .core()?
        .refund(&service_id, &payment_id, pence, expected_available)
        .await?)
}

#[tauri::command]
pub async fn payment_cancel(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
) -> Result<ActionDone, AppError> {
    Ok(state.core()?.cancel(&service_id, &payment_id).await?)
}

#[tauri::command]
pub async fn payment_capture(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
) -> Result<ActionDone, AppError> {
    Ok(state.core()?.capture(&service_id, &payment_id).await?)
}
