//! The Paydesk app: builds the Tauri window and wires commands to paydesk-core.
//! This crate is the only one that imports `tauri`; commands stay thin.

// Library code must not panic on a bad value; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod commands;
mod error;
mod sandbox;
mod state;

use std::path::PathBuf;
use std::sync::Arc;

use paydesk_core::{Core, OsKeyStore};
use tauri::Manager;

pub use error::{AppError, ErrorCode};
pub use state::{AppState, TeamSetting};

/// Environment variable that points Paydesk at a data folder of its own
/// (tests and demos use it to stay out of the user's real data).
pub const DATA_DIR_ENV: &str = "PAYDESK_DATA_DIR";

/// The team database's address (`postgres://LOGIN@HOST:PORT/DATABASE`, no
/// password), for a desktop in a team.
pub const TEAM_DATABASE_ENV: &str = "PAYDESK_TEAM_DATABASE";

/// The log file in the data folder, kept for support and never holding keys or
/// card data (the tests search it for them).
pub const LOG_FILE: &str = "paydesk.log";

/// Logs go to stderr and, once the data folder is known, to `paydesk.log` there.
fn init_logging(dir: Option<&std::path::Path>) {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let file = dir.and_then(|d| {
        std::fs::create_dir_all(d).ok()?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join(LOG_FILE))
            .ok()
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    let _ = match file {
        Some(file) => builder
            .with_writer(std::io::stderr.and(std::sync::Mutex::new(file)))
            .try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
}

fn data_dir(app: &tauri::App) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    app.path()
        .app_data_dir()
        .map_err(|e| format!("cannot find a folder for Paydesk's data: {e}"))
}

/// The sandbox starts with the app when it was set up before (its address changes
/// every run), or when `PAYDESK_SANDBOX=1` asks for it and nothing else is set up.
async fn start_sandbox_if_wanted(state: &AppState) {
    let Ok(core) = state.core() else { return };
    let wanted = match core.services_has_sandbox().await {
        Ok(true) => true,
        Ok(false) => {
            std::env::var(sandbox::SANDBOX_ENV).is_ok_and(|v| v == "1")
                && core
                    .services_list()
                    .await
                    .map(|l| l.is_empty())
                    .unwrap_or(false)
        }
        Err(e) => {
            tracing::error!("cannot read services: {e}");
            false
        }
    };
    if wanted {
        let mut running = state.sandbox.lock().await;
        if let Err(e) = sandbox::start(&core, &mut running).await {
            tracing::error!("sandbox: {}", e.message);
        }
    }
}

/// Starts the app and blocks until its window closes.
pub fn run() {
    let built = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let identifier = app.config().identifier.clone();
            let dir = data_dir(app);
            init_logging(dir.as_ref().ok().map(PathBuf::as_path));
            let keys: Arc<dyn paydesk_core::KeyStore> = Arc::new(OsKeyStore::new(identifier));
            // A desktop in a team signs in to the team's database instead of
            // opening its own file (the address will come from IT's policy file).
            let team = match (&dir, std::env::var(TEAM_DATABASE_ENV)) {
                (Ok(dir), Ok(address)) if !address.trim().is_empty() => Some(TeamSetting {
                    address: address.trim().to_owned(),
                    data_dir: dir.clone(),
                    keys: keys.clone(),
                }),
                _ => None,
            };
            let core = match dir {
                Ok(dir) => {
                    tracing::info!(dir = %dir.display(), "opening Paydesk data");
                    let opened = match &team {
                        Some(t) => tauri::async_runtime::block_on(Core::open_team_signed_in(
                            &dir,
                            &t.address,
                            keys.clone(),
                        )),
                        None => tauri::async_runtime::block_on(Core::open(&dir, keys.clone())),
                    };
                    opened.map_err(|e| {
                        tracing::error!("Paydesk could not start its data store: {e}");
                        // The window still opens and every command says this.
                        AppError::from(e)
                    })
                }
                Err(why) => {
                    tracing::error!("Paydesk has no data folder: {why}");
                    Err(AppError::from(paydesk_core::CoreError::Store(
                        paydesk_core::StoreError::new(
                            paydesk_core::StoreErrorKind::Broken(
                                paydesk_core::DbProblem::Unreachable,
                            ),
                            why,
                        ),
                    )))
                }
            };
            let state = AppState::new(core, team);
            tauri::async_runtime::block_on(start_sandbox_if_wanted(&state));
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::services::services_list,
            commands::staff::staff_get,
            commands::staff::staff_set_name,
            commands::team::team_get,
            commands::team::team_sign_in,
            commands::services::services_add,
            commands::services::services_remove,
            commands::services::services_set_key,
            commands::sandbox::sandbox_start,
            commands::search::payments_search,
            commands::search::payments_search_live,
            commands::story::payment_detail,
            commands::money::payment_refund,
            commands::money::refund_reasons,
            commands::approvals::approval_settings,
            commands::approvals::approval_rules_set,
            commands::approvals::approvals_waiting,
            commands::approvals::refund_requests_mine,
            commands::approvals::refund_request_approve,
            commands::approvals::refund_request_reject,
            commands::money::payment_cancel,
            commands::money::payment_capture,
            commands::cases::case_add_payment,
            commands::cases::case_add_note,
            commands::cases::case_list,
            commands::cases::case_page,
            commands::sync::sync_start,
            commands::sync::sync_status,
            commands::sync::sync_cancel,
            commands::telephone::telephone_payment_start,
            commands::telephone::telephone_payment_duplicates,
            commands::telephone::telephone_payment_authorise,
            commands::telephone::telephone_payment_abandon,
            commands::telephone::telephone_payments_list,
            commands::telephone::telephone_payments_check,
            commands::disputes::disputes_list,
            commands::activity::activity_list,
            commands::activity::activity_people,
            commands::activity::activity_verify,
            commands::agreements::agreements_list,
            commands::agreements::agreement_detail,
            commands::agreements::agreement_cancel,
            commands::agreements::agreement_create,
            commands::dashboard::dashboard,
            commands::export::export_csv,
            commands::export::results_csv,
            commands::export::daily_totals,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(e) = built {
        tracing::error!("Paydesk stopped: {e}");
        std::process::exit(1);
    }
}
