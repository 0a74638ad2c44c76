//! Disputes, for a supervisor.

use paydesk_core::disputes::{DisputeQuery, DisputeRow};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn disputes_list(
    state: State<'_, AppState>,
    service_id: String,
    query: DisputeQuery,
) -> Result<Vec<DisputeRow>, AppError> {
    Ok(state.core()?.disputes_list(&service_id, &query).await?)
}
