//! What the app keeps between commands.

use paydesk_core::Core;

use crate::error::{AppError, ErrorCode};

/// The core, or why it could not be opened (shown to staff by every command).
pub struct AppState {
    core: Result<Core, String>,
}

impl AppState {
    pub fn new(core: Result<Core, String>) -> Self {
        Self { core }
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
