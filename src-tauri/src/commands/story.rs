//! The payment's story: the payment page.

use paydesk_core::story::PaymentDetail;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

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
