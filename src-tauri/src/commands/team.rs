//! Signing in to a team's database: each person as themselves, their
//! password kept in the OS keyring (never in a file).

use paydesk_core::Core;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::AppError;
use crate::state::AppState;

/// Whether this desktop is in a team, and signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TeamView {
    /// The team database's address (no password); none on a single desktop.
    pub address: Option<String>,
    pub signed_in: bool,
    /// Why Paydesk is not signed in, when it tried.
    pub problem: Option<AppError>,
}

fn view(state: &AppState) -> TeamView {
    let core = state.core();
    TeamView {
        address: state.team.as_ref().map(|t| t.address.clone()),
        signed_in: state.team.is_some() && core.is_ok(),
        problem: state.team.as_ref().and(core.err()),
    }
}

#[tauri::command]
pub async fn team_get(state: State<'_, AppState>) -> Result<TeamView, AppError> {
    Ok(view(&state))
}

/// Signs in with the password typed, and keeps it in the keyring once accepted.
#[tauri::command]
pub async fn team_sign_in(
    state: State<'_, AppState>,
    password: String,
) -> Result<TeamView, AppError> {
    let password = Zeroizing::new(password);
    let Some(team) = state.team.as_ref() else {
        return Err(AppError::from(paydesk_core::CoreError::NotFound(
            "A team database for this desktop".into(),
        )));
    };
    let core =
        Core::open_team_with_password(&team.data_dir, &team.address, &password, team.keys.clone())
            .await?;
    state.set_core(core);
    tracing::info!("signed in to the team database");
    Ok(view(&state))
}
