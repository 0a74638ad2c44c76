//! The built-in sandbox: start it and add it as a service.

use paydesk_core::services::ServiceView;
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn sandbox_start(state: State<'_, AppState>) -> Result<ServiceView, AppError> {
    let core = state.core()?;
    let mut running = state.sandbox.lock().await;
    crate::sandbox::start(&core, &mut running).await
}
