//! Finding payments, the payment page, and the money actions on a payment.

use paydesk_core::actions::{self, ActionDone, RefundDone};
use paydesk_core::detail::PaymentDetail;
use paydesk_core::lookup::{PaymentQuery, PaymentResults};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn payments_search(
    state: State<'_, AppState>,
    service_id: String,
    query: PaymentQuery,
) -> Result<PaymentResults, AppError> {
    Ok(state.core()?.payments_search(&service_id, &query).await?)
}

#[tauri::command]
pub async fn payments_search_live(
    state: State<'_, AppState>,
    service_id: String,
    query: PaymentQuery,
) -> Result<PaymentResults, AppError> {
    Ok(state
        .core()?
        .payments_search_live(&service_id, &query)
        .await?)
}

#[tauri::command]
pub async fn payment_detail(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
) -> Result<PaymentDetail, AppError> {
    Ok(state
        .core()?
        .payment_detail(&service_id, &payment_id)
        .await?)
}

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
    let pence = actions::parse_refund_amount(&amount)?;
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
