//! What the app keeps between commands.

use std::collections::HashMap;
use std::sync::Mutex;

use govpay_sim::Simulator;
use paydesk_core::Core;
use paydesk_core::sync::{SyncCancel, SyncProgress};

use crate::error::AppError;

/// A sync running in the background, and where it had got to.
pub struct RunningSync {
    pub cancel: SyncCancel,
    pub last: Option<SyncProgress>,
}

/// The core (or why it could not be opened, shown by every command), the
/// built-in sandbox simulator once it runs, and the syncs under way.
pub struct AppState {
    core: Result<Core, AppError>,
    pub sandbox: tokio::sync::Mutex<Option<Simulator>>,
    pub syncs: Mutex<HashMap<String, RunningSync>>,
}

impl AppState {
    pub fn new(core: Result<Core, AppError>) -> Self {
        Self {
            core,
            sandbox: tokio::sync::Mutex::new(None),
            syncs: Mutex::new(HashMap::new()),
        }
    }

    pub fn core(&self) -> Result<&Core, AppError> {
        self.core.as_ref().map_err(Clone::clone)
    }

    pub fn syncs(&self) -> std::sync::MutexGuard<'_, HashMap<String, RunningSync>> {
        self.syncs.lock().unwrap_or_else(|p| p.into_inner())
    }
}
