//! For a service desk: the organisation's policy, the About screen, and
//! the diagnostics "Copy diagnostics" puts on the clipboard.

use paydesk_core::policy::PolicyView;
use paydesk_core::support::{About, LOG_LINES};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;
use crate::support::log_tail;

/// What the organisation's policy sets (and any problem with it).
#[tauri::command]
pub async fn policy_get(state: State<'_, AppState>) -> Result<PolicyView, AppError> {
    Ok(state.policy.view())
}

/// Version, build, and where the data and the log are.
#[tauri::command]
pub async fn about_get(state: State<'_, AppState>) -> Result<About, AppError> {
    Ok(state.about())
}

/// The diagnostics text: no key, password or card data.
#[tauri::command]
pub async fn diagnostics_get(state: State<'_, AppState>) -> Result<String, AppError> {
    let about = state.about();
    let tail = state
        .log_file
        .as_deref()
        .map(|p| log_tail(p, LOG_LINES))
        .unwrap_or_default();
    match state.core() {
        Ok(core) => Ok(core.diagnostics(&about, &tail).await),
        // No data store: what is known without it.
        Err(e) => Ok(format!(
            "Paydesk {} (build {})\nThe data store could not be opened: {}\n\n{}",
            about.version, about.build, e.message, tail
        )),
    }
}
