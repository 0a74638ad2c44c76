//! Services: list, add (with the key checked and stored in the keyring), remove.

use paydesk_core::services::{NewService, ServiceView};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn services_list(state: State<'_, AppState>) -> Result<Vec<ServiceView>, AppError> {
    Ok(state.core()?.services_list().await?)
}

#[tauri::command]
pub async fn services_add(
    state: State<'_, AppState>,
    input: NewService,
) -> Result<ServiceView, AppError> {
    Ok(state.core()?.services_add(input).await?)
}

#[tauri::command]
pub async fn services_remove(state: State<'_, AppState>, id: String) -> Result<(), AppError> {
    Ok(state.core()?.services_remove(&id).await?)
}
