//! The money actions on a payment: refund, cancel, capture.

use paydesk_core::CoreError;
use paydesk_core::money::reason::{self, ReasonChoice, RefundWhy};
use paydesk_core::money::{self, ActionDone, RefundDone};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// `amount` is what was typed, in pounds and pence; `expected_available` is the
/// amount (in pence) the screen showed as refundable when the refund was
/// decided; `reason` is a reason's code and `reason_note` the note, if any.
#[tauri::command]
pub async fn payment_refund(
    state: State<'_, AppState>,
    service_id: String,
    payment_id: String,
    amount: String,
    expected_available: i64,
    reason: String,
    reason_note: String,
) -> Result<RefundDone, AppError> {
    // Every field's problem at once, so the form can show them together.
    let (pence, why) = match (
        money::parse_refund_amount(&amount),
        RefundWhy::parse(&reason, &reason_note),
    ) {
        (Ok(pence), Ok(why)) => (pence, why),
        (pence, why) => {
            let fields = [pence.err(), why.err()]
                .into_iter()
                .flatten()
                .flat_map(|e| match e {
                    CoreError::Validation(fields) => fields,
                    _ => Vec::new(),
                })
                .collect();
            return Err(CoreError::Validation(fields).into());
        }
    };
    Ok(state
        .core()?
        .refund(&service_id, &payment_id, pence, expected_available, &why)
        .await?)
}

/// The reasons a refund can be given, in the form's order.
#[tauri::command]
pub fn refund_reasons() -> Vec<ReasonChoice> {
    reason::choices()
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
