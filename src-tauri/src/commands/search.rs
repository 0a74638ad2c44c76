//! Finding payments: in this desktop's cache, or live from GOV.UK Pay.

use paydesk_core::search::{PaymentQuery, PaymentResults};
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
