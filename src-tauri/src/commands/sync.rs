//! Background sync: one task per service, reporting progress as events.

use std::sync::Arc;

pub use paydesk_core::sync::SyncView;
use paydesk_core::sync::{SyncEvent, SyncReport};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::error::AppError;
use crate::state::AppState;

/// Event sent for each page a sync stores.
pub const PROGRESS_EVENT: &str = "sync-progress";
/// Event sent once when a sync stops (done, cancelled or failed).
pub const FINISHED_EVENT: &str = "sync-finished";

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncFinished {
    pub service_id: String,
    pub report: Option<SyncReport>,
    pub error: Option<AppError>,
}

/// Starts bringing a service's cache up to date, unless it is already running.
/// Returns at once; progress arrives as `sync-progress` events and the end as
/// `sync-finished`.
#[tauri::command]
pub async fn sync_start(
    app: AppHandle,
    state: State<'_, AppState>,
    service_id: String,
) -> Result<bool, AppError> {
    let on_event = move |event: SyncEvent| {
        let sent = match event {
            SyncEvent::Progress(p) => app.emit(PROGRESS_EVENT, &p),
            SyncEvent::Finished { service_id, result } => {
                let (report, error) = match result {
                    Ok(report) => (Some(report), None),
                    Err(e) => (None, Some(AppError::from(e))),
                };
                app.emit(
                    FINISHED_EVENT,
                    &SyncFinished {
                        service_id,
                        report,
                        error,
                    },
                )
            }
        };
        if let Err(e) = sent {
            tracing::warn!("a sync event could not reach the window: {e}");
        }
    };
    Ok(state
        .core()?
        .sync_begin(&service_id, Arc::new(on_event))
        .await?)
}

#[tauri::command]
pub async fn sync_status(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<SyncView, AppError> {
    Ok(state.core()?.sync_view(&service_id).await?)
}

/// Stops a sync between pages; the next run resumes where it stopped.
#[tauri::command]
pub async fn sync_cancel(state: State<'_, AppState>, service_id: String) -> Result<(), AppError> {
    state.core()?.sync_stop(&service_id);
    Ok(())
}
