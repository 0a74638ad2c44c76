//! The finance export: a CSV written to the file the supervisor chose, with
//! progress events, and the daily totals its chart draws.

use paydesk_core::dashboard::DayTotals;
pub use paydesk_core::export::{ExportDone, ResultsCsvDone};
use paydesk_core::search::PaymentQuery;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::error::AppError;
use crate::state::AppState;

/// Event sent every few thousand rows while an export is written.
pub const PROGRESS_EVENT: &str = "export-progress";

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportProgress {
    pub service_id: String,
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub expected: u64,
}

/// Writes the CSV to `<path>.partial` and renames it into place when complete,
/// so a failed export never leaves a file that looks finished.
#[tauri::command]
pub async fn export_csv(
    app: AppHandle,
    state: State<'_, AppState>,
    service_id: String,
    from_ms: i64,
    to_ms: i64,
    path: String,
    replace: bool,
) -> Result<ExportDone, AppError> {
    let sid = service_id.clone();
    let on_rows = move |rows: u64, expected: u64| {
        let p = ExportProgress {
            service_id: sid.clone(),
            rows,
            expected,
        };
        if let Err(e) = app.emit(PROGRESS_EVENT, &p) {
            tracing::warn!("export progress could not reach the window: {e}");
        }
    };
    Ok(state
        .core()?
        .export_to_file(&service_id, from_ms, to_ms, &path, replace, &on_rows)
        .await?)
}

#[tauri::command]
pub async fn daily_totals(
    state: State<'_, AppState>,
    service_id: String,
    day_starts: Vec<i64>,
) -> Result<Vec<DayTotals>, AppError> {
    Ok(state.core()?.daily_totals(&service_id, &day_starts).await?)
}

/// Writes the payments the search finds (the filters on screen) as the admin
/// tool's CSV, to the file the supervisor chose.
#[tauri::command]
pub async fn results_csv(
    state: State<'_, AppState>,
    service_id: String,
    query: PaymentQuery,
    path: String,
    replace: bool,
) -> Result<ResultsCsvDone, AppError> {
    Ok(state
        .core()?
        .results_csv_to_file(&service_id, &query, &path, replace)
        .await?)
}
