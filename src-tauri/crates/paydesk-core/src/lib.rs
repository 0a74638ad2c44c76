//! Paydesk's domain. No `tauri` import here: everything is testable without a window.
//!
//! [`Core`] is the handle the app holds: the SQLite cache and the key store.

// Library code must not panic on a bad value; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod db;
pub mod error;
pub mod keys;
pub mod roles;
pub mod services;

use std::path::Path;
use std::sync::Arc;

use sqlx::SqlitePool;

pub use error::{CoreError, FieldError};
pub use keys::{KeyStore, OsKeyStore};
pub use roles::{Permission, Role};

/// The app's handle on its data and secrets.
#[derive(Clone)]
pub struct Core {
    pool: SqlitePool,
    keys: Arc<dyn KeyStore>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").finish_non_exhaustive()
    }
}

impl Core {
    /// Opens (creating if needed) the cache in `data_dir` and migrates it.
    pub async fn open(data_dir: &Path, keys: Arc<dyn KeyStore>) -> Result<Self, CoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            CoreError::Storage(format!(
                "cannot create the data folder {}: {e}",
                data_dir.display()
            ))
        })?;
        let pool = db::open(&data_dir.join(db::FILE_NAME)).await?;
        Ok(Self { pool, keys })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn keys(&self) -> &Arc<dyn KeyStore> {
        &self.keys
    }
}
