//! What the app keeps between commands.

use govpay_sim::Simulator;
use paydesk_core::Core;

use crate::error::AppError;

/// The core (or why it could not be opened, shown by every command) and the
/// built-in sandbox simulator once it runs. The syncs under way are the
/// core's (`Core::sync_begin`).
pub struct AppState {
    core: Result<Core, AppError>,
    pub sandbox: tokio::sync::Mutex<Option<Simulator>>,
}

impl AppState {
    pub fn new(core: Result<Core, AppError>) -> Self {
        Self {
            core,
            sandbox: tokio::sync::Mutex::new(None),
        }
    }

    pub fn core(&self) -> Result<&Core, AppError> {
        self.core.as_ref().map_err(Clone::clone)
    }
}
