//! What the app keeps between commands.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use govpay_sim::Simulator;
use paydesk_core::{Core, KeyStore};

use crate::error::AppError;

/// The core (or why it could not be opened, shown by every command) and the
/// built-in sandbox simulator once it runs. The syncs under way are the
/// core's (`Core::sync_begin`). On a team's database the core opens when
/// the person signs in (`commands::team`).
pub struct AppState {
    core: RwLock<Result<Core, AppError>>,
    pub sandbox: tokio::sync::Mutex<Option<Simulator>>,
    /// The team database this desktop signs in to, if it is in a team.
    pub team: Option<TeamSetting>,
}

/// Where this desktop's team database is, and what signing in needs.
pub struct TeamSetting {
    /// `postgres://LOGIN@HOST:PORT/DATABASE`: no password.
    pub address: String,
    pub data_dir: PathBuf,
    pub keys: Arc<dyn KeyStore>,
}

impl AppState {
    pub fn new(core: Result<Core, AppError>, team: Option<TeamSetting>) -> Self {
        Self {
            core: RwLock::new(core),
            sandbox: tokio::sync::Mutex::new(None),
            team,
        }
    }

    /// The core (a cheap handle on it).
    pub fn core(&self) -> Result<Core, AppError> {
        self.core
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .cloned()
            .map_err(Clone::clone)
    }

    /// The core opened by signing in, for every command from now on.
    pub fn set_core(&self, core: Core) {
        *self.core.write().unwrap_or_else(|p| p.into_inner()) = Ok(core);
    }
}
