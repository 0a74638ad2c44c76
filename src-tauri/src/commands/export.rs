//! The finance export: a CSV written to the file the supervisor chose, with
//! progress events, and the daily totals its chart draws.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use paydesk_core::dashboard::DayTotals;
use paydesk_core::export::ExportReport;
use paydesk_core::{CoreError, FieldError};
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

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportDone {
    pub path: String,
    pub report: ExportReport,
}

fn bad_path(message: &str) -> AppError {
    CoreError::Validation(vec![FieldError::new("path", message)]).into()
}

/// An absolute `.csv` path in a folder that exists.
fn checked_path(text: &str) -> Result<PathBuf, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad_path("Choose where to save the CSV file"));
    }
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(bad_path(
            "Enter the full path of the file, starting from the top folder",
        ));
    }
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        return Err(bad_path("The file name must end in .csv"));
    }
    if !path.parent().is_some_and(Path::is_dir) {
        return Err(bad_path("That folder does not exist"));
    }
    if path.is_dir() {
        return Err(bad_path("That is a folder: add a file name ending in .csv"));
    }
    Ok(path)
}

/// Creates `<path>.partial` for writing, new: a link left at that name (by
/// anyone) is refused rather than followed, and a file a failed export left
/// there is removed first.
fn partial_file(path: &Path) -> Result<(PathBuf, std::fs::File), AppError> {
    let mut partial = path.to_path_buf().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    if let Ok(meta) = partial.symlink_metadata() {
        if meta.file_type().is_symlink() || !meta.is_file() {
            tracing::warn!(path = %partial.display(), "export: a link or folder is in the way");
            return Err(bad_path(
                "Something other than a file is in the way of the export there (a link or a folder named like it): choose another folder",
            ));
        }
        let _ = std::fs::remove_file(&partial);
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| {
            tracing::warn!(path = %partial.display(), "export: {e}");
            bad_path("Paydesk cannot write a file there: choose another folder")
        })?;
    Ok((partial, file))
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
    let core = state.core()?.clone();
    if from_ms >= to_ms {
        return Err(CoreError::Validation(vec![FieldError::new(
            "toDate",
            "The end date must be after the start date",
        )])
        .into());
    }
    let path = checked_path(&path)?;
    if path.symlink_metadata().is_ok() && !replace {
        // Asked first: the UI offers "Replace the file" on this field.
        return Err(CoreError::Validation(vec![FieldError::new(
            "replace",
            "A file with that name is already there. Replace it, or choose another name",
        )])
        .into());
    }
    let expected = core.export_size(&service_id, from_ms, to_ms).await?;
    let (partial, file) = partial_file(&path)?;
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    let sid = service_id.clone();
    let on_rows = move |rows: u64| {
        let p = ExportProgress {
            service_id: sid.clone(),
            rows,
            expected,
        };
        if let Err(e) = app.emit(PROGRESS_EVENT, &p) {
            tracing::warn!("export progress could not reach the window: {e}");
        }
    };
    let written = core
        .export_csv(&service_id, from_ms, to_ms, &mut out, &on_rows)
        .await;
    drop(out);
    let report = match written {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
    };
    if let Err(e) = std::fs::rename(&partial, &path) {
        tracing::warn!(path = %path.display(), "export rename: {e}");
        let _ = std::fs::remove_file(&partial);
        return Err(bad_path(
            "Paydesk could not put the file there: choose another name",
        ));
    }
    tracing::info!(rows = report.payments + report.refunds, "export written");
    Ok(ExportDone {
        path: path.display().to_string(),
        report,
    })
}

#[tauri::command]
pub async fn daily_totals(
    state: State<'_, AppState>,
    service_id: String,
    day_starts: Vec<i64>,
) -> Result<Vec<DayTotals>, AppError> {
    Ok(state.core()?.daily_totals(&service_id, &day_starts).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_message(e: AppError) -> String {
        let f = e.fields.expect("a field error");
        assert_eq!(f[0].field, "path");
        f[0].message.clone()
    }

    #[test]
    fn the_save_path_is_checked_and_named() {
        let dir = std::env::temp_dir();
        assert!(field_message(checked_path(" ").unwrap_err()).contains("Choose where"));
        assert!(field_message(checked_path("takings.csv").unwrap_err()).contains("full path"));
        assert!(
            field_message(checked_path(dir.join("takings.txt").to_str().unwrap()).unwrap_err())
                .contains(".csv")
        );
        assert!(
            field_message(
                checked_path(
                    dir.join("no-such-folder-x9")
                        .join("a.csv")
                        .to_str()
                        .unwrap()
                )
                .unwrap_err()
            )
            .contains("does not exist")
        );
        assert!(checked_path(dir.join("takings.CSV").to_str().unwrap()).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_partial_name_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        std::fs::write(&target, "keep me").unwrap();
        let path = dir.path().join("export.csv");
        let partial = dir.path().join("export.csv.partial");
        std::os::unix::fs::symlink(&target, &partial).unwrap();
        let err = partial_file(&path).unwrap_err();
        assert_eq!(err.fields.unwrap()[0].field, "path");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        // A plain file a failed export left is replaced.
        std::fs::remove_file(&partial).unwrap();
        std::fs::write(&partial, "half").unwrap();
        let (made, _file) = partial_file(&path).unwrap();
        assert_eq!(std::fs::read_to_string(made).unwrap(), "");
    }
}
