//! Background sync: one task per service, reporting progress as events.

use paydesk_core::sync::{SyncCancel, SyncProgress, SyncReport, SyncStatus};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use crate::error::AppError;
use crate::state::{AppState, RunningSync};

/// Event sent for each page a sync stores.
pub const PROGRESS_EVENT: &str = "sync-progress";
/// Event sent once when a sync stops (done, cancelled or failed).
pub const FINISHED_EVENT: &str = "sync-finished";

/// A service's cache: when it was last brought up to date, and any run under way.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncView {
    pub status: SyncStatus,
    pub running: bool,
    pub progress: Option<SyncProgress>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncFinished {
    pub service_id: String,
    pub report: Option<SyncReport>,
    pub error: Option<AppError>,
}

/// Starts bringing a service's cache up to date, unless it is already running.
/// Returns at once; progress arrives as `sync-progress` events. Afterwards the
/// mop-up job re-checks this desktop's unfinished telephone payments and refunds.
#[tauri::command]
pub async fn sync_start(
    app: AppHandle,
    state: State<'_, AppState>,
    service_id: String,
) -> Result<bool, AppError> {
    let core = state.core()?.clone();
    core.service(&service_id).await?;
    let cancel = SyncCancel::default();
    {
        let mut syncs = state.syncs();
        if syncs.contains_key(&service_id) {
            return Ok(false);
        }
        syncs.insert(
            service_id.clone(),
            RunningSync {
                cancel: cancel.clone(),
                last: None,
            },
        );
    }
    tauri::async_runtime::spawn(async move {
        let progress_app = app.clone();
        let on_progress = move |p: SyncProgress| {
            if let Some(run) = progress_app
                .state::<AppState>()
                .syncs()
                .get_mut(&p.service_id)
            {
                run.last = Some(p.clone());
            }
            if let Err(e) = progress_app.emit(PROGRESS_EVENT, &p) {
                tracing::warn!("sync progress could not reach the window: {e}");
            }
        };
        let result = core.sync_service(&service_id, &cancel, &on_progress).await;
        if result.is_ok()
            && let Err(e) = core.mop_up(&service_id).await
        {
            tracing::warn!("mop-up after sync: {e}");
        }
        app.state::<AppState>().syncs().remove(&service_id);
        let finished = match result {
            Ok(report) => SyncFinished {
                service_id,
                report: Some(report),
                error: None,
            },
            Err(e) => {
                tracing::warn!("sync failed: {e}");
                SyncFinished {
                    service_id,
                    report: None,
                    error: Some(e.into()),
                }
            }
        };
        if let Err(e) = app.emit(FINISHED_EVENT, &finished) {
            tracing::warn!("sync result could not reach the window: {e}");
        }
    });
    Ok(true)
}

#[tauri::command]
pub async fn sync_status(
    state: State<'_, AppState>,
    service_id: String,
) -> Result<SyncView, AppError> {
    let status = state.core()?.sync_status(&service_id).await?;
    let syncs = state.syncs();
    let run = syncs.get(&service_id);
    Ok(SyncView {
        status,
        running: run.is_some(),
        progress: run.and_then(|r| r.last.clone()),
    })
}

/// Stops a sync between pages; the next run resumes where it stopped.
#[tauri::command]
pub async fn sync_cancel(state: State<'_, AppState>, service_id: String) -> Result<(), AppError> {
    if let Some(run) = state.syncs().get(&service_id) {
        run.cancel.cancel();
    }
    Ok(())
}
