//! The activity record: what was done, and whether the record is intact.

use paydesk_core::activity::audit::{AuditQuery, AuditRow, AuditVerification};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn activity_list(
    state: State<'_, AppState>,
    service_id: String,
    query: AuditQuery,
) -> Result<Vec<AuditRow>, AppError> {
    Ok(state.core()?.activity_list(&service_id, &query).await?)
}

#[tauri::command]
pub async fn activity_verify(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<AuditVerification, AppError> {
    Ok(state.core()?.activity_verify(&service_id).await?)
}

#[tauri::command]
pub async fn activity_people(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<Vec<String>, AppError> {
    Ok(state.core()?.activity_people(&service_id).await?)
}
