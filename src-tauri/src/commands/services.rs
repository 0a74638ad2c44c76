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

/// Keeps this desktop's API key for a service it can see (a team's service).
#[tauri::command]
pub async fn services_set_key(
    state: State<'_, AppState>,
    id: String,
    api_key: String,
) -> Result<ServiceView, AppError> {
    let api_key = zeroize::Zeroizing::new(api_key);
    Ok(state.core()?.services_set_key(&id, &api_key).await?)
}

#[tauri::command]
pub async fn services_remove(state: State<'_, AppState>, id: String) -> Result<(), AppError> {
    Ok(state.core()?.services_remove(&id).await?)
}
