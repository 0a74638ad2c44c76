//! The supervisor's dashboard.

use paydesk_core::dashboard::{Dashboard, DashboardQuery};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn dashboard(
    state: State<'_, AppState>,
    service_id: String,
    query: DashboardQuery,
) -> Result<Dashboard, AppError> {
    Ok(state.core()?.dashboard(&service_id, &query).await?)
}
