//! What the app keeps between commands.

use govpay_sim::Simulator;
use paydesk_core::Core;
use tokio::sync::Mutex;

use crate::error::{AppError, ErrorCode};

/// The core (or why it could not be opened, shown by every command) and the
/// built-in sandbox simulator once it runs.
pub struct AppState {
    core: Result<Core, String>,
    pub sandbox: Mutex<Option<Simulator>>,
}

impl AppState {
    pub fn new(core: Result<Core, String>) -> Self {
        Self {
            core,
            sandbox: Mutex::new(None),
        }
    }

    pub fn core(&self) -> Result<&Core, AppError> {
        self.core.as_ref().map_err(|why| {
            AppError::new(
                ErrorCode::Storage,
                format!("Paydesk could not open its data: {why}"),
            )
        })
    }
}
