//! Who is using this desktop: the name recorded on everything they do.

use paydesk_core::staff::StaffView;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn staff_get(state: State<'_, AppState>) -> Result<StaffView, AppError> {
    Ok(state.core()?.staff().await?)
}

#[tauri::command]
pub async fn staff_set_name(
    state: State<'_, AppState>,
    name: String,
) -> Result<StaffView, AppError> {
    Ok(state.core()?.set_operator(&name).await?)
}
