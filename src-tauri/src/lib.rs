//! The Paydesk app: builds the Tauri window and wires commands to paydesk-core.
//! This crate is the only one that imports `tauri`; commands stay thin.

// Library code must not panic on a bad value; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod commands;
mod error;
mod sandbox;
mod state;
mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use paydesk_core::policy::Policy;
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

/// Where the log goes: `paydesk.log` in the data folder, or in the
/// policy's shared log folder one file per person (`paydesk-<user>.log`), so
/// people on one computer never write over each other's.
fn log_path(
    policy_folder: Option<&Path>,
    data_dir: Option<&Path>,
    user: Option<&str>,
) -> Option<PathBuf> {
    match (policy_folder, user.filter(|u| !u.is_empty())) {
        (Some(folder), Some(user)) => Some(folder.join(format!("paydesk-{user}.log"))),
        (Some(folder), None) => Some(folder.join(LOG_FILE)),
        (None, _) => data_dir.map(|d| d.join(LOG_FILE)),
    }
}

/// Logs go to stderr and to the log file, rotated at 5 MB. A policy folder
/// that cannot be written falls back to the data folder. Returns the file.
fn init_logging(wanted: Option<PathBuf>, fallback: Option<PathBuf>) -> Option<PathBuf> {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let open = |path: &Path| {
        std::fs::create_dir_all(path.parent()?).ok()?;
        support::RotatingFile::open(path, support::LOG_MAX_BYTES, support::LOG_KEEP).ok()
    };
    let mut used = None;
    let mut file = None;
    for path in [wanted, fallback].into_iter().flatten() {
        if let Some(f) = open(&path) {
            file = Some(f);
            used = Some(path);
            break;
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    let _ = match file {
        Some(file) => builder
            .with_writer(std::io::stderr.and(std::sync::Mutex::new(file)))
            .try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    used
}

/// The team database this desktop signs in to: the organisation's policy
/// first, then `PAYDESK_TEAM_DATABASE`. A policy's address names no one (it
/// is the same on every computer): the person signs in with their own
/// login, the computer's user name.
fn team_address(policy: &Policy, env: Option<&str>, user: Option<&str>) -> Option<String> {
    if let Some(address) = &policy.team_database {
        let mut url = url::Url::parse(address).ok()?;
        if url.username().is_empty() {
            url.set_username(user.filter(|u| !u.is_empty())?).ok()?;
        }
        return Some(url.to_string());
    }
    env.map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
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
            let policy = Policy::load(&Policy::path_from_env());
            let user = std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .ok();
            let data = dir.as_ref().ok().map(PathBuf::as_path);
            let log_file = init_logging(
                log_path(policy.log_folder.as_deref(), data, user.as_deref()),
                log_path(None, data, None),
            );
            if policy.log_folder.is_some()
                && log_file.as_deref().map(Path::parent) != Some(policy.log_folder.as_deref())
            {
                tracing::error!(
                    "the policy's log folder cannot be written: logging to the data folder instead"
                );
            }
            if let Some(problem) = &policy.problem {
                tracing::error!(
                    "the policy file cannot be used, so LIVE services are off: {problem}"
                );
            }
            let keys: Arc<dyn paydesk_core::KeyStore> = Arc::new(OsKeyStore::new(identifier));
            // A desktop in a team signs in to the team's database instead of
            // opening its own file (the address will come from IT's policy file).
            let env_address = std::env::var(TEAM_DATABASE_ENV).ok();
            let team = match (
                &dir,
                team_address(&policy, env_address.as_deref(), user.as_deref()),
            ) {
                (Ok(dir), Some(address)) => Some(TeamSetting {
                    address,
                    data_dir: dir.clone(),
                    keys: keys.clone(),
                }),
                _ => None,
            };
            let data_dir = dir.as_ref().ok().cloned();
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
            let state = AppState::new(core, team, policy, data_dir, log_file);
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
            commands::support::policy_get,
            commands::support::about_get,
            commands::support::diagnostics_get,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = built {
        tracing::error!("Paydesk stopped: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_log_folder_gets_one_file_per_person() {
        let folder = Path::new("/var/log/paydesk");
        let data = Path::new("/home/sam/.local/share/uk.paydesk.app");
        assert_eq!(
            log_path(Some(folder), Some(data), Some("sam")),
            Some(folder.join("paydesk-sam.log"))
        );
        assert_eq!(
            log_path(None, Some(data), Some("sam")),
            Some(data.join(LOG_FILE))
        );
        // A folder that cannot be written: the data folder instead.
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("not-a-folder");
        std::fs::write(&blocked, "a file where the folder should be").unwrap();
        let used = init_logging(
            Some(blocked.join("paydesk-sam.log")),
            Some(dir.path().join(LOG_FILE)),
        );
        assert_eq!(used, Some(dir.path().join(LOG_FILE)));
    }

    #[test]
    fn the_policys_team_database_wins_and_names_the_person_signing_in() {
        let none = Policy::default();
        assert_eq!(team_address(&none, None, Some("sam")), None);
        assert_eq!(
            team_address(&none, Some(" postgres://sam@db/paydesk "), None).as_deref(),
            Some("postgres://sam@db/paydesk")
        );
        let policy = Policy::parse(
            std::path::Path::new("/etc/paydesk/policy.toml"),
            "[team]\ndatabase = \"postgres://db.example.gov.uk:5432/paydesk\"\n",
        );
        assert_eq!(
            team_address(
                &policy,
                Some("postgres://other@elsewhere/x"),
                Some("sam.jones")
            )
            .as_deref(),
            Some("postgres://sam.jones@db.example.gov.uk:5432/paydesk")
        );
        // Nobody to sign in as: no team database rather than a wrong one.
        assert_eq!(team_address(&policy, None, None), None);
    }
}
