//! The supervisor's screens: disputes and the activity record.

use paydesk_core::audit::{AuditQuery, AuditRow, AuditVerification};
use paydesk_core::dashboard::{Dashboard, DashboardQuery};
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
pub async fn dashboard(
    state: State<'_, AppState>,
    service_id: String,
    query: DashboardQuery,
) -> Result<Dashboard, AppError> {
    Ok(state.core()?.dashboard(&service_id, &query).await?)
}
